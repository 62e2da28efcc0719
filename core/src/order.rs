//! The order model: validation of a new order and the status state machine.
//!
//! ```text
//! pending ──► processing ──► sent ──► completed
//!    │  │          │           │
//!    │  └──► expired           │
//!    └─────────┴───────────────┴──► failed
//! ```
//! `completed`, `failed` and `expired` are final.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::api::PlaceOrderRequest;
use crate::config::ClientConfig;
use crate::currency::{Crypto, Fiat, Network};
use crate::trade::{check_trade, Trade, TradeError, TradeRequest};

/// Where an order is in its life.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Accepted, waiting for the settlement to start.
    Pending,
    /// Settlement started: payment captured, transaction being built.
    Processing,
    /// Transaction broadcast, waiting for confirmation.
    Sent,
    /// Confirmed on chain.
    Completed,
    /// Stopped for a [`FailureReason`].
    Failed,
    /// Never started before its quote expired.
    Expired,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 6] = [
        OrderStatus::Pending,
        OrderStatus::Processing,
        OrderStatus::Sent,
        OrderStatus::Completed,
        OrderStatus::Failed,
        OrderStatus::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Processing => "processing",
            OrderStatus::Sent => "sent",
            OrderStatus::Completed => "completed",
            OrderStatus::Failed => "failed",
            OrderStatus::Expired => "expired",
        }
    }

    /// No transition leaves a final status.
    pub fn is_final(self) -> bool {
        ALLOWED.iter().all(|(from, _)| *from != self)
    }

    /// Whether an order in this status uses up the customer's spending limits: an
    /// order that failed or expired delivered nothing, so it gives its room back.
    pub fn counts_toward_limits(self) -> bool {
        !matches!(self, OrderStatus::Failed | OrderStatus::Expired)
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every allowed transition; anything else is refused.
pub const ALLOWED: [(OrderStatus, OrderStatus); 7] = [
    (OrderStatus::Pending, OrderStatus::Processing),
    (OrderStatus::Pending, OrderStatus::Failed),
    (OrderStatus::Pending, OrderStatus::Expired),
    (OrderStatus::Processing, OrderStatus::Sent),
    (OrderStatus::Processing, OrderStatus::Failed),
    (OrderStatus::Sent, OrderStatus::Completed),
    (OrderStatus::Sent, OrderStatus::Failed),
];

/// Why an order failed.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FailureReason {
    QuoteExpired,
    PaymentRejected,
    SettlementRejected,
    AddressRejected,
    LimitExceeded,
    StaleRate,
    BroadcastFailed,
    Cancelled,
}

/// Refuses every transition not in [`ALLOWED`].
pub fn transition(from: OrderStatus, to: OrderStatus) -> Result<(), OrderError> {
    if ALLOWED.contains(&(from, to)) {
        Ok(())
    } else {
        Err(OrderError::InvalidTransition { from, to })
    }
}

/// Which side of the trade the customer fixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderAmount {
    /// "I spend this much fiat".
    Fiat(Decimal),
    /// "I want to receive this much crypto".
    Crypto(Decimal),
}

/// A [`PlaceOrderRequest`] whose every field is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidOrderRequest {
    pub customer_id: String,
    pub crypto: Crypto,
    pub network: Network,
    pub fiat: Fiat,
    pub amount: OrderAmount,
    pub destination_address: String,
    pub quote_id: Option<String>,
}

pub const MAX_ID_CHARS: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OrderError {
    InvalidTransition {
        from: OrderStatus,
        to: OrderStatus,
    },
    Trade(TradeError),
    InvalidAddress {
        address: String,
        error: crate::address::AddressError,
    },
    InvalidId {
        field: &'static str,
    },
    /// The quote the order names is past its `expires_at`.
    QuoteExpired {
        quote_id: String,
    },
    /// The quote the order names is for another trade (currencies, network or amount).
    QuoteMismatch {
        quote_id: String,
    },
}

impl OrderError {
    /// Stable machine code, part of the public API.
    pub fn code(&self) -> &'static str {
        match self {
            OrderError::InvalidTransition { .. } => "invalid_transition",
            OrderError::Trade(e) => e.code(),
            OrderError::InvalidAddress { .. } => "invalid_address",
            OrderError::InvalidId { .. } => "invalid_id",
            OrderError::QuoteExpired { .. } => "quote_expired",
            OrderError::QuoteMismatch { .. } => "quote_mismatch",
        }
    }
}

impl OrderError {
    /// The error body of the HTTP API and the JS error object.
    pub fn body(&self) -> crate::api::ErrorBody {
        let mut facts = std::collections::BTreeMap::new();
        match self {
            OrderError::Trade(e) => return e.body(),
            OrderError::InvalidTransition { from, to } => {
                facts.insert("from".to_owned(), from.as_str().into());
                facts.insert("to".to_owned(), to.as_str().into());
            }
            OrderError::InvalidId { field } => {
                facts.insert("field".to_owned(), (*field).into());
            }
            OrderError::QuoteExpired { quote_id } | OrderError::QuoteMismatch { quote_id } => {
                facts.insert("quote_id".to_owned(), quote_id.as_str().into());
            }
            OrderError::InvalidAddress { error, .. } => {
                // The precise reason (bad_checksum, wrong_network...) for clients to branch on.
                facts.insert("reason_code".to_owned(), error.code().into());
            }
        }
        crate::api::ErrorBody::new(self.code(), self, facts)
    }
}

impl Serialize for OrderError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.body().serialize(serializer)
    }
}

impl fmt::Display for OrderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OrderError::InvalidTransition { from, to } => {
                write!(f, "an order cannot go from {from} to {to}")
            }
            OrderError::Trade(e) => e.fmt(f),
            OrderError::InvalidAddress { address, error } => {
                write!(f, "invalid destination address {address:?}: {error}")
            }
            OrderError::QuoteExpired { quote_id } => {
                write!(f, "quote {quote_id} has expired: ask for a new quote")
            }
            OrderError::QuoteMismatch { quote_id } => {
                write!(f, "quote {quote_id} is for another trade than this order")
            }
            OrderError::InvalidId { field } => {
                write!(
                    f,
                    "{field} must have 1 to {MAX_ID_CHARS} printable ascii characters"
                )
            }
        }
    }
}

impl std::error::Error for OrderError {}

impl From<TradeError> for OrderError {
    fn from(e: TradeError) -> Self {
        OrderError::Trade(e)
    }
}

/// Checks a new order against the client's configuration. Limits and the
/// quote are checked separately (`limits::check_limits`, `quote::estimate`).
pub fn validate_place_order(
    request: &PlaceOrderRequest,
    config: &ClientConfig,
) -> Result<ValidOrderRequest, OrderError> {
    check_id("customer_id", &request.customer_id)?;
    if let Some(quote_id) = &request.quote_id {
        check_id("quote_id", quote_id)?;
    }
    let Trade {
        crypto,
        network,
        fiat,
        amount,
    } = check_trade(
        &TradeRequest {
            crypto: &request.crypto,
            network: &request.network,
            fiat: &request.fiat,
            amount: &request.amount,
            amount_currency: &request.amount_currency,
        },
        config,
    )?;
    check_destination(crypto, network, &request.destination_address)?;
    Ok(ValidOrderRequest {
        customer_id: request.customer_id.clone(),
        crypto,
        network,
        fiat,
        amount,
        destination_address: request.destination_address.clone(),
        quote_id: request.quote_id.clone(),
    })
}

/// The pricing an order takes from the quote it names: a quote is honoured while `now`
/// is before its `expires_at`, and only for the very trade it priced (same currencies,
/// network, and requested amount in the same currency).
pub fn honour_quote(
    quote: &crate::api::QuoteResponse,
    order: &ValidOrderRequest,
    now: crate::time::Timestamp,
) -> Result<crate::api::QuoteBreakdown, OrderError> {
    let quote_id = || quote.id.clone();
    if now >= quote.expires_at {
        return Err(OrderError::QuoteExpired {
            quote_id: quote_id(),
        });
    }
    let priced = &quote.quote;
    let (amount, currency) = match order.amount {
        OrderAmount::Fiat(a) => (a, order.fiat.ticker()),
        OrderAmount::Crypto(a) => (a, order.crypto.ticker()),
    };
    let same_trade = priced.crypto == order.crypto
        && priced.network == order.network
        && priced.fiat == order.fiat
        && priced.amount_currency == currency
        && priced.amount == amount;
    if !same_trade {
        return Err(OrderError::QuoteMismatch {
            quote_id: quote_id(),
        });
    }
    Ok(priced.clone())
}

fn check_id(field: &'static str, id: &str) -> Result<(), OrderError> {
    let ok = !id.is_empty() && id.len() <= MAX_ID_CHARS && id.bytes().all(|b| b.is_ascii_graphic());
    if ok {
        Ok(())
    } else {
        Err(OrderError::InvalidId { field })
    }
}

/// The single call site of address validation for orders.
fn check_destination(crypto: Crypto, network: Network, address: &str) -> Result<(), OrderError> {
    crate::address::validate_address(crypto, address, Some(network))
        .map(|_| ())
        .map_err(|error| OrderError::InvalidAddress {
            address: address
                .chars()
                .take(crate::address::MAX_ADDRESS_LEN)
                .collect(),
            error,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::sample;

    #[test]
    fn transition_table_is_exhaustive() {
        for from in OrderStatus::ALL {
            for to in OrderStatus::ALL {
                let expected = matches!(
                    (from, to),
                    (OrderStatus::Pending, OrderStatus::Processing)
                        | (OrderStatus::Pending, OrderStatus::Failed)
                        | (OrderStatus::Pending, OrderStatus::Expired)
                        | (OrderStatus::Processing, OrderStatus::Sent)
                        | (OrderStatus::Processing, OrderStatus::Failed)
                        | (OrderStatus::Sent, OrderStatus::Completed)
                        | (OrderStatus::Sent, OrderStatus::Failed)
                );
                let result = transition(from, to);
                assert_eq!(result.is_ok(), expected, "{from} -> {to}");
                if let Err(e) = result {
                    assert_eq!(e, OrderError::InvalidTransition { from, to });
                    assert_eq!(e.code(), "invalid_transition");
                }
            }
        }
    }

    #[test]
    fn final_statuses_are_completed_failed_expired() {
        let finals: Vec<_> = OrderStatus::ALL
            .into_iter()
            .filter(|s| s.is_final())
            .collect();
        assert_eq!(
            finals,
            [
                OrderStatus::Completed,
                OrderStatus::Failed,
                OrderStatus::Expired
            ]
        );
    }

    #[test]
    fn statuses_and_reasons_are_snake_case_on_the_wire() {
        assert_eq!(
            serde_json::to_string(&OrderStatus::Processing).unwrap(),
            "\"processing\""
        );
        assert_eq!(
            serde_json::to_string(&FailureReason::SettlementRejected).unwrap(),
            "\"settlement_rejected\""
        );
        for s in OrderStatus::ALL {
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{s}\""));
        }
    }

    fn request() -> PlaceOrderRequest {
        PlaceOrderRequest {
            customer_id: "cust-1".into(),
            crypto: "BTC".into(),
            network: "mainnet".into(),
            fiat: "EUR".into(),
            amount: "100.00".into(),
            amount_currency: "EUR".into(),
            destination_address: "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq".into(),
            quote_id: None,
        }
    }

    fn code_of(edit: impl FnOnce(&mut PlaceOrderRequest)) -> &'static str {
        let mut r = request();
        edit(&mut r);
        validate_place_order(&r, &sample()).unwrap_err().code()
    }

    #[test]
    fn valid_request_is_parsed() {
        let v = validate_place_order(&request(), &sample()).unwrap();
        assert_eq!(v.amount, OrderAmount::Fiat("100.00".parse().unwrap()));
        assert_eq!(
            (v.crypto, v.network, v.fiat),
            (Crypto::Btc, Network::Mainnet, Fiat::Eur)
        );
        let mut r = request();
        r.amount = "0.0025".into();
        r.amount_currency = "BTC".into();
        let v = validate_place_order(&r, &sample()).unwrap();
        assert_eq!(v.amount, OrderAmount::Crypto("0.00250000".parse().unwrap()));
    }

    #[test]
    fn each_invalid_field_has_its_code() {
        assert_eq!(code_of(|r| r.crypto = "XRP".into()), "unknown_currency");
        assert_eq!(code_of(|r| r.fiat = "SEK".into()), "unknown_currency");
        assert_eq!(code_of(|r| r.network = "moonnet".into()), "unknown_network");
        assert_eq!(code_of(|r| r.crypto = "LTC".into()), "currency_not_enabled");
        assert_eq!(code_of(|r| r.fiat = "USD".into()), "currency_not_enabled");
        assert_eq!(
            code_of(|r| r.network = "signet".into()),
            "network_not_enabled"
        );
        assert_eq!(
            code_of(|r| r.amount_currency = "USD".into()),
            "amount_currency_mismatch"
        );
        assert_eq!(code_of(|r| r.amount = "1.001".into()), "too_many_decimals");
        assert_eq!(code_of(|r| r.amount = "0".into()), "amount_not_positive");
        assert_eq!(code_of(|r| r.amount = "1e3".into()), "malformed_amount");
        assert_eq!(
            code_of(|r| r.destination_address = "not an address".into()),
            "invalid_address"
        );
        assert_eq!(code_of(|r| r.customer_id = String::new()), "invalid_id");
        assert_eq!(code_of(|r| r.quote_id = Some("a b".into())), "invalid_id");
    }

    #[test]
    fn rejects_destination_on_another_network_with_the_precise_reason() {
        let mut r = request();
        // BIP-173's testnet P2WPKH example, sent to a mainnet order.
        r.destination_address = "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx".into();
        let err = validate_place_order(&r, &sample()).unwrap_err();
        let body = err.body();
        assert_eq!(body.code, "invalid_address");
        assert_eq!(body.facts["reason_code"], "wrong_network");
    }

    #[test]
    fn only_failed_and_expired_orders_give_their_limit_room_back() {
        let freed: Vec<_> = OrderStatus::ALL
            .into_iter()
            .filter(|s| !s.counts_toward_limits())
            .collect();
        assert_eq!(freed, [OrderStatus::Failed, OrderStatus::Expired]);
    }

    fn quote_for(request: &PlaceOrderRequest, at: &str) -> crate::api::QuoteResponse {
        let now: crate::time::Timestamp = at.parse().unwrap();
        let rates: crate::api::RatesResponse = serde_json::from_value(serde_json::json!({
            "rates": [{ "crypto": "BTC", "fiat": "EUR", "price": "60000.00",
                        "observed_at": at, "source": "test", "age_seconds": 0 }],
            "max_age_seconds": 300
        }))
        .unwrap();
        let asked = crate::api::QuoteRequest {
            crypto: request.crypto.clone(),
            network: request.network.clone(),
            fiat: request.fiat.clone(),
            amount: request.amount.clone(),
            amount_currency: request.amount_currency.clone(),
        };
        let breakdown = crate::quote::estimate(&asked, &rates, &sample(), now).unwrap();
        crate::quote::quote_response("quo_1".into(), breakdown, &sample(), now).unwrap()
    }

    #[test]
    fn honours_a_quote_for_the_same_trade_until_it_expires() {
        let order = validate_place_order(&request(), &sample()).unwrap();
        let quote = quote_for(&request(), "2026-06-01T12:00:00Z");
        let before = quote.expires_at.checked_sub_seconds(1).unwrap();
        assert_eq!(honour_quote(&quote, &order, before).unwrap(), quote.quote);
        let err = honour_quote(&quote, &order, quote.expires_at).unwrap_err();
        assert_eq!(err.code(), "quote_expired");
    }

    #[test]
    fn refuses_a_quote_for_another_amount() {
        let quote = quote_for(&request(), "2026-06-01T12:00:00Z");
        let mut other = request();
        other.amount = "100.01".into();
        let order = validate_place_order(&other, &sample()).unwrap();
        let err = honour_quote(
            &quote,
            &order,
            quote.expires_at.checked_sub_seconds(1).unwrap(),
        )
        .unwrap_err();
        assert_eq!(err.code(), "quote_mismatch");
    }
}
