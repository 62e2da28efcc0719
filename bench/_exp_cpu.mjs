import { randomUUID } from 'node:crypto';
import { execSync } from 'node:child_process';
import autocannon from 'autocannon';
import { startWorker } from '/work/main/tests/support/worker.mjs';
import { onboard, orderBody, placeOrder, sampleConfig, setRates } from '/work/main/tests/support/api.mjs';
const worker = await startWorker();
try {
  const roomy = { min_order: '10.00', max_order: '1000.00', daily_limit: '100000000.00', monthly_limit: '100000000.00', service_fee_fixed: '0.50' };
  const client = await onboard(worker.url, sampleConfig({ fiat: { EUR: roomy } }));
  await setRates(worker.url);
  const first = await placeOrder(worker.url, client.api_key, 'c', orderBody(), randomUUID());
  const auth = { authorization: `Bearer ${client.api_key}`, 'content-type': 'application/json' };
  const mode = process.env.MODE ?? 'get';
  const sample = () => execSync("ps -eo pid,pcpu,nlwp,etimes,args | grep -E 'workerd serve' | grep -v grep | awk '{print $1, $2, $3}'").toString().trim();
  const before = execSync("cat /proc/$(pgrep -f 'workerd serve' | head -1)/stat | awk '{print $14+$15}'").toString().trim();
  const t0 = Date.now();
  const r = await autocannon({ url: worker.url, connections: 10, duration: 8, requests: [mode === 'get'
    ? { method: 'GET', path: `/v1/orders/${first.body.id}`, headers: auth }
    : { method: 'POST', path: '/v1/customers/c/orders', headers: auth, body: JSON.stringify(orderBody()), setupRequest: (q) => ({ ...q, headers: { ...q.headers, 'idempotency-key': randomUUID() } }) }] });
  const after = execSync("cat /proc/$(pgrep -f 'workerd serve' | head -1)/stat | awk '{print $14+$15}'").toString().trim();
  const secs = (Date.now() - t0) / 1000;
  console.log(mode, 'req/s', r.requests.average, 'p99', r.latency.p99, 'workerd cpu share', ((after - before) / 100 / secs).toFixed(2), 'threads', sample());
} finally { await worker.stop(); }
