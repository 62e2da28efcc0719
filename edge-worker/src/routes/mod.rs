//! One module per resource. Handlers read the request, call the core, go through
//! `store/`, and answer JSON; errors go back to `lib.rs` as `ApiError`.

pub mod addresses;
pub mod admin;
pub mod config;
pub mod events;
pub mod health;
pub mod held_payouts;
pub mod keys;
pub mod openapi;
pub mod orders;
pub mod quotes;
pub mod rates;
pub mod sell;
pub mod webhook_secrets;

use serde::Serialize;
use worker::Response;

use crate::problem::ApiError;

/// A JSON response with `status`.
pub fn json<T: Serialize>(status: u16, value: &T) -> Result<Response, ApiError> {
    Ok(Response::from_json(value)?.with_status(status))
}

/// Path identifiers chosen by clients (customer ids): 1-64 characters of `[A-Za-z0-9_.-]`,
/// so they are safe in URLs and logs.
pub fn customer_id(raw: &str) -> Result<String, ApiError> {
    let ok = (1..=64).contains(&raw.len())
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(ApiError::InvalidParameter {
            name: "customer_id",
            detail: "use 1 to 64 characters among A-Z a-z 0-9 _ - .".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customer_ids_are_url_safe_and_bounded() {
        assert!(customer_id("cust-1_a.b").is_ok());
        for bad in ["", "a b", "a/b", "é", &"x".repeat(65)] {
            assert_eq!(
                customer_id(bad).unwrap_err().code(),
                "invalid_parameter",
                "{bad:?}"
            );
        }
    }
}
