// Loads the wasm core (the npm package `cryptoexchange-core`, browser build) once.
// A namespace import, so that a build lacking one function still loads and the page
// can say which feature is missing instead of failing to start.
import init, * as core from "cryptoexchange-core";

const REQUIRED = ["validateAddress", "generateMnemonic", "deriveAddresses", "estimate"];

let ready = null;
let loaded = false;

/** Resolves to the core's functions once the wasm module is instantiated. */
export function loadCore() {
  ready ??= init().then(() => {
    loaded = true;
    return {
      version: typeof core.version === "function" ? core.version() : "unknown",
      missing: REQUIRED.filter((name) => typeof core[name] !== "function"),
      core,
    };
  });
  return ready;
}

/** Calls a core function and returns `{ ok, value }` or `{ ok: false, code, message }`. */
export function callCore(name, ...args) {
  if (!loaded) {
    return { ok: false, code: "core_not_loaded", message: "the WebAssembly core is not loaded (see the top of the page)" };
  }
  if (typeof core[name] !== "function") {
    return { ok: false, code: "not_in_this_build", message: `this build of cryptoexchange-core has no ${name}()` };
  }
  try {
    return { ok: true, value: core[name](...args) };
  } catch (error) {
    // The core throws Error objects named CoreError with a stable `code`.
    return { ok: false, code: error?.code || "core_error", message: error?.message || String(error) };
  }
}
