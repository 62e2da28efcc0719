// A CPU profile of the worker under POST .../orders load (10 connections, 6 s), taken
// through wrangler dev's inspector with the DevTools protocol: the self time per function,
// and how much of the time the worker's thread was idle (waiting on D1, KV, the queue).
// A diagnostic, not part of scripts/bench: node bench/profile-post.mjs (worker built).
// The profile goes to bench/results/post.cpuprofile (opens in Chrome DevTools). `ws` is
// wrangler's own dependency: the inspector proxy wants an Origin header, which Node's
// WebSocket does not send.
import { randomUUID } from 'node:crypto';
import { execSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import WS from 'ws';
import { ROOT, startWorker } from '../tests/support/worker.mjs';
import { onboard, orderBody, sampleConfig, setRates } from '../tests/support/api.mjs';

const worker = await startWorker();
try {
  const roomy = { min_order: '10.00', max_order: '1000.00', daily_limit: '100000000.00', monthly_limit: '100000000.00', service_fee_fixed: '0.50' };
  const client = await onboard(worker.url, sampleConfig({ fiat: { EUR: roomy } }));
  await setRates(worker.url);
  // startWorker picks a free inspector port: read it back from the command line.
  const args = execSync(`ps -eo args | grep -- "--port ${new URL(worker.url).port} --inspector-port" | grep -v grep | head -1`).toString();
  const inspector = args.match(/--inspector-port (\d+)/)[1];
  const targets = await (await fetch(`http://127.0.0.1:${inspector}/json`)).json();
  const ws = new WS(targets[0].webSocketDebuggerUrl, { headers: { origin: 'http://localhost' } });
  await new Promise((ok, fail) => { ws.on('open', ok); ws.on('error', fail); });
  let id = 0;
  const pending = new Map();
  ws.on('message', (data) => {
    const answer = JSON.parse(data.toString());
    if (pending.has(answer.id)) { pending.get(answer.id)(answer); pending.delete(answer.id); }
  });
  const send = (method, params = {}) => new Promise((ok) => { const i = ++id; pending.set(i, ok); ws.send(JSON.stringify({ id: i, method, params })); });
  await send('Profiler.enable');
  await send('Profiler.setSamplingInterval', { interval: 200 });
  await send('Profiler.start');
  const auth = { authorization: `Bearer ${client.api_key}`, 'content-type': 'application/json' };
  const withKey = (req) => ({ ...req, headers: { ...req.headers, 'idempotency-key': randomUUID() } });
  const r = await autocannon({ url: worker.url, connections: 10, duration: 6, requests: [{ method: 'POST', path: '/v1/customers/p/orders', headers: auth, body: JSON.stringify(orderBody()), setupRequest: withKey }] });
  console.log('req/s', r.requests.average, 'p99', r.latency.p99);
  await new Promise((ok) => setTimeout(ok, 5000));
  const { result } = await send('Profiler.stop');
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', 'post.cpuprofile'), JSON.stringify(result.profile));
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
