//! Quotes for buying crypto with fiat, with every fee broken down.
//!
//! The rules (docs/pricing.md has worked examples). With `C` the crypto the
//! customer receives, `mid` the mid price, `price = mid × (1 + spread% / 100)`,
//! `⌈x⌉` rounding up to the fiat's minor unit:
//!
//! - `cost          = ⌈C × price⌉`            what the crypto costs
//! - `crypto_value  = ⌈C × mid⌉`              what it is worth at mid
//! - `spread fee    = cost − crypto_value`
//! - `service fee   = ⌈cost × service%⌉ + service_fee_fixed`
//! - `network fee   = ⌈network_fee × mid⌉`    (in fiat; the crypto fee is configured)
//! - `fiat_amount   = crypto_value + spread + service + network`  (exact)
//!
//! A quote is a function of `C` alone. When the customer asks for `C`
//! ("receive 0.0025 BTC"), that is the quote. When they give the fiat to
//! spend `F`, `C` is the largest amount whose quote costs at most `F`; the
//! quote then shows what is really paid, `fiat_amount <= F`, so spending the
//! quoted fiat never buys more than the quoted crypto, and a fiat → crypto →
//! fiat round trip gives back `fiat_amount` exactly.

use std::fmt;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use crate::api::{
    Fees, NetworkFee, QuoteBreakdown, QuoteRequest, QuoteResponse, RatesResponse, ServiceFee,
    SpreadFee,
};
use crate::config::{ClientConfig, ConfigError};
use crate::currency::{Fiat, Network};
use crate::error::{DomainError, ErrorKind};
use crate::money::{decimal_string, mul_rounded, percent_to_fraction, AmountError, Rounding};
use crate::rates::{fresh_rate, Pair, Rate, RateError};
use crate::time::Timestamp;
use crate::trade::{check_trade, OrderAmount, Trade, TradeError, TradeRequest};

/// Guards the search loops; each moves at most a few units past the
/// division's estimate, so hitting it means an input out of range.
const MAX_SEARCH_STEPS: u32 = 64;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
#[non_exhaustive]
pub enum QuoteError {
    /// The fiat to spend does not even cover the fixed and network fees (or
    /// buys less than one base unit of the crypto after them).
    AmountBelowFees {
        #[serde(with = "decimal_string")]
        amount: Decimal,
        #[serde(with = "decimal_string")]
        fixed_fees: Decimal,
        currency: Fiat,
    },
    BelowMinimum {
        #[serde(with = "decimal_string")]
        amount: Decimal,
        #[serde(with = "decimal_string")]
        minimum: Decimal,
        currency: Fiat,
    },
    AboveMaximum {
        #[serde(with = "decimal_string")]
        amount: Decimal,
        #[serde(with = "decimal_string")]
        maximum: Decimal,
        currency: Fiat,
    },
    /// An intermediate result does not fit the exact arithmetic.
    AmountTooLarge,
    // The wrapped errors keep their own code and facts (serde wants these last).
    #[serde(untagged)]
    Amount(AmountError),
    #[serde(untagged)]
    Trade(TradeError),
    #[serde(untagged)]
    Rate(RateError),
    #[serde(untagged)]
    Config(ConfigError),
}

impl DomainError for QuoteError {
    fn kind(&self) -> ErrorKind {
        match self {
            QuoteError::Rate(e) => e.kind(),
            _ => ErrorKind::Invalid,
        }
    }
}

impl fmt::Display for QuoteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QuoteError::Amount(e) => e.fmt(f),
            QuoteError::Trade(e) => e.fmt(f),
            QuoteError::Rate(e) => e.fmt(f),
            QuoteError::Config(e) => write!(f, "invalid client configuration: {e}"),
            QuoteError::AmountBelowFees { amount, fixed_fees, currency } => write!(
                f,
                "{amount} {currency} does not buy any crypto after {fixed_fees} {currency} of fixed and network fees"
            ),
            QuoteError::BelowMinimum { amount, minimum, currency } => {
                write!(f, "order of {amount} {currency} is below the minimum of {minimum} {currency}")
            }
            QuoteError::AboveMaximum { amount, maximum, currency } => {
                write!(f, "order of {amount} {currency} is above the maximum of {maximum} {currency}")
            }
            QuoteError::AmountTooLarge => f.write_str("amount too large to quote"),
        }
    }
}

impl std::error::Error for QuoteError {}

impl From<AmountError> for QuoteError {
    fn from(e: AmountError) -> Self {
        QuoteError::Amount(e)
    }
}

impl From<RateError> for QuoteError {
    fn from(e: RateError) -> Self {
        QuoteError::Rate(e)
    }
}

impl From<ConfigError> for QuoteError {
    fn from(e: ConfigError) -> Self {
        QuoteError::Config(e)
    }
}

impl From<TradeError> for QuoteError {
    fn from(e: TradeError) -> Self {
        QuoteError::Trade(e)
    }
}

/// The quote for the body of `POST /v1/quotes`, from exactly the JSON of
/// `GET /v1/rates` and `GET /v1/config`, so that the browser (npm package)
/// and the worker compute the identical quote.
pub fn estimate(
    request: &QuoteRequest,
    rates: &RatesResponse,
    config: &ClientConfig,
    now: Timestamp,
) -> Result<QuoteBreakdown, QuoteError> {
    let config = config.clone().validate()?;
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
        &config,
    )?;
    let rate = fresh_rate(
        rates,
        Pair { crypto, fiat },
        now,
        config.max_rate_age_seconds,
    )?;
    price(&rate, &config, network, amount)
}

/// The quote for an already validated amount at a fresh rate (the worker
/// calls this when it places an order). `config` must be validated.
pub fn price(
    rate: &Rate,
    config: &ClientConfig,
    network: Network,
    amount: OrderAmount,
) -> Result<QuoteBreakdown, QuoteError> {
    let Pair { crypto, fiat } = rate.pair;
    let terms = Terms::new(rate, config)?;
    let (crypto_amount, requested, amount_currency) = match amount {
        OrderAmount::Crypto(c) => (c, c, crypto.ticker()),
        OrderAmount::Fiat(f) => (terms.crypto_for_fiat(f)?, f, fiat.ticker()),
    };
    let parts = terms
        .parts(crypto_amount)
        .ok_or(QuoteError::AmountTooLarge)?;
    let settings = config.fiat_settings(fiat).ok_or_else(|| {
        QuoteError::Trade(TradeError::CurrencyNotEnabled {
            currency: fiat.ticker().to_owned(),
        })
    })?;
    if parts.fiat_amount < settings.min_order {
        return Err(QuoteError::BelowMinimum {
            amount: parts.fiat_amount,
            minimum: settings.min_order,
            currency: fiat,
        });
    }
    if parts.fiat_amount > settings.max_order {
        return Err(QuoteError::AboveMaximum {
            amount: parts.fiat_amount,
            maximum: settings.max_order,
            currency: fiat,
        });
    }
    Ok(QuoteBreakdown {
        crypto,
        network,
        fiat,
        amount: requested,
        amount_currency: amount_currency.to_owned(),
        mid_price: display_price(terms.mid, terms.fiat_places),
        price: display_price(terms.price, terms.fiat_places),
        crypto_amount,
        fiat_amount: parts.fiat_amount,
        crypto_value: parts.crypto_value,
        fees: Fees {
            service: ServiceFee {
                percent: config.service_fee_percent,
                fixed: terms.service_fixed,
                fiat: parts.service,
            },
            spread: SpreadFee {
                percent: config.spread_percent,
                fiat: parts.spread,
            },
            network: NetworkFee {
                crypto: terms.network_fee_crypto,
                fiat: terms.network_fee_fiat,
            },
            total: parts.fees_total,
        },
        rate_observed_at: rate.observed_at,
        rate_source: rate.source.clone(),
    })
}

/// A quote with its id and expiry (`now + quote_validity_seconds`); the id
/// comes from the caller, the core has no randomness.
pub fn quote_response(
    id: String,
    quote: QuoteBreakdown,
    config: &ClientConfig,
    now: Timestamp,
) -> Result<QuoteResponse, QuoteError> {
    let expires_at = now
        .checked_add_seconds(i64::from(config.quote_validity_seconds))
        .ok_or(QuoteError::AmountTooLarge)?;
    Ok(QuoteResponse {
        id,
        expires_at,
        livemode: false,
        customer_id: None,
        quote,
    })
}

/// A price shown with its significant decimals, but at least the fiat's.
fn display_price(p: Decimal, fiat_places: u32) -> Decimal {
    let mut p = p.normalize();
    if p.scale() < fiat_places {
        p.rescale(fiat_places);
    }
    p
}

/// Everything fixed for one pair and config, before the amount is known.
struct Terms {
    mid: Decimal,
    price: Decimal,
    service_fraction: Decimal,
    service_fixed: Decimal,
    network_fee_crypto: Decimal,
    network_fee_fiat: Decimal,
    fiat_places: u32,
    crypto_places: u32,
    currency: Fiat,
}

/// The fiat side of a quote for one crypto amount.
struct Parts {
    crypto_value: Decimal,
    spread: Decimal,
    service: Decimal,
    fees_total: Decimal,
    fiat_amount: Decimal,
}

impl Terms {
    fn new(rate: &Rate, config: &ClientConfig) -> Result<Terms, QuoteError> {
        let Pair { crypto, fiat } = rate.pair;
        let not_enabled = |c: &str| {
            QuoteError::Trade(TradeError::CurrencyNotEnabled {
                currency: c.to_owned(),
            })
        };
        let fiat_settings = config
            .fiat_settings(fiat)
            .ok_or_else(|| not_enabled(fiat.ticker()))?;
        let crypto_settings = config
            .crypto_settings(crypto)
            .ok_or_else(|| not_enabled(crypto.ticker()))?;
        let fiat_places = fiat.minor_units();
        let spread =
            percent_to_fraction(config.spread_percent).ok_or(QuoteError::AmountTooLarge)?;
        // mid has at most 8 places and (1 + spread) at most 6: the product
        // fits a Decimal exactly.
        let price = rate
            .mid_price
            .checked_mul(Decimal::ONE + spread)
            .ok_or(QuoteError::AmountTooLarge)?;
        let network_fee_fiat = mul_rounded(
            crypto_settings.network_fee,
            rate.mid_price,
            fiat_places,
            Rounding::Up,
        )
        .ok_or(QuoteError::AmountTooLarge)?;
        Ok(Terms {
            mid: rate.mid_price,
            price,
            service_fraction: percent_to_fraction(config.service_fee_percent)
                .ok_or(QuoteError::AmountTooLarge)?,
            service_fixed: fiat_settings.service_fee_fixed,
            network_fee_crypto: crypto_settings.network_fee,
            network_fee_fiat,
            fiat_places,
            crypto_places: crypto.decimals(),
            currency: fiat,
        })
    }

    fn minor_unit(&self) -> Decimal {
        Decimal::new(1, self.fiat_places)
    }

    fn base_unit(&self) -> Decimal {
        Decimal::new(1, self.crypto_places)
    }

    /// service fee on a cost: ⌈cost × service%⌉ + fixed.
    fn service_fee(&self, cost: Decimal) -> Option<Decimal> {
        mul_rounded(cost, self.service_fraction, self.fiat_places, Rounding::Up)?
            .checked_add(self.service_fixed)
    }

    fn parts(&self, crypto_amount: Decimal) -> Option<Parts> {
        let cost = mul_rounded(crypto_amount, self.price, self.fiat_places, Rounding::Up)?;
        let crypto_value = mul_rounded(crypto_amount, self.mid, self.fiat_places, Rounding::Up)?;
        let spread = cost.checked_sub(crypto_value)?;
        let service = self.service_fee(cost)?;
        let fees_total = spread
            .checked_add(service)?
            .checked_add(self.network_fee_fiat)?;
        let fiat_amount = crypto_value.checked_add(fees_total)?;
        Some(Parts {
            crypto_value,
            spread,
            service,
            fees_total,
            fiat_amount,
        })
    }

    /// cost + service fee + network fee for a cost.
    fn total_for_cost(&self, cost: Decimal) -> Option<Decimal> {
        cost.checked_add(self.service_fee(cost)?)?
            .checked_add(self.network_fee_fiat)
    }

    /// The largest crypto amount whose quote costs at most `spend`.
    fn crypto_for_fiat(&self, spend: Decimal) -> Result<Decimal, QuoteError> {
        let too_large = QuoteError::AmountTooLarge;
        let fixed_fees = self.service_fixed + self.network_fee_fiat;
        let below_fees = || QuoteError::AmountBelowFees {
            amount: spend,
            fixed_fees,
            currency: self.currency,
        };
        let available = spend.checked_sub(fixed_fees).ok_or(too_large.clone())?;
        if available <= Decimal::ZERO {
            return Err(below_fees());
        }
        // The largest cost (a multiple of the minor unit) whose total fits.
        let fits = |cost: Decimal| self.total_for_cost(cost).is_some_and(|t| t <= spend);
        let estimate = available
            .checked_div(Decimal::ONE + self.service_fraction)
            .ok_or(too_large.clone())?
            .round_dp_with_strategy(self.fiat_places, RoundingStrategy::ToZero);
        let cost = search_largest(estimate, self.minor_unit(), fits).ok_or(too_large.clone())?;
        if cost <= Decimal::ZERO {
            return Err(below_fees());
        }
        // The largest crypto amount costing at most that.
        let affordable = |c: Decimal| {
            mul_rounded(c, self.price, self.fiat_places, Rounding::Up).is_some_and(|v| v <= cost)
        };
        let estimate = cost
            .checked_div(self.price)
            .ok_or(too_large.clone())?
            .round_dp_with_strategy(self.crypto_places, RoundingStrategy::ToZero);
        let crypto = search_largest(estimate, self.base_unit(), affordable).ok_or(too_large)?;
        if crypto <= Decimal::ZERO {
            return Err(below_fees());
        }
        let mut crypto = crypto;
        crypto.rescale(self.crypto_places);
        Ok(crypto)
    }
}

/// The largest `x = estimate + k × step` (k an integer, x >= 0) with
/// `fits(x)`, for a monotone `fits` true at 0 or returning 0 if nothing
/// positive fits. `None` if the estimate is more than MAX_SEARCH_STEPS off.
fn search_largest(
    estimate: Decimal,
    step: Decimal,
    fits: impl Fn(Decimal) -> bool,
) -> Option<Decimal> {
    let mut x = estimate.max(Decimal::ZERO);
    for _ in 0..MAX_SEARCH_STEPS {
        if x <= Decimal::ZERO || fits(x) {
            break;
        }
        x = (x - step).max(Decimal::ZERO);
    }
    if x > Decimal::ZERO && !fits(x) {
        return None;
    }
    for _ in 0..MAX_SEARCH_STEPS {
        let next = x.checked_add(step)?;
        if !fits(next) {
            return Some(x);
        }
        x = next;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::sample;
    use crate::error::DomainError;

    fn rates(price: &str) -> RatesResponse {
        serde_json::from_str(&format!(
            r#"{{"rates":[
                {{"crypto":"BTC","fiat":"EUR","price":"{price}","observed_at":"2026-01-01T12:00:00Z","source":"test","age_seconds":0}},
                {{"crypto":"BTC","fiat":"JPY","price":"15000000","observed_at":"2026-01-01T12:00:00Z","source":"test","age_seconds":0}},
                {{"crypto":"ETH","fiat":"EUR","price":"3000","observed_at":"2026-01-01T12:00:00Z","source":"test","age_seconds":0}}
            ],"max_age_seconds":300}}"#
        ))
        .unwrap()
    }

    fn now() -> Timestamp {
        "2026-01-01T12:01:00Z".parse().unwrap()
    }

    fn request(crypto: &str, fiat: &str, amount: &str, amount_currency: &str) -> QuoteRequest {
        QuoteRequest {
            customer_id: None,
            crypto: crypto.into(),
            network: "mainnet".into(),
            fiat: fiat.into(),
            amount: amount.into(),
            amount_currency: amount_currency.into(),
        }
    }

    fn quote(req: &QuoteRequest) -> Result<QuoteBreakdown, QuoteError> {
        estimate(req, &rates("50000"), &sample(), now())
    }

    #[test]
    fn receive_quote_follows_the_documented_worked_example() {
        // docs/pricing.md, example 1.
        let q = quote(&request("BTC", "EUR", "0.0025", "BTC")).unwrap();
        let j = serde_json::to_value(&q).unwrap();
        assert_eq!(j["price"], "50250.00");
        assert_eq!(j["crypto_amount"], "0.00250000");
        assert_eq!(j["crypto_value"], "125.00");
        assert_eq!(j["fees"]["spread"]["fiat"], "0.63");
        assert_eq!(j["fees"]["service"]["fiat"], "2.39");
        assert_eq!(j["fees"]["network"]["fiat"], "2.50");
        assert_eq!(j["fees"]["total"], "5.52");
        assert_eq!(j["fiat_amount"], "130.52");
    }

    #[test]
    fn spend_quote_buys_the_most_crypto_the_fiat_pays_for() {
        // docs/pricing.md, example 2.
        let q = quote(&request("BTC", "EUR", "100.00", "EUR")).unwrap();
        let j = serde_json::to_value(&q).unwrap();
        assert_eq!(j["crypto_amount"], "0.00190169");
        assert_eq!(j["fiat_amount"], "100.00");
        assert_eq!(j["amount"], "100.00");
        assert_eq!(j["amount_currency"], "EUR");
        // One satoshi more would cost more than 100.00.
        let more = quote(&request("BTC", "EUR", "0.00190170", "BTC")).unwrap();
        assert!(more.fiat_amount > q.fiat_amount);
    }

    #[test]
    fn spend_and_receive_quotes_of_the_same_crypto_agree() {
        let spend = quote(&request("BTC", "EUR", "250.00", "EUR")).unwrap();
        let receive = quote(&request(
            "BTC",
            "EUR",
            &spend.crypto_amount.to_string(),
            "BTC",
        ))
        .unwrap();
        assert_eq!(spend.fiat_amount, receive.fiat_amount);
        assert_eq!(spend.fees, receive.fees);
    }

    #[test]
    fn eth_amounts_keep_18_decimals() {
        let q = quote(&request("ETH", "EUR", "100.00", "EUR")).unwrap();
        assert_eq!(q.crypto_amount.scale(), 18);
        assert!(q.fiat_amount <= Decimal::new(10000, 2));
        assert_eq!(q.fees.network.crypto.to_string(), "0.000400000000000000");
    }

    #[test]
    fn jpy_has_no_minor_unit() {
        let q = quote(&request("BTC", "JPY", "10000", "JPY")).unwrap();
        assert_eq!(q.fiat_amount.scale(), 0);
        assert_eq!(q.fees.total.scale(), 0);
    }

    #[test]
    fn each_error_has_its_code() {
        let code = |req: QuoteRequest| quote(&req).unwrap_err().code();
        assert_eq!(
            code(request("BTC", "EUR", "-5", "EUR")),
            "amount_not_positive"
        );
        assert_eq!(
            code(request("BTC", "EUR", "0", "EUR")),
            "amount_not_positive"
        );
        assert_eq!(
            code(request("BTC", "EUR", "1.001", "EUR")),
            "too_many_decimals"
        );
        assert_eq!(
            code(request("BTC", "EUR", "0.000000001", "BTC")),
            "too_many_decimals"
        );
        assert_eq!(
            code(request("BTC", "EUR", "1e2", "EUR")),
            "malformed_amount"
        );
        assert_eq!(code(request("XRP", "EUR", "1", "EUR")), "unknown_currency");
        assert_eq!(
            code(request("LTC", "EUR", "1", "EUR")),
            "currency_not_enabled"
        );
        assert_eq!(
            code(request("BTC", "USD", "1", "USD")),
            "currency_not_enabled"
        );
        assert_eq!(
            code(request("BTC", "EUR", "100", "ETH")),
            "amount_currency_mismatch"
        );
        assert_eq!(
            code(request("BTC", "EUR", "3.00", "EUR")),
            "amount_below_fees"
        );
        assert_eq!(code(request("BTC", "EUR", "9.00", "EUR")), "below_minimum");
        assert_eq!(
            code(request("BTC", "EUR", "1000.01", "EUR")),
            "above_maximum"
        );
        let mut r = request("BTC", "EUR", "100", "EUR");
        r.network = "signet".into();
        assert_eq!(code(r.clone()), "network_not_enabled");
        r.network = "lightning".into();
        assert_eq!(code(r), "unknown_network");
        let eth_jpy = request("ETH", "JPY", "10000", "JPY");
        assert_eq!(code(eth_jpy), "unsupported_pair");
        let late = "2026-01-01T12:05:01Z".parse().unwrap();
        let err = estimate(
            &request("BTC", "EUR", "100", "EUR"),
            &rates("50000"),
            &sample(),
            late,
        )
        .unwrap_err();
        assert_eq!(err.code(), "rate_unavailable");
        assert_eq!(
            serde_json::to_value(&err).unwrap()["age_seconds"],
            serde_json::json!(301)
        );
    }

    #[test]
    fn errors_serialize_as_code_message_and_facts() {
        let err = quote(&request("BTC", "EUR", "9.99", "EUR")).unwrap_err();
        let body = serde_json::to_value(crate::error::ErrorBody::of(&err)).unwrap();
        assert_eq!(body["code"], "below_minimum");
        assert_eq!(body["minimum"], "10.00");
        assert_eq!(body["currency"], "EUR");
        assert!(body["message"].as_str().unwrap().starts_with("order of "));
        let err = quote(&request("BTC", "EUR", "1.001", "EUR")).unwrap_err();
        let body = serde_json::to_value(&err).unwrap();
        assert_eq!(body["code"], "too_many_decimals");
        assert_eq!(body["max_decimals"], 2);
        assert_eq!(body["input"], "1.001");
    }

    #[test]
    fn invalid_config_is_reported_not_used() {
        let mut config = sample();
        config.spread_percent = Decimal::from(60);
        let err = estimate(
            &request("BTC", "EUR", "100", "EUR"),
            &rates("50000"),
            &config,
            now(),
        )
        .unwrap_err();
        assert_eq!(err.code(), "percent_out_of_range");
    }

    #[test]
    fn quote_expires_after_the_validity() {
        let q = quote(&request("BTC", "EUR", "100", "EUR")).unwrap();
        let r = quote_response("q-1".into(), q, &sample(), now()).unwrap();
        assert_eq!(
            r.expires_at,
            "2026-01-01T12:02:00Z".parse::<Timestamp>().unwrap()
        );
        let j = serde_json::to_value(&r).unwrap();
        assert_eq!(j["id"], "q-1");
        assert_eq!(j["fiat_amount"], "100.00");
    }
}
