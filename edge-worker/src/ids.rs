//! Identifiers, secrets and the clock: the worker's only sources of entropy and time.
//!
//! Randomness comes from WebCrypto through `getrandom` and may only be drawn inside a
//! request or event handler, never at module load.

use cryptoexchange_core::time::Timestamp;

use crate::problem::ApiError;

/// `n` random bytes as lower-case hex.
pub fn random_hex(n: usize) -> Result<String, ApiError> {
    let mut bytes = vec![0u8; n];
    getrandom::getrandom(&mut bytes).map_err(|e| ApiError::internal(format!("getrandom: {e}")))?;
    Ok(hex::encode(bytes))
}

/// A uniform draw in [0, 1) from WebCrypto (None when it fails): the retry jitter and
/// the fault switches' shares, never money.
pub fn random_fraction() -> Option<f64> {
    let mut bytes = [0u8; 4];
    getrandom::getrandom(&mut bytes).ok()?;
    Some(f64::from(u32::from_le_bytes(bytes)) / (f64::from(u32::MAX) + 1.0))
}

/// A new identifier such as `ord_4f0c…` (16 random bytes).
pub fn new_id(prefix: &str) -> Result<String, ApiError> {
    Ok(format!("{prefix}_{}", random_hex(16)?))
}

/// A new random (version 4) UUID, as orders are identified: RFC 9562 section 5.4.
pub fn new_uuid() -> Result<String, ApiError> {
    let mut b = [0u8; 16];
    getrandom::getrandom(&mut b).map_err(|e| ApiError::internal(format!("getrandom: {e}")))?;
    b[6] = (b[6] & 0x0f) | 0x40; // version 4
    b[8] = (b[8] & 0x3f) | 0x80; // variant 10
    let h = hex::encode(b);
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    ))
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    worker::Date::now().as_millis() as i64
}

/// The current time as the core takes it.
pub fn now() -> Timestamp {
    time_of(now_ms())
}

/// A stored millisecond timestamp as a time (the epoch if out of range, which stored
/// values never are).
pub fn time_of(ms: i64) -> Timestamp {
    Timestamp::from_unix_millis(ms).unwrap_or_default()
}
