//! Placing an order: one decision from the request and every fact read for it.
//!
//! The worker authenticates, parses the body, reads in one batch what the decision
//! needs ([`PlacementFacts`]: the earlier use of the Idempotency-Key, the quote the
//! order names or the rate table, what the customer spent in the limit windows) and
//! calls [`plan_order`] with `now`. The [`Plan`] is either "answer with this earlier
//! order" or "write this order, guarded by these values": the guard is what keeps the
//! limits under concurrent placements, since D1 has no transactions (see
//! [`crate::limits`]). If the guard refuses, the worker reads the facts again and
//! calls [`explain_refused_write`].

use std::fmt;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::api::{
    OrderResponse, PlaceOrderRequest, QuoteBreakdown, QuoteResponse, RatesResponse, StatusChange,
};
use crate::config::ClientConfig;
use crate::currency::{Crypto, Fiat, Network};
use crate::error::{DomainError, ErrorKind};
use crate::limits::{check_spent, to_minor_units, window_starts, LimitError, Spent};
use crate::order::OrderStatus;
use crate::quote::{price, QuoteError};
use crate::rates::{fresh_rate, Pair};
use crate::time::Timestamp;
use crate::trade::{check_trade, OrderAmount, Trade, TradeError, TradeRequest};

/// A [`PlaceOrderRequest`] whose every field is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidOrderRequest {
    pub customer_id: String,
    pub crypto: Crypto,
    pub network: Network,
    pub fiat: Fiat,
    pub amount: OrderAmount,
    /// Normalized (lower-case bech32, ...).
    pub destination_address: String,
    pub quote_id: Option<String>,
}

pub const MAX_ID_CHARS: usize = 128;

/// Checks every field of a new order against the client's configuration, and
/// normalizes the destination address (lower-case bech32...), under which the
/// ledger and balances find it. Pricing and limits are [`plan_order`]'s.
pub fn validate_place_order(
    request: &PlaceOrderRequest,
    config: &ClientConfig,
) -> Result<ValidOrderRequest, PlacementError> {
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
    let destination_address = check_destination(crypto, network, &request.destination_address)?;
    Ok(ValidOrderRequest {
        customer_id: request.customer_id.clone(),
        crypto,
        network,
        fiat,
        amount,
        destination_address,
        quote_id: request.quote_id.clone(),
    })
}

/// The pricing an order takes from the quote it names: a quote is honoured for the
/// customer it was asked for (any customer when it names none), while `now` is before
/// its `expires_at`, and only for the very trade it priced (same currencies, network,
/// and requested amount in the same currency). That it was not used before is
/// [`plan_order`]'s check ([`PlacementFacts::quote_used`]).
pub fn honour_quote(
    quote: &QuoteResponse,
    order: &ValidOrderRequest,
    now: Timestamp,
) -> Result<QuoteBreakdown, PlacementError> {
    let quote_id = || quote.id.clone();
    if quote
        .customer_id
        .as_ref()
        .is_some_and(|customer| *customer != order.customer_id)
    {
        return Err(PlacementError::QuoteCustomerMismatch {
            quote_id: quote_id(),
        });
    }
    if now >= quote.expires_at {
        return Err(PlacementError::QuoteExpired {
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
        return Err(PlacementError::QuoteMismatch {
            quote_id: quote_id(),
        });
    }
    Ok(priced.clone())
}

fn check_id(field: &'static str, id: &str) -> Result<(), PlacementError> {
    let ok = !id.is_empty() && id.len() <= MAX_ID_CHARS && id.bytes().all(|b| b.is_ascii_graphic());
    if ok {
        Ok(())
    } else {
        Err(PlacementError::InvalidId { field })
    }
}

/// The single call site of address validation for orders: the normalized address.
fn check_destination(
    crypto: Crypto,
    network: Network,
    address: &str,
) -> Result<String, PlacementError> {
    crate::address::validate_address(crypto, address, Some(network))
        .map(|valid| valid.normalized)
        .map_err(|error| PlacementError::InvalidAddress {
            address: address
                .chars()
                .take(crate::address::MAX_ADDRESS_LEN)
                .collect(),
            error,
        })
}

/// Everything [`plan_order`] decides from, read by the host before it writes.
#[derive(Debug, Clone)]
pub struct PlacementFacts<'a> {
    pub config: &'a ClientConfig,
    pub now: Timestamp,
    /// The id a new order gets: the host draws it, the core has no randomness.
    pub new_order_id: &'a str,
    /// The fingerprint of this request (the host hashes the parsed body).
    pub fingerprint: &'a str,
    /// The earlier use of this request's Idempotency-Key, if any.
    pub prior: Option<&'a PriorUse>,
    pub pricing: Pricing<'a>,
    /// The quote the request names already priced an order: quotes are single-use.
    pub quote_used: bool,
    /// Spent in the request's fiat since [`window_starts`]`(now)`, in minor units.
    pub spent_today_minor: i64,
    pub spent_this_month_minor: i64,
    /// Whether the deployment pays out on-chain (a live order) or runs the sandbox.
    pub livemode: bool,
}

/// An Idempotency-Key already used: for which request, and the order it placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriorUse {
    pub fingerprint: String,
    pub order: OrderResponse,
}

/// What prices the order: the quote it names (None when the client has no such
/// quote), or the rate table when it names none.
#[derive(Debug, Clone, Copy)]
pub enum Pricing<'a> {
    Quote(Option<&'a QuoteResponse>),
    Rates(&'a RatesResponse),
}

/// What to do with a placement request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// The same request came with this Idempotency-Key before: answer its order (200).
    Replay(Box<OrderResponse>),
    /// Write this new order, only if the guard still holds when it is written.
    Place(Box<NewOrder>),
}

/// A new order as it is written and answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    /// Pending, with its first status change, at `now`.
    pub order: OrderResponse,
    /// `order.pricing.fiat_amount` in minor units, for exact sums in SQL.
    pub fiat_total_minor: i64,
    pub guard: LimitGuard,
}

/// The values a guarded write checks again against the stored orders: the counted
/// spending since each window start plus this order stays within each limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitGuard {
    pub day_start: Timestamp,
    pub month_start: Timestamp,
    pub daily_limit_minor: i64,
    pub monthly_limit_minor: i64,
}

impl LimitGuard {
    /// Checks an order counting `counted` (in `fiat`) against the customer's spending
    /// since each window start and the client's limits, and returns the guard its write
    /// must hold to with `counted` in minor units. Buys and sells both (one set of limits).
    pub fn check(
        config: &ClientConfig,
        fiat: Fiat,
        counted: Decimal,
        spent_today_minor: i64,
        spent_this_month_minor: i64,
        now: Timestamp,
    ) -> Result<(LimitGuard, i64), PlacementError> {
        let spent = Spent::from_minor_units(spent_today_minor, spent_this_month_minor, fiat);
        check_spent(config, fiat, counted, spent)?;
        let settings = config
            .fiat_settings(fiat)
            .ok_or(LimitError::CurrencyNotEnabled { currency: fiat })?;
        let minor = |amount| to_minor_units(amount, fiat).ok_or(QuoteError::AmountTooLarge);
        let (day_start, month_start) = window_starts(now);
        let guard = LimitGuard {
            day_start,
            month_start,
            daily_limit_minor: minor(settings.daily_limit)?,
            monthly_limit_minor: minor(settings.monthly_limit)?,
        };
        Ok((guard, minor(counted)?))
    }
}

/// Why an order is not placed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
#[non_exhaustive]
pub enum PlacementError {
    InvalidAddress {
        address: String,
        /// The precise reason (bad_checksum, wrong_network...) for clients to branch on.
        #[serde(rename = "reason_code", serialize_with = "address_error_code")]
        error: crate::address::AddressError,
    },
    InvalidId {
        field: &'static str,
    },
    /// The order names a quote this client does not have.
    #[serde(rename = "not_found")]
    QuoteNotFound {
        quote_id: String,
    },
    /// The quote the order names is past its `expires_at`.
    QuoteExpired {
        quote_id: String,
    },
    /// The quote the order names is for another trade (currencies, network or amount).
    QuoteMismatch {
        quote_id: String,
    },
    /// The quote the order names already priced another order: a quote is single-use.
    QuoteUsed {
        quote_id: String,
    },
    /// The quote the order names was asked for another customer.
    QuoteCustomerMismatch {
        quote_id: String,
    },
    /// The Idempotency-Key was used before for a request with another body.
    IdempotencyKeyReused,
    /// The guarded write refused, yet the limits allow the order now: orders counted by
    /// the guard failed or expired meanwhile. Nothing was written.
    LimitsChangedRetry,
    // The wrapped errors keep their own code and facts (serde wants these last).
    #[serde(untagged)]
    Trade(TradeError),
    #[serde(untagged)]
    Quote(QuoteError),
    #[serde(untagged)]
    Limit(LimitError),
}

fn address_error_code<S: serde::Serializer>(
    error: &crate::address::AddressError,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(error.code())
}

impl DomainError for PlacementError {
    fn kind(&self) -> ErrorKind {
        match self {
            PlacementError::Quote(e) => e.kind(),
            PlacementError::QuoteNotFound { .. } => ErrorKind::NotFound,
            PlacementError::QuoteExpired { .. }
            | PlacementError::QuoteUsed { .. }
            | PlacementError::LimitsChangedRetry => ErrorKind::Conflict,
            _ => ErrorKind::Invalid,
        }
    }
}

impl fmt::Display for PlacementError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlacementError::Trade(e) => e.fmt(f),
            PlacementError::Quote(e) => e.fmt(f),
            PlacementError::Limit(e) => e.fmt(f),
            PlacementError::InvalidAddress { address, error } => {
                write!(f, "invalid destination address {address:?}: {error}")
            }
            PlacementError::InvalidId { field } => write!(
                f,
                "{field} must have 1 to {MAX_ID_CHARS} printable ascii characters"
            ),
            PlacementError::QuoteNotFound { quote_id } => write!(f, "no such quote {quote_id}"),
            PlacementError::QuoteExpired { quote_id } => {
                write!(f, "quote {quote_id} has expired: ask for a new quote")
            }
            PlacementError::QuoteMismatch { quote_id } => {
                write!(f, "quote {quote_id} is for another trade than this order")
            }
            PlacementError::QuoteUsed { quote_id } => write!(
                f,
                "quote {quote_id} already priced an order: ask for a new quote"
            ),
            PlacementError::QuoteCustomerMismatch { quote_id } => {
                write!(f, "quote {quote_id} was asked for another customer")
            }
            PlacementError::IdempotencyKeyReused => f.write_str(
                "this Idempotency-Key was already used for a request with a different body",
            ),
            PlacementError::LimitsChangedRetry => f.write_str(
                "the customer's limits changed while this order was placed; nothing was \
                 written: retry with the same Idempotency-Key",
            ),
        }
    }
}

impl std::error::Error for PlacementError {}

impl From<TradeError> for PlacementError {
    fn from(e: TradeError) -> Self {
        PlacementError::Trade(e)
    }
}

impl From<QuoteError> for PlacementError {
    fn from(e: QuoteError) -> Self {
        PlacementError::Quote(e)
    }
}

impl From<LimitError> for PlacementError {
    fn from(e: LimitError) -> Self {
        PlacementError::Limit(e)
    }
}

/// The decision on a placement request: replay, or an order to write with its guard.
pub fn plan_order(
    request: &PlaceOrderRequest,
    facts: &PlacementFacts<'_>,
) -> Result<Plan, PlacementError> {
    if let Some(prior) = &facts.prior {
        return if prior.fingerprint == facts.fingerprint {
            Ok(Plan::Replay(Box::new(prior.order.clone())))
        } else {
            Err(PlacementError::IdempotencyKeyReused)
        };
    }
    let config = facts.config;
    let order = validate_place_order(request, config)?;
    let pair = Pair {
        crypto: order.crypto,
        fiat: order.fiat,
    };
    let pricing = match (facts.pricing, &order.quote_id) {
        (Pricing::Quote(Some(quote)), Some(_)) => {
            let priced = honour_quote(quote, &order, facts.now)?;
            if facts.quote_used {
                return Err(PlacementError::QuoteUsed {
                    quote_id: quote.id.clone(),
                });
            }
            priced
        }
        (_, Some(quote_id)) => {
            return Err(PlacementError::QuoteNotFound {
                quote_id: quote_id.clone(),
            })
        }
        (Pricing::Rates(rates), None) => {
            let rate = fresh_rate(rates, pair, facts.now, config.max_rate_age_seconds)
                .map_err(QuoteError::from)?;
            price(&rate, config, order.network, order.amount)?
        }
        // No quote named and no rate table given: nothing prices the order.
        (Pricing::Quote(_), None) => {
            return Err(QuoteError::Rate(crate::rates::RateError::UnsupportedPair { pair }).into())
        }
    };
    let (guard, fiat_total_minor) = LimitGuard::check(
        config,
        pricing.fiat,
        pricing.fiat_amount,
        facts.spent_today_minor,
        facts.spent_this_month_minor,
        facts.now,
    )?;
    let order = OrderResponse {
        id: facts.new_order_id.to_owned(),
        customer_id: order.customer_id,
        status: OrderStatus::Pending,
        destination_address: order.destination_address,
        quote_id: order.quote_id,
        pricing,
        status_history: vec![StatusChange {
            status: OrderStatus::Pending,
            at: facts.now,
            failure_reason: None,
        }],
        tx_id: None,
        sandbox_reference: None,
        livemode: facts.livemode,
        created_at: facts.now,
        updated_at: facts.now,
    };
    Ok(Plan::Place(Box::new(NewOrder {
        order,
        fiat_total_minor,
        guard,
    })))
}

/// What an order is decided from before anything is read: the client's configuration
/// as the host last read it, and the rate table. The host binds that configuration and
/// the key into the write's guard, so a plan made on a stale copy writes nothing.
#[derive(Debug, Clone, Copy)]
pub struct UnreadFacts<'a> {
    pub config: &'a ClientConfig,
    pub rates: &'a RatesResponse,
    pub now: Timestamp,
    pub new_order_id: &'a str,
    pub fingerprint: &'a str,
    pub livemode: bool,
}

/// The plan of the happy path, made before reading: an order priced by the rate table
/// (not a quote, whose price is stored), with the Idempotency-Key taken as unused and
/// nothing spent yet. Both are left to the write: the key's primary key refuses a
/// reuse and the guard adds the stored spend totals. None when the request needs the
/// facts (a quote, or a request the core refuses even before them, whose error must
/// then be told from the facts as they are); the host then goes the read → [`plan_order`]
/// path, as it does when the write refuses.
pub fn plan_unread(request: &PlaceOrderRequest, facts: &UnreadFacts<'_>) -> Option<Box<NewOrder>> {
    if request.quote_id.is_some() {
        return None;
    }
    let facts = PlacementFacts {
        config: facts.config,
        now: facts.now,
        new_order_id: facts.new_order_id,
        fingerprint: facts.fingerprint,
        prior: None,
        pricing: Pricing::Rates(facts.rates),
        quote_used: false,
        spent_today_minor: 0,
        spent_this_month_minor: 0,
        livemode: facts.livemode,
    };
    match plan_order(request, &facts) {
        Ok(Plan::Place(new)) => Some(new),
        Ok(Plan::Replay(_)) | Err(_) => None,
    }
}

/// After a guarded write wrote nothing, with the facts read again: the order to
/// replay (a concurrent request with the same key won), the error of the limit now
/// exceeded, or, when the limits allow the order now,
/// [`PlacementError::LimitsChangedRetry`] (orders the guard counted failed meanwhile).
pub fn explain_refused_write(
    request: &PlaceOrderRequest,
    facts: &PlacementFacts<'_>,
) -> Result<OrderResponse, PlacementError> {
    match plan_order(request, facts)? {
        Plan::Replay(order) => Ok(*order),
        Plan::Place(_) => Err(PlacementError::LimitsChangedRetry),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::sample;
    use crate::error::DomainError;

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

    fn code_of(edit: impl FnOnce(&mut PlaceOrderRequest)) -> String {
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
        let body = serde_json::to_value(&err).unwrap();
        assert_eq!(body["code"], "invalid_address");
        assert_eq!(body["reason_code"], "wrong_network");
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
            customer_id: None,
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

    fn rates_at(at: &str) -> RatesResponse {
        serde_json::from_value(serde_json::json!({
            "rates": [{ "crypto": "BTC", "fiat": "EUR", "price": "60000.00",
                        "observed_at": at, "source": "test", "age_seconds": 0 }],
            "max_age_seconds": 300
        }))
        .unwrap()
    }

    const NOW: &str = "2026-06-01T12:00:00Z";

    fn facts<'a>(config: &'a ClientConfig, rates: &'a RatesResponse) -> PlacementFacts<'a> {
        PlacementFacts {
            config,
            now: NOW.parse().unwrap(),
            new_order_id: "ord-1",
            fingerprint: "f1",
            prior: None,
            pricing: Pricing::Rates(rates),
            quote_used: false,
            spent_today_minor: 0,
            spent_this_month_minor: 0,
            livemode: false,
        }
    }

    fn placed(plan: Plan) -> NewOrder {
        match plan {
            Plan::Place(new) => *new,
            Plan::Replay(o) => panic!("expected a placement, got a replay of {}", o.id),
        }
    }

    #[test]
    fn plans_a_pending_order_with_its_normalized_address_and_guard() {
        let (config, rates) = (sample(), rates_at(NOW));
        let mut r = request();
        r.destination_address = r.destination_address.to_uppercase();
        let new = placed(plan_order(&r, &facts(&config, &rates)).unwrap());
        assert_eq!(new.order.id, "ord-1");
        assert_eq!(new.order.status, OrderStatus::Pending);
        assert_eq!(
            new.order.destination_address,
            "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
        );
        assert_eq!(new.order.pricing.fiat_amount.to_string(), "100.00");
        assert_eq!(new.fiat_total_minor, 10_000);
        // sample(): EUR daily 2000, monthly 10000.
        assert_eq!(
            new.guard,
            LimitGuard {
                day_start: "2026-06-01T00:00:00Z".parse().unwrap(),
                month_start: "2026-06-01T00:00:00Z".parse().unwrap(),
                daily_limit_minor: 200_000,
                monthly_limit_minor: 1_000_000,
            }
        );
        assert_eq!(new.order.status_history.len(), 1);
    }

    fn unread<'a>(config: &'a ClientConfig, rates: &'a RatesResponse) -> UnreadFacts<'a> {
        let f = facts(config, rates);
        UnreadFacts {
            config,
            rates,
            now: f.now,
            new_order_id: f.new_order_id,
            fingerprint: f.fingerprint,
            livemode: f.livemode,
        }
    }

    #[test]
    fn the_unread_plan_is_the_read_plan_of_a_customer_with_nothing_spent() {
        let (config, rates) = (sample(), rates_at(NOW));
        let unread = plan_unread(&request(), &unread(&config, &rates)).expect("a plan");
        assert_eq!(
            Plan::Place(unread.clone()),
            plan_order(&request(), &facts(&config, &rates)).unwrap()
        );
        // The guard does not depend on what was spent: the write adds the stored totals.
        let mut spent = facts(&config, &rates);
        spent.spent_today_minor = 50_000;
        assert_eq!(
            placed(plan_order(&request(), &spent).unwrap()).guard,
            unread.guard
        );
    }

    #[test]
    fn the_unread_plan_leaves_quotes_and_refusals_to_the_read_path() {
        let (config, rates) = (sample(), rates_at(NOW));
        let facts = unread(&config, &rates);
        let mut quoted = request();
        quoted.quote_id = Some("q-1".into());
        assert_eq!(plan_unread(&quoted, &facts), None);
        let mut bad_address = request();
        bad_address.destination_address = "bc1notanaddress".into();
        assert_eq!(plan_unread(&bad_address, &facts), None);
        // Over the daily limit (sample(): 2000 EUR) on its own.
        let mut too_big = request();
        too_big.amount = "2000.01".into();
        assert_eq!(plan_unread(&too_big, &facts), None);
        let stale = rates_at("2026-06-01T11:00:00Z");
        assert_eq!(plan_unread(&request(), &unread(&config, &stale)), None);
    }

    #[test]
    fn a_known_key_replays_the_same_request_and_refuses_another() {
        let (config, rates) = (sample(), rates_at(NOW));
        let first = placed(plan_order(&request(), &facts(&config, &rates)).unwrap()).order;
        let prior = PriorUse {
            fingerprint: "f1".into(),
            order: first.clone(),
        };
        let mut again = facts(&config, &rates);
        again.prior = Some(&prior);
        assert_eq!(
            plan_order(&request(), &again).unwrap(),
            Plan::Replay(Box::new(first))
        );
        again.fingerprint = "f2";
        let err = plan_order(&request(), &again).unwrap_err();
        assert_eq!(err.code(), "idempotency_key_reused");
    }

    #[test]
    fn the_spent_totals_decide_the_limits() {
        let (config, rates) = (sample(), rates_at(NOW));
        let mut f = facts(&config, &rates);
        f.spent_today_minor = 190_001;
        f.spent_this_month_minor = 190_001;
        let err = plan_order(&request(), &f).unwrap_err();
        assert_eq!(err.code(), "daily_limit_exceeded");
        assert_eq!(err.kind(), ErrorKind::Invalid);
        let body = serde_json::to_value(&err).unwrap();
        assert_eq!(
            (&body["used"], &body["excess"]),
            (&"1900.01".into(), &"0.01".into())
        );
        f.spent_today_minor = 0;
        f.spent_this_month_minor = 990_001;
        assert_eq!(
            plan_order(&request(), &f).unwrap_err().code(),
            "monthly_limit_exceeded"
        );
    }

    #[test]
    fn a_refused_write_is_a_replay_a_limit_or_a_retry() {
        let (config, rates) = (sample(), rates_at(NOW));
        let err = explain_refused_write(&request(), &facts(&config, &rates)).unwrap_err();
        assert_eq!(err.code(), "limits_changed_retry");
        assert_eq!(err.kind(), ErrorKind::Conflict);
        let mut f = facts(&config, &rates);
        f.spent_today_minor = 200_000;
        f.spent_this_month_minor = 200_000;
        let err = explain_refused_write(&request(), &f).unwrap_err();
        assert_eq!(err.code(), "daily_limit_exceeded");
    }

    #[test]
    fn a_missing_or_stale_pricing_is_refused() {
        let config = sample();
        let mut r = request();
        r.quote_id = Some("quo_x".into());
        let rates = rates_at(NOW);
        let mut f = facts(&config, &rates);
        f.pricing = Pricing::Quote(None);
        let err = plan_order(&r, &f).unwrap_err();
        assert_eq!(
            (err.code().as_str(), err.kind()),
            ("not_found", ErrorKind::NotFound)
        );
        let old = rates_at("2026-06-01T11:00:00Z");
        let err = plan_order(&request(), &facts(&config, &old)).unwrap_err();
        assert_eq!(
            (err.code().as_str(), err.kind()),
            ("rate_unavailable", ErrorKind::Unavailable)
        );
    }

    #[test]
    fn a_quote_prices_one_order_of_its_own_customer_only() {
        let config = sample();
        let rates = rates_at(NOW);
        let mut quote = quote_for(&request(), NOW);
        let mut r = request();
        r.quote_id = Some(quote.id.clone());
        let mut f = facts(&config, &rates);
        f.pricing = Pricing::Quote(Some(&quote));
        let new = placed(plan_order(&r, &f).unwrap());
        assert_eq!(new.order.pricing, quote.quote);
        assert_eq!(new.order.quote_id.as_deref(), Some("quo_1"));

        // Used once: a second order on it is a conflict, whatever its key.
        f.quote_used = true;
        let err = plan_order(&r, &f).unwrap_err();
        assert_eq!(
            (err.code().as_str(), err.kind()),
            ("quote_used", ErrorKind::Conflict)
        );
        assert_eq!(serde_json::to_value(&err).unwrap()["quote_id"], "quo_1");
        // ... but the request that used it, retried with its key, replays its order.
        let prior = PriorUse {
            fingerprint: "f1".into(),
            order: new.order.clone(),
        };
        f.prior = Some(&prior);
        assert_eq!(
            plan_order(&r, &f).unwrap(),
            Plan::Replay(Box::new(new.order))
        );

        // Asked for bob: cust-1's order cannot use it, bob's can.
        quote.customer_id = Some("bob".into());
        let mut f = facts(&config, &rates);
        f.pricing = Pricing::Quote(Some(&quote));
        let err = plan_order(&r, &f).unwrap_err();
        assert_eq!(
            (err.code().as_str(), err.kind()),
            ("quote_customer_mismatch", ErrorKind::Invalid)
        );
        r.customer_id = "bob".into();
        assert!(matches!(plan_order(&r, &f).unwrap(), Plan::Place(_)));
    }
}
