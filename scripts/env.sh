# Shared environment of the project's scripts: sourced, never run.
# Pinned tool versions live here and in package.json / Cargo.lock, nowhere else.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
WORKER_BUILD_VERSION="0.8.7"
# PyPI, into .venv/ (scripts/setup): the property-based API tester of tests/api/schemathesis.test.mjs.
SCHEMATHESIS_VERSION="4.32.5"
cd "$ROOT"
export PATH="$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export CC_wasm32_unknown_unknown=clang-19
export AR_wasm32_unknown_unknown=llvm-ar-19
export WASM_BINDGEN_BIN="$HOME/.cargo/bin/wasm-bindgen"
export ESBUILD_BIN="$ROOT/node_modules/.bin/esbuild"
# Offline-friendly wrangler: no telemetry, no Request.cf fetch (a 3 s wait otherwise).
export WRANGLER_SEND_METRICS=false DO_NOT_TRACK=1 CLOUDFLARE_CF_FETCH_ENABLED=false
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

# The wasm-bindgen library version in Cargo.lock: the CLI must equal it exactly.
wasm_bindgen_lock_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
