// Loopback stand-ins for the exchanges of the rates refresh, answering in each API's
// documented format (the recorded responses in tests/fixtures/rates/ are the templates),
// at price levels and with failures each test sets:
//   ex.level['BTC/EUR'] = 60000;  ex.mode.coinbase = 'down' | 'slow' | 'zero' | 'negative'
//   | 'garbage' | 'tenx' | 'error' | 'ok'.
// Every exchange lives under its own path prefix: RATES_URL_KRAKEN = `${url}/kraken`.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { ROOT } from './worker.mjs';

const FIXTURES = join(ROOT, 'tests', 'fixtures', 'rates');
const fixture = (name) => readFileSync(join(FIXTURES, name), 'utf8');

export const EXCHANGES = ['kraken', 'coinbase', 'bitstamp', 'bitfinex'];
/** Each venue quotes a little apart from the others: the median is checkable. */
const OFFSET = { kraken: 0, coinbase: 0.0001, bitstamp: 0.0002, bitfinex: 0.0003 };

const KRAKEN = { BTC: 'XBT', ETH: 'ETH', LTC: 'LTC', DOGE: 'XDG', BCH: 'BCH' };
const KRAKEN_LEGACY = { BTC: 'XXBTZ', ETH: 'XETHZ', LTC: 'XLTCZ' };

function listen(server) {
  return new Promise((res) => server.listen(0, '127.0.0.1', () => res(server.address().port)));
}

export async function startExchanges(level = { 'BTC/EUR': 60000, 'LTC/EUR': 70 }) {
  const mode = Object.fromEntries(EXCHANGES.map((e) => [e, 'ok']));
  const requests = [];
  const state = { level: { ...level }, mode, requests, slowMs: 10_000 };

  // The bid and ask a venue shows for a pair, as decimal strings (8 places).
  const book = (venue, pair) => {
    const base = state.level[pair];
    if (base === undefined) return undefined;
    let mid = base * (1 + OFFSET[venue]);
    if (state.mode[venue] === 'tenx') mid *= 10;
    if (state.mode[venue] === 'zero') return { bid: '0', ask: '0' };
    if (state.mode[venue] === 'negative') return { bid: (-mid).toFixed(2), ask: (-mid).toFixed(2) };
    const half = mid * 0.00005;
    return { bid: (mid - half).toFixed(8), ask: (mid + half).toFixed(8) };
  };
  const nowSeconds = () => Math.floor(Date.now() / 1000);

  const answer = {
    kraken(url) {
      if (state.mode.kraken === 'error') return [200, fixture('kraken_error.json')];
      const template = JSON.parse(fixture('kraken_ticker.json')).result.XXBTZEUR;
      const result = {};
      for (const name of (url.searchParams.get('pair') ?? '').split(',')) {
        const pair = Object.keys(state.level).find((p) => {
          const [c, f] = p.split('/');
          return `${KRAKEN[c]}${f}` === name;
        });
        const q = pair && book('kraken', pair);
        if (!q) continue;
        const [c, f] = pair.split('/');
        const key = KRAKEN_LEGACY[c] ? `${KRAKEN_LEGACY[c]}${f}` : name;
        result[key] = { ...template, a: [q.ask, '1', '1.000'], b: [q.bid, '1', '1.000'] };
      }
      return [200, JSON.stringify({ error: [], result })];
    },
    coinbase(url) {
      const m = /^\/products\/([A-Z]+)-([A-Z]+)\/ticker$/.exec(url.pathname);
      const q = m && book('coinbase', `${m[1]}/${m[2]}`);
      if (!q) return [404, fixture('coinbase_error.json')];
      const body = JSON.parse(fixture('coinbase_ticker_btc_eur.json'));
      return [200, JSON.stringify({ ...body, bid: q.bid, ask: q.ask, time: new Date().toISOString() })];
    },
    bitstamp(url) {
      const m = /^\/api\/v2\/ticker\/([a-z]+)\/$/.exec(url.pathname);
      const pair = m && Object.keys(state.level).find((p) => p.replace('/', '').toLowerCase() === m[1]);
      const q = pair && book('bitstamp', pair);
      if (!q) return [404, '<html><body>Not found</body></html>'];
      const body = JSON.parse(fixture('bitstamp_ticker_btceur.json'));
      return [200, JSON.stringify({ ...body, bid: q.bid, ask: q.ask, timestamp: String(nowSeconds()) })];
    },
    bitfinex(url) {
      if (state.mode.bitfinex === 'error') return [500, fixture('bitfinex_error.json')];
      const rows = [];
      for (const symbol of (url.searchParams.get('symbols') ?? '').split(',')) {
        const pair = Object.keys(state.level).find((p) => `t${p.replace('/', '')}` === symbol);
        const q = pair && book('bitfinex', pair);
        // Bare JSON numbers, as Bitfinex sends them.
        if (q) rows.push(`["${symbol}",${q.bid},1.5,${q.ask},2.5,10,0.001,${q.bid},100,1,1]`);
      }
      return [200, `[${rows.join(',')}]`];
    },
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const [, venue, ...rest] = url.pathname.split('/');
    requests.push({ venue, path: req.url, userAgent: req.headers['user-agent'], at: Date.now() });
    if (!answer[venue]) { res.writeHead(404).end(); return; }
    const m = state.mode[venue];
    if (m === 'down') { res.writeHead(503, { 'content-type': 'text/html' }).end('<html>503 Service Unavailable</html>'); return; }
    if (m === 'garbage') { res.writeHead(200, { 'content-type': 'application/json' }).end('{"bid": oops'); return; }
    const inner = new URL(`/${rest.join('/')}${url.search}`, 'http://x');
    const [status, body] = answer[venue](inner);
    const send = () => res.writeHead(status, { 'content-type': 'application/json' }).end(body);
    if (m === 'slow') setTimeout(() => { if (!res.destroyed) send(); }, state.slowMs);
    else send();
  });
  const port = await listen(server);
  const url = `http://127.0.0.1:${port}`;
  return {
    ...state,
    state,
    url,
    /** `--var`s pointing the worker at these exchanges. */
    vars: Object.fromEntries(EXCHANGES.map((e) => [`RATES_URL_${e.toUpperCase()}`, `${url}/${e}`])),
    reset() { for (const e of EXCHANGES) state.mode[e] = 'ok'; },
    stop: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
  };
}
