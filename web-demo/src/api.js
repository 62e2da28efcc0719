// The HTTP API client: one fetch wrapper that adds the bearer key and turns every
// RFC 9457 problem+json answer into an ApiError carrying the API's stable `code`.

/** An error answered by the API (or the network failing before an answer). */
export class ApiError extends Error {
  constructor({ status, code, title, detail }) {
    super(detail || title || `HTTP ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.title = title;
  }
}

async function problemFrom(response) {
  const type = response.headers.get("content-type") || "";
  let body = null;
  try {
    body = type.includes("json") ? await response.json() : { detail: await response.text() };
  } catch {
    body = null;
  }
  return new ApiError({
    status: response.status,
    code: body?.code || `http_${response.status}`,
    title: body?.title || response.statusText,
    detail: body?.detail || body?.message || "",
  });
}

/**
 * @param {{ baseUrl?: string, apiKey: () => string }} options
 */
export function createApi({ baseUrl = "", apiKey }) {
  async function request(method, path, { body, headers = {} } = {}) {
    const init = { method, headers: { accept: "application/json", ...headers } };
    const key = apiKey();
    if (key) init.headers.authorization = `Bearer ${key}`;
    if (body !== undefined) {
      init.headers["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(baseUrl + path, init);
    } catch (error) {
      throw new ApiError({ status: 0, code: "network_error", detail: `the API did not answer: ${error.message}` });
    }
    if (!response.ok) throw await problemFrom(response);
    return response.status === 204 ? null : response.json();
  }

  const seg = encodeURIComponent;
  return {
    config: () => request("GET", "/v1/config"),
    rates: () => request("GET", "/v1/rates"),
    createQuote: (quoteRequest) => request("POST", "/v1/quotes", { body: quoteRequest }),
    validateAddress: (body) => request("POST", "/v1/addresses/validate", { body }),
    createAddress: (customerId, body) =>
      request("POST", `/v1/customers/${seg(customerId)}/addresses`, { body }),
    listAddresses: (customerId) => request("GET", `/v1/customers/${seg(customerId)}/addresses`),
    balance: (currency, address) => request("GET", `/v1/addresses/${seg(currency)}/${seg(address)}/balance`),
    // A fresh key per submit: a retried network request is the same order, a new click a new one.
    placeOrder: (customerId, body, idempotencyKey) =>
      request("POST", `/v1/customers/${seg(customerId)}/orders`, {
        body,
        headers: { "idempotency-key": idempotencyKey },
      }),
    order: (orderId) => request("GET", `/v1/orders/${seg(orderId)}`),
    listOrders: (customerId) => request("GET", `/v1/customers/${seg(customerId)}/orders`),
  };
}
