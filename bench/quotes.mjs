// Quotes per second from the wasm package in Node, over the quote cases the native
// and wasm test suites share (core/tests/quote_cases.json), successful ones only.
import { readFileSync } from 'node:fs';
import { estimate } from 'cryptoexchange-core';

const cases = JSON.parse(readFileSync(new URL('../core/tests/quote_cases.json', import.meta.url)));
const inputs = cases
  .filter((c) => {
    try { estimate(c.request, c.rates, c.config, c.now); return true; } catch { return false; }
  })
  .map((c) => [c.request, c.rates, c.config, c.now]);

let quotes = 0;
const start = process.hrtime.bigint();
let elapsed = 0;
while (elapsed < 2000) {
  for (const [request, rates, config, now] of inputs) estimate(request, rates, config, now);
  quotes += inputs.length;
  elapsed = Number(process.hrtime.bigint() - start) / 1e6;
}
console.log(`wasm estimate (Node ${process.version}): ${Math.round((quotes / elapsed) * 1000)} quotes/s over ${inputs.length} quote cases`);
