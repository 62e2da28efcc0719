// Published wallet vectors (BIP-84, BIP-86, BIP-49, BIP-39 Trezor, BIP-32) through the npm
// package, checked as core/tests/wallet_vectors.rs checks them natively; sources in
// core/tests/vectors/README.md. Where the JS API has no entry point for a vector's field
// (entropy -> mnemonic, seed, raw BIP-32 paths), a small BIP-32 reference built on
// node:crypto, itself checked against the same vectors first, gives the expected keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createECDH, createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import {
  deriveAddresses,
  deriveFromXpub,
  generateMnemonic,
  validateAddress,
} from 'cryptoexchange-core';

const VECTORS = new URL('../../core/tests/vectors/', import.meta.url);
const load = (file) => JSON.parse(readFileSync(new URL(file, VECTORS), 'utf8'));
const show = (value) => JSON.stringify(value);

function codeOf(fn) {
  try {
    fn();
  } catch (error) {
    assert.equal(error.name, 'CoreError', `not a CoreError: ${error}`);
    assert.ok(error instanceof Error);
    return error.code;
  }
  return 'no error';
}

// ---- Reference BIP-32 (private derivation only), for the fields the JS API cannot reach.

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const sha256 = (b) => createHash('sha256').update(b).digest();
const hash160 = (b) => createHash('ripemd160').update(sha256(b)).digest();
const toBig = (b) => BigInt(`0x${b.toString('hex') || '0'}`);
const toBytes32 = (n) => Buffer.from(n.toString(16).padStart(64, '0'), 'hex');
const ser32 = (i) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(i >>> 0);
  return b;
};

function base58check(payload) {
  const data = Buffer.concat([payload, sha256(sha256(payload)).subarray(0, 4)]);
  let n = toBig(data);
  let out = '';
  while (n > 0n) {
    out = BASE58[Number(n % 58n)] + out;
    n /= 58n;
  }
  for (const byte of data) {
    if (byte !== 0) break;
    out = `1${out}`;
  }
  return out;
}

function unbase58check(text) {
  let n = 0n;
  for (const c of text) n = n * 58n + BigInt(BASE58.indexOf(c));
  const data = Buffer.from(n.toString(16).padStart(164, '0'), 'hex'); // 82 bytes: 78 + 4
  const payload = data.subarray(0, 78);
  assert.deepEqual(data.subarray(78), sha256(sha256(payload)).subarray(0, 4), 'base58 checksum');
  return payload;
}

function publicKey(privateKey) {
  const ecdh = createECDH('secp256k1');
  ecdh.setPrivateKey(privateKey);
  return ecdh.getPublicKey(null, 'compressed');
}

const masterFromSeed = (seed) => {
  const I = createHmac('sha512', 'Bitcoin seed').update(seed).digest();
  return { key: I.subarray(0, 32), chain: I.subarray(32), depth: 0, parent: ser32(0), child: 0 };
};

function parseXprv(xprv) {
  const raw = unbase58check(xprv);
  return {
    key: raw.subarray(46, 78),
    chain: raw.subarray(13, 45),
    depth: raw[4],
    parent: raw.subarray(5, 9),
    child: raw.readUInt32BE(9),
  };
}

function derivePath(node, path) {
  let current = node;
  for (const step of path.split('/').slice(1)) {
    const hardened = step.endsWith("'");
    const index = (Number.parseInt(step, 10) + (hardened ? 0x80000000 : 0)) >>> 0;
    const data = hardened
      ? Buffer.concat([Buffer.alloc(1), current.key, ser32(index)])
      : Buffer.concat([publicKey(current.key), ser32(index)]);
    const I = createHmac('sha512', current.chain).update(data).digest();
    const key = (toBig(I.subarray(0, 32)) + toBig(current.key)) % N;
    current = {
      key: toBytes32(key),
      chain: I.subarray(32),
      depth: current.depth + 1,
      parent: hash160(publicKey(current.key)).subarray(0, 4),
      child: index,
    };
  }
  return current;
}

function serializePublic(node, version) {
  return base58check(
    Buffer.concat([
      Buffer.from(version, 'hex'),
      Buffer.from([node.depth]),
      node.parent,
      ser32(node.child),
      node.chain,
      publicKey(node.key),
    ]),
  );
}

// ---- BIP-84 / BIP-86 / BIP-49: addresses, account xpub, and the xpub-only server path.

function checkSchemeFile(name, file) {
  const failures = [];
  assert.ok(file.addresses.length > 0, `${name}: empty vector file`);
  assert.ok(file.account_xpub, `${name}: no account xpub`);
  if (file.account_xprv) {
    // BIP-84 publishes the account zprv too: its neutered form must be the published zpub.
    assert.equal(
      serializePublic(parseXprv(file.account_xprv), '04b24746'),
      file.account_xpub,
      `${name}: published zprv and zpub agree`,
    );
  }
  for (const entry of file.addresses) {
    const parts = entry.path.split('/');
    const index = Number(parts.at(-1));
    const change = Number(parts.at(-2));
    let derivation;
    try {
      derivation = deriveAddresses({
        mnemonic: file.mnemonic,
        currency: file.currency,
        network: file.network,
        scheme: file.scheme,
        change,
        start: index,
        count: 1,
      });
    } catch (error) {
      failures.push(`${name} ${entry.path}: ${error.code}: ${error.message}`);
      continue;
    }
    if (derivation.account_path !== file.account_path) {
      failures.push(`${name} ${entry.path}: account path ${derivation.account_path}`);
    }
    if (derivation.account_xpub !== file.account_xpub) {
      failures.push(`${name} ${entry.path}: account xpub ${derivation.account_xpub}`);
    }
    if (derivation.addresses.length !== 1) {
      failures.push(`${name} ${entry.path}: ${derivation.addresses.length} addresses for count 1`);
      continue;
    }
    const got = derivation.addresses[0];
    if (got.path !== entry.path || got.address !== entry.address || got.index !== index) {
      failures.push(`${name} ${entry.path}: got ${show(got)}, want ${entry.address}`);
    }
    if (entry.public_key && got.public_key !== entry.public_key) {
      failures.push(`${name} ${entry.path}: public key ${got.public_key}`);
    }
    if (entry.internal_key && got.public_key.slice(2) !== entry.internal_key) {
      failures.push(`${name} ${entry.path}: internal key ${got.public_key}`);
    }
    if (entry.script_pubkey) {
      const checked = validateAddress(file.currency, got.address, null);
      if (checked.valid !== true || checked.script_pubkey !== entry.script_pubkey) {
        failures.push(`${name} ${entry.path}: script ${show(checked)}`);
      }
    }
    // The server path: the same address from the account xpub alone.
    try {
      const watched = deriveFromXpub({
        xpub: derivation.account_xpub,
        currency: file.currency,
        network: file.network,
        scheme: file.scheme,
        change,
        index,
      });
      if (show(watched) !== show(got)) {
        failures.push(`${name} ${entry.path}: from xpub ${show(watched)}, from mnemonic ${show(got)}`);
      }
    } catch (error) {
      failures.push(`${name} ${entry.path}: from xpub: ${error.code}: ${error.message}`);
    }
  }
  assert.deepEqual(failures, []);
}

test('BIP-84 vectors (bip84.json)', () => {
  checkSchemeFile('bip84', load('bip84.json'));
});

test('BIP-86 vectors (bip86.json)', () => {
  checkSchemeFile('bip86', load('bip86.json'));
});

test('BIP-49 vectors (bip49.json)', () => {
  checkSchemeFile('bip49', load('bip49.json'));
});

// ---- BIP-39 (Trezor): the wasm's mnemonic + passphrase -> seed -> keys.

test('BIP-39 Trezor vectors (bip39_trezor.json): mnemonic and passphrase give the published root', () => {
  const file = load('bip39_trezor.json');
  assert.ok(file.vectors.length > 0, 'empty vector file');
  const failures = [];
  for (const v of file.vectors) {
    // The reference first reproduces the published seed and root, so it can stand for them.
    const seed = pbkdf2Sync(
      v.mnemonic.normalize('NFKD'),
      `mnemonic${file.passphrase}`.normalize('NFKD'),
      2048,
      64,
      'sha512',
    );
    assert.equal(seed.toString('hex'), v.seed, `${v.entropy}: reference seed`);
    const root = parseXprv(v.root_xprv);
    assert.deepEqual(masterFromSeed(seed).key, root.key, `${v.entropy}: reference root key`);
    assert.deepEqual(masterFromSeed(seed).chain, root.chain, `${v.entropy}: reference root chain`);

    const account = derivePath(root, "m/84'/0'/0'");
    const first = derivePath(account, 'm/0/0');
    let derivation;
    try {
      derivation = deriveAddresses({
        mnemonic: v.mnemonic,
        passphrase: file.passphrase,
        currency: 'BTC',
        network: 'mainnet',
        scheme: 'bip84',
        count: 1,
      });
    } catch (error) {
      failures.push(`${v.entropy} (${v.mnemonic}): ${error.code}: ${error.message}`);
      continue;
    }
    const wantXpub = serializePublic(account, '04b24746'); // zpub
    if (derivation.account_xpub !== wantXpub) {
      failures.push(`${v.entropy}: account zpub ${derivation.account_xpub}, want ${wantXpub}`);
    }
    const wantKey = publicKey(first.key).toString('hex');
    if (derivation.addresses[0]?.public_key !== wantKey) {
      failures.push(`${v.entropy}: m/84'/0'/0'/0/0 ${show(derivation.addresses[0])}, want ${wantKey}`);
    }
    // Without the passphrase it is another wallet.
    const bare = deriveAddresses({
      mnemonic: v.mnemonic,
      currency: 'BTC',
      network: 'mainnet',
      scheme: 'bip84',
      count: 1,
    });
    if (bare.account_xpub === derivation.account_xpub) {
      failures.push(`${v.entropy}: the passphrase changed nothing`);
    }
  }
  assert.deepEqual(failures, []);
});

test('BIP-39 passphrase is NFKD-normalized (composed and decomposed agree)', () => {
  const file = load('bip39_trezor.json');
  const request = (passphrase) => ({
    mnemonic: file.vectors[0].mnemonic,
    passphrase,
    currency: 'BTC',
    network: 'mainnet',
    scheme: 'bip84',
    count: 1,
  });
  const composed = deriveAddresses(request('caf\u00e9'));
  const decomposed = deriveAddresses(request('cafe\u0301'));
  assert.equal(composed.account_xpub, decomposed.account_xpub);
  // And the expected seed is the NFKD one.
  const seed = pbkdf2Sync(file.vectors[0].mnemonic, 'mnemoniccafe\u0301', 2048, 64, 'sha512');
  const account = derivePath(masterFromSeed(seed), "m/84'/0'/0'");
  assert.equal(composed.account_xpub, serializePublic(account, '04b24746'));
});

test('generateMnemonic gives 12 or 24 distinct valid words; 13 is bad_word_count', () => {
  for (const words of [12, 24]) {
    const a = generateMnemonic(words);
    const b = generateMnemonic(words);
    assert.equal(a.split(' ').length, words, a);
    assert.match(a, /^[a-z]+( [a-z]+)*$/);
    assert.notEqual(a, b, 'two fresh mnemonics are the same');
    for (const mnemonic of [a, b]) {
      const derivation = deriveAddresses({
        mnemonic,
        currency: 'BTC',
        network: 'mainnet',
        scheme: 'bip84',
        count: 2,
      });
      assert.equal(derivation.addresses.length, 2);
      assert.equal(validateAddress('BTC', derivation.addresses[0].address, 'mainnet').valid, true);
    }
  }
  assert.equal(codeOf(() => generateMnemonic(13)), 'bad_word_count');
  // The checksum matters: a valid mnemonic with its last word changed is refused.
  const words = generateMnemonic(12).split(' ');
  const swapped = [...words.slice(0, 11), words[11] === 'zoo' ? 'abandon' : 'zoo'];
  const swappedCodes = new Set(['invalid_mnemonic_checksum', 'no error']);
  const code = codeOf(() =>
    deriveAddresses({ mnemonic: swapped.join(' '), currency: 'BTC', network: 'mainnet', scheme: 'bip84', count: 1 }),
  );
  // 1 in 16 swaps keeps a valid checksum by chance; anything else must be a checksum error.
  assert.ok(swappedCodes.has(code), `swapped last word: ${code}`);
  assert.equal(
    codeOf(() =>
      deriveAddresses({ mnemonic: `${words.join(' ')} abandon`, currency: 'BTC', network: 'mainnet', scheme: 'bip84', count: 1 }),
    ),
    'invalid_mnemonic_word_count',
  );
});

// ---- BIP-32 vector 1: public derivation from a published account-level (depth 3) xpub.

test('BIP-32 vector 1 (bip32.json): deriveFromXpub on the depth-3 xpub agrees with private derivation', () => {
  const file = load('bip32.json');
  const master = masterFromSeed(Buffer.from(file.seed, 'hex'));
  // The reference reproduces every published xpub of the chain first.
  for (const step of file.chain) {
    assert.equal(serializePublic(derivePath(master, step.path), '0488b21e'), step.xpub, step.path);
  }
  const account = file.chain.find((s) => s.path.split('/').length === 4); // m/a/b/c: depth 3
  assert.ok(account, 'no depth-3 entry');
  const failures = [];
  for (const [change, index] of [
    [0, 0],
    [0, 7],
    [1, 0],
    [1, 1000000],
  ]) {
    const want = publicKey(derivePath(master, `${account.path}/${change}/${index}`).key).toString('hex');
    try {
      const got = deriveFromXpub({
        xpub: account.xpub,
        currency: 'BTC',
        network: 'mainnet',
        scheme: 'bip44',
        change,
        index,
      });
      const checked = validateAddress('BTC', got.address, 'mainnet');
      if (got.public_key !== want || got.index !== index || checked.kind !== 'p2pkh') {
        failures.push(`${account.path}/${change}/${index}: got ${show(got)} (${show(checked)}), want key ${want}`);
      }
    } catch (error) {
      failures.push(`${account.path}/${change}/${index}: ${error.code}: ${error.message}`);
    }
  }
  assert.deepEqual(failures, []);
  // Any other depth is refused with a code, not derived from.
  for (const step of file.chain.filter((s) => s !== account)) {
    const code = codeOf(() =>
      deriveFromXpub({ xpub: step.xpub, currency: 'BTC', network: 'mainnet', scheme: 'bip44', index: 0 }),
    );
    assert.equal(code, 'xpub_not_account_level', step.path);
  }
});
