// The package's Node entry: the same module as browsers get (../web/), instantiated at
// import from the one .wasm file, so Node code needs no init (calling it anyway is a
// no-op, which keeps code shared with browsers working).
import { readFileSync } from 'node:fs';
import { initSync } from '../web/cryptoexchange_core.js';

initSync({ module: readFileSync(new URL('../web/cryptoexchange_core_bg.wasm', import.meta.url)) });

export * from '../web/cryptoexchange_core.js';
export { default } from '../web/cryptoexchange_core.js';
