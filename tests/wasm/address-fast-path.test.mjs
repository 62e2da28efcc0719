// validateAddress has two paths: the package entry's one-call path (arguments and answer
// through a buffer in wasm memory, core/src/wasm/scratch.rs) and the wasm-bindgen export
// it falls back to. They must give the same answer, object for object, for every input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { validateAddress, validateAddresses } from 'cryptoexchange-core';
// The glue module the package entry wraps (the same instance: Node resolves the
// workspace link to core/pkg/).
import { validateAddress as bindgenValidateAddress } from '../../core/pkg/web/cryptoexchange_core_glue.js';

const VECTORS = new URL('../../core/tests/vectors/', import.meta.url);

/** Every short string in the published vector files: addresses, and keys and scripts as bad addresses. */
function vectorAddresses() {
  const found = new Set();
  const walk = (value) => {
    if (typeof value === 'string') {
      if (value.length <= 130 && !value.includes(' ') && !value.startsWith('http')) found.add(value);
    } else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  for (const file of readdirSync(VECTORS).filter((f) => f.endsWith('.json'))) {
    walk(JSON.parse(readFileSync(new URL(file, VECTORS), 'utf8')));
  }
  return [...found];
}

/** Each address, and variants that take other branches: case, whitespace, one changed character. */
function variants(addresses) {
  const out = new Set(addresses);
  for (const a of addresses) {
    out.add(a.toUpperCase());
    out.add(a.toLowerCase());
    out.add(` ${a}\n`);
    out.add(a.slice(0, -1));
    out.add(`${a.slice(0, 6)}${a[6] === 'q' ? 'p' : 'q'}${a.slice(7)}`);
  }
  for (const odd of ['', ' ', 'bc1', '0x', ':', 'bitcoincash:', 'x'.repeat(129), 'x'.repeat(600), 'bc1qé', '1Bv\u0000BMSEY', '💸']) {
    out.add(odd);
  }
  return [...out];
}

const CURRENCIES = ['BTC', 'LTC', 'DOGE', 'BCH', 'ETH', 'XRP', 'btc', ''];
const NETWORKS = [undefined, null, 'mainnet', 'testnet', 'signet', 'regtest', 'moon', ''];

test('the one-call path answers exactly as the wasm-bindgen export, on every vector and variant', () => {
  const addresses = variants(vectorAddresses());
  assert.ok(addresses.length > 300, `only ${addresses.length} addresses`);
  let checked = 0;
  let valid = 0;
  for (const currency of CURRENCIES) {
    for (const network of NETWORKS) {
      for (const address of addresses) {
        const fast = validateAddress(currency, address, network);
        const reference = bindgenValidateAddress(currency, address, network);
        assert.deepStrictEqual(fast, reference, `${currency} ${network} ${JSON.stringify(address)}`);
        checked += 1;
        if (fast.valid) valid += 1;
      }
    }
  }
  // Both branches were exercised, many times.
  assert.ok(valid > 300 && checked - valid > 300, `${valid} valid of ${checked}`);
});

test('the one-call path survives wasm memory growth between calls', () => {
  const address = 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4';
  const before = validateAddress('BTC', address, 'mainnet');
  // A large batch makes the instance grow its memory (detaching old views).
  validateAddresses('BTC', Array.from({ length: 50000 }, (_, i) => `${address}${i}`), 'mainnet');
  assert.deepStrictEqual(validateAddress('BTC', address, 'mainnet'), before);
  assert.equal(before.script_pubkey, '0014751e76e8199196d454941c45d1b3a323f1433bd6');
});

test('arguments the one-call path does not take still get the documented answers', () => {
  assert.equal(validateAddress('BTC', 'bc1qé', null).code, bindgenValidateAddress('BTC', 'bc1qé', null).code);
  assert.equal(validateAddress('XRP', 'r', null).code, 'unknown_currency');
  assert.equal(validateAddress('BTC', 'bc1', 'moon').code, 'unknown_network');
});
