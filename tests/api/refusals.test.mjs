// Everything the worker must refuse, each as an RFC 9457 problem with a stable code,
// never a 500 and never a partial write.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  admin, assertProblem, call, onboard, orderBody, placeOrder, sampleConfig, setRates,
} from '../support/api.mjs';
import { startWorker } from '../support/worker.mjs';

let worker; let client;

before(async () => {
  worker = await startWorker();
  client = await onboard(worker.url);
  await setRates(worker.url);
});

after(async () => { await worker?.stop(); });

const orders = (customer, key = client.api_key) =>
  call(worker.url, 'GET', `/v1/customers/${customer}/orders`, { token: key }).then((r) => r.body.orders);

describe('authentication', () => {
  test('no key, a malformed header and an unknown key are 401', async () => {
    assertProblem(assert, await call(worker.url, 'GET', '/v1/config'), 401, 'unauthorized');
    assertProblem(assert, await call(worker.url, 'GET', '/v1/config', { headers: { authorization: client.api_key } }), 401, 'unauthorized');
    assertProblem(assert, await call(worker.url, 'GET', '/v1/config', { token: 'cx_test_00000000000000000000000000000000' }), 401, 'unauthorized');
    // A live key on this sandbox deployment is refused before any lookup, with its own code.
    assertProblem(assert, await call(worker.url, 'GET', '/v1/config', { token: 'cx_live_00000000000000000000000000000000' }), 401, 'live_key_in_sandbox_mode');
  });

  test('an API key is not an admin token, and the admin token is not an API key', async () => {
    const r = await call(worker.url, 'POST', '/v1/admin/clients', { token: client.api_key, body: { name: 'x', config: sampleConfig() } });
    assertProblem(assert, r, 401, 'unauthorized');
    assertProblem(assert, await call(worker.url, 'GET', '/v1/config', { token: 'dev-admin-token' }), 401, 'unauthorized');
    assertProblem(assert, await call(worker.url, 'PUT', '/v1/admin/rates', { token: 'dev-admin-tokeN', body: { rates: [] } }), 401, 'unauthorized');
  });

  test('an unknown client config is 404 for the admin', async () => {
    assertProblem(assert, await admin(worker.url, 'GET', '/v1/admin/clients/cli_nope/config'), 404, 'not_found');
  });
});

describe('malformed bodies', () => {
  const quote = (body) => call(worker.url, 'POST', '/v1/quotes', { token: client.api_key, body });

  test('invalid JSON is 400 malformed_body', async () => {
    assertProblem(assert, await quote('{"crypto": "BTC",'), 400, 'malformed_body');
    assertProblem(assert, await placeOrder(worker.url, client.api_key, 'erin', '{not json', 'm-1'), 400, 'malformed_body');
    assertProblem(assert, await quote(''), 400, 'malformed_body');
  });

  test('an unknown field is refused and named', async () => {
    const r = await quote({ crypto: 'BTC', network: 'mainnet', fiat: 'EUR', amount: '50.00', amount_currency: 'EUR', colour: 'red' });
    assertProblem(assert, r, 400, 'malformed_body');
    assert.match(r.body.detail, /colour/);
    const o = await placeOrder(worker.url, client.api_key, 'erin', { ...orderBody(), tip: '1.00' }, 'm-2');
    assertProblem(assert, o, 400, 'malformed_body');
  });

  test('a number where an amount string belongs is refused', async () => {
    assertProblem(assert, await quote({ crypto: 'BTC', network: 'mainnet', fiat: 'EUR', amount: 50, amount_currency: 'EUR' }), 400, 'malformed_body');
    assertProblem(assert, await placeOrder(worker.url, client.api_key, 'erin', orderBody({ amount: 100 }), 'm-3'), 400, 'malformed_body');
    const rates = await admin(worker.url, 'PUT', '/v1/admin/rates', { rates: [{ crypto: 'BTC', fiat: 'EUR', price: 60000 }] });
    assertProblem(assert, rates, 400, 'malformed_body');
  });

  test('bad amounts get the core codes', async () => {
    const base = { crypto: 'BTC', network: 'mainnet', fiat: 'EUR', amount_currency: 'EUR' };
    assertProblem(assert, await quote({ ...base, amount: '12.345' }), 422, 'too_many_decimals');
    assertProblem(assert, await quote({ ...base, amount: '-5.00' }), 422, 'amount_not_positive');
    assertProblem(assert, await quote({ ...base, amount: '1e3' }), 422, 'malformed_amount');
    assertProblem(assert, await quote({ ...base, amount: '50.00', crypto: 'XRP' }), 422, 'unknown_currency');
  });

  test('a body over 16 KiB is 413 and writes nothing', async () => {
    const big = { ...orderBody(), destination_address: 'x'.repeat(20_000) };
    assertProblem(assert, await placeOrder(worker.url, client.api_key, 'erin', big, 'big-1'), 413, 'body_too_large');
    assert.deepEqual(await orders('erin'), []);
  });

  test('a bad customer id in the path or a mismatching body customer is refused', async () => {
    assertProblem(assert, await placeOrder(worker.url, client.api_key, 'bad%20id', orderBody(), 'c-1'), 400, 'invalid_parameter');
    const r = await placeOrder(worker.url, client.api_key, 'erin', { ...orderBody(), customer_id: 'frank' }, 'c-2');
    assertProblem(assert, r, 400, 'invalid_parameter');
  });

  test('an invalid destination address is refused with invalid_address', async () => {
    const r = await placeOrder(worker.url, client.api_key, 'erin', orderBody({ destination_address: 'bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyv' }), 'a-1');
    assertProblem(assert, r, 422, 'invalid_address');
    assert.deepEqual(await orders('erin'), []);
  });
});

describe('idempotency', () => {
  test('an order without Idempotency-Key is refused', async () => {
    assertProblem(assert, await placeOrder(worker.url, client.api_key, 'gina', orderBody()), 400, 'idempotency_key_missing');
  });

  test('a retry with the same key and body returns the original order with 200', async () => {
    const first = await placeOrder(worker.url, client.api_key, 'gina', orderBody({ amount: '40.00' }), 'gina-1');
    assert.equal(first.status, 201, first.text);
    // Same request, keys in another order and other spacing.
    const raw = JSON.stringify(Object.fromEntries(Object.entries(orderBody({ amount: '40.00' })).reverse()), null, 2);
    const again = await placeOrder(worker.url, client.api_key, 'gina', raw, 'gina-1');
    assert.equal(again.status, 200, again.text);
    assert.equal(again.body.id, first.body.id);
    assert.equal((await orders('gina')).length, 1);
  });

  test('the same key with another body is idempotency_key_reused and writes nothing', async () => {
    const r = await placeOrder(worker.url, client.api_key, 'gina', orderBody({ amount: '41.00' }), 'gina-1');
    assertProblem(assert, r, 422, 'idempotency_key_reused');
    assert.equal((await orders('gina')).length, 1);
  });
});

describe('limits', () => {
  test('per-order minimum and maximum', async () => {
    assertProblem(assert, await placeOrder(worker.url, client.api_key, 'hank', orderBody({ amount: '5.00' }), 'h-1'), 422, 'below_minimum');
    assertProblem(assert, await placeOrder(worker.url, client.api_key, 'hank', orderBody({ amount: '1500.00' }), 'h-2'), 422, 'above_maximum');
    assert.deepEqual(await orders('hank'), []);
  });

  test('the daily limit counts the day so far and reports the facts', async () => {
    for (const [i, amount] of ['1000.00', '900.00'].entries()) {
      const r = await placeOrder(worker.url, client.api_key, 'ivan', orderBody({ amount }), `ivan-${i}`);
      assert.equal(r.status, 201, r.text);
    }
    const over = await placeOrder(worker.url, client.api_key, 'ivan', orderBody({ amount: '150.00' }), 'ivan-2');
    assertProblem(assert, over, 422, 'daily_limit_exceeded');
    assert.equal(over.body.limit, '2000.00');
    assert.equal(over.body.used, '1900.00');
    const fits = await placeOrder(worker.url, client.api_key, 'ivan', orderBody({ amount: '100.00' }), 'ivan-3');
    assert.equal(fits.status, 201, fits.text);
    assert.equal((await orders('ivan')).length, 3);
    // Limits are per customer: another customer of the same client is not affected.
    const other = await placeOrder(worker.url, client.api_key, 'judy', orderBody({ amount: '150.00' }), 'judy-1');
    assert.equal(other.status, 201, other.text);
  });
});

describe('rates and quotes over time', () => {
  test('rates older than the client max age are refused as stale, quotes too', async () => {
    const strict = await onboard(worker.url, sampleConfig({ max_rate_age_seconds: 1 }));
    await setRates(worker.url);
    const fresh = await call(worker.url, 'GET', '/v1/rates', { token: strict.api_key });
    assert.equal(fresh.status, 200, fresh.text);
    await new Promise((r) => setTimeout(r, 2200));
    const stale = await call(worker.url, 'GET', '/v1/rates', { token: strict.api_key });
    assertProblem(assert, stale, 503, 'rate_unavailable');
    assert.equal(stale.body.max_age_seconds, 1);
    const quote = await call(worker.url, 'POST', '/v1/quotes', {
      token: strict.api_key,
      body: { crypto: 'BTC', network: 'mainnet', fiat: 'EUR', amount: '50.00', amount_currency: 'EUR' },
    });
    assertProblem(assert, quote, 503, 'rate_unavailable');
    // The default client (10 minutes) still gets them.
    assert.equal((await call(worker.url, 'GET', '/v1/rates', { token: client.api_key })).status, 200);
  });

  test('an expired quote is refused with quote_expired and writes nothing', async () => {
    const brief = await onboard(worker.url, sampleConfig({ quote_validity_seconds: 1 }));
    await setRates(worker.url);
    const q = await call(worker.url, 'POST', '/v1/quotes', {
      token: brief.api_key,
      body: { crypto: 'BTC', network: 'mainnet', fiat: 'EUR', amount: '50.00', amount_currency: 'EUR' },
    });
    assert.equal(q.status, 201, q.text);
    await new Promise((r) => setTimeout(r, 1500));
    const r = await placeOrder(worker.url, brief.api_key, 'kate', orderBody({ amount: '50.00', quote_id: q.body.id }), 'k-1');
    assertProblem(assert, r, 409, 'quote_expired');
    assert.deepEqual(await orders('kate', brief.api_key), []);
  });

  test('a quote for another trade is refused with quote_mismatch', async () => {
    const q = await call(worker.url, 'POST', '/v1/quotes', {
      token: client.api_key,
      body: { crypto: 'BTC', network: 'mainnet', fiat: 'EUR', amount: '50.00', amount_currency: 'EUR' },
    });
    const r = await placeOrder(worker.url, client.api_key, 'kate', orderBody({ amount: '60.00', quote_id: q.body.id }), 'k-2');
    assertProblem(assert, r, 422, 'quote_mismatch');
  });
});
