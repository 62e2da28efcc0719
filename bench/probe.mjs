// Where a request's time goes under wrangler dev: the same load on endpoints that do
// more and more (no D1, one KV read, one D1 batch, a placement), against the baseline's
// no-D1 and one-insert paths, interleaved in rounds. A diagnostic, not part of scripts/bench.
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { ROOT, startWorker } from '../tests/support/worker.mjs';
import { onboard, orderBody, placeOrder, sampleConfig, setRates } from '../tests/support/api.mjs';

const DURATION = Number(process.env.LOAD_SECONDS ?? 3);
const ROUNDS = Number(process.env.LOAD_ROUNDS ?? 3);
const baseline = await startWorker({ config: join(ROOT, 'bench', 'baseline', 'wrangler.toml') });
const worker = await startWorker();
try {
  const roomy = { min_order: '10.00', max_order: '1000.00', daily_limit: '100000000.00', monthly_limit: '100000000.00', service_fee_fixed: '0.50' };
  const client = await onboard(worker.url, sampleConfig({ fiat: { EUR: roomy } }));
  await setRates(worker.url);
  const auth = { authorization: `Bearer ${client.api_key}`, 'content-type': 'application/json' };
  const first = await placeOrder(worker.url, client.api_key, 'probe', orderBody(), randomUUID());
  const withKey = (req) => ({ ...req, headers: { ...req.headers, 'idempotency-key': randomUUID() } });
  const cases = [
    ['baseline healthz', baseline.url, [{ path: '/healthz' }]],
    ['baseline insert', baseline.url, [{ method: 'POST', path: '/items', body: '{}' }]],
    ['api GET rates (KV)', worker.url, [{ path: '/v1/rates', headers: auth }]],
    ['api GET order (1 D1 batch)', worker.url, [{ path: `/v1/orders/${first.body.id}`, headers: auth }]],
    ['api POST order 422 (bad amount)', worker.url, [{ method: 'POST', path: '/v1/customers/probe/orders', headers: auth, body: JSON.stringify(orderBody({ amount: '1.00' })), setupRequest: withKey }]],
    ['api POST order', worker.url, [{ method: 'POST', path: '/v1/customers/probe/orders', headers: auth, body: JSON.stringify(orderBody()), setupRequest: withKey }], 6],
  ];
  const out = Object.fromEntries(cases.map(([n]) => [n, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, url, requests, settle] of cases) {
      const res = await autocannon({ url, connections: 10, duration: DURATION, requests });
      out[name].push(`${Math.round(res.requests.average)}/${res.latency.p99}`);
      if (settle) await new Promise((ok) => setTimeout(ok, settle * 1000));
    }
  }
  console.log(`load ${loadavg().map((x) => x.toFixed(1)).join(' ')}; req/s / p99 ms per round`);
  console.table(out);
} finally {
  await worker.stop();
  await baseline.stop();
}
