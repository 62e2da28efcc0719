// The npm package runs the same rates aggregation as the worker's refresh.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { aggregateRates, estimate, publishRates } from 'cryptoexchange-core';

const cases = JSON.parse(readFileSync(new URL('../../core/tests/quote_cases.json', import.meta.url), 'utf8'));

const NOW = '2026-01-01T12:00:00Z';
const quote = (source, mid, observed_at = NOW) => ({
  source, crypto: 'BTC', fiat: 'EUR', bid: mid, ask: mid, observed_at,
});

test('aggregateRates takes the median and drops a source ten times off', () => {
  const book = aggregateRates(null, {
    pairs: ['BTC/EUR'],
    quotes: [quote('kraken', '60000'), quote('coinbase', '60010'), quote('bitstamp', '600100')],
    failures: [{ source: 'bitfinex', detail: 'no answer within 3 s' }],
  }, null, NOW);
  const { rates } = publishRates(book, 300, NOW);
  assert.equal(rates.length, 1);
  assert.equal(rates[0].price, '60005.00000000');
  assert.equal(rates[0].status, 'ok');
  const byName = Object.fromEntries(rates[0].sources.map((s) => [s.name, s]));
  assert.equal(byName.bitstamp.reason, 'outlier');
  assert.equal(byName.bitfinex.reason, 'unavailable');
  assert.equal(byName.kraken.used, true);
});

test('a zero price is refused, and one source alone is no quorum', () => {
  const book = aggregateRates(null, {
    pairs: ['BTC/EUR'], quotes: [quote('kraken', '60000'), quote('coinbase', '0')],
  }, null, NOW);
  assert.deepEqual(publishRates(book, 300, NOW).rates, []);
  const reasons = book.pairs[0].sources.map((s) => s.reason);
  assert.deepEqual(reasons, ['no_quorum', 'not_positive']);
});

test('a policy with a quorum of one accepts one source; estimate refuses it once stale', () => {
  const book = aggregateRates(null, { pairs: ['BTC/EUR'], quotes: [quote('static', '60000')] }, { min_sources: 1 }, NOW);
  const fresh = publishRates(book, 300, NOW);
  assert.equal(fresh.rates[0].source, 'static');
  const c = cases.find((x) => 'quote' in x.expected && x.request.crypto === 'BTC' && x.request.fiat === 'EUR');
  const q = estimate(c.request, fresh, c.config, NOW);
  assert.equal(Number(q.mid_price), 60000);
  const later = '2026-01-01T12:05:01Z';
  assert.throws(() => estimate(c.request, publishRates(book, 300, later), c.config, later),
    (e) => e.code === 'rate_unavailable' && e.details.pair === 'BTC/EUR' && e.details.age_seconds === 301);
});

test('bad input throws a CoreError with invalid_input', () => {
  assert.throws(() => aggregateRates(null, { pairs: ['BTC-EUR'] }, null, NOW), (e) => e.name === 'CoreError' && e.code === 'invalid_input');
  assert.throws(() => aggregateRates(null, { pairs: ['BTC/EUR'], quotes: [{ ...quote('k', '1'), bid: 1 }] }, null, NOW),
    (e) => e.code === 'invalid_input');
});
