// Concurrent requests against the guarded single-statement writes of D1: idempotency
// keys and spending limits must hold when requests race.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { call, onboard, orderBody, placeOrder, sampleConfig, setRates } from '../support/api.mjs';
import { startWorker } from '../support/worker.mjs';

let worker; let client;

before(async () => {
  worker = await startWorker();
  // High limits so that only idempotency decides how many orders exist.
  client = await onboard(worker.url, sampleConfig({
    fiat: { EUR: { min_order: '10.00', max_order: '1000.00', daily_limit: '100000.00', monthly_limit: '100000.00', service_fee_fixed: '0.50' } },
  }));
  await setRates(worker.url);
});

after(async () => { await worker?.stop(); });

async function allOrders(customer, apiKey = client.api_key) {
  const r = await call(worker.url, 'GET', `/v1/customers/${customer}/orders?limit=100`, { token: apiKey });
  assert.equal(r.status, 200, r.text);
  return r.body.orders;
}

test('50 parallel placements with 10 distinct idempotency keys create exactly 10 orders', async () => {
  const keys = Array.from({ length: 10 }, (_, i) => `race-${i}`);
  const results = await Promise.all(Array.from({ length: 50 }, (_, i) =>
    placeOrder(worker.url, client.api_key, 'racer', orderBody({ amount: '25.00' }), keys[i % 10])));
  for (const r of results) assert.ok([200, 201].includes(r.status), `${r.status} ${r.text}`);
  assert.equal(results.filter((r) => r.status === 201).length, 10);
  const idsByKey = new Map();
  results.forEach((r, i) => {
    const key = keys[i % 10];
    if (idsByKey.has(key)) assert.equal(r.body.id, idsByKey.get(key), `key ${key} answered two orders`);
    else idsByKey.set(key, r.body.id);
  });
  const stored = await allOrders('racer');
  assert.equal(stored.length, 10);
  assert.deepEqual(new Set(stored.map((o) => o.id)), new Set(idsByKey.values()));
});

test('parallel orders can never together pass the daily limit', async () => {
  // Daily limit 2000: twelve parallel orders of 200 EUR may place at most ten.
  const limited = await onboard(worker.url, sampleConfig());
  const results = await Promise.all(Array.from({ length: 12 }, (_, i) =>
    placeOrder(worker.url, limited.api_key, 'spender', orderBody({ amount: '200.00' }), `spend-${i}`)));
  const placed = results.filter((r) => r.status === 201);
  const refused = results.filter((r) => r.status === 422);
  assert.equal(placed.length + refused.length, 12, results.map((r) => `${r.status} ${r.body?.code}`).join(', '));
  for (const r of refused) assert.equal(r.body.code, 'daily_limit_exceeded');
  assert.equal(placed.length, 10);
  const stored = await allOrders('spender', limited.api_key);
  const total = stored.reduce((sum, o) => sum + Math.round(Number(o.fiat_amount) * 100), 0);
  assert.equal(total, 200_000);
});
