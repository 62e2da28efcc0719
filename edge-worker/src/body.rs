//! Reading request bodies: a size limit, then strict JSON.
//!
//! Unknown fields are refused for every request type through `serde_ignored`, so the
//! wire types in core need no `deny_unknown_fields` of their own and the refusal names
//! the field.

use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use worker::Request;

use crate::problem::ApiError;

/// Largest request body accepted; every request of this API is far smaller.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// The raw body, refused before parsing when larger than [`MAX_BODY_BYTES`].
pub async fn read_bytes(req: &mut Request) -> Result<Vec<u8>, ApiError> {
    let declared = req
        .headers()
        .get("content-length")?
        .and_then(|v| v.trim().parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
        return Err(ApiError::BodyTooLarge {
            limit: MAX_BODY_BYTES,
        });
    }
    let bytes = req.bytes().await?;
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::BodyTooLarge {
            limit: MAX_BODY_BYTES,
        });
    }
    Ok(bytes)
}

/// Parses `bytes` as a `T`, refusing unknown fields, wrong types and trailing data.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.is_empty() {
        return Err(ApiError::malformed(
            "the request body is empty; send a JSON object",
        ));
    }
    let mut unknown: Vec<String> = Vec::new();
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_ignored::deserialize(&mut de, |path| unknown.push(path.to_string()))
        .map_err(|e| ApiError::malformed(format!("invalid JSON body: {e}")))?;
    de.end()
        .map_err(|e| ApiError::malformed(format!("invalid JSON body: {e}")))?;
    if let Some(field) = unknown.first() {
        return Err(ApiError::malformed(format!("unknown field `{field}`")));
    }
    Ok(value)
}

/// Reads and parses a JSON body in one step.
pub async fn read_json<T: DeserializeOwned>(req: &mut Request) -> Result<T, ApiError> {
    let bytes = read_bytes(req).await?;
    parse_json(&bytes)
}

/// Hex SHA-256 of a byte string: API key digests and idempotency fingerprints.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cryptoexchange_core::api::QuoteRequest;

    const QUOTE: &str = r#"{"crypto":"BTC","network":"mainnet","fiat":"EUR","amount":"100.00","amount_currency":"EUR"}"#;

    fn code_of(r: Result<QuoteRequest, ApiError>) -> String {
        r.err().map(|e| e.code().to_owned()).unwrap_or_default()
    }

    #[test]
    fn parses_a_valid_body() {
        let q: QuoteRequest = parse_json(QUOTE.as_bytes()).unwrap();
        assert_eq!(q.amount, "100.00");
    }

    #[test]
    fn refuses_empty_trailing_and_mistyped_bodies() {
        assert_eq!(code_of(parse_json(b"")), "malformed_body");
        assert_eq!(
            code_of(parse_json(format!("{QUOTE} {{}}").as_bytes())),
            "malformed_body"
        );
        let number = QUOTE.replace(r#""100.00""#, "100");
        assert_eq!(code_of(parse_json(number.as_bytes())), "malformed_body");
    }

    #[test]
    fn names_an_unknown_field() {
        let body = QUOTE.replace('}', r#","colour":"red"}"#);
        let err = parse_json::<QuoteRequest>(body.as_bytes()).unwrap_err();
        assert_eq!(err.code(), "malformed_body");
        assert!(err.to_string().contains("colour"), "{err}");
    }
}
