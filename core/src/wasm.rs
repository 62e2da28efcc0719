//! JS bindings (feature `wasm`): translate between JS values and core types, never decide.
use wasm_bindgen::prelude::*;

/// The package version, to check which build a page loaded.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
