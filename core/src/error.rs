//! What every error of the core has in common.
//!
//! Each domain has one error enum whose data is the error: it derives
//! `Serialize` with `#[serde(tag = "code", rename_all = "snake_case")]`, so the
//! variant is the stable `code` (public API, JS and HTTP) and its fields are the
//! facts a caller branches on. `Display` gives the lower-case message. A
//! [`kind`](DomainError::kind) says what sort of refusal it is; each host maps a
//! kind to its own status once (the worker to an HTTP status), so no boundary
//! ever looks at a code string to decide anything.

use std::fmt::Display;

use serde::Serialize;

/// What sort of refusal an error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input is not acceptable as sent; sending it again fails again.
    Invalid,
    /// The input names something that does not exist for this caller.
    NotFound,
    /// The input clashes with the current state (an expired quote, a transition
    /// from a final status, limits that moved meanwhile): ask again or retry.
    Conflict,
    /// The service cannot decide right now (the rates are stale); retry later.
    Unavailable,
}

/// An error of the core: its code and facts are its serialized form.
pub trait DomainError: Serialize + Display {
    fn kind(&self) -> ErrorKind;

    /// The stable code, read from the serialized form. For tests and logs: hosts
    /// serialize the error once for its body and map [`kind`](Self::kind) to a status.
    fn code(&self) -> String {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(map)) => match map.get("code") {
                Some(serde_json::Value::String(code)) => code.clone(),
                _ => String::new(),
            },
            _ => String::new(),
        }
    }
}

/// `{ "code", "message", ...facts }`: an error with its message, as the JS error
/// object and the HTTP problem carry it.
#[derive(Debug, Serialize)]
pub struct ErrorBody<'a, E: Serialize + ?Sized> {
    #[serde(flatten)]
    pub error: &'a E,
    pub message: String,
}

impl<'a, E: DomainError + ?Sized> ErrorBody<'a, E> {
    pub fn of(error: &'a E) -> Self {
        ErrorBody {
            error,
            message: error.to_string(),
        }
    }
}

/// `impl DomainError` for errors that are always of one kind.
macro_rules! always {
    ($kind:ident: $($t:ty),* $(,)?) => {$(
        impl $crate::error::DomainError for $t {
            fn kind(&self) -> $crate::error::ErrorKind {
                $crate::error::ErrorKind::$kind
            }
        }
    )*};
}

pub(crate) use always;

// Errors about what was sent, whatever the state of the service. (The address crate
// cannot know this trait; the core's own modules implement it beside each enum.)
always!(Invalid: crate::address::AddressError, crate::currency::CurrencyError);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::parse_positive_amount;

    #[test]
    fn a_body_is_the_code_the_facts_and_the_message() {
        let e = parse_positive_amount("1.234", 2).unwrap_err();
        let body = serde_json::to_value(ErrorBody::of(&e)).unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "code": "too_many_decimals",
                "input": "1.234",
                "max_decimals": 2,
                "message": "amount \"1.234\" has more than 2 decimal places",
            })
        );
        assert_eq!(e.code(), "too_many_decimals");
        assert_eq!(e.kind(), ErrorKind::Invalid);
    }
}
