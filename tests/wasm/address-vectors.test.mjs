// Published address vectors (BIP-173, BIP-350, EIP-55, CashAddr) through the npm package,
// checked as core/tests/address_vectors.rs checks them natively; sources in
// core/tests/vectors/README.md. Run: node --test tests/wasm/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { validateAddress } from 'cryptoexchange-core';

const VECTORS = new URL('../../core/tests/vectors/', import.meta.url);
const load = (file) => JSON.parse(readFileSync(new URL(file, VECTORS), 'utf8'));
const show = (value) => JSON.stringify(value);

// Every vector file and the Node test that checks it: a new file must get a checker here.
const CHECKED_BY = {
  'bip173_segwit.json': 'address-vectors.test.mjs',
  'bip350_segwit.json': 'address-vectors.test.mjs',
  'eip55.json': 'address-vectors.test.mjs',
  'cashaddr.json': 'address-vectors.test.mjs',
  'bip32.json': 'wallet-vectors.test.mjs',
  'bip39_trezor.json': 'wallet-vectors.test.mjs',
  'bip49.json': 'wallet-vectors.test.mjs',
  'bip84.json': 'wallet-vectors.test.mjs',
  'bip86.json': 'wallet-vectors.test.mjs',
};

test('every published vector file has a Node checker', () => {
  const files = readdirSync(VECTORS).filter((f) => f.endsWith('.json')).sort();
  assert.deepEqual(files, Object.keys(CHECKED_BY).sort());
});

// What a segwit scriptPubKey says about its address: OP_n then a push of the program.
function segwitFacts(scriptPubKey) {
  const opcode = parseInt(scriptPubKey.slice(0, 2), 16);
  const version = opcode === 0 ? 0 : opcode - 0x50;
  const programLength = parseInt(scriptPubKey.slice(2, 4), 16);
  let kind = 'witness_unknown';
  if (version === 0 && programLength === 20) kind = 'p2wpkh';
  if (version === 0 && programLength === 32) kind = 'p2wsh';
  if (version === 1 && programLength === 32) kind = 'p2tr';
  return { version, kind };
}

function checkSegwitFile(name, file) {
  const failures = [];
  assert.ok(file.valid.length > 0 && file.invalid.length > 0, `${name}: empty vector file`);
  for (const entry of file.valid) {
    const got = validateAddress('BTC', entry.address, null);
    const { version, kind } = segwitFacts(entry.script_pubkey);
    const network = entry.address.toLowerCase().startsWith('bc1') ? 'mainnet' : 'testnet';
    if (
      got.valid !== true ||
      got.currency !== 'BTC' ||
      got.script_pubkey !== entry.script_pubkey ||
      got.network !== network ||
      got.normalized !== entry.address.toLowerCase() ||
      got.witness_version !== version ||
      got.kind !== kind
    ) {
      failures.push(
        `${name}: valid ${entry.address} (want ${kind} v${version} ${network}): got ${show(got)}`,
      );
    }
  }
  for (const entry of file.invalid) {
    const got = validateAddress('BTC', entry.address, null);
    if (got.valid !== false) {
      failures.push(`${name}: invalid ${entry.address} (${entry.reason}) accepted as ${show(got)}`);
    } else if (got.code !== entry.code) {
      failures.push(
        `${name}: invalid ${entry.address} (${entry.reason}): code ${got.code}, expected ${entry.code} (${got.message})`,
      );
    } else if (typeof got.message !== 'string' || got.message.length === 0) {
      failures.push(`${name}: invalid ${entry.address}: no message in ${show(got)}`);
    }
  }
  assert.deepEqual(failures, []);
}

test('BIP-173 segwit vectors (bip173_segwit.json)', () => {
  checkSegwitFile('bip173', load('bip173_segwit.json'));
});

test('BIP-350 segwit vectors (bip350_segwit.json)', () => {
  checkSegwitFile('bip350', load('bip350_segwit.json'));
});

const hasLower = (s) => /[a-z]/.test(s);
const hasUpper = (s) => /[A-Z]/.test(s);

test('EIP-55 vectors (eip55.json)', () => {
  const file = load('eip55.json');
  assert.ok(file.valid.length > 0, 'empty vector file');
  const failures = [];
  let flippedChecked = 0;
  for (const address of file.valid) {
    const hex = address.slice(2);
    const lower = `0x${hex.toLowerCase()}`;
    const upper = `0x${hex.toUpperCase()}`;
    for (const input of [address, lower, upper]) {
      const got = validateAddress('ETH', input, null);
      if (got.valid !== true || got.kind !== 'account' || got.network !== 'mainnet') {
        failures.push(`${input} (vector ${address}): got ${show(got)}`);
        continue;
      }
      if (got.script_pubkey !== null) {
        failures.push(`${input}: an ETH account has no script_pubkey, got ${show(got)}`);
      }
      // The published form is the checksummed one unless it has letters of one case only
      // (the all-caps and all-lower examples are valid EIP-55 too).
      if (hasLower(hex) && hasUpper(hex) && got.normalized !== address) {
        failures.push(`${input}: normalized ${got.normalized}, expected ${address}`);
      }
    }
    // Flipping the case of one letter breaks a mixed-case checksum.
    const pos = hex.search(/[a-fA-F]/);
    if (pos >= 0) {
      const c = hex[pos];
      const flippedHex =
        hex.slice(0, pos) +
        (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()) +
        hex.slice(pos + 1);
      if (hasLower(flippedHex) && hasUpper(flippedHex)) {
        const flipped = `0x${flippedHex}`;
        const got = validateAddress('ETH', flipped, null);
        flippedChecked += 1;
        if (got.valid !== false || got.code !== 'bad_checksum') {
          failures.push(`${flipped} (vector ${address}): expected bad_checksum, got ${show(got)}`);
        }
      }
    }
  }
  assert.deepEqual(failures, []);
  assert.ok(flippedChecked > 0, 'no flipped-case address was checked');
});

test('CashAddr translation vectors (cashaddr.json)', () => {
  const file = load('cashaddr.json');
  assert.ok(file.pairs.length > 0, 'empty vector file');
  const failures = [];
  for (const pair of file.pairs) {
    const unprefixed = pair.cashaddr.replace(/^bitcoincash:/, '');
    const upper = pair.cashaddr.toUpperCase();
    const fromLegacy = validateAddress('BCH', pair.legacy, 'mainnet');
    const fromBtc = validateAddress('BTC', pair.legacy, null);
    for (const [label, input] of [
      ['cashaddr', pair.cashaddr],
      ['unprefixed', unprefixed],
      ['upper', upper],
    ]) {
      const cash = validateAddress('BCH', input, null);
      const ok =
        cash.valid === true &&
        fromLegacy.valid === true &&
        fromBtc.valid === true &&
        cash.normalized === pair.cashaddr &&
        fromLegacy.normalized === pair.cashaddr &&
        typeof cash.script_pubkey === 'string' &&
        cash.script_pubkey === fromLegacy.script_pubkey &&
        cash.script_pubkey === fromBtc.script_pubkey &&
        cash.kind === fromLegacy.kind &&
        cash.kind === (pair.legacy.startsWith('3') ? 'p2sh' : 'p2pkh') &&
        cash.network === 'mainnet';
      if (!ok) {
        failures.push(
          `${pair.legacy} (${label} ${input}): cash ${show(cash)}, legacy ${show(fromLegacy)}, btc ${show(fromBtc)}`,
        );
      }
    }
  }
  assert.deepEqual(failures, []);
});
