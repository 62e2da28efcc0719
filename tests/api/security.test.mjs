// The security configuration of issue 10 under `wrangler dev`: several API keys per
// client with scopes, IP allowlists, expiry, rotation and revocation; per-key rate
// limiting with the IETF draft's RateLimit headers; keys stored hashed.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  admin, assertProblem, call, onboard, orderBody, placeOrder, setRates,
} from '../support/api.mjs';
import { ROOT, startWorker } from '../support/worker.mjs';

const LIMIT = 12;
let worker; let client;

before(async () => {
  worker = await startWorker({ vars: { RATE_LIMIT: String(LIMIT), RATE_LIMIT_WINDOW_SECONDS: '60' } });
  client = await onboard(worker.url);
  await setRates(worker.url);
});

after(async () => { await worker?.stop(); });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const keysPath = (clientId = client.client_id) => `/v1/admin/clients/${clientId}/api-keys`;

/** A new key of the test client; returns { api_key, key }. */
async function newKey(body = {}) {
  const r = await admin(worker.url, 'POST', keysPath(), body);
  assert.equal(r.status, 201, r.text);
  return r.body;
}

/** Runs SQL on the worker's local D1 (the state wrangler dev uses) and returns the rows. */
function d1(sql) {
  const r = spawnSync(
    join(ROOT, 'node_modules', '.bin', 'wrangler'),
    ['d1', 'execute', 'DB', '--local', '--persist-to', worker.persistDir, '--json', '--command', sql],
    { cwd: ROOT, encoding: 'utf8', env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: '1' } },
  );
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout)[0].results;
}

describe('API keys', () => {
  test('onboarding gives a first key with both scopes, which the client lists without its secret', async () => {
    assert.match(client.api_key_id, /^key_[0-9a-f]{32}$/);
    const r = await call(worker.url, 'GET', '/v1/api-keys', { token: client.api_key });
    assert.equal(r.status, 200, r.text);
    const [first] = r.body.keys.filter((k) => k.key_id === client.api_key_id);
    assert.deepEqual(first.scopes, ['read', 'trade']);
    assert.equal(first.prefix, client.api_key.slice(0, 12));
    assert.equal(first.ip_allowlist, null);
    assert.equal(first.expires_at, null);
    assert.equal(first.revoked_at, null);
    assert.ok(!r.text.includes(client.api_key), 'a listing never shows a key');
  });

  test('a read key reads everything and is refused trading with insufficient_scope', async () => {
    const { api_key, key } = await newKey({ scopes: ['read'] });
    assert.deepEqual(key.scopes, ['read']);
    const placed = await placeOrder(worker.url, client.api_key, 'scope-alice', orderBody(), 'scope-1');
    assert.equal(placed.status, 201, placed.text);
    const reads = [
      ['GET', '/v1/config'],
      ['GET', '/v1/rates'],
      ['POST', '/v1/quotes', { crypto: 'BTC', network: 'mainnet', fiat: 'EUR', amount: '50.00', amount_currency: 'EUR' }],
      ['GET', '/v1/customers/scope-alice/orders'],
      ['GET', '/v1/customers/scope-alice/addresses'],
      ['GET', `/v1/orders/${placed.body.id}`],
      ['POST', '/v1/addresses/validate', { currency: 'BTC', address: orderBody().destination_address }],
      ['GET', '/v1/api-keys'],
    ];
    for (const [method, path, body] of reads) {
      const r = await call(worker.url, method, path, { token: api_key, body });
      assert.ok(r.status === 200 || r.status === 201, `${method} ${path}: ${r.status} ${r.text}`);
    }
    const address = await call(worker.url, 'POST', '/v1/customers/scope-alice/addresses', { token: api_key, body: { currency: 'BTC' } });
    assertProblem(assert, address, 403, 'insufficient_scope');
    assert.equal(address.body.required_scope, 'trade');
    assert.deepEqual(address.body.key_scopes, ['read']);
    const order = await placeOrder(worker.url, api_key, 'scope-alice', orderBody(), 'scope-2');
    assertProblem(assert, order, 403, 'insufficient_scope');
    // Even a malformed order is refused for its scope first.
    assertProblem(assert, await placeOrder(worker.url, api_key, 'scope-alice', '{nope', 'scope-3'), 403, 'insufficient_scope');
    const after = await call(worker.url, 'GET', '/v1/customers/scope-alice/orders', { token: client.api_key });
    assert.equal(after.body.orders.length, 1, 'the refused order was not written');
  });

  test('a trade key creates addresses and places orders; trade brings read', async () => {
    const { api_key, key } = await newKey({ scopes: ['trade'] });
    assert.deepEqual(key.scopes, ['read', 'trade']);
    const address = await call(worker.url, 'POST', '/v1/customers/scope-bob/addresses', { token: api_key, body: { currency: 'BTC' } });
    assert.equal(address.status, 201, address.text);
    const order = await placeOrder(worker.url, api_key, 'scope-bob', orderBody(), 'scope-bob-1');
    assert.equal(order.status, 201, order.text);
    assert.equal((await call(worker.url, 'GET', '/v1/config', { token: api_key })).status, 200);
  });

  test('bad key requests are refused: no scopes, a bad allowlist, a past expiry, an unknown client', async () => {
    assertProblem(assert, await admin(worker.url, 'POST', keysPath(), { scopes: [] }), 400, 'invalid_parameter');
    assertProblem(assert, await admin(worker.url, 'POST', keysPath(), { scopes: ['admin'] }), 400, 'malformed_body');
    assertProblem(assert, await admin(worker.url, 'POST', keysPath(), { ip_allowlist: ['example.com'] }), 400, 'invalid_parameter');
    assertProblem(assert, await admin(worker.url, 'POST', keysPath(), { expires_at: '2020-01-01T00:00:00Z' }), 400, 'invalid_parameter');
    assertProblem(assert, await admin(worker.url, 'POST', keysPath('cli_nope'), {}), 404, 'not_found');
    assertProblem(assert, await call(worker.url, 'POST', keysPath(), { token: client.api_key, body: {} }), 401, 'unauthorized');
  });

  test('revocation takes effect at once and touches no other key', async () => {
    const a = await newKey();
    const b = await newKey();
    assert.equal((await call(worker.url, 'GET', '/v1/config', { token: a.api_key })).status, 200);
    const r = await admin(worker.url, 'DELETE', `${keysPath()}/${a.key.key_id}`);
    assert.equal(r.status, 200, r.text);
    assert.ok(r.body.revoked_at);
    const refused = await call(worker.url, 'GET', '/v1/config', { token: a.api_key });
    assertProblem(assert, refused, 401, 'api_key_revoked');
    assert.equal(refused.body.revoked_at, r.body.revoked_at);
    assertProblem(assert, await placeOrder(worker.url, a.api_key, 'rev', orderBody(), 'rev-1'), 401, 'api_key_revoked');
    assert.equal((await call(worker.url, 'GET', '/v1/config', { token: b.api_key })).status, 200);
    // Revoking again keeps the first revocation time; another client's key is not found.
    const again = await admin(worker.url, 'DELETE', `${keysPath()}/${a.key.key_id}`);
    assert.equal(again.body.revoked_at, r.body.revoked_at);
    const other = await onboard(worker.url);
    assertProblem(assert, await admin(worker.url, 'DELETE', `${keysPath(other.client_id)}/${b.key.key_id}`), 404, 'not_found');
  });

  test('rotation: the new key works at once, the old one until the overlap ends', async () => {
    const old = await newKey({ scopes: ['read'], ip_allowlist: ['127.0.0.1', '::1', '203.0.113.0/24'] });
    const r = await admin(worker.url, 'POST', `${keysPath()}/${old.key.key_id}/rotate`, { overlap_seconds: 3 });
    assert.equal(r.status, 201, r.text);
    assert.notEqual(r.body.api_key, old.api_key);
    assert.deepEqual(r.body.key.scopes, ['read'], 'the new key keeps the scopes');
    assert.deepEqual(r.body.key.ip_allowlist, old.key.ip_allowlist, 'and the allowlist');
    assert.equal(r.body.previous.key_id, old.key.key_id);
    const overlapEnd = Date.parse(r.body.previous.expires_at);
    assert.ok(Math.abs(overlapEnd - (Date.now() + 3000)) < 3000, r.body.previous.expires_at);
    const ip = { 'cf-connecting-ip': '203.0.113.5' };
    assert.equal((await call(worker.url, 'GET', '/v1/config', { token: old.api_key, headers: ip })).status, 200);
    assert.equal((await call(worker.url, 'GET', '/v1/config', { token: r.body.api_key, headers: ip })).status, 200);
    await sleep(Math.max(0, overlapEnd - Date.now()) + 1200);
    const expired = await call(worker.url, 'GET', '/v1/config', { token: old.api_key, headers: ip });
    assertProblem(assert, expired, 401, 'api_key_expired');
    assert.equal(expired.body.expired_at, r.body.previous.expires_at);
    assert.equal((await call(worker.url, 'GET', '/v1/config', { token: r.body.api_key, headers: ip })).status, 200);
    // An expired key is not rotated again.
    assertProblem(assert, await admin(worker.url, 'POST', `${keysPath()}/${old.key.key_id}/rotate`, {}), 400, 'invalid_parameter');
  });

  test('a rotation never extends an earlier expiry, and takes an empty body', async () => {
    const soon = new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const old = await newKey({ expires_at: soon });
    const r = await admin(worker.url, 'POST', `${keysPath()}/${old.key.key_id}/rotate`);
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.previous.expires_at, soon, 'the default overlap (a day) is later than its own expiry');
  });

  test('an IP allowlist admits its addresses and ranges only (CF-Connecting-IP)', async () => {
    const { api_key, key } = await newKey({ ip_allowlist: ['198.51.100.0/24', '2001:db8::/32'] });
    assert.deepEqual(key.ip_allowlist, ['198.51.100.0/24', '2001:db8::/32']);
    const from = (ip) => call(worker.url, 'GET', '/v1/config', { token: api_key, headers: { 'cf-connecting-ip': ip } });
    assert.equal((await from('198.51.100.77')).status, 200);
    assert.equal((await from('2001:db8:5::1')).status, 200);
    const refused = await from('203.0.113.9');
    assertProblem(assert, refused, 403, 'ip_not_allowed');
    assert.equal(refused.body.ip, '203.0.113.9');
    const order = await call(worker.url, 'POST', '/v1/customers/ip/orders', {
      token: api_key, body: orderBody(), headers: { 'idempotency-key': 'ip-1', 'cf-connecting-ip': '203.0.113.9' },
    });
    assertProblem(assert, order, 403, 'ip_not_allowed');
  });

  test('last_used_at is written after a use, at most once a minute', async () => {
    const { api_key, key } = await newKey();
    assert.equal(key.last_used_at, null);
    await call(worker.url, 'GET', '/v1/config', { token: api_key });
    let used;
    for (let i = 0; i < 20 && !used; i += 1) {
      await sleep(100);
      const list = await admin(worker.url, 'GET', keysPath());
      used = list.body.keys.find((k) => k.key_id === key.key_id).last_used_at;
    }
    assert.ok(used, 'last_used_at set after the first use');
    await sleep(1100);
    await call(worker.url, 'GET', '/v1/config', { token: api_key });
    await sleep(300);
    const list = await admin(worker.url, 'GET', keysPath());
    assert.equal(list.body.keys.find((k) => k.key_id === key.key_id).last_used_at, used, 'not rewritten within the minute');
  });
});

describe('rate limiting per key', () => {
  const policy = `"default";q=${LIMIT};w=60`;
  const parse = (h) => Object.fromEntries(h.split(';').slice(1).map((p) => p.split('=')).map(([k, v]) => [k, Number(v)]));

  test('every answer carries RateLimit headers; past the limit 429 with Retry-After', async () => {
    const { api_key } = await newKey();
    const other = await newKey();
    let lastRemaining = LIMIT;
    for (let i = 1; i <= LIMIT; i += 1) {
      // Successes and refusals alike are counted and carry the headers.
      const r = i % 3 === 0
        ? await call(worker.url, 'GET', '/v1/orders/00000000-0000-4000-8000-000000000000', { token: api_key })
        : await call(worker.url, 'GET', '/v1/config', { token: api_key });
      assert.equal(r.headers.get('ratelimit-policy'), policy);
      const { r: remaining, t } = parse(r.headers.get('ratelimit'));
      assert.match(r.headers.get('ratelimit'), /^"default";r=\d+;t=\d+$/);
      assert.equal(remaining, LIMIT - i);
      assert.ok(remaining < lastRemaining);
      assert.ok(t >= 1 && t <= 60, `t=${t}`);
      lastRemaining = remaining;
    }
    const refused = await call(worker.url, 'GET', '/v1/config', { token: api_key });
    assertProblem(assert, refused, 429, 'rate_limited');
    assert.equal(refused.body.limit, LIMIT);
    assert.equal(refused.body.window_seconds, 60);
    const retryAfter = Number(refused.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    assert.equal(refused.body.retry_after_seconds, retryAfter);
    assert.equal(refused.headers.get('ratelimit-policy'), policy);
    assert.equal(parse(refused.headers.get('ratelimit')).r, 0);
    // Over the limit nothing runs: not even an order.
    const order = await placeOrder(worker.url, api_key, 'limited', orderBody(), 'limited-1');
    assertProblem(assert, order, 429, 'rate_limited');
    const listed = await call(worker.url, 'GET', '/v1/customers/limited/orders', { token: other.api_key });
    assert.equal(listed.body.orders.length, 0);
    // Another key of the same client has its own counter.
    const fresh = await call(worker.url, 'GET', '/v1/config', { token: other.api_key });
    assert.equal(fresh.status, 200);
    assert.equal(parse(fresh.headers.get('ratelimit')).r, LIMIT - 2);
  });

  test('operator and public answers carry no RateLimit headers, nor does an unknown key', async () => {
    const r = await admin(worker.url, 'GET', keysPath());
    assert.equal(r.headers.get('ratelimit'), null);
    assert.equal((await call(worker.url, 'GET', '/healthz')).headers.get('ratelimit'), null);
    const unknown = await call(worker.url, 'GET', '/v1/config', { token: 'cx_test_ffffffffffffffffffffffffffffffff' });
    assertProblem(assert, unknown, 401, 'unauthorized');
    assert.equal(unknown.headers.get('ratelimit'), null);
  });
});

// Reading D1 with `wrangler d1 execute` beside the running worker can disturb it (a
// request right after once failed to connect): these run last, after every request.
describe('at rest', () => {
  let stored;
  before(async () => { stored = await newKey({ scopes: ['read'] }); });

  test('keys are stored as their SHA-256 only', async () => {
    const { api_key, key } = stored;
    const [row] = d1(`SELECT * FROM api_keys WHERE key_id = '${key.key_id}'`);
    assert.equal(row.key_sha256, createHash('sha256').update(api_key).digest('hex'));
    assert.ok(!JSON.stringify(row).includes(api_key.slice(8)), 'no column holds the key');
  });

});
