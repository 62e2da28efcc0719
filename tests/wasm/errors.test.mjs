// Errors cross the JS boundary as values (validateAddress) or as typed CoreError exceptions,
// never as wasm panics (a panic aborts with a RuntimeError and poisons the instance).
// The tests in this file share one instance on purpose: the last one proves it survived.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  canTransition,
  checkLimits,
  deriveAddresses,
  deriveFromXpub,
  estimate,
  isFinalStatus,
  nextStatuses,
  validateAddress,
  validateAddresses,
} from 'cryptoexchange-core';

const quoteCases = JSON.parse(
  readFileSync(new URL('../../core/tests/quote_cases.json', import.meta.url), 'utf8'),
);
const okCase = quoteCases.find((c) => 'quote' in c.expected);
const clone = (value) => structuredClone(value);

// The address error codes the published TypeScript types promise.
const typesText = readFileSync(new URL('../../core/src/wasm_types.d.ts', import.meta.url), 'utf8');
const ADDRESS_CODES = new Set(
  [...(typesText.match(/type AddressErrorCode =([^;]*);/)?.[1] ?? '').matchAll(/"([a-z_0-9]+)"/g)].map(
    (m) => m[1],
  ),
);

/** Runs `fn`, which must throw a CoreError; returns it. */
function coreError(fn, label) {
  let thrown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  assert.ok(thrown !== undefined, `${label}: did not throw`);
  assert.ok(thrown instanceof Error, `${label}: threw a non-Error ${String(thrown)}`);
  assert.ok(!(thrown instanceof WebAssembly.RuntimeError), `${label}: wasm trap (panic?) ${thrown}`);
  assert.equal(thrown.name, 'CoreError', `${label}: ${thrown.stack}`);
  assert.equal(typeof thrown.code, 'string', label);
  assert.match(thrown.code, /^[a-z][a-z0-9_]*$/, label);
  assert.ok(thrown.message.length > 0, `${label}: empty message`);
  return thrown;
}

function assertInvalidAddress(got, label, code) {
  assert.equal(got.valid, false, `${label}: ${JSON.stringify(got)}`);
  assert.ok(ADDRESS_CODES.has(got.code), `${label}: code ${got.code} is not an AddressErrorCode`);
  if (code) assert.equal(got.code, code, `${label}: ${got.message}`);
  assert.equal(typeof got.message, 'string', label);
  assert.ok(got.message.length > 0, `${label}: empty message`);
  // Style of every core message: starts lower case, no trailing period.
  assert.match(got.message, /^[^A-Z][\s\S]*[^.]$/, `${label}: message ${got.message}`);
}

test('the d.ts lists the address error codes', () => {
  assert.ok(ADDRESS_CODES.size >= 10, [...ADDRESS_CODES].join(','));
});

test('validateAddress answers bad input with {valid: false, code}, never throws', () => {
  const long = 'bc1q'.padEnd(10 * 1024, 'q');
  const cases = [
    ['BTC', '', null, 'empty'],
    ['BTC', long, null, 'too_long'],
    ['ETH', `0x${'a'.repeat(10 * 1024)}`, null, 'too_long'],
    ['BTC', 'x'.repeat(10 * 1024), 'mainnet', 'too_long'],
    ['XRP', 'rEb8TK3gBgk5auZkwc6sHnwrGVJH8DuaLh', null, 'unknown_currency'],
    ['btc ', 'bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu', null, 'unknown_currency'],
    ['BTC', 'bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu', 'moon', 'unknown_network'],
    // Mainnet address asked for on testnet.
    ['BTC', 'bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu', 'testnet', 'wrong_network'],
  ];
  for (const [currency, address, network, code] of cases) {
    assertInvalidAddress(
      validateAddress(currency, address, network),
      `${currency}/${network} ${address.slice(0, 40)}`,
      code,
    );
  }
  // Surrounding whitespace is trimmed (address/mod.rs), inner whitespace is not.
  const spaced = validateAddress('BTC', ' \tBC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4\n', null);
  assert.equal(spaced.valid, true, JSON.stringify(spaced));
  assert.equal(spaced.normalized, 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4');
  assertInvalidAddress(
    validateAddress('BTC', 'bc1qw508d6qejxtdg4y5 r3zarvary0c5xw7kv8f3t4', null),
    'inner space',
    'bad_character',
  );
  // Garbage of every shape: some code the types list, never an exception.
  const garbage = [
    'not an address!!',
    ' ',
    '\u0000',
    '\u{1F600}\u{1F600}\u{1F600}',
    'bc1',
    '1',
    '0x',
    'bitcoincash:',
    ':::::',
    'bc1\u00e9qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu',
    'tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdc ccefvpysxf3q0sl5k7',
    '\ud800', // lone surrogate: not valid UTF-16 text
    'z'.repeat(100),
    '1'.repeat(60),
    '3'.repeat(34),
  ];
  for (const currency of ['BTC', 'LTC', 'DOGE', 'BCH', 'ETH']) {
    for (const address of garbage) {
      for (const network of [null, 'mainnet', 'testnet', 'signet', 'regtest']) {
        assertInvalidAddress(
          validateAddress(currency, address, network),
          `${currency}/${network} ${JSON.stringify(address.slice(0, 40))}`,
        );
      }
    }
  }
});

test('validateAddresses: codes per address, CoreError for an unknown currency', () => {
  const codes = validateAddresses(
    'BTC',
    ['bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu', '', 'garbage!!', 'x'.repeat(10 * 1024)],
    null,
  );
  assert.equal(codes.length, 4);
  assert.equal(codes[0], null);
  assert.equal(codes[1], 'empty');
  assert.ok(ADDRESS_CODES.has(codes[2]), String(codes[2]));
  assert.equal(codes[3], 'too_long');
  assert.equal(coreError(() => validateAddresses('XRP', ['x'], null), 'XRP').code, 'unknown_currency');
  assert.equal(coreError(() => validateAddresses('BTC', ['x'], 'moon'), 'moon').code, 'unknown_network');
});

test('estimate refuses malformed JSON shapes with CoreError invalid_input', () => {
  const { request, rates, config, now } = okCase;
  const variants = {
    'request missing amount': () => {
      const r = clone(request);
      delete r.amount;
      return [r, rates, config];
    },
    'amount as a number': () => [{ ...clone(request), amount: 100 }, rates, config],
    'request is null': () => [null, rates, config],
    'request is a string': () => [JSON.stringify(request), rates, config],
    'request is undefined': () => [undefined, rates, config],
    'rates missing rates': () => [request, { max_age_seconds: 300 }, config],
    'rate price as a number': () => {
      const r = clone(rates);
      r.rates[0].price = 50000;
      return [request, r, config];
    },
    'rates is an array': () => [request, rates.rates, config],
    'config missing name': () => {
      const c = clone(config);
      delete c.name;
      return [request, rates, c];
    },
    'config percent as a number': () => [request, rates, { ...clone(config), spread_percent: 0.5 }],
    'config negative seconds': () => [request, rates, { ...clone(config), quote_validity_seconds: -1 }],
    'config unknown fiat key': () => {
      const c = clone(config);
      c.fiat.XYZ = c.fiat.EUR;
      return [request, rates, c];
    },
  };
  for (const [label, make] of Object.entries(variants)) {
    const [req, rts, cfg] = make();
    assert.equal(coreError(() => estimate(req, rts, cfg, now), label).code, 'invalid_input', label);
  }
  for (const badNow of ['yesterday', '2026-06-01 12:00', '']) {
    assert.equal(coreError(() => estimate(request, rates, config, badNow), badNow).code, 'bad_time');
  }
  // A quote request whose currency is unknown is a domain error, not a shape error.
  assert.equal(
    coreError(() => estimate({ ...clone(request), crypto: 'XRP' }, rates, config, now), 'XRP').code,
    'unknown_currency',
  );
});

test('wallet functions refuse bad requests with a CoreError', () => {
  const base = {
    mnemonic: 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about',
    currency: 'BTC',
    network: 'mainnet',
    scheme: 'bip84',
    count: 1,
  };
  const invalidInput = [
    { ...base, count: '1' },
    { ...base, scheme: 'bip99' },
    { mnemonic: base.mnemonic },
    null,
  ];
  for (const request of invalidInput) {
    const label = JSON.stringify(request);
    assert.equal(coreError(() => deriveAddresses(request), label).code, 'invalid_input', label);
  }
  const domain = [
    [{ ...base, mnemonic: 'abandon '.repeat(12).trim() }, 'invalid_mnemonic_checksum'],
    [{ ...base, mnemonic: 'abandon abandon' }, 'invalid_mnemonic_word_count'],
    [{ ...base, mnemonic: `${'abandon '.repeat(11)}notaword` }, 'invalid_mnemonic_word'],
    [{ ...base, count: 0 }, 'count_out_of_range'],
    [{ ...base, count: 101 }, 'count_out_of_range'],
    [{ ...base, change: 2 }, 'invalid_change'],
    [{ ...base, currency: 'DOGE', scheme: 'bip84' }, 'unsupported_scheme'],
  ];
  for (const [request, code] of domain) {
    const label = JSON.stringify(request);
    assert.equal(coreError(() => deriveAddresses(request), label).code, code, label);
  }
  const xpub = { xpub: 'zpub-garbage', currency: 'BTC', network: 'mainnet', scheme: 'bip84', index: 0 };
  assert.equal(coreError(() => deriveFromXpub(xpub), 'garbage xpub').code, 'invalid_xpub');
  assert.equal(coreError(() => deriveFromXpub({ ...xpub, index: -1 }), 'index -1').code, 'invalid_input');
});

// The request and config types are #[serde(deny_unknown_fields)] and the HTTP API refuses
// such bodies: a misspelt optional field ("passphrse") must not be silently dropped.
// (Responses such as RatesResponse tolerate extra fields on purpose, so they are not
// checked here.)
test(
  'unknown fields are refused with invalid_input, as by the HTTP API',
  () => {
    const { request, rates, config, now } = okCase;
    const label = (what) => `unknown field in ${what}`;
    assert.equal(
      coreError(() => estimate({ ...clone(request), extra: 'x' }, rates, config, now), label('quote request')).code,
      'invalid_input',
    );
    assert.equal(
      coreError(() => estimate(request, rates, { ...clone(config), surprise: true }, now), label('config')).code,
      'invalid_input',
    );
    const eur = { ...clone(config.fiat.EUR), min_ordr: '1.00' };
    assert.equal(
      coreError(() => estimate(request, rates, { ...clone(config), fiat: { EUR: eur } }, now), label('fiat settings'))
        .code,
      'invalid_input',
    );
    const mnemonic =
      'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
    const derive = { mnemonic, currency: 'BTC', network: 'mainnet', scheme: 'bip84', count: 1 };
    assert.equal(
      coreError(() => deriveAddresses({ ...derive, passphrse: 'TREZOR' }), label('derive request')).code,
      'invalid_input',
    );
    const xpub = deriveAddresses(derive).account_xpub;
    assert.equal(
      coreError(
        () => deriveFromXpub({ xpub, currency: 'BTC', network: 'mainnet', scheme: 'bip84', index: 0, chnage: 1 }),
        label('xpub derive request'),
      ).code,
      'invalid_input',
    );
  },
);

test('order helpers: transitions, next statuses, final statuses', () => {
  assert.equal(canTransition('pending', 'processing'), true);
  assert.equal(canTransition('processing', 'sent'), true);
  assert.equal(canTransition('sent', 'completed'), true);
  assert.equal(canTransition('completed', 'pending'), false);
  assert.equal(canTransition('pending', 'completed'), false);
  assert.equal(canTransition('pending', 'pending'), false);
  assert.deepEqual([...nextStatuses('pending')].sort(), ['expired', 'failed', 'processing']);
  assert.deepEqual([...nextStatuses('processing')].sort(), ['failed', 'sent']);
  assert.deepEqual([...nextStatuses('sent')].sort(), ['completed', 'failed']);
  const all = ['pending', 'processing', 'sent', 'completed', 'failed', 'expired'];
  for (const status of all) {
    const next = nextStatuses(status);
    assert.ok(Array.isArray(next), status);
    // Final exactly when nothing follows, and nextStatuses agrees with canTransition.
    assert.equal(isFinalStatus(status), next.length === 0, status);
    for (const to of all) {
      assert.equal(canTransition(status, to), next.includes(to), `${status} -> ${to}`);
    }
  }
  assert.deepEqual(all.filter(isFinalStatus), ['completed', 'failed', 'expired']);
  for (const bad of ['PENDING', 'done', '', 'pending ']) {
    assert.equal(coreError(() => canTransition(bad, 'pending'), bad).code, 'unknown_status');
    assert.equal(coreError(() => canTransition('pending', bad), bad).code, 'unknown_status');
    assert.equal(coreError(() => nextStatuses(bad), bad).code, 'unknown_status');
    assert.equal(coreError(() => isFinalStatus(bad), bad).code, 'unknown_status');
  }
});

test('checkLimits: fits, or throws the broken limit with its facts', () => {
  const config = clone(okCase.config);
  const eur = config.fiat.EUR;
  assert.equal(eur.daily_limit, '2000.00', 'the quote cases config changed: adapt this test');
  const now = '2026-03-15T10:00:00Z';
  const today = [
    { at: '2026-03-15T00:00:00Z', fiat: 'EUR', amount: '600.00' },
    { at: '2026-03-15T09:00:00Z', fiat: 'EUR', amount: '900.00' },
  ];
  // 1500 used today: 500.00 fits exactly, 500.01 is one cent over.
  assert.equal(checkLimits(config, today, 'EUR', '500.00', now), undefined);
  const over = coreError(() => checkLimits(config, today, 'EUR', '500.01', now), 'daily');
  assert.equal(over.code, 'daily_limit_exceeded');
  assert.deepEqual(over.details, {
    limit: '2000.00',
    used: '1500.00',
    requested: '500.01',
    excess: '0.01',
    currency: 'EUR',
  });
  // Other currencies and yesterday do not count for today's EUR limit.
  const elsewhere = [
    { at: '2026-03-15T09:00:00Z', fiat: 'USD', amount: '1900.00' },
    { at: '2026-03-14T23:59:59Z', fiat: 'EUR', amount: '1900.00' },
  ];
  assert.equal(checkLimits(config, elsewhere, 'EUR', '1000.00', now), undefined);
  // The month: 14 earlier days of 700 = 9800 of 10000.
  const month = Array.from({ length: 14 }, (_, i) => ({
    at: `2026-03-${String(i + 1).padStart(2, '0')}T12:00:00Z`,
    fiat: 'EUR',
    amount: '700.00',
  }));
  assert.equal(checkLimits(config, month, 'EUR', '200.00', now), undefined);
  const monthly = coreError(() => checkLimits(config, month, 'EUR', '200.01', now), 'monthly');
  assert.equal(monthly.code, 'monthly_limit_exceeded');
  assert.equal(monthly.details.excess, '0.01');
  // Per-order bounds and bad input.
  assert.equal(coreError(() => checkLimits(config, [], 'EUR', '9.99', now), 'min').code, 'below_minimum');
  assert.equal(coreError(() => checkLimits(config, [], 'EUR', '1000.01', now), 'max').code, 'above_maximum');
  assert.equal(coreError(() => checkLimits(config, [], 'XYZ', '10', now), 'XYZ').code, 'unknown_fiat_currency');
  assert.equal(coreError(() => checkLimits(config, [], 'EUR', 'ten', now), 'ten').code, 'malformed_amount');
  assert.equal(coreError(() => checkLimits(config, [], 'EUR', '10.001', now), '10.001').code, 'too_many_decimals');
  assert.equal(coreError(() => checkLimits(config, [], 'EUR', '-10', now), '-10').code, 'amount_not_positive');
  assert.equal(
    coreError(() => checkLimits(config, [{ at: 'x', fiat: 'EUR', amount: '1' }], 'EUR', '10', now), 'history').code,
    'invalid_input',
  );
  assert.equal(
    coreError(() => checkLimits(config, [{ at: now, fiat: 'EUR', amount: 1 }], 'EUR', '10', now), 'number').code,
    'invalid_input',
  );
  assert.equal(coreError(() => checkLimits(config, [], 'EUR', '10', 'noon'), 'noon').code, 'bad_time');
});

// Last on purpose: everything above ran on this same instance.
test('after all the bad input the instance still works', () => {
  const got = validateAddress('BTC', 'bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu', 'mainnet');
  assert.equal(got.valid, true);
  assert.equal(got.kind, 'p2wpkh');
  const quote = estimate(okCase.request, okCase.rates, okCase.config, okCase.now);
  assert.equal(JSON.stringify(quote), JSON.stringify(okCase.expected.quote));
});
