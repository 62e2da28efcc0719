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

mod security;
pub use security::*;

/// One rate of `GET /v1/rates`.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateEntry {
    pub crypto: Crypto,
    pub fiat: Fiat,
    /// The mid price of one unit of `crypto` in `fiat`.
    #[serde(with = "decimal_string")]
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::DecimalString"))]
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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RateStatus {
    #[default]
    Ok,
    Suspect,
    Stale,
}

/// One source's contribution to a pair in the last refresh.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceReport {
    pub name: String,
    /// Its mid price as reported (may be zero or negative when refused); null when
    /// the source gave nothing.
    #[serde(with = "crate::aggregate::signed_decimal_opt")]
    #[cfg_attr(
        feature = "schema",
        schemars(with = "Option<crate::schema::SignedDecimalString>")
    )]
    pub price: Option<Decimal>,
    pub observed_at: Option<Timestamp>,
    /// Whether it made the published median.
    pub used: bool,
    /// Why not, when not used.
    pub reason: Option<crate::aggregate::Refusal>,
}

/// `GET /v1/rates`.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RatesResponse {
    pub rates: Vec<RateEntry>,
    pub max_age_seconds: u32,
}

/// `POST /v1/quotes` (and the input of `estimate`). `amount_currency` is the
/// fiat ticker ("I spend 100.00 EUR") or the crypto ticker ("I want to
/// receive 0.0025 BTC").
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuoteRequest {
    #[cfg_attr(feature = "schema", schemars(with = "crate::Crypto"))]
    pub crypto: String,
    #[cfg_attr(feature = "schema", schemars(with = "crate::Network"))]
    pub network: String,
    #[cfg_attr(feature = "schema", schemars(with = "crate::Fiat"))]
    pub fiat: String,
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::DecimalString"))]
    pub amount: String,
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::AmountCurrency"))]
    pub amount_currency: String,
    /// The customer the quote is for: only an order of this customer can use it. A quote
    /// asked without one is bound to the first customer whose order uses it. Either
    /// way a quote prices one order only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "schema",
        schemars(with = "Option<crate::schema::CustomerId>")
    )]
    pub customer_id: Option<String>,
}

/// The service fee: `percent` of the crypto's cost at the effective price,
/// plus `fixed`, both in the fiat.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceFee {
    #[serde(with = "decimal_string")]
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::DecimalString"))]
    pub percent: Decimal,
    #[serde(with = "decimal_string")]
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::DecimalString"))]
    pub fixed: Decimal,
    #[serde(with = "decimal_string")]
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::DecimalString"))]
    pub fiat: Decimal,
}

/// What the spread costs: the crypto's cost at the effective price minus
/// its value at the mid price.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpreadFee {
    #[serde(with = "decimal_string")]
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::DecimalString"))]
    pub percent: Decimal,
    #[serde(with = "decimal_string")]
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::DecimalString"))]
    pub fiat: Decimal,
}

/// The on-chain fee, paid in the crypto by the service and charged in fiat.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkFee {
    #[serde(with = "decimal_string")]
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::DecimalString"))]
    pub crypto: Decimal,
    #[serde(with = "decimal_string")]
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::DecimalString"))]
    pub fiat: Decimal,
}

#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fees {
    pub service: ServiceFee,
    pub spread: SpreadFee,
    pub network: NetworkFee,
    /// service.fiat + spread.fiat + network.fiat.
    #[serde(with = "decimal_string")]
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::DecimalString"))]
    pub total: Decimal,
}

/// Everything of a quote but its id and expiry. Invariant (exact):
/// `fiat_amount = crypto_value + fees.total`. See docs/pricing.md.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteBreakdown {
    pub crypto: Crypto,
    pub network: Network,
    pub fiat: Fiat,
    /// The amount as requested, at its currency's precision.
    #[serde(with = "decimal_string")]
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::DecimalString"))]
    pub amount: Decimal,
    /// The ticker the request's amount was given in.
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::AmountCurrency"))]
    pub amount_currency: String,
    #[serde(with = "decimal_string")]
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::DecimalString"))]
    pub mid_price: Decimal,
    /// The effective price: mid_price × (1 + spread percent / 100).
    #[serde(with = "decimal_string")]
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::DecimalString"))]
    pub price: Decimal,
    /// What the customer receives at the destination address.
    #[serde(with = "decimal_string")]
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::DecimalString"))]
    pub crypto_amount: Decimal,
    /// What the customer pays, all fees included.
    #[serde(with = "decimal_string")]
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::DecimalString"))]
    pub fiat_amount: Decimal,
    /// crypto_amount at the mid price, rounded up to the minor unit.
    #[serde(with = "decimal_string")]
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::DecimalString"))]
    pub crypto_value: Decimal,
    pub fees: Fees,
    pub rate_observed_at: Timestamp,
    pub rate_source: String,
}

/// `POST /v1/quotes` response.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteResponse {
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::QuoteId"))]
    pub id: String,
    pub expires_at: Timestamp,
    /// False in sandbox mode: an order at this quote moves no real coins.
    #[serde(default)]
    pub livemode: bool,
    /// The customer whose order alone can use this quote, when it was asked for one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "schema",
        schemars(with = "Option<crate::schema::CustomerId>")
    )]
    pub customer_id: Option<String>,
    #[serde(flatten)]
    pub quote: QuoteBreakdown,
}

/// `POST /v1/customers/{customer_id}/orders`. `customer_id` is the client's own id of
/// its end user (limits are per customer), named by the path; the worker fills it in, and a
/// body that names another customer is refused (so the document leaves it out of the body).
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaceOrderRequest {
    #[cfg_attr(feature = "schema", schemars(skip))]
    pub customer_id: String,
    #[cfg_attr(feature = "schema", schemars(with = "crate::Crypto"))]
    pub crypto: String,
    #[cfg_attr(feature = "schema", schemars(with = "crate::Network"))]
    pub network: String,
    #[cfg_attr(feature = "schema", schemars(with = "crate::Fiat"))]
    pub fiat: String,
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::DecimalString"))]
    pub amount: String,
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::AmountCurrency"))]
    pub amount_currency: String,
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::AddressString"))]
    pub destination_address: String,
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "Option<crate::schema::QuoteId>"))]
    pub quote_id: Option<String>,
}

/// One step of an order's life.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    pub status: OrderStatus,
    pub at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<FailureReason>,
}

/// An order as returned by `POST /v1/customers/{customer_id}/orders` and
/// `GET /v1/orders/{order_id}`; the
/// pricing fields (crypto, network, fiat, amounts, prices, fees) are those
/// of [`QuoteBreakdown`], flattened.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderResponse {
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::OrderId"))]
    pub id: String,
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::CustomerId"))]
    pub customer_id: String,
    pub status: OrderStatus,
    pub destination_address: String,
    #[cfg_attr(feature = "schema", schemars(with = "Option<crate::schema::QuoteId>"))]
    pub quote_id: Option<String>,
    #[serde(flatten)]
    pub pricing: QuoteBreakdown,
    pub status_history: Vec<StatusChange>,
    /// The on-chain transaction paying the order (live orders only, from `sent` on).
    pub tx_id: Option<String>,
    /// The sandbox settlement's made-up transfer reference (sandbox orders only): not
    /// a transaction id, and shaped so that it cannot pass for one.
    pub sandbox_reference: Option<String>,
    /// False for an order of the sandbox: no coins were or will be sent.
    pub livemode: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// `GET /v1/customers/{customer_id}/orders`.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrdersPage {
    pub orders: Vec<OrderResponse>,
    #[cfg_attr(
        feature = "schema",
        schemars(with = "Option<crate::schema::PageCursor>")
    )]
    pub next_cursor: Option<String>,
}

/// A payout the daily outflow cap held for the operator
/// (`GET /v1/admin/payouts/held`, and the answer of a release or fail).
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldPayout {
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::OrderId"))]
    pub order_id: String,
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::ClientId"))]
    pub client_id: String,
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::CustomerId"))]
    pub customer_id: String,
    pub crypto: Crypto,
    pub network: Network,
    /// What the payout sends, in the coin.
    #[serde(with = "decimal_string")]
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::DecimalString"))]
    pub amount: Decimal,
    pub destination_address: String,
    pub status: crate::outflow::HoldStatus,
    /// The day's outflow of the currency when the payout was held, in the coin.
    #[serde(with = "decimal_string")]
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::DecimalString"))]
    pub outflow_when_held: Decimal,
    /// The daily cap then (`PAYOUT_DAILY_CAP_<TICKER>`), in the coin.
    #[serde(with = "decimal_string")]
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::DecimalString"))]
    pub daily_cap: Decimal,
    /// The order's status now (`pending` while held or released and not yet signed).
    pub order_status: OrderStatus,
    pub held_at: Timestamp,
    pub decided_at: Option<Timestamp>,
}

/// `GET /v1/admin/payouts/held`: the payouts waiting for a decision, oldest first.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldPayoutList {
    pub payouts: Vec<HeldPayout>,
}

/// `POST /v1/addresses/validate`.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidateAddressRequest {
    #[cfg_attr(feature = "schema", schemars(with = "crate::Crypto"))]
    pub currency: String,
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "Option<crate::Network>"))]
    pub network: Option<String>,
    /// Any text: what is not an address of `currency` is answered `valid: false`.
    pub address: String,
}

/// `POST /v1/admin/clients`.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateClientRequest {
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::DisplayName"))]
    pub name: String,
    pub config: ClientConfig,
}

#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateClientResponse {
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::ClientId"))]
    pub client_id: String,
    /// Shown once; only its hash is stored.
    pub api_key: String,
    /// The id of that key (`GET /v1/api-keys`), with the scopes `read` and `trade`.
    pub api_key_id: String,
    /// Shown once: the key of the webhook signatures (HMAC-SHA256).
    pub webhook_secret: String,
    pub config: ClientConfig,
}

/// One rate of `PUT /v1/admin/rates`; observed when the request arrives.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetRate {
    pub crypto: Crypto,
    pub fiat: Fiat,
    #[serde(with = "decimal_string")]
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::DecimalString"))]
    pub price: Decimal,
    #[serde(default)]
    pub source: Option<String>,
}

/// `PUT /v1/admin/rates`: an operator's prices. Without `expires_at` they hold until the
/// next refresh accepts a price for the pair; with it they win over the sources until
/// then (and count as observed at every moment before it).
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetRatesRequest {
    pub rates: Vec<SetRate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
}

/// `POST /v1/customers/{customer_id}/addresses`: the next receive address of the
/// customer for `currency`, derived from the xpub the client registered.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateAddressRequest {
    #[cfg_attr(feature = "schema", schemars(with = "crate::Crypto"))]
    pub currency: String,
}

/// One receive address of a customer.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerAddress {
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::CustomerId"))]
    pub customer_id: String,
    pub crypto: Crypto,
    pub network: Network,
    pub derivation_index: u32,
    pub derivation_path: String,
    pub address: String,
    pub created_at: Timestamp,
}

/// `GET /v1/customers/{customer_id}/addresses`.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressList {
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::CustomerId"))]
    pub customer_id: String,
    pub addresses: Vec<CustomerAddress>,
}

/// `GET /v1/addresses/{currency}/{address}/balance`: amounts in the currency, at its
/// precision.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressBalance {
    pub currency: Crypto,
    pub network: Network,
    /// The address in its normalized form.
    pub address: String,
    /// Confirmed on chain: funded minus spent.
    #[cfg_attr(
        feature = "schema",
        schemars(with = "crate::schema::SignedDecimalString")
    )]
    pub confirmed: String,
    /// In the mempool: funded minus spent (negative while a spend is unconfirmed).
    #[cfg_attr(
        feature = "schema",
        schemars(with = "crate::schema::SignedDecimalString")
    )]
    pub unconfirmed: String,
    /// Sandbox mode only: what this client's sandbox settlement sent there; null otherwise.
    #[cfg_attr(
        feature = "schema",
        schemars(with = "Option<crate::schema::DecimalString>")
    )]
    pub sandbox_received: Option<String>,
    /// True on an on-chain deployment (balance from the chain); false in sandbox mode,
    /// where the balance is the sandbox ledger's alone and no chain is asked.
    pub livemode: bool,
    /// confirmed + unconfirmed.
    #[cfg_attr(
        feature = "schema",
        schemars(with = "crate::schema::SignedDecimalString")
    )]
    pub total: String,
}

/// `GET /healthz`.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// Always `ok`: the worker runs and D1 answers.
    pub status: String,
    pub rates: HealthRates,
}

/// How fresh the stored rates are, for monitoring.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthRates {
    /// Pairs with a published price.
    pub pairs: u32,
    /// The pair with the oldest price (`BTC/EUR`), if any.
    pub oldest_pair: Option<String>,
    /// Its age in seconds.
    pub oldest_age_seconds: Option<i64>,
    /// When the last refresh from the sources ran.
    pub refreshed_at: Option<Timestamp>,
}

/// The body POSTed to a client's `webhook_url` on every order status change. Receivers
/// drop duplicates by `event_id` and order late arrivals by the per-order `sequence`.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookEvent {
    pub event_id: String,
    /// Always `order.status_changed` today.
    #[serde(rename = "type")]
    pub kind: String,
    /// 1 for the order's first event, then +1 per status change.
    pub sequence: u32,
    pub created_at: Timestamp,
    /// False for events of sandbox orders.
    pub livemode: bool,
    pub data: OrderStatusChanged,
}

/// What changed in a [`WebhookEvent`].
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderStatusChanged {
    pub order_id: String,
    pub customer_id: String,
    pub status: OrderStatus,
    pub tx_id: Option<String>,
    pub sandbox_reference: Option<String>,
    pub failure_reason: Option<FailureReason>,
}

/// Where the delivery of a webhook event stands.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Not delivered yet; the next attempt is at `next_attempt_at`.
    Pending,
    /// A 2xx answer was received.
    Delivered,
    /// Given up: the retry schedule (about three days) ran out, or the endpoint answered
    /// 410 Gone and is disabled. `POST /v1/events/{event_id}/redeliver` tries again.
    Failed,
    /// The client has no `webhook_url`: the event is only listed.
    NoEndpoint,
}

impl DeliveryState {
    pub const ALL: [DeliveryState; 4] = [
        DeliveryState::Pending,
        DeliveryState::Delivered,
        DeliveryState::Failed,
        DeliveryState::NoEndpoint,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failed => "failed",
            DeliveryState::NoEndpoint => "no_endpoint",
        }
    }
}

/// The delivery record of one event.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventDelivery {
    pub state: DeliveryState,
    /// Attempts of the current schedule (a redelivery starts a new one).
    pub attempts: u32,
    pub last_attempt_at: Option<Timestamp>,
    pub next_attempt_at: Option<Timestamp>,
    pub delivered_at: Option<Timestamp>,
    /// Why the last attempt failed (`HTTP 503`, a timeout, ...).
    pub last_error: Option<String>,
}

/// A webhook event as `GET /v1/events` lists it: the body as POSTed (`payload`, whose
/// `event_id` is the `webhook-id` header) and where its delivery stands.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventResponse {
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::EventId"))]
    pub id: String,
    /// `order.status_changed` or `sell_order.status_changed`.
    #[serde(rename = "type")]
    pub kind: String,
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::OrderId"))]
    pub order_id: String,
    pub sequence: u32,
    pub created_at: Timestamp,
    pub delivery: EventDelivery,
    pub payload: AnyWebhookEvent,
}

/// The body of an event as it was signed and sent: a buy order's
/// (`order.status_changed`) or a sell order's (`sell_order.status_changed`).
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AnyWebhookEvent {
    Order(WebhookEvent),
    Sell(Box<SellWebhookEvent>),
}

impl AnyWebhookEvent {
    /// The event's `type`.
    pub fn kind(&self) -> &str {
        match self {
            AnyWebhookEvent::Order(e) => &e.kind,
            AnyWebhookEvent::Sell(e) => &e.kind,
        }
    }
}

/// The `type` of every event the API sends.
pub const EVENT_TYPES: [&str; 2] = ["order.status_changed", "sell_order.status_changed"];

/// `GET /v1/events`.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventsPage {
    pub events: Vec<EventResponse>,
    #[cfg_attr(
        feature = "schema",
        schemars(with = "Option<crate::schema::PageCursor>")
    )]
    pub next_cursor: Option<String>,
}

/// `GET /v1/webhook-endpoint`: the client's webhook endpoint and whether it is enabled
/// (an endpoint that answered 410 Gone is disabled until its configuration is set again).
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookEndpointResponse {
    pub url: Option<String>,
    pub enabled: bool,
    pub disabled_at: Option<Timestamp>,
    pub disabled_reason: Option<String>,
    /// `webhook-signature` scheme: `v1` (HMAC-SHA256, Standard Webhooks).
    pub signature_scheme: String,
}

/// The job of a dead-lettered message: a settlement step of an order, or the delivery
/// of an event.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum QueueJob {
    Advance { order_id: String },
    Deliver { event_id: String },
}

/// A message a queue gave up on (retried `max_retries` times), recorded from its
/// dead-letter queue.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetterResponse {
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::DeadLetterId"))]
    pub id: String,
    /// The queue the message was meant for.
    pub queue: String,
    pub job: QueueJob,
    pub received_at: Timestamp,
    pub replayed_at: Option<Timestamp>,
}

/// `GET /v1/admin/dead-letters`.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLettersPage {
    pub dead_letters: Vec<DeadLetterResponse>,
}

/// Which way a quote or order trades: `buy` (fiat → crypto, the default) or `sell`
/// (crypto → fiat).
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    #[default]
    Buy,
    Sell,
}

/// The `side` of a sell request: only `"sell"` (a request without `side` is a buy).
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SellSide {
    Sell,
}

/// `POST /v1/quotes` with `side: "sell"` (and the input of `estimate` for a sell):
/// `amount_currency` is the crypto ("I sell 0.01 BTC") or the fiat ("I want to
/// receive 100.00 EUR").
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SellQuoteRequest {
    pub side: SellSide,
    #[cfg_attr(feature = "schema", schemars(with = "crate::Crypto"))]
    pub crypto: String,
    #[cfg_attr(feature = "schema", schemars(with = "crate::Network"))]
    pub network: String,
    #[cfg_attr(feature = "schema", schemars(with = "crate::Fiat"))]
    pub fiat: String,
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::DecimalString"))]
    pub amount: String,
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::AmountCurrency"))]
    pub amount_currency: String,
}

/// A sell quote: the fields of [`QuoteBreakdown`] where `price` is mid × (1 − spread),
/// `crypto_amount` is what the customer sends, `fiat_amount` what the customer is paid
/// (fees deducted), and `crypto_value = fiat_amount + fees.total` exactly.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SellQuoteBreakdown {
    /// Always `sell`.
    pub side: Side,
    #[serde(flatten)]
    pub quote: QuoteBreakdown,
}

/// `POST /v1/quotes` response for a sell.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SellQuoteResponse {
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::QuoteId"))]
    pub id: String,
    pub expires_at: Timestamp,
    #[serde(default)]
    pub livemode: bool,
    #[serde(flatten)]
    pub quote: SellQuoteBreakdown,
}

/// `POST /v1/customers/{customer_id}/orders` with `side: "sell"`: the customer sends
/// crypto to a deposit address derived for this order and is paid fiat by the client.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaceSellOrderRequest {
    #[cfg_attr(feature = "schema", schemars(skip))]
    pub customer_id: String,
    pub side: SellSide,
    #[cfg_attr(feature = "schema", schemars(with = "crate::Crypto"))]
    pub crypto: String,
    #[cfg_attr(feature = "schema", schemars(with = "crate::Network"))]
    pub network: String,
    #[cfg_attr(feature = "schema", schemars(with = "crate::Fiat"))]
    pub fiat: String,
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::DecimalString"))]
    pub amount: String,
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::AmountCurrency"))]
    pub amount_currency: String,
    /// Where the deposit goes back if the order cannot be paid out.
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::AddressString"))]
    pub refund_address: String,
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "Option<crate::schema::QuoteId>"))]
    pub quote_id: Option<String>,
}

/// One transfer seen at a sell order's deposit address.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SellDeposit {
    pub tx_id: String,
    #[serde(with = "decimal_string")]
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::DecimalString"))]
    pub amount: Decimal,
    /// 0 while in the mempool.
    pub confirmations: u32,
    pub first_seen_at: Timestamp,
    /// First seen after the deadline: never paid at the locked rate.
    pub late: bool,
}

/// One step of a sell order's life.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SellStatusChange {
    pub status: crate::sell::SellStatus,
    pub at: Timestamp,
}

/// A sell order as returned by its placement, `GET /v1/orders/{order_id}` and the sell
/// endpoints. The pricing fields are the locked [`SellQuoteBreakdown`], flattened.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SellOrderResponse {
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::OrderId"))]
    pub id: String,
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::CustomerId"))]
    pub customer_id: String,
    pub status: crate::sell::SellStatus,
    /// `paid_partial`, `paid_over` or `paid_late`; null when the deposit is as expected.
    pub exception: Option<crate::sell::SellException>,
    /// Derived for this order from the client's registered xpub (watch-only).
    pub deposit_address: String,
    pub deposit_derivation_path: String,
    /// Exactly what the customer is asked to send (= `crypto_amount`).
    #[serde(with = "decimal_string")]
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::DecimalString"))]
    pub expected_crypto_amount: Decimal,
    /// The locked rate holds for deposits first seen until then.
    pub deadline: Timestamp,
    pub refund_address: String,
    #[cfg_attr(feature = "schema", schemars(with = "Option<crate::schema::QuoteId>"))]
    pub quote_id: Option<String>,
    #[serde(flatten)]
    pub pricing: SellQuoteBreakdown,
    /// Arrived by the deadline.
    #[serde(with = "decimal_string")]
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::DecimalString"))]
    pub received_crypto_amount: Decimal,
    /// The fewest confirmations among the deposits counted.
    pub confirmations: u32,
    pub required_confirmations: u32,
    pub deposits: Vec<SellDeposit>,
    /// What the client is to pay the customer (set from `confirming` on).
    #[cfg_attr(
        feature = "schema",
        schemars(with = "Option<crate::schema::DecimalString>")
    )]
    pub payout_fiat_amount: Option<String>,
    /// The client's reference of the fiat payout (from `completed`).
    pub payout_reference: Option<String>,
    /// Why the client's fiat payout failed (from `refund_due`).
    pub payout_failure: Option<String>,
    /// The part of an overpayment the client's wallet sends back (null: kept, being
    /// below twice the network fee, or no overpayment).
    #[cfg_attr(
        feature = "schema",
        schemars(with = "Option<crate::schema::DecimalString>")
    )]
    pub excess_refund_crypto_amount: Option<String>,
    /// The excess refund's transaction, as the client reported it
    /// (`POST /v1/orders/{order_id}/excess-refund`).
    #[serde(default)]
    pub excess_refund_tx_id: Option<String>,
    /// The refund's transaction, as the client reported it (from `failed`).
    pub refund_tx_id: Option<String>,
    pub status_history: Vec<SellStatusChange>,
    pub livemode: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// `POST /v1/sandbox/orders/{order_id}/deposit`: simulates the customer's transfer.
/// With `amount`: a new deposit (`confirmations`, default 0), first seen now, or
/// `late_seconds` after the deadline. Without it: `tx_id` names a deposit whose
/// `confirmations` change (a lower number is a reorganisation); `late_seconds` alone
/// moves the order's clock past the deadline; an empty body looks at the order as of now.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SandboxDepositRequest {
    #[serde(default)]
    #[cfg_attr(
        feature = "schema",
        schemars(with = "Option<crate::schema::DecimalString>")
    )]
    pub amount: Option<String>,
    // Whole numbers as JSON writes them (`3` or `3.0`, the same JSON Schema integer).
    #[serde(default, deserialize_with = "security::optional_whole_seconds")]
    pub confirmations: Option<u32>,
    #[serde(default)]
    pub tx_id: Option<String>,
    #[serde(default, deserialize_with = "security::optional_whole_seconds")]
    pub late_seconds: Option<u32>,
}

/// `POST /v1/orders/{order_id}/fiat-payout`: the client paid the customer (`paid`, with
/// its reference; idempotent) or could not (`failed`, with a reason).
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FiatPayoutRequest {
    pub outcome: FiatPayoutOutcome,
    /// The client's own reference of the payout (required when `paid`).
    #[serde(default)]
    pub reference: Option<String>,
    /// Why it failed (required when `failed`).
    #[serde(default)]
    pub reason: Option<String>,
}

#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FiatPayoutOutcome {
    Paid,
    Failed,
}

/// `POST /v1/orders/{order_id}/refund`: the client's wallet sent the deposit back to
/// the refund address.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefundSentRequest {
    pub tx_id: String,
}

/// `POST /v1/orders/{order_id}/excess-refund`: the client's wallet sent an overpaid
/// sell order's `excess_refund_crypto_amount` back to the refund address (idempotent).
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExcessRefundSentRequest {
    pub tx_id: String,
}

/// The body POSTed to the client's `webhook_url` on every sell order status change
/// (`type`: `sell_order.status_changed`), signed as the buy events.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SellWebhookEvent {
    pub event_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub sequence: u32,
    pub created_at: Timestamp,
    pub livemode: bool,
    pub data: SellOrderResponse,
}

/// The body of `POST /v1/quotes` as documented: a buy (no `side`) or a sell.
/// Documentation only: the worker reads `side` and parses the one type it names.
#[cfg(feature = "schema")]
#[derive(schemars::JsonSchema, Deserialize)]
#[serde(untagged)]
pub enum AnyQuoteRequest {
    Buy(QuoteRequest),
    Sell(SellQuoteRequest),
}

/// A quote of either side, as documented.
#[cfg(feature = "schema")]
#[derive(schemars::JsonSchema, Serialize)]
#[serde(untagged)]
pub enum AnyQuoteResponse {
    Buy(QuoteResponse),
    Sell(SellQuoteResponse),
}

/// The body of `POST /v1/customers/{customer_id}/orders` as documented.
#[cfg(feature = "schema")]
#[derive(schemars::JsonSchema, Deserialize)]
#[serde(untagged)]
pub enum AnyPlaceOrderRequest {
    Buy(PlaceOrderRequest),
    Sell(PlaceSellOrderRequest),
}

/// An order of either side, as documented.
#[cfg(feature = "schema")]
#[derive(schemars::JsonSchema, Serialize)]
#[serde(untagged)]
pub enum AnyOrderResponse {
    // Boxed: both are large (the schema is the same as unboxed).
    Buy(Box<OrderResponse>),
    Sell(Box<SellOrderResponse>),
}

/// Every `code` an error answer of the API (and a `CoreError` of the npm package) can
/// carry: the single list the OpenAPI document's `ErrorCode` enum is generated from.
/// Codes are public API: add, never rename. A test of the worker checks that each of its
/// own codes is listed.
pub fn error_codes() -> Vec<&'static str> {
    let mut codes = vec![
        // The worker's own (edge-worker/src/problem.rs).
        "unauthorized",
        "not_found",
        "method_not_allowed",
        "body_too_large",
        "malformed_body",
        "invalid_parameter",
        "idempotency_key_missing",
        "idempotency_key_reused",
        "no_rates",
        "no_xpub_registered",
        "chain_unavailable",
        "limits_changed_retry",
        "misconfigured",
        "live_key_in_sandbox_mode",
        "test_key_in_live_mode",
        // access (edge-worker/src/access.rs): API keys' scopes, allowlist, expiry, rate
        "insufficient_scope",
        "ip_not_allowed",
        "api_key_expired",
        "api_key_revoked",
        "rate_limited",
        "address_gap_limit",
        "invalid_key_settings",
        "api_key_inactive",
        "internal_error",
        // currency
        "unknown_currency",
        "unknown_fiat_currency",
        "unknown_network",
        // money
        "malformed_amount",
        "amount_not_positive",
        "too_many_decimals",
        "amount_too_large",
        // time
        "malformed_time",
        "time_field_out_of_range",
        "time_out_of_range",
        // config
        "invalid_name",
        "no_fiat_enabled",
        "no_crypto_enabled",
        "percent_out_of_range",
        "min_above_max",
        "limits_inconsistent",
        "no_networks",
        "seconds_out_of_range",
        "invalid_webhook_url",
        "xpub_for_disabled_crypto",
        "empty_xpub",
        "xpub_network_not_enabled",
        // trade and limits
        "amount_currency_mismatch",
        "currency_not_enabled",
        "network_not_enabled",
        "below_minimum",
        "above_maximum",
        "daily_limit_exceeded",
        "monthly_limit_exceeded",
        // quote, rates, order
        "amount_below_fees",
        "unsupported_pair",
        "rate_unavailable",
        "rate_in_future",
        "invalid_price",
        "duplicate_pair",
        "invalid_transition",
        "invalid_address",
        "invalid_id",
        "quote_expired",
        "quote_mismatch",
        "quote_used",
        "quote_customer_mismatch",
        // payouts held by the daily outflow cap
        "payout_not_held",
        // wallet
        "bad_entropy_length",
        "invalid_mnemonic_word_count",
        "invalid_mnemonic_word",
        "invalid_mnemonic_checksum",
        "invalid_xpub",
        "xpub_version_mismatch",
        "xpub_not_account_level",
        "unsupported_scheme",
        "unsupported_currency_network",
        "hardened_index",
        "invalid_change",
        "count_out_of_range",
        "derivation_failed",
        // sell (core::sell)
        "sell_not_supported",
        "invalid_refund_address",
        "sell_status_conflict",
        "payout_reference_mismatch",
        "deposit_address_gap_limit",
        "no_excess_refund_due",
        "excess_refund_tx_mismatch",
        "invalid_report",
        "unknown_status",
    ];
    codes.extend(address_error_codes());
    codes.sort_unstable();
    codes.dedup();
    codes
}

/// The codes of an address the core refuses (`AddressError`), also the `code` of a
/// `{"valid": false}` answer of `POST /v1/addresses/validate`.
pub fn address_error_codes() -> Vec<&'static str> {
    ADDRESS_ERROR_CODES.to_vec()
}

/// The codes of [`address_error_codes`], for the wasm scratch path's ids.
pub const ADDRESS_ERROR_CODES: [&str; 15] = [
    "empty",
    "too_long",
    "too_short",
    "bad_character",
    "bad_checksum",
    "wrong_network",
    "wrong_currency",
    "unknown_prefix",
    "bad_length",
    "mixed_case",
    "wrong_bech32_variant",
    "bad_witness_version",
    "bad_witness_program_length",
    "bad_padding",
    "unsupported_currency_network",
];

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
