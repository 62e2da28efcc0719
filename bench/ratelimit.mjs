// What the per-key rate limiter (a Durable Object asked before every handler) adds to a
// request: the same sequential requests against `wrangler dev` with RATE_LIMIT=off and with
// the limiter on, taking turns, one connection. `node bench/ratelimit.mjs [requests]`.
import { onboard, orderBody, placeOrder, setRates } from '../tests/support/api.mjs';
import { startWorker } from '../tests/support/worker.mjs';

const N = Number(process.argv[2] ?? 300);
const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];

async function measure(vars) {
  const worker = await startWorker({ vars });
  try {
    const client = await onboard(worker.url);
    await setRates(worker.url);
    const order = await placeOrder(worker.url, client.api_key, 'bench', orderBody(), 'bench-1');
    const times = { config: [], order: [] };
    const auth = { authorization: `Bearer ${client.api_key}` };
    for (let i = 0; i < 20; i += 1) await fetch(`${worker.url}/v1/config`, { headers: auth }).then((r) => r.text());
    for (let i = 0; i < N; i += 1) {
      for (const [name, path] of [['config', '/v1/config'], ['order', `/v1/orders/${order.body.id}`]]) {
        const t0 = performance.now();
        const r = await fetch(worker.url + path, { headers: auth });
        await r.text();
        if (r.status !== 200) throw new Error(`${path}: ${r.status}`);
        times[name].push(performance.now() - t0);
      }
    }
    return times;
  } finally {
    await worker.stop();
  }
}

// `ON_FIRST=1` swaps the order, so the warm-up of the machine does not favour one side.
const [off, on] = process.env.ON_FIRST === '1'
  ? (await Promise.resolve().then(async () => { const a = await measure({ RATE_LIMIT: '1000000' }); return [await measure({ RATE_LIMIT: 'off' }), a]; }))
  : [await measure({ RATE_LIMIT: 'off' }), await measure({ RATE_LIMIT: '1000000' })];
console.log(`| request (${N} sequential) | limiter off p50 ms | on p50 ms | off p90 ms | on p90 ms |`);
console.log('|---|---|---|---|---|');
for (const name of ['config', 'order']) {
  const row = [quantile(off[name], 0.5), quantile(on[name], 0.5), quantile(off[name], 0.9), quantile(on[name], 0.9)];
  console.log(`| GET ${name === 'config' ? '/v1/config' : '/v1/orders/{id}'} | ${row.map((x) => x.toFixed(1)).join(' | ')} |`);
}
