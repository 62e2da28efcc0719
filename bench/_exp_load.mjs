// Load run against the real worker under `wrangler dev` (workerd, local D1/KV) on loopback,
// side by side with a baseline worker (bench/baseline/: one D1 insert per POST, one D1
// read per GET) under the same wrangler in the same run: requests per second and p50/p99
// latency of POST .../orders against the baseline insert and GET /v1/orders/{id} against
// the baseline read, plus GET /v1/rates. Then a race of placements with repeated
// idempotency keys that must produce exactly one order per key. Figures go to stdout and
// bench/results/load-<time>.{json,md}. Run: scripts/bench (needs the worker built).
//
// Fairness: the machine is shared, and its load moves every figure by 2-3x within
// minutes. So each pair is measured in ROUNDS interleaved rounds (baseline, API,
// baseline, API, ...), each round with the same connection count and duration, and the
// verdict is the median of the per-round ratios. After an API insert round the bench
// waits until the sandbox settlement of the orders it placed has finished (it runs on
// the same workerd and D1), so that it never runs inside the next baseline round; it
// does run inside the API round that caused it, as in steady use.
import { loadavg } from 'node:os';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { ROOT, startWorker } from '/work/main/tests/support/worker.mjs';
import { onboard, orderBody, placeOrder, sampleConfig, setRates, call } from '/work/main/tests/support/api.mjs';

const DURATION = Number(process.env.LOAD_SECONDS ?? 4);
const ROUNDS = Number(process.env.LOAD_ROUNDS ?? 5);
/** Seconds for the sandbox settlement of a round's orders to finish (3 steps, 1 s apart). */
const SETTLE_SECONDS = Number(process.env.LOAD_SETTLE_SECONDS ?? 6);
const CONNECTIONS = Number(process.env.LOAD_CONNECTIONS ?? 10);
const LOG_LEVEL = process.env.CX_WRANGLER_LOG_LEVEL ?? 'info';

async function load(url, requests) {
  const r = await autocannon({ url, connections: CONNECTIONS, duration: DURATION, requests });
  return {
    'req/s': Math.round(r.requests.average),
    'p50 ms': r.latency.p50,
    'p99 ms': r.latency.p99,
    ok: r['2xx'],
    failed: r.non2xx + r.errors,
  };
}

const baseline = await startWorker({ config: join(ROOT, 'bench', 'baseline', 'wrangler.toml') });
const worker = await startWorker({ vars: { FAULT_INJECTION: process.env.FI ?? '' } });
try {
  // Limits far above what the run books, so every placement is a real insert.
  const roomy = { min_order: '10.00', max_order: '1000.00', daily_limit: '100000000.00', monthly_limit: '100000000.00', service_fee_fixed: '0.50' };
  const client = await onboard(worker.url, sampleConfig({ fiat: { EUR: roomy } }));
  await setRates(worker.url);
  const auth = { authorization: `Bearer ${client.api_key}`, 'content-type': 'application/json' };
  const first = await placeOrder(worker.url, client.api_key, 'load-customer', orderBody(), randomUUID());
  if (first.status !== 201) throw new Error(`placing an order failed: ${first.status} ${first.text}`);
  const item = await call(baseline.url, 'POST', '/items', { body: orderBody() });
  if (item.status !== 201) throw new Error(`baseline insert failed: ${item.status} ${item.text}`);

  const withKey = (req) => ({ ...req, headers: { ...req.headers, 'idempotency-key': randomUUID() } });
  // Reads first: every placement starts the sandbox settlement (queue steps that read and
  // write D1 for a few seconds), which would otherwise run under the read scenarios.
  const pairs = [
    {
      name: 'read: GET /v1/orders/{id} vs GET /items/{id}',
      baseline: [{ method: 'GET', path: `/items/${item.body.id}` }],
      api: [{ method: 'GET', path: `/v1/orders/${first.body.id}`, headers: auth }],
    },
    { name: 'GET /v1/rates', api: [{ method: 'GET', path: '/v1/rates', headers: auth }] },
    {
      name: 'insert: POST /v1/customers/{id}/orders vs POST /items',
      baseline: [{ method: 'POST', path: '/items', headers: { 'content-type': 'application/json' }, body: JSON.stringify(orderBody()) }],
      api: [{ method: 'POST', path: '/v1/customers/load-customer/orders', headers: auth, body: JSON.stringify(orderBody()), setupRequest: withKey }],
      settles: true,
    },
  ];
  const median = (xs) => {
    const sorted = [...xs].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  };
  const round2 = (x) => Number(x.toFixed(2));
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const rows = [];
  const rounds = [];
  const loadAtStart = loadavg().map(round2);
  for (const pair of pairs) {
    const per = [];
    for (let round = 0; round < (pair.baseline ? ROUNDS : 1); round++) {
      // Alternate which side goes first, so neither always follows the other.
      const baseFirst = round % 2 === 0;
      let base = null;
      if (pair.baseline && baseFirst) base = await load(baseline.url, pair.baseline);
      const api = await load(worker.url, pair.api);
      if (pair.settles) await sleep(SETTLE_SECONDS * 1000);
      if (pair.baseline && !baseFirst) base = await load(baseline.url, pair.baseline);
      const load1 = round2(loadavg()[0]);
      per.push({ base, api, load1 });
      rounds.push({
        scenario: pair.name, round: round + 1, 'load avg 1 min': load1,
        'baseline req/s': base?.['req/s'] ?? '-', 'baseline p99 ms': base?.['p99 ms'] ?? '-',
        'API req/s': api['req/s'], 'API p99 ms': api['p99 ms'],
        'req/s ratio': base ? round2(api['req/s'] / base['req/s']) : '-',
        'p99 ratio': base ? round2(api['p99 ms'] / base['p99 ms']) : '-',
      });
    }
    const med = (f) => median(per.map(f));
    const hasBase = Boolean(pair.baseline);
    const range = (f) => {
      const xs = per.map(f);
      return `${round2(Math.min(...xs))}-${round2(Math.max(...xs))}`;
    };
    rows.push({
      scenario: pair.name,
      rounds: per.length,
      'baseline req/s': hasBase ? med((r) => r.base['req/s']) : '-',
      'baseline p99 ms': hasBase ? med((r) => r.base['p99 ms']) : '-',
      'API req/s': med((r) => r.api['req/s']),
      'API p50 ms': med((r) => r.api['p50 ms']),
      'API p99 ms': med((r) => r.api['p99 ms']),
      'API/baseline req/s (median of rounds)': hasBase ? round2(med((r) => r.api['req/s'] / r.base['req/s'])) : '-',
      'req/s ratio range': hasBase ? range((r) => r.api['req/s'] / r.base['req/s']) : '-',
      'API/baseline p99 (median of rounds)': hasBase ? round2(med((r) => r.api['p99 ms'] / r.base['p99 ms'])) : '-',
      'p99 ratio range': hasBase ? range((r) => r.api['p99 ms'] / r.base['p99 ms']) : '-',
      'API failed': per.reduce((n, r) => n + r.api.failed, 0),
      'baseline failed': hasBase ? per.reduce((n, r) => n + r.base.failed, 0) : '-',
    });
  }
  const loadAtEnd = loadavg().map(round2);
  const title = `wrangler dev on loopback, log level ${LOG_LEVEL}, ${CONNECTIONS} connections, ` +
    `${ROUNDS} interleaved rounds of ${DURATION} s per side; load average ${loadAtStart.join(' ')} at start, ${loadAtEnd.join(' ')} at end`;
  console.log(title);
  console.table(rounds);
  console.table(rows);

  const resultsDir = join(ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  writeFileSync(join(resultsDir, `load-${stamp}.json`), `${JSON.stringify({ title, at: new Date().toISOString(), loadAtStart, loadAtEnd, rows, rounds }, null, 2)}\n`);
  const table = (list) => {
    const columns = Object.keys(list[0]);
    return [`| ${columns.join(' | ')} |`, `|${columns.map(() => '---').join('|')}|`,
      ...list.map((r) => `| ${columns.map((c) => r[c]).join(' | ')} |`)];
  };
  const md = [`# ${title}`, '', ...table(rows), '', '## Rounds', '', ...table(rounds), ''].join('\n');
  writeFileSync(join(resultsDir, `load-${stamp}.md`), md);

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
  const refusals = new Set();
  for (const { key, r } of results) {
    statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    if (r.status >= 300) refusals.add(`${r.status} ${r.body?.code ?? r.text.slice(0, 120)}`);
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
    `keys never answered with an order: ${KEYS - idsByKey.size}` +
    `${refusals.size ? `; other answers: ${[...refusals].join(' | ')}` : ''}`);
  if (listed.length !== KEYS || duplicated !== 0) process.exitCode = 1;
} finally {
  await worker.stop();
  await baseline.stop();
}
