//! The JSON wire types of the HTTP API, shared by the worker and the npm
//! package. snake_case fields; every amount and price is a decimal string at
//! its currency's precision; requests refuse unknown fields; times are
//! RFC 3339 strings in UTC.
//!
//! Request fields that name currencies and amounts are plain strings on
//! purpose: the core parses them and answers with a precise error code
//! (`unknown_currency`, `too_many_decimals`, ...) instead of a serde message.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::config::ClientConfig;
use crate::currency::{Crypto, Fiat, Network};
use crate::money::decimal_string;
use crate::order::{FailureReason, OrderStatus};
use crate::time::Timestamp;

/// One rate of `GET /v1/rates`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateEntry {
    pub crypto: Crypto,
    pub fiat: Fiat,
    /// The mid price of one unit of `crypto` in `fiat`.
    #[serde(with = "decimal_string")]
    pub price: Decimal,
    pub observed_at: Timestamp,
    pub source: String,
    /// Informative, computed when the response was made; `estimate`
    /// recomputes the age from `observed_at` and its own `now`.
    pub age_seconds: i64,
    /// `ok`, `suspect` (a jump is held: the price shown is the last accepted one) or
    /// `stale` (older than the client's `max_rate_age_seconds`: not quoted).
    #[serde(default)]
    pub status: RateStatus,
    /// What each source said in the last refresh, and whether it counted.
    #[serde(default)]
    pub sources: Vec<SourceReport>,
    /// Set for an operator's override: it wins over the sources until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
}

/// The state of one pair's price.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RateStatus {
    #[default]
    Ok,
    Suspect,
    Stale,
}

/// One source's contribution to a pair in the last refresh.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceReport {
    pub name: String,
    /// Its mid price as reported (may be zero or negative when refused); null when
    /// the source gave nothing.
    #[serde(with = "crate::aggregate::signed_decimal_opt")]
    pub price: Option<Decimal>,
    pub observed_at: Option<Timestamp>,
    /// Whether it made the published median.
    pub used: bool,
    /// Why not, when not used.
    pub reason: Option<crate::aggregate::Refusal>,
}

/// `GET /v1/rates`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RatesResponse {
    pub rates: Vec<RateEntry>,
    pub max_age_seconds: u32,
}

/// `POST /v1/quotes` (and the input of `estimate`). `amount_currency` is the
/// fiat ticker ("I spend 100.00 EUR") or the crypto ticker ("I want to
/// receive 0.0025 BTC").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuoteRequest {
    pub crypto: String,
    pub network: String,
    pub fiat: String,
    pub amount: String,
    pub amount_currency: String,
}

/// The service fee: `percent` of the crypto's cost at the effective price,
/// plus `fixed`, both in the fiat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceFee {
    #[serde(with = "decimal_string")]
    pub percent: Decimal,
    #[serde(with = "decimal_string")]
    pub fixed: Decimal,
    #[serde(with = "decimal_string")]
    pub fiat: Decimal,
}

/// What the spread costs: the crypto's cost at the effective price minus
/// its value at the mid price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpreadFee {
    #[serde(with = "decimal_string")]
    pub percent: Decimal,
    #[serde(with = "decimal_string")]
    pub fiat: Decimal,
}

/// The on-chain fee, paid in the crypto by the service and charged in fiat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkFee {
    #[serde(with = "decimal_string")]
    pub crypto: Decimal,
    #[serde(with = "decimal_string")]
    pub fiat: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fees {
    pub service: ServiceFee,
    pub spread: SpreadFee,
    pub network: NetworkFee,
    /// service.fiat + spread.fiat + network.fiat.
    #[serde(with = "decimal_string")]
    pub total: Decimal,
}

/// Everything of a quote but its id and expiry. Invariant (exact):
/// `fiat_amount = crypto_value + fees.total`. See docs/pricing.md.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteBreakdown {
    pub crypto: Crypto,
    pub network: Network,
    pub fiat: Fiat,
    /// The amount as requested, at its currency's precision.
    #[serde(with = "decimal_string")]
    pub amount: Decimal,
    /// The ticker the request's amount was given in.
    pub amount_currency: String,
    #[serde(with = "decimal_string")]
    pub mid_price: Decimal,
    /// The effective price: mid_price × (1 + spread percent / 100).
    #[serde(with = "decimal_string")]
    pub price: Decimal,
    /// What the customer receives at the destination address.
    #[serde(with = "decimal_string")]
    pub crypto_amount: Decimal,
    /// What the customer pays, all fees included.
    #[serde(with = "decimal_string")]
    pub fiat_amount: Decimal,
    /// crypto_amount at the mid price, rounded up to the minor unit.
    #[serde(with = "decimal_string")]
    pub crypto_value: Decimal,
    pub fees: Fees,
    pub rate_observed_at: Timestamp,
    pub rate_source: String,
}

/// `POST /v1/quotes` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteResponse {
    pub id: String,
    pub expires_at: Timestamp,
    #[serde(flatten)]
    pub quote: QuoteBreakdown,
}

/// `POST /v1/orders`. `customer_id` is the client's own id of its end user
/// (limits are per customer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaceOrderRequest {
    pub customer_id: String,
    pub crypto: String,
    pub network: String,
    pub fiat: String,
    pub amount: String,
    pub amount_currency: String,
    pub destination_address: String,
    #[serde(default)]
    pub quote_id: Option<String>,
}

/// One step of an order's life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    pub status: OrderStatus,
    pub at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<FailureReason>,
}

/// An order as returned by `POST /v1/orders` and `GET /v1/orders/{id}`; the
/// pricing fields (crypto, network, fiat, amounts, prices, fees) are those
/// of [`QuoteBreakdown`], flattened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderResponse {
    pub id: String,
    pub customer_id: String,
    pub status: OrderStatus,
    pub destination_address: String,
    pub quote_id: Option<String>,
    #[serde(flatten)]
    pub pricing: QuoteBreakdown,
    pub status_history: Vec<StatusChange>,
    pub tx_id: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// `GET /v1/orders`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrdersPage {
    pub orders: Vec<OrderResponse>,
    pub next_cursor: Option<String>,
}

/// `POST /v1/addresses/validate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidateAddressRequest {
    pub currency: String,
    #[serde(default)]
    pub network: Option<String>,
    pub address: String,
}

/// `POST /admin/clients`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateClientRequest {
    pub name: String,
    pub config: ClientConfig,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateClientResponse {
    pub client_id: String,
    /// Shown once; only its hash is stored.
    pub api_key: String,
    /// Shown once: the key of the webhook signatures (HMAC-SHA256).
    pub webhook_secret: String,
    pub config: ClientConfig,
}

/// One rate of `POST /admin/rates`; observed when the request arrives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetRate {
    pub crypto: Crypto,
    pub fiat: Fiat,
    #[serde(with = "decimal_string")]
    pub price: Decimal,
    #[serde(default)]
    pub source: Option<String>,
}

/// `PUT /admin/rates`: an operator's prices. Without `expires_at` they hold until the
/// next refresh accepts a price for the pair; with it they win over the sources until
/// then (and count as observed at every moment before it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetRatesRequest {
    pub rates: Vec<SetRate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
}

/// `POST /v1/customers/{customer_id}/addresses`: the next receive address of the
/// customer for `currency`, derived from the xpub the client registered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateAddressRequest {
    pub currency: String,
}

/// One receive address of a customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerAddress {
    pub customer_id: String,
    pub crypto: Crypto,
    pub network: Network,
    pub derivation_index: u32,
    pub derivation_path: String,
    pub address: String,
    pub created_at: Timestamp,
}

/// `GET /v1/customers/{customer_id}/addresses`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressList {
    pub customer_id: String,
    pub addresses: Vec<CustomerAddress>,
}

/// The body POSTed to a client's `webhook_url` on every order status change. Receivers
/// drop duplicates by `event_id` and order late arrivals by the per-order `sequence`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookEvent {
    pub event_id: String,
    /// Always `order.status_changed` today.
    #[serde(rename = "type")]
    pub kind: String,
    /// 1 for the order's first event, then +1 per status change.
    pub sequence: u32,
    pub created_at: Timestamp,
    pub data: OrderStatusChanged,
}

/// What changed in a [`WebhookEvent`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderStatusChanged {
    pub order_id: String,
    pub customer_id: String,
    pub status: OrderStatus,
    pub tx_id: Option<String>,
    pub failure_reason: Option<FailureReason>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_refuse_unknown_fields() {
        let q = r#"{"crypto":"BTC","network":"mainnet","fiat":"EUR","amount":"100","amount_currency":"EUR","x":1}"#;
        assert!(serde_json::from_str::<QuoteRequest>(q).is_err());
        let r = r#"{"rates":[{"crypto":"BTC","fiat":"EUR","price":"1","colour":"red"}]}"#;
        assert!(serde_json::from_str::<SetRatesRequest>(r).is_err());
    }

    #[test]
    fn quote_request_amount_must_be_a_string() {
        let q = r#"{"crypto":"BTC","network":"mainnet","fiat":"EUR","amount":100,"amount_currency":"EUR"}"#;
        assert!(serde_json::from_str::<QuoteRequest>(q).is_err());
    }

    #[test]
    fn set_rate_price_must_be_a_string() {
        let r = r#"{"rates":[{"crypto":"BTC","fiat":"EUR","price":50000}]}"#;
        assert!(serde_json::from_str::<SetRatesRequest>(r).is_err());
    }
}
