// CPU profile of the worker under POST load, through wrangler dev's inspector.
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { startWorker } from '/work/wt-speed/tests/support/worker.mjs';
import { onboard, orderBody, sampleConfig, setRates } from '/work/wt-speed/tests/support/api.mjs';

const worker = await startWorker();
try {
  const roomy = { min_order: '10.00', max_order: '1000.00', daily_limit: '100000000.00', monthly_limit: '100000000.00', service_fee_fixed: '0.50' };
  const client = await onboard(worker.url, sampleConfig({ fiat: { EUR: roomy } }));
  await setRates(worker.url);
  const log = worker.logs();
  const port = Number(process.env.INSPECT ?? 0);
  const ps = (await import('node:child_process')).execSync(`ps -eo args | grep "port ${new URL(worker.url).port} --inspector-port" | grep -v grep | head -1`).toString();
  const inspector = ps.match(/--inspector-port (\d+)/)[1];
  const targets = await (await fetch(`http://127.0.0.1:${inspector}/json`)).json();
  console.log(targets.map((t) => t.title + ' ' + t.webSocketDebuggerUrl));
  const target = targets.find((t) => /cryptoexchange-api/.test(t.title)) ?? targets[0];
  const { default: WS } = await import('ws');
  const ws = new WS(target.webSocketDebuggerUrl, { headers: { origin: 'http://localhost', host: `127.0.0.1:${inspector}` } });
  ws.addEventListener = (ev, f) => ws.on(ev, ev === 'message' ? (data) => f({ data: data.toString() }) : f);
  await new Promise((r, j) => { ws.on('open', r); ws.on('error', j); });
  let id = 0; const pending = new Map();
  ws.addEventListener('message', async (m) => { const text = typeof m.data === 'string' ? m.data : await m.data.text?.() ?? Buffer.from(m.data).toString(); const d = JSON.parse(text); if (!d.id) return; if (process.env.DEBUG) console.log(text.slice(0, 200)); if (pending.has(d.id)) { pending.get(d.id)(d); pending.delete(d.id); } });
  const send = (method, params = {}) => new Promise((r) => { const i = ++id; pending.set(i, r); ws.send(JSON.stringify({ id: i, method, params })); });
  await send('Profiler.enable');
  await send('Profiler.setSamplingInterval', { interval: 200 });
  await send('Profiler.start');
  const auth = { authorization: `Bearer ${client.api_key}`, 'content-type': 'application/json' };
  const withKey = (req) => ({ ...req, headers: { ...req.headers, 'idempotency-key': randomUUID() } });
  const r = await autocannon({ url: worker.url, connections: 10, duration: 6, requests: [{ method: 'POST', path: '/v1/customers/p/orders', headers: auth, body: JSON.stringify(orderBody()), setupRequest: withKey }] });
  console.log('req/s', r.requests.average, 'p99', r.latency.p99);
  await new Promise((ok) => setTimeout(ok, 5000));
  const { result } = await send('Profiler.stop');
  writeFileSync('/tmp/speed.cpuprofile', JSON.stringify(result.profile));
  // self time per function
  const nodes = result.profile.nodes; const self = new Map(); const byId = new Map(nodes.map((n) => [n.id, n]));
  const dt = result.profile.timeDeltas; const samples = result.profile.samples;
  const total = dt.reduce((a, b) => a + b, 0);
  samples.forEach((s, i) => { const n = byId.get(s); const k = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber}`; self.set(k, (self.get(k) ?? 0) + dt[i]); });
  const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 40);
  console.log('total ms', total / 1000);
  for (const [k, v] of top) console.log((v / 1000).toFixed(1).padStart(8), (100 * v / total).toFixed(1).padStart(5) + '%', k);
  ws.close();
} finally { await worker.stop(); }
