//! The single mapping of every error to an RFC 9457 `application/problem+json` response.
//!
//! Handlers return `Result<Response, ApiError>`; `lib.rs` turns an `ApiError` into a
//! problem response here and nowhere else, so `#[event(fetch)]` never returns `Err`
//! (which workers-rs would turn into a bare 500). Storage and runtime failures are
//! logged and hidden behind a generic `internal_error`.

use std::fmt;

use cryptoexchange_core as core;
use cryptoexchange_core::error::{DomainError, ErrorKind};

use serde::Serialize;
use serde_json::{Map, Value};
use worker::{console_error, Response};

/// An error a request can end with. `code()` is part of the public API.
#[derive(Debug)]
#[non_exhaustive]
pub enum ApiError {
    /// No or malformed `Authorization: Bearer` header, or an unknown key.
    Unauthorized,
    /// The resource does not exist for this caller (also for other clients' resources).
    NotFound {
        what: &'static str,
    },
    /// The path exists for the methods in `allow` (the `Allow` header), not this one.
    MethodNotAllowed {
        allow: String,
    },
    BodyTooLarge {
        limit: usize,
    },
    /// The body is not JSON, or not the JSON this endpoint takes (unknown field, wrong type).
    MalformedBody {
        detail: String,
    },
    /// A path or query parameter is not acceptable.
    InvalidParameter {
        name: &'static str,
        detail: String,
    },
    IdempotencyKeyMissing,
    NoRates {
        pair: String,
    },
    NoXpubRegistered {
        currency: String,
    },
    /// The blockchain data source failed or answered something we cannot read.
    ChainUnavailable {
        detail: String,
    },
    /// A rule of the core refused the request; its kind gives the status ([`status_of`]).
    /// `code` and `facts` are the error's serialized form (its variant and fields: limit,
    /// used, requested...), sent as the problem's `code` and extension members.
    Domain {
        kind: ErrorKind,
        code: String,
        detail: String,
        facts: Map<String, Value>,
    },
    /// The deployment's configuration is unusable (e.g. an unknown `SETTLEMENT_MODE`).
    Misconfigured {
        variable: &'static str,
        detail: String,
    },
    /// A key of the other settlement mode: `cx_live_` on a sandbox deployment, or
    /// `cx_test_` on an on-chain one.
    KeyModeMismatch {
        key_is_live: bool,
    },
    /// The xpub of `currency` already has `unused` addresses never paid to, the most the
    /// wallet gap limit allows: a wallet restored from it would miss payments to more.
    AddressGapLimit {
        currency: String,
        gap_limit: u32,
        unused: u32,
    },
    /// A known API key refused by its scopes, allowlist, expiry, revocation or rate.
    Access(crate::access::AccessError),
    /// Storage or runtime failure; the detail is logged, never sent.
    Internal {
        detail: String,
    },
}

impl ApiError {
    pub fn code(&self) -> &str {
        match self {
            ApiError::Unauthorized => "unauthorized",
            ApiError::NotFound { .. } => "not_found",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::BodyTooLarge { .. } => "body_too_large",
            ApiError::MalformedBody { .. } => "malformed_body",
            ApiError::InvalidParameter { .. } => "invalid_parameter",
            ApiError::IdempotencyKeyMissing => "idempotency_key_missing",
            ApiError::NoRates { .. } => "no_rates",
            ApiError::NoXpubRegistered { .. } => "no_xpub_registered",
            ApiError::ChainUnavailable { .. } => "chain_unavailable",
            ApiError::Domain { code, .. } => code.as_str(),
            ApiError::Misconfigured { .. } => "misconfigured",
            ApiError::KeyModeMismatch { key_is_live: true } => "live_key_in_sandbox_mode",
            ApiError::KeyModeMismatch { key_is_live: false } => "test_key_in_live_mode",
            ApiError::AddressGapLimit { .. } => "address_gap_limit",
            ApiError::Access(e) => e.code(),
            ApiError::Internal { .. } => "internal_error",
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            ApiError::Unauthorized => 401,
            ApiError::NotFound { .. } => 404,
            ApiError::MethodNotAllowed { .. } => 405,
            ApiError::BodyTooLarge { .. } => 413,
            ApiError::MalformedBody { .. } => 400,
            ApiError::InvalidParameter { .. } => 400,
            ApiError::IdempotencyKeyMissing => 400,
            ApiError::NoRates { .. } => 503,
            ApiError::NoXpubRegistered { .. } => 409,
            ApiError::ChainUnavailable { .. } => 502,
            ApiError::Domain { kind, .. } => status_of(*kind),
            ApiError::Misconfigured { .. } => 500,
            ApiError::KeyModeMismatch { .. } => 401,
            ApiError::AddressGapLimit { .. } => 409,
            ApiError::Access(e) => e.status(),
            ApiError::Internal { .. } => 500,
        }
    }

    fn title(&self) -> &'static str {
        match self {
            ApiError::Unauthorized => "Missing or invalid credentials",
            ApiError::NotFound { .. } => "Not found",
            ApiError::MethodNotAllowed { .. } => "Method not allowed",
            ApiError::BodyTooLarge { .. } => "Request body too large",
            ApiError::MalformedBody { .. } => "Malformed request body",
            ApiError::InvalidParameter { .. } => "Invalid parameter",
            ApiError::IdempotencyKeyMissing => "Idempotency-Key header required",
            ApiError::NoRates { .. } => "No exchange rate",
            ApiError::NoXpubRegistered { .. } => "No xpub registered for this currency",
            ApiError::ChainUnavailable { .. } => "Blockchain data unavailable",
            ApiError::Domain { .. } => "Request refused",
            ApiError::Misconfigured { .. } => "Server misconfigured",
            ApiError::KeyModeMismatch { .. } => "API key of the other mode",
            ApiError::AddressGapLimit { .. } => "Too many unused addresses",
            ApiError::Access(e) => e.title(),
            ApiError::Internal { .. } => "Internal error",
        }
    }

    pub fn internal(detail: impl fmt::Display) -> Self {
        ApiError::Internal {
            detail: detail.to_string(),
        }
    }

    pub fn malformed(detail: impl fmt::Display) -> Self {
        ApiError::MalformedBody {
            detail: detail.to_string(),
        }
    }

    pub fn into_response(self) -> Response {
        if let ApiError::Internal { detail } = &self {
            console_error!("internal error: {detail}");
        }
        if let ApiError::Misconfigured { detail, .. } = &self {
            console_error!("misconfigured: {detail}");
        }
        let facts = match &self {
            ApiError::Domain { facts, .. } => facts.clone(),
            ApiError::Misconfigured { variable, .. } => {
                Map::from_iter([("variable".to_owned(), Value::from(*variable))])
            }
            ApiError::AddressGapLimit {
                currency,
                gap_limit,
                unused,
            } => Map::from_iter([
                ("currency".to_owned(), Value::from(currency.as_str())),
                ("gap_limit".to_owned(), Value::from(*gap_limit)),
                ("unused".to_owned(), Value::from(*unused)),
            ]),
            ApiError::Access(e) => match serde_json::to_value(e) {
                Ok(Value::Object(mut map)) => {
                    map.remove("code");
                    map
                }
                _ => Map::new(),
            },
            _ => Map::new(),
        };
        let body = Problem {
            r#type: format!("/problems/{}", self.code()),
            title: self.title(),
            status: self.status(),
            detail: self.to_string(),
            code: self.code().to_owned(),
            facts,
        };
        let mut response = problem_response(&body);
        if let ApiError::MethodNotAllowed { allow } = &self {
            // RFC 9110 §15.5.6: a 405 lists the methods the resource supports.
            let _ = response.headers_mut().set("allow", allow);
        }
        response
    }
}

/// The HTTP status of each kind of refusal of the core: the one place a core error
/// meets HTTP.
fn status_of(kind: ErrorKind) -> u16 {
    match kind {
        ErrorKind::NotFound => 404,
        ErrorKind::Conflict => 409,
        // The service cannot price right now; retrying later may work.
        ErrorKind::Unavailable => 503,
        // The core refuses because of what the caller sent.
        _ => 422,
    }
}

/// A core error as a problem: its serialized form is its `code` and its facts.
fn from_core<E: DomainError>(error: &E) -> ApiError {
    let mut facts = match serde_json::to_value(error) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    let code = match facts.remove("code") {
        Some(Value::String(code)) => code,
        _ => "invalid_request".to_owned(),
    };
    // Problem members of RFC 9457 must not be overwritten by a fact of the same name.
    for reserved in ["type", "title", "status", "detail"] {
        if let Some(v) = facts.remove(reserved) {
            facts.insert(format!("{reserved}_value"), v);
        }
    }
    ApiError::Domain {
        kind: error.kind(),
        code,
        detail: error.to_string(),
        facts,
    }
}

macro_rules! core_errors {
    ($($t:ty),* $(,)?) => {$(
        impl From<$t> for ApiError {
            fn from(e: $t) -> Self {
                from_core(&e)
            }
        }
    )*};
}

core_errors!(
    core::config::ConfigError,
    core::limits::LimitError,
    core::money::AmountError,
    core::order::OrderError,
    core::outflow::HoldError,
    core::placement::PlacementError,
    core::quote::QuoteError,
    core::rates::RateError,
    core::sell::SellError,
    core::address::AddressError,
    core::wallet::WalletError,
    core::CurrencyError,
    core::time::TimeError,
);

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Unauthorized => f.write_str(
                "send `Authorization: Bearer <key>` with a valid key for this endpoint",
            ),
            ApiError::NotFound { what } => write!(f, "no such {what}"),
            ApiError::MethodNotAllowed { allow } => {
                write!(f, "this path does not take this method; it takes {allow}")
            }
            ApiError::BodyTooLarge { limit } => {
                write!(f, "the request body is larger than {limit} bytes")
            }
            ApiError::MalformedBody { detail } => f.write_str(detail),
            ApiError::InvalidParameter { name, detail } => write!(f, "{name}: {detail}"),
            ApiError::IdempotencyKeyMissing => f.write_str(
                "placing an order requires an `Idempotency-Key` header (1 to 128 visible ASCII characters)",
            ),
            ApiError::NoRates { pair } => write!(f, "no exchange rate is known for {pair}"),
            ApiError::NoXpubRegistered { currency } => write!(
                f,
                "no xpub is registered for {currency} in this client's configuration; register one with \
                 PUT /v1/admin/clients/{{client_id}}/config, or generate addresses on the customer's device \
                 with deriveAddresses from the npm package cryptoexchange-core"
            ),
            ApiError::ChainUnavailable { detail } => {
                write!(f, "the blockchain data source failed: {detail}")
            }
            ApiError::Domain { detail, .. } => f.write_str(detail),
            ApiError::Misconfigured { detail, .. } => f.write_str(detail),
            ApiError::KeyModeMismatch { key_is_live: true } => f.write_str(
                "this is a live key (cx_live_) and this deployment runs in sandbox mode; use a cx_test_ key",
            ),
            ApiError::KeyModeMismatch { key_is_live: false } => f.write_str(
                "this is a sandbox key (cx_test_) and this deployment pays out on-chain; use a cx_live_ key",
            ),
            ApiError::AddressGapLimit {
                currency,
                gap_limit,
                unused,
            } => write!(
                f,
                "the {currency} xpub has {unused} addresses no order was sent to yet, the gap limit of {gap_limit}; \
                 reuse them (this endpoint returns a customer's unused address) before new ones are derived"
            ),
            ApiError::Access(e) => e.fmt(f),
            ApiError::Internal { .. } => f.write_str("an internal error occurred"),
        }
    }
}

impl From<crate::access::AccessError> for ApiError {
    fn from(e: crate::access::AccessError) -> Self {
        ApiError::Access(e)
    }
}

impl From<worker::Error> for ApiError {
    fn from(e: worker::Error) -> Self {
        ApiError::internal(e)
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        ApiError::internal(e)
    }
}

impl From<worker::KvError> for ApiError {
    fn from(e: worker::KvError) -> Self {
        ApiError::internal(e)
    }
}

#[derive(Serialize)]
struct Problem {
    r#type: String,
    title: &'static str,
    status: u16,
    detail: String,
    code: String,
    #[serde(flatten)]
    facts: Map<String, Value>,
}

/// `Retry-After` of every 503 (no fresh rate): one cron period of the rates refresh.
const RETRY_AFTER_SECONDS: u32 = 60;

fn problem_response(problem: &Problem) -> Response {
    let body = serde_json::to_string(problem).unwrap_or_else(|_| {
        r#"{"type":"/problems/internal_error","title":"Internal error","status":500,"code":"internal_error"}"#
            .to_owned()
    });
    let response = Response::ok(body).map(|r| r.with_status(problem.status));
    match response {
        Ok(mut r) => {
            // Building a response and setting a constant header cannot fail in practice.
            let _ = r
                .headers_mut()
                .set("content-type", "application/problem+json");
            if problem.status == 503 {
                // The rates refresh runs every minute: a fresh price may be there by then.
                let _ = r
                    .headers_mut()
                    .set("retry-after", &RETRY_AFTER_SECONDS.to_string());
            }
            r
        }
        Err(_) => Response::builder().with_status(500).empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cryptoexchange_core::money::parse_positive_amount;

    #[test]
    fn a_core_error_keeps_its_code_and_facts() {
        let err: ApiError = parse_positive_amount("1.234", 2).unwrap_err().into();
        assert_eq!(err.code(), "too_many_decimals");
        assert_eq!(err.status(), 422);
        let ApiError::Domain { facts, .. } = &err else {
            panic!("expected a domain error, got {err:?}");
        };
        assert!(!facts.contains_key("code") && !facts.contains_key("message"));
    }

    #[test]
    fn a_status_follows_from_the_kind_of_the_error() {
        use cryptoexchange_core::order::{transition, OrderStatus};
        use cryptoexchange_core::rates::{Pair, RateError};
        use cryptoexchange_core::{Crypto, Fiat};
        let stale: ApiError = RateError::Stale {
            pair: Pair {
                crypto: Crypto::Btc,
                fiat: Fiat::Eur,
            },
            age_seconds: 700,
            max_age_seconds: 600,
        }
        .into();
        assert_eq!((stale.status(), stale.code()), (503, "rate_unavailable"));
        let back: ApiError = transition(OrderStatus::Completed, OrderStatus::Pending)
            .unwrap_err()
            .into();
        assert_eq!((back.status(), back.code()), (409, "invalid_transition"));
    }

    #[test]
    fn every_code_of_the_worker_is_in_the_documented_list() {
        let documented = cryptoexchange_core::api::error_codes();
        // One of each variant: a new variant fails to compile here until it is added.
        let each = |e: &ApiError| match e {
            ApiError::Unauthorized
            | ApiError::NotFound { .. }
            | ApiError::MethodNotAllowed { .. }
            | ApiError::BodyTooLarge { .. }
            | ApiError::MalformedBody { .. }
            | ApiError::InvalidParameter { .. }
            | ApiError::IdempotencyKeyMissing
            | ApiError::NoRates { .. }
            | ApiError::NoXpubRegistered { .. }
            | ApiError::ChainUnavailable { .. }
            | ApiError::Domain { .. }
            | ApiError::Misconfigured { .. }
            | ApiError::KeyModeMismatch { .. }
            | ApiError::AddressGapLimit { .. }
            | ApiError::Access(_)
            | ApiError::Internal { .. } => e.code().to_owned(),
        };
        let all = [
            ApiError::Unauthorized,
            ApiError::NotFound { what: "x" },
            ApiError::MethodNotAllowed {
                allow: "GET".into(),
            },
            ApiError::BodyTooLarge { limit: 1 },
            ApiError::malformed("x"),
            ApiError::InvalidParameter {
                name: "x",
                detail: "x".into(),
            },
            ApiError::IdempotencyKeyMissing,
            ApiError::NoRates { pair: "x".into() },
            ApiError::NoXpubRegistered {
                currency: "x".into(),
            },
            ApiError::ChainUnavailable { detail: "x".into() },
            ApiError::Domain {
                kind: ErrorKind::Conflict,
                code: "limits_changed_retry".into(),
                detail: "x".into(),
                facts: Map::new(),
            },
            ApiError::Misconfigured {
                variable: "x",
                detail: "x".into(),
            },
            ApiError::KeyModeMismatch { key_is_live: true },
            ApiError::KeyModeMismatch { key_is_live: false },
            ApiError::AddressGapLimit {
                currency: "BTC".into(),
                gap_limit: 20,
                unused: 20,
            },
            ApiError::internal("x"),
        ];
        use crate::access::AccessError;
        use cryptoexchange_core::time::Timestamp;
        let access = [
            AccessError::InsufficientScope {
                required_scope: cryptoexchange_core::api::ApiScope::Trade,
                key_scopes: vec![],
            },
            AccessError::IpNotAllowed { ip: None },
            AccessError::ApiKeyExpired {
                expired_at: Timestamp::UNIX_EPOCH,
            },
            AccessError::ApiKeyRevoked {
                revoked_at: Timestamp::UNIX_EPOCH,
            },
            AccessError::RateLimited {
                limit: 1,
                window_seconds: 60,
                retry_after_seconds: 1,
            },
        ];
        let all = all
            .into_iter()
            .chain(access.into_iter().map(ApiError::Access));
        for error in all {
            let code = each(&error);
            assert!(
                documented.contains(&code.as_str()),
                "{code} is not in error_codes()"
            );
        }
    }

    #[test]
    fn internal_details_are_not_shown() {
        let err = ApiError::internal("D1_ERROR: no such table: orders");
        assert_eq!(err.status(), 500);
        assert!(!err.to_string().contains("D1_ERROR"));
    }
}
