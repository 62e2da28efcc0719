// Where the time of one validateAddress call goes, in nanoseconds per call over the same
// corpus as bench/address-validation.mjs: the batch export (per address), the
// wasm-bindgen export (three strings in as allocations, the object built by one JS call
// from Rust), and the package's one-call path split into its steps (arguments written to
// the scratch buffer, the wasm call, the object built in JS).
// Run: node bench/address-boundary.mjs after scripts/build-core-pkg.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import * as core from 'cryptoexchange-core';
import { mixedMainnetCorpus } from './corpus.mjs';

const require = createRequire(import.meta.url);
const glueUrl = new URL('web/cryptoexchange_core_glue.js', `file://${require.resolve('cryptoexchange-core/package.json')}`);
const glue = await import(glueUrl.href);
// The instance's raw exports: initSync returns them (a no-op after the Node entry's import).
const wasm = glue.initSync({ module: readFileSync(require.resolve('cryptoexchange-core/web/cryptoexchange_core_bg.wasm')) });

const addresses = mixedMainnetCorpus(10000).map((c) => c.address);
const ROUNDS = 5;
const ROUND_MS = 500;

/** Best-of-rounds nanoseconds per address of `run(addresses)`. */
function nsPerAddress(run) {
  run(addresses.slice(0, 2000));
  let best = Infinity;
  for (let round = 0; round < ROUNDS; round++) {
    let done = 0;
    const start = process.hrtime.bigint();
    let elapsed = 0;
    while (elapsed < ROUND_MS * 1e6) {
      run(addresses);
      done += addresses.length;
      elapsed = Number(process.hrtime.bigint() - start);
    }
    best = Math.min(best, elapsed / done);
  }
  return best;
}

const scratch = wasm.cx_address_scratch();
// As the package entry writes them: the currency and network once, each address with
// TextEncoder.encodeInto into a view of the rest of the input half.
const encoder = new TextEncoder();
let view = new Uint8Array(0);
const write = (a) => {
  if (view.byteLength === 0) {
    const mem = new Uint8Array(wasm.memory.buffer);
    encoder.encodeInto('BTCmainnet', mem.subarray(scratch, scratch + 10));
    view = mem.subarray(scratch + 10, scratch + 512);
  }
  return encoder.encodeInto(a, view).written;
};
let sink = 0;
const steps = {
  'validateAddresses batch of 10000 (strings in, codes out), per address': (list) => { sink += core.validateAddresses('BTC', list, 'mainnet').length; },
  'wasm-bindgen export: strings in, object out (the old one-call path)': (list) => { for (const a of list) sink += glue.validateAddress('BTC', a, 'mainnet').valid ? 1 : 0; },
  'one-call path: write the arguments only (encodeInto wasm memory)': (list) => { for (const a of list) sink += write(a); },
  'one-call path: write + wasm call, no object': (list) => { for (const a of list) sink += wasm.cx_validate_address(3, 8, write(a)) & 1; },
  'one-call path: the whole validateAddress (object with every field)': (list) => { for (const a of list) sink += core.validateAddress('BTC', a, 'mainnet').valid ? 1 : 0; },
  'one-call path, every field read (JSON.stringify of each answer)': (list) => { for (const a of list) sink += JSON.stringify(core.validateAddress('BTC', a, 'mainnet')).length; },
};

console.log(`node ${process.version}; ${addresses.length} addresses; best of ${ROUNDS} rounds of ${ROUND_MS} ms`);
console.table(Object.entries(steps).map(([step, run]) => ({ step, ns_per_address: Math.round(nsPerAddress(run)) })));
if (sink === 0) console.log('');
