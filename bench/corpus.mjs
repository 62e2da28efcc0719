// A deterministic mixed corpus of Bitcoin mainnet addresses, valid and corrupted,
// built with bitcoinjs-lib's encoders from a seeded PRNG so every run measures the same input.
import * as bitcoin from 'bitcoinjs-lib';
import * as ecc from '@bitcoinerlab/secp256k1';

function prng(seed) {
  // xorshift32: reproducible, and good enough to pick bytes and positions.
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s;
  };
}

const BECH32 = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

function corrupt(address, next) {
  const i = 4 + (next() % (address.length - 4));
  const alphabet = address.startsWith('bc1') ? BECH32 : BASE58;
  let c = alphabet[next() % alphabet.length];
  if (c === address[i]) c = alphabet[(alphabet.indexOf(c) + 1) % alphabet.length];
  return address.slice(0, i) + c + address.slice(i + 1);
}

/** `size` addresses: p2pkh, p2sh, p2wpkh, p2wsh and p2tr in turn; every other one corrupted. */
export function mixedMainnetCorpus(size = 10000, seed = 20261125) {
  const next = prng(seed);
  const bytes = (n) => Buffer.from(Array.from({ length: n }, () => next() & 0xff));
  const scalar = () => { const k = bytes(32); k[0] &= 0x7f; k[31] |= 1; return k; };
  const makers = [
    () => bitcoin.address.toBase58Check(bytes(20), 0x00),
    () => bitcoin.address.toBase58Check(bytes(20), 0x05),
    () => bitcoin.address.toBech32(bytes(20), 0, 'bc'),
    () => bitcoin.address.toBech32(bytes(32), 0, 'bc'),
    // A taproot output key must be a point on the curve, or bitcoinjs-lib (rightly) refuses it.
    () => bitcoin.address.toBech32(Buffer.from(ecc.xOnlyPointFromScalar(scalar())), 1, 'bc'),
  ];
  const corpus = [];
  for (let i = 0; i < size; i++) {
    const valid = makers[i % makers.length]();
    const isCorrupt = Math.floor(i / makers.length) % 2 === 1;
    corpus.push({ address: isCorrupt ? corrupt(valid, next) : valid, valid: !isCorrupt });
  }
  return corpus;
}
