// A small client for the API under test, and the client configurations the tests use.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN_TOKEN, ROOT } from './worker.mjs';

/** BIP-84 published test vector (core/tests/vectors/bip84.json): the account zpub and its addresses. */
export const BIP84 = JSON.parse(readFileSync(join(ROOT, 'core', 'tests', 'vectors', 'bip84.json'), 'utf8'));

/** Sends a request; `body` objects are JSON-encoded, strings sent as they are. */
export async function call(base, method, path, { token, body, headers = {} } = {}) {
  const init = { method, headers: { ...headers } };
  if (token) init.headers.authorization = `Bearer ${token}`;
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    init.headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(base + path, init);
  const text = await res.text();
  let json;
  try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, body: json };
}

export const admin = (base, method, path, body) => call(base, method, path, { token: ADMIN_TOKEN, body });

/** A valid client configuration: EUR orders 10-1000, 2000 a day; BTC mainnet with the BIP-84 zpub. */
export function sampleConfig(overrides = {}) {
  return {
    name: 'Test wallet',
    fiat: {
      EUR: {
        min_order: '10.00',
        max_order: '1000.00',
        daily_limit: '2000.00',
        monthly_limit: '10000.00',
        service_fee_fixed: '0.50',
      },
    },
    crypto: {
      BTC: { networks: ['mainnet'], network_fee: '0.00002000' },
      LTC: { networks: ['mainnet'], network_fee: '0.00010000' },
    },
    service_fee_percent: '1.5',
    spread_percent: '0.5',
    quote_validity_seconds: 60,
    max_rate_age_seconds: 600,
    xpubs: { BTC: { xpub: BIP84.account_xpub, scheme: 'bip84', network: 'mainnet' } },
    ...overrides,
  };
}

/** Onboards a client; returns { client_id, api_key, webhook_secret, config }. */
export async function onboard(base, config = sampleConfig(), name = 'Test client') {
  const r = await admin(base, 'POST', '/v1/admin/clients', { name, config });
  if (r.status !== 201) throw new Error(`onboarding failed: ${r.status} ${r.text}`);
  return r.body;
}

export const RATES = {
  rates: [
    { crypto: 'BTC', fiat: 'EUR', price: '60000.00', source: 'test' },
    { crypto: 'LTC', fiat: 'EUR', price: '70.00', source: 'test' },
  ],
};

export async function setRates(base, rates = RATES) {
  const r = await admin(base, 'PUT', '/v1/admin/rates', rates);
  if (r.status !== 200) throw new Error(`setting rates failed: ${r.status} ${r.text}`);
  return r.body;
}

/** A destination address for orders: the BIP-84 vector's second receive address. */
export const DESTINATION = BIP84.addresses[1].address;

export function orderBody(overrides = {}) {
  return {
    crypto: 'BTC', network: 'mainnet', fiat: 'EUR', amount: '100.00', amount_currency: 'EUR',
    destination_address: DESTINATION, ...overrides,
  };
}

export function placeOrder(base, apiKey, customer, body, key) {
  const headers = key === undefined ? {} : { 'idempotency-key': key };
  return call(base, 'POST', `/v1/customers/${customer}/orders`, { token: apiKey, body, headers });
}

/** Every code the worker may answer, as documented in openapi.json. */
const DOCUMENTED_CODES = new Set(
  JSON.parse(readFileSync(join(ROOT, 'edge-worker', 'openapi.json'), 'utf8')).components.schemas.ErrorCode.enum,
);

export function assertProblem(assert, r, status, code) {
  assert.equal(r.status, status, `expected ${status} ${code}, got ${r.status}: ${r.text}`);
  assert.match(r.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.equal(r.body.code, code, r.text);
  assert.equal(r.body.status, status);
  for (const member of ['type', 'title', 'detail']) assert.equal(typeof r.body[member], 'string', member);
  assert.ok(DOCUMENTED_CODES.has(code), `code ${code} is not documented in openapi.json`);
}
