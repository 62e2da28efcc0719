// Every case of core/tests/sell_cases.json (expectations computed independently by
// core/tests/sell_cases_oracle.py from docs/pricing.md) through the npm package's
// `estimate` with `side: "sell"`; core/tests/sell_cases.rs checks the same file natively.
// Also the sell state machine as the package exposes it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { estimate, isFinalStatus, nextStatuses } from 'cryptoexchange-core';

const cases = JSON.parse(readFileSync(new URL('../../core/tests/sell_cases.json', import.meta.url), 'utf8'));

for (const c of cases) {
  test(`sell case ${c.name}`, () => {
    let got;
    try {
      got = estimate(c.request, c.rates, c.config, c.now);
    } catch (error) {
      assert.equal(error.name, 'CoreError', error.stack);
      assert.equal(error.code, c.expected.error ?? `a quote, not ${error.code} (${error.message})`);
      return;
    }
    assert.ok('quote' in c.expected, `want ${c.expected.error}, got ${JSON.stringify(got)}`);
    assert.deepEqual(got, c.expected.quote);
  });
}

test('the package knows the sell statuses beside the buy ones', () => {
  assert.deepEqual(nextStatuses('awaiting_deposit', 'sell'), ['confirming', 'underpaid', 'expired', 'requote_required']);
  assert.deepEqual(nextStatuses('payout_pending', 'sell'), ['confirming', 'completed', 'refund_due']);
  assert.deepEqual(nextStatuses('expired', 'sell'), ['requote_required']);
  // The buy side stays the default.
  assert.deepEqual(nextStatuses('expired'), []);
  assert.equal(isFinalStatus('expired'), true);
  assert.equal(isFinalStatus('expired', 'sell'), false);
  assert.equal(isFinalStatus('completed', 'sell'), true);
  assert.equal(isFinalStatus('failed', 'sell'), true);
  assert.throws(() => nextStatuses('awaiting_deposit'), (e) => e.code === 'unknown_status');
  assert.throws(() => isFinalStatus('sent', 'sell'), (e) => e.code === 'unknown_status');
});

test('a callback index passed as the side still means a buy', () => {
  assert.deepEqual(['completed', 'pending'].filter(isFinalStatus), ['completed']);
  assert.throws(() => isFinalStatus('completed', 'both'), (e) => e.code === 'invalid_input');
});
