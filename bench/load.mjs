// Load run against the real worker under `wrangler dev` (workerd, local D1/KV) on loopback:
// requests per second and p50/p99 latency for GET /v1/rates, POST .../orders and
// GET /v1/orders/{id}; then a race of placements with repeated idempotency keys that must
// produce exactly one order per key. Run: scripts/bench (needs the worker built).
import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import { startWorker } from '../tests/support/worker.mjs';
import { onboard, orderBody, placeOrder, sampleConfig, setRates, call } from '../tests/support/api.mjs';

const DURATION = Number(process.env.LOAD_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.LOAD_CONNECTIONS ?? 10);

const worker = await startWorker();
try {
  // Limits far above what the run books, so every placement is a real insert.
  const roomy = { min_order: '10.00', max_order: '1000.00', daily_limit: '100000000.00', monthly_limit: '100000000.00', service_fee_fixed: '0.50' };
  const client = await onboard(worker.url, sampleConfig({ fiat: { EUR: roomy } }));
  await setRates(worker.url);
  const auth = { authorization: `Bearer ${client.api_key}`, 'content-type': 'application/json' };
  const first = await placeOrder(worker.url, client.api_key, 'load-customer', orderBody(), randomUUID());
  if (first.status !== 201) throw new Error(`placing an order failed: ${first.status} ${first.text}`);

  const scenarios = [
    { name: 'GET /v1/rates', requests: [{ method: 'GET', path: '/v1/rates', headers: auth }] },
    {
      name: 'POST /v1/customers/{id}/orders',
      requests: [{
        method: 'POST', path: '/v1/customers/load-customer/orders', headers: auth,
        body: JSON.stringify(orderBody()),
        setupRequest: (req) => ({ ...req, headers: { ...req.headers, 'idempotency-key': randomUUID() } }),
      }],
    },
    { name: 'GET /v1/orders/{id}', requests: [{ method: 'GET', path: `/v1/orders/${first.body.id}`, headers: auth }] },
  ];
  const rows = [];
  for (const s of scenarios) {
    const r = await autocannon({ url: worker.url, connections: CONNECTIONS, duration: DURATION, requests: s.requests });
    rows.push({
      endpoint: s.name,
      'req/s': Math.round(r.requests.average),
      'p50 ms': r.latency.p50,
      'p99 ms': r.latency.p99,
      '2xx': r['2xx'],
      non2xx: r.non2xx,
      errors: r.errors,
    });
  }
  console.log(`wrangler dev on loopback, ${CONNECTIONS} connections, ${DURATION} s per endpoint`);
  console.table(rows);

  // The race: KEYS distinct idempotency keys, each sent REPEATS times at once.
  const KEYS = 40;
  const REPEATS = 8;
  const customer = `race-${randomUUID().slice(0, 8)}`;
  const attempts = [];
  for (let k = 0; k < KEYS; k++) {
    const key = randomUUID();
    for (let r = 0; r < REPEATS; r++) attempts.push({ key, p: null });
  }
  attempts.sort(() => Math.random() - 0.5);
  const results = await Promise.all(attempts.map(async (a) => ({ key: a.key, r: await placeOrder(worker.url, client.api_key, customer, orderBody(), a.key) })));
  const idsByKey = new Map();
  const statuses = {};
  for (const { key, r } of results) {
    statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    if (r.status === 200 || r.status === 201) {
      if (!idsByKey.has(key)) idsByKey.set(key, new Set());
      idsByKey.get(key).add(r.body.id);
    }
  }
  const listed = [];
  let cursor;
  do {
    const page = await call(worker.url, 'GET', `/v1/customers/${customer}/orders?limit=100${cursor ? `&cursor=${cursor}` : ''}`, { token: client.api_key });
    listed.push(...page.body.orders);
    cursor = page.body.next_cursor;
  } while (cursor);
  const duplicated = [...idsByKey.values()].filter((ids) => ids.size > 1).length;
  console.log(`race: ${attempts.length} placements with ${KEYS} keys x ${REPEATS} -> responses ${JSON.stringify(statuses)}; ` +
    `orders listed: ${listed.length} (expected ${KEYS}); keys answered with two different orders: ${duplicated}; ` +
    `keys never answered with an order: ${KEYS - idsByKey.size}`);
  if (listed.length !== KEYS || duplicated !== 0) process.exitCode = 1;
} finally {
  await worker.stop();
}
