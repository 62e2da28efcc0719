// The baseline of bench/load.mjs: POST /items stores the body (one D1 insert), GET
// /items/{id} reads it back (one D1 read), GET /healthz answers without D1.
export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (pathname === '/healthz') return new Response('ok');
    if (request.method === 'POST' && pathname === '/items') {
      const id = crypto.randomUUID();
      await env.DB.prepare('INSERT INTO items (id, body, created_at) VALUES (?1, ?2, ?3)')
        .bind(id, await request.text(), Date.now())
        .run();
      return Response.json({ id }, { status: 201 });
    }
    const item = pathname.match(/^\/items\/([^/]+)$/);
    if (request.method === 'GET' && item) {
      const row = await env.DB.prepare('SELECT id, body, created_at FROM items WHERE id = ?1').bind(item[1]).first();
      return row ? Response.json(row) : new Response('not found', { status: 404 });
    }
    return new Response('not found', { status: 404 });
  },
};
