// Renders the worker's own /openapi.json (generated from the Rust wire types) with Swagger UI.
window.SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#reference',
  deepLinking: true,
  docExpansion: 'list',
  defaultModelsExpandDepth: 0,
  tryItOutEnabled: false,
  // No call to the public validator service: the page loads nothing from outside this worker.
  validatorUrl: null,
});
