// Live rates under wrangler dev: four loopback exchanges answering in their documented
// formats, the worker's refresh (on demand and through the documented cron trigger),
// and what clients see when sources fail, lie or go quiet.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { admin, assertProblem, call, onboard, sampleConfig } from '../support/api.mjs';
import { startExchanges } from '../support/exchanges.mjs';
import { startWorker } from '../support/worker.mjs';

const BUDGET_MS = 1500;
let worker; let ex; let client;

before(async () => {
  ex = await startExchanges({ 'BTC/EUR': 60000, 'LTC/EUR': 70 });
  // With the demo page's assets, as scripts/run serves it: the cron trigger must reach the
  // worker through miniflare's asset proxy (scripts/patch-miniflare).
  worker = await startWorker({
    vars: {
      ...ex.vars,
      RATES_SOURCES: 'kraken,coinbase,bitstamp,bitfinex',
      RATES_PAIRS: 'BTC/EUR,LTC/EUR',
      RATES_QUORUM: '2',
      RATES_BUDGET_MS: String(BUDGET_MS),
    },
  });
  client = await onboard(worker.url);
});

after(async () => { await worker?.stop(); await ex?.stop(); });

beforeEach(() => { ex.reset(); ex.level['BTC/EUR'] = 60000; ex.level['LTC/EUR'] = 70; });

const refresh = async () => {
  const started = Date.now();
  const r = await admin(worker.url, 'POST', '/v1/admin/rates/refresh');
  assert.equal(r.status, 200, r.text);
  return Date.now() - started;
};
const rates = async (key = client.api_key, query = '') => call(worker.url, 'GET', `/v1/rates${query}`, { token: key });
const pair = async (name, key) => {
  const r = await rates(key);
  assert.equal(r.status, 200, r.text);
  return r.body.rates.find((x) => `${x.crypto}/${x.fiat}` === name);
};
const near = (got, want, what = 'price') => assert.ok(Math.abs(Number(got) - want) < 1e-6, `${what} ${got}, want ${want}`);
const source = (entry, name) => entry.sources.find((s) => s.name === name);
const quote = (key, crypto = 'BTC') => call(worker.url, 'POST', '/v1/quotes', {
  token: key, body: { crypto, network: 'mainnet', fiat: 'EUR', amount: '50.00', amount_currency: 'EUR' },
});

describe('live sources', () => {
  test('all four agree: the price is their median, every source used', async () => {
    await refresh();
    const btc = await pair('BTC/EUR');
    // Mids 60000, 60006, 60012, 60018: the median of an even count is the middle mean.
    near(btc.price, 60009);
    assert.equal(btc.status, 'ok');
    assert.equal(btc.source, 'median:bitfinex,bitstamp,coinbase,kraken');
    assert.deepEqual(btc.sources.map((s) => [s.name, s.used, s.reason]).sort(),
      [['bitfinex', true, null], ['bitstamp', true, null], ['coinbase', true, null], ['kraken', true, null]]);
    assert.ok(btc.age_seconds >= 0 && btc.age_seconds <= 2, `age ${btc.age_seconds}`);
    // Coinbase refuses requests without a User-Agent; every source gets one.
    assert.ok(ex.requests.every((r) => r.userAgent?.startsWith('cryptoexchange-api')));
    // LTC/EUR: Bitfinex lists LTC only in USD, so three sources.
    const ltc = await pair('LTC/EUR');
    assert.equal(ltc.sources.length, 3);
    const health = await call(worker.url, 'GET', '/healthz');
    assert.equal(health.body.rates.pairs, 2);
    assert.ok(health.body.rates.oldest_age_seconds <= 2);
  });

  test('one source down: the others set the price and the report names it', async () => {
    ex.mode.kraken = 'down';
    await refresh();
    const btc = await pair('BTC/EUR');
    near(btc.price, 60012);
    assert.deepEqual([source(btc, 'kraken').used, source(btc, 'kraken').reason], [false, 'unavailable']);
    assert.equal(source(btc, 'kraken').price, null);
  });

  test('an error inside an HTTP 200 (Kraken) counts as unavailable', async () => {
    ex.mode.kraken = 'error';
    await refresh();
    assert.equal(source(await pair('BTC/EUR'), 'kraken').reason, 'unavailable');
  });

  test('one source slow past its budget does not delay the refresh', async () => {
    ex.state.slowMs = 8000;
    ex.mode.bitfinex = 'slow';
    const took = await refresh();
    assert.ok(took < BUDGET_MS + 2500, `refresh took ${took} ms`);
    const btc = await pair('BTC/EUR');
    assert.equal(source(btc, 'bitfinex').reason, 'unavailable');
    near(btc.price, 60006);
    assert.equal(btc.status, 'ok');
  });

  for (const [mode, reason] of [['zero', 'not_positive'], ['negative', 'not_positive'], ['garbage', 'unavailable'], ['tenx', 'outlier']]) {
    test(`a source answering ${mode} is refused (${reason}) and the price holds`, async () => {
      ex.mode.coinbase = mode;
      ex.level['BTC/EUR'] = 60100;
      await refresh();
      const btc = await pair('BTC/EUR');
      const cb = source(btc, 'coinbase');
      assert.deepEqual([cb.used, cb.reason], [false, reason]);
      // The median of Kraken, Bitstamp, Bitfinex at the new level.
      near(btc.price, 60100 * 1.0002);
      assert.equal(btc.status, 'ok');
    });
  }
});

describe('staleness that bites', () => {
  test('two of three LTC sources down: no quorum, and once the age passes rates, quotes and orders refuse LTC/EUR', async () => {
    const strict = await onboard(worker.url, sampleConfig({ max_rate_age_seconds: 3 }));
    await refresh();
    assert.equal((await quote(strict.api_key, 'LTC')).status, 201);
    ex.mode.kraken = 'down';
    ex.mode.coinbase = 'down';
    // Whole seconds: 4.2 s later the age is at least 4, over the maximum of 3.
    await new Promise((r) => setTimeout(r, 4200));
    await refresh();
    const ltc = (await rates(strict.api_key)).body.rates.find((r) => r.crypto === 'LTC');
    assert.equal(ltc.status, 'stale');
    assert.equal(source(ltc, 'bitstamp').reason, 'no_quorum');
    // BTC/EUR still has Bitstamp and Bitfinex: quorum, fresh.
    assert.equal((await quote(strict.api_key, 'BTC')).status, 201);

    const q = await quote(strict.api_key, 'LTC');
    assertProblem(assert, q, 503, 'rate_unavailable');
    assert.equal(q.body.pair, 'LTC/EUR');
    assert.ok(q.body.age_seconds > 3, q.text);
    assert.equal(q.headers.get('retry-after'), '60');
    assert.match(q.body.detail, /LTC\/EUR is \d+ s old/);

    const one = await rates(strict.api_key, '?crypto=LTC&fiat=EUR');
    assertProblem(assert, one, 503, 'rate_unavailable');
    assert.equal(one.headers.get('retry-after'), '60');

    const order = await call(worker.url, 'POST', '/v1/customers/stale-1/orders', {
      token: strict.api_key,
      headers: { 'idempotency-key': 'stale-ltc-1' },
      body: {
        crypto: 'LTC', network: 'mainnet', fiat: 'EUR', amount: '50.00', amount_currency: 'EUR',
        destination_address: 'ltc1qw508d6qejxtdg4y5r3zarvary0c5xw7kgmn4n9',
      },
    });
    assertProblem(assert, order, 503, 'rate_unavailable');
  });
});

describe('jump guard', () => {
  test('a 50 % jump is held as suspect until three refreshes confirm it', async () => {
    await refresh();
    const before = Number((await pair('BTC/EUR')).price);
    ex.level['BTC/EUR'] = 90000;
    for (let i = 1; i <= 2; i += 1) {
      await refresh();
      const btc = await pair('BTC/EUR');
      assert.equal(btc.status, 'suspect', `refresh ${i}`);
      near(btc.price, before);
    }
    await refresh();
    const btc = await pair('BTC/EUR');
    assert.equal(btc.status, 'ok');
    near(btc.price, 90000 * 1.00015);
    // Back to the usual level for the other tests: the guard holds that too, three times.
    ex.level['BTC/EUR'] = 60000;
    for (let i = 0; i < 3; i += 1) await refresh();
    near((await pair('BTC/EUR')).price, 60009);
  });
});

describe('admin override', () => {
  test('wins over the sources until expires_at, then the sources take over', async () => {
    await refresh();
    const expires = new Date(Date.now() + 4000);
    const put = await admin(worker.url, 'PUT', '/v1/admin/rates', {
      rates: [{ crypto: 'BTC', fiat: 'EUR', price: '55555.00' }],
      expires_at: expires.toISOString().replace(/\.\d+Z$/, 'Z'),
    });
    assert.equal(put.status, 200, put.text);
    await refresh();
    const held = await pair('BTC/EUR');
    assert.deepEqual([Number(held.price), held.source, held.status], [55555, 'admin', 'ok']);
    assert.ok(held.expires_at);
    near((await quote(client.api_key)).body.mid_price, 55555, 'quoted mid');
    await new Promise((r) => setTimeout(r, Math.max(0, expires - Date.now()) + 1200));
    await refresh();
    const back = await pair('BTC/EUR');
    near(back.price, 60009);
    assert.equal(back.source, 'median:bitfinex,bitstamp,coinbase,kraken');
    assert.equal(back.expires_at, undefined);
  });
});

describe('filters', () => {
  test('crypto or fiat alone narrow the list; a bad value is 400; an unknown pair 422', async () => {
    await refresh();
    const btc = await rates(client.api_key, '?crypto=BTC');
    assert.equal(btc.status, 200, btc.text);
    assert.deepEqual([...new Set(btc.body.rates.map((r) => r.crypto))], ['BTC']);
    for (const query of ['?fiat=null', '?crypto=btc', '?crypto=XRP&fiat=EUR']) {
      assertProblem(assert, await rates(client.api_key, query), 400, 'invalid_parameter');
    }
    assertProblem(assert, await rates(client.api_key, '?crypto=BTC&fiat=USD'), 422, 'unsupported_pair');
  });
});

describe('cron', () => {
  test('the documented local trigger answers 200 and moves the prices', async () => {
    await refresh();
    ex.level['BTC/EUR'] = 61000;
    const fired = Date.now();
    const r = await fetch(`${worker.url}/cdn-cgi/handler/scheduled?cron=*+*+*+*+*`);
    assert.equal(r.status, 200, await r.text());
    const btc = await pair('BTC/EUR');
    near(btc.price, 61000 * 1.00015);
    assert.ok(ex.requests.some((q) => q.at >= fired && q.venue === 'kraken'));
  });
});

describe('refresh on read', () => {
  test('reads that find the book overdue together share one refresh and answer with one book', async () => {
    // Its own worker, so the book has never been refreshed: the first read must refresh.
    const fresh = await startWorker({
      vars: { ...ex.vars, RATES_SOURCES: 'kraken', RATES_PAIRS: 'BTC/EUR', RATES_QUORUM: '1', RATES_BUDGET_MS: '6000' },
    });
    try {
      const own = await onboard(fresh.url);
      // Kraken answers after 2 s, and the second read comes 1.1 s after the first: while the
      // first read's refresh is still waiting, and in a later second (Kraken quotes are
      // observed when they arrive, so two refreshes would publish two observation times).
      ex.state.slowMs = 2000;
      ex.mode.kraken = 'slow';
      const since = ex.requests.length;
      const read = () => call(fresh.url, 'GET', '/v1/rates', { token: own.api_key });
      const first = read();
      await new Promise((r) => setTimeout(r, 1100));
      const [a, b] = await Promise.all([first, read()]);
      assert.equal(a.status, 200, a.text);
      assert.equal(b.status, 200, b.text);
      const krakenCalls = ex.requests.slice(since).filter((q) => q.venue === 'kraken').length;
      assert.equal(krakenCalls, 1, 'one refresh for both reads');
      const [ra, rb] = [a.body.rates[0], b.body.rates[0]];
      assert.deepEqual([rb.price, rb.observed_at, rb.source], [ra.price, ra.observed_at, ra.source]);
    } finally {
      ex.state.slowMs = 10_000;
      await fresh.stop();
    }
  });
});
