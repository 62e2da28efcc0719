// Every case of core/tests/quote_cases.json (expectations computed independently by
// core/tests/quote_cases_oracle.py from docs/pricing.md) through the npm package's
// `estimate`. core/tests/quote_cases.rs checks the same file natively, so both builds agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { estimate } from 'cryptoexchange-core';

const cases = JSON.parse(
  readFileSync(new URL('../../core/tests/quote_cases.json', import.meta.url), 'utf8'),
);

test('quote_cases.json has enough cases of both kinds', () => {
  assert.ok(cases.length >= 15, `only ${cases.length} cases`);
  assert.ok(cases.some((c) => 'quote' in c.expected));
  assert.ok(cases.some((c) => 'error' in c.expected));
  assert.equal(new Set(cases.map((c) => c.name)).size, cases.length, 'case names are unique');
});

for (const c of cases) {
  test(`quote case ${c.name}`, () => {
    const expectedKinds = Object.keys(c.expected);
    assert.deepEqual(expectedKinds.length, 1, `${c.name}: expected is one of quote/error`);
    let got;
    try {
      got = estimate(c.request, c.rates, c.config, c.now);
    } catch (error) {
      assert.equal(error.name, 'CoreError', `${c.name}: not a CoreError: ${error.stack}`);
      assert.ok(error instanceof Error, `${c.name}: not an Error`);
      assert.equal(
        error.code,
        c.expected.error ?? `a quote, not error ${error.code} (${error.message})`,
        `${c.name}: ${error.message}`,
      );
      assert.equal(typeof error.message, 'string');
      assert.ok(error.message.length > 0, `${c.name}: empty message`);
      return;
    }
    assert.ok('quote' in c.expected, `${c.name}: want ${c.expected.error}, got quote ${JSON.stringify(got)}`);
    // Text, key order included: what a client would put on the wire.
    assert.equal(JSON.stringify(got), JSON.stringify(c.expected.quote), c.name);
  });
}
