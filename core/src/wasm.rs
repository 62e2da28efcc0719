//! JS bindings (feature `wasm`). Placeholder: being written.
