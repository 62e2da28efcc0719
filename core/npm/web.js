// The package entry (browsers and bundlers; node.js re-exports it after loading the
// .wasm). Everything is the wasm-bindgen glue (cryptoexchange_core_glue.js) except
// validateAddress, whose one-call path passes its arguments and its answer through a
// buffer in wasm memory (core/src/wasm/scratch.rs has the layout): a validation per call
// is about as cheap as a number crossing, where three allocated strings in and an object
// built in Rust out cost more than the validation itself.
import glueInit, {
  initSync as glueInitSync,
  validateAddress as validateAddressGlue,
} from './cryptoexchange_core_glue.js';

export * from './cryptoexchange_core_glue.js';

const INPUT_LEN = 512; // scratch.rs INPUT_LEN
const OUTPUT = INPUT_LEN + 4;
const SLOW = 0xffffffff;

let wasm; // the instance's exports, once initialised
let scratch = 0; // the buffer's address in wasm memory
let bytes = new Uint8Array(0); // a view of wasm memory, renewed when memory grows
const names = []; // name id -> currency, network, kind, code or message (scratch.rs numbers them)
let lastCurrency; // the currency and network whose bytes are in the buffer
let lastNetwork;
let argumentsLen = 0; // their length in bytes
let addressView = new Uint8Array(0); // where the address goes: the rest of the input half

function attach(exports) {
  wasm = exports;
  scratch = exports.cx_address_scratch();
  return exports;
}

/** Loads the .wasm (fetch by default); resolves once every function can be called. */
export default async function init(moduleOrPath) {
  return attach(await glueInit(moduleOrPath));
}

/** Instantiates from bytes or a compiled module, synchronously. */
export function initSync(module) {
  return attach(glueInitSync(module));
}

function memory() {
  if (bytes.byteLength === 0) {
    bytes = new Uint8Array(wasm.memory.buffer);
    lastCurrency = undefined; // the address view went with the old buffer
  }
  return bytes;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Writes `text` as UTF-8 (what Rust reads, as wasm-bindgen passes strings) into `view`;
 * its length in bytes, or -1 when it does not fit.
 */
function writeText(view, text) {
  const { read, written } = encoder.encodeInto(text, view);
  return read === text.length ? written : -1;
}

// One decoder call per answer: its cost is mostly the call, not the bytes.
function readText(mem, at, len) {
  return decoder.decode(mem.subarray(at, at + len));
}

function outputLen(mem, slot) {
  const at = scratch + INPUT_LEN + 2 * slot;
  return mem[at] | (mem[at + 1] << 8);
}

function name(id) {
  let known = names[id];
  if (known === undefined) {
    const len = wasm.cx_address_name(id);
    known = names[id] = readText(memory(), scratch + OUTPUT, len);
  }
  return known;
}

/** Checks `address` for `currency` (and `network`, when given). Never throws. */
export function validateAddress(currency, address, network) {
  if (
    wasm === undefined
    || typeof currency !== 'string'
    || typeof address !== 'string'
    || (network != null && typeof network !== 'string')
  ) return validateAddressGlue(currency, address, network);
  let mem = memory();
  // Bulk checks ask for one currency and network again and again: their bytes stay in
  // the buffer (only this function writes its input half).
  if (currency !== lastCurrency || network !== lastNetwork) {
    lastCurrency = undefined;
    const currencyLen = writeText(mem.subarray(scratch, scratch + INPUT_LEN), currency);
    const networkLen = network == null || currencyLen < 0
      ? 0
      : writeText(mem.subarray(scratch + currencyLen, scratch + INPUT_LEN), network);
    if (currencyLen < 0 || networkLen < 0) return validateAddressGlue(currency, address, network);
    lastCurrency = currency;
    lastNetwork = network;
    argumentsLen = (currencyLen << 16) | networkLen;
    addressView = mem.subarray(scratch + currencyLen + networkLen, scratch + INPUT_LEN);
  }
  const addressLen = writeText(addressView, address);
  if (addressLen < 0) return validateAddressGlue(currency, address, network);

  const networkArg = network == null ? 0 : (argumentsLen & 0xffff) + 1;
  const code = wasm.cx_validate_address(argumentsLen >>> 16, networkArg, addressLen) >>> 0;
  if (code === SLOW) return validateAddressGlue(currency, address, network);
  mem = memory();
  // Read every output before looking up a name: a name not seen yet is fetched through
  // the same buffer.
  if (code & 1) {
    const same = code & (1 << 24);
    const normalizedLen = same ? 0 : outputLen(mem, 0);
    const scriptLen = code & (1 << 25) ? outputLen(mem, 1) : 0;
    // Both outputs are back to back: one decode, two slices.
    const outputs = normalizedLen + scriptLen > 0 ? readText(mem, scratch + OUTPUT, normalizedLen + scriptLen) : '';
    const normalized = same ? address : outputs.slice(0, normalizedLen);
    const scriptPubkey = code & (1 << 25) ? outputs.slice(normalizedLen) : null;
    const version = (code >>> 19) & 31;
    return {
      valid: true,
      currency: name((code >>> 1) & 63),
      network: name((code >>> 7) & 63),
      kind: name((code >>> 13) & 63),
      normalized,
      script_pubkey: scriptPubkey,
      witness_version: version === 0 ? null : version - 1,
    };
  }
  const message = code & (1 << 7)
    ? name((code >>> 8) & 63)
    : readText(mem, scratch + OUTPUT, outputLen(mem, 0));
  return { valid: false, code: name((code >>> 1) & 63), message };
}
