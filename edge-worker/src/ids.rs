//! Identifiers, secrets and the clock: the worker's only sources of entropy and time.
//!
//! Randomness comes from WebCrypto through `getrandom` and may only be drawn inside a
//! request or event handler, never at module load.

use crate::problem::ApiError;

/// `n` random bytes as lower-case hex.
pub fn random_hex(n: usize) -> Result<String, ApiError> {
    let mut bytes = vec![0u8; n];
    getrandom::getrandom(&mut bytes).map_err(|e| ApiError::internal(format!("getrandom: {e}")))?;
    Ok(hex::encode(bytes))
}

/// A new identifier such as `ord_4f0c…` (16 random bytes).
pub fn new_id(prefix: &str) -> Result<String, ApiError> {
    Ok(format!("{prefix}_{}", random_hex(16)?))
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    worker::Date::now().as_millis() as i64
}
