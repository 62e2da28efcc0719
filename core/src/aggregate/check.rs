//! One source's quote of one pair: its mid price, or why it is refused.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use super::policy::AggregationPolicy;
use crate::currency::{Crypto, Fiat};
use crate::money::MAX_INTEGER_DIGITS;
use crate::rates::{Pair, PRICE_DECIMALS};
use crate::time::Timestamp;

/// A best bid and ask as a source reported them, with the source's own time
/// (or the fetch time when the source gives none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceQuote {
    pub source: String,
    pub crypto: Crypto,
    pub fiat: Fiat,
    #[serde(with = "super::signed_decimal")]
    pub bid: Decimal,
    #[serde(with = "super::signed_decimal")]
    pub ask: Decimal,
    pub observed_at: Timestamp,
}

impl SourceQuote {
    pub fn pair(&self) -> Pair {
        Pair {
            crypto: self.crypto,
            fiat: self.fiat,
        }
    }
}

/// Why a source's quote did not count. The snake_case names are public API
/// (`sources[].reason` of `GET /v1/rates`).
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Refusal {
    /// The source answered nothing usable (down, slow past its budget, garbage).
    Unavailable,
    /// Older than `max_quote_age_seconds`.
    TooOld,
    /// Observed after now (beyond the clock skew allowance).
    InFuture,
    /// Bid or ask zero or negative.
    NotPositive,
    /// Bid above ask.
    Crossed,
    /// Spread over `max_spread_percent`.
    SpreadTooWide,
    /// Ten or more integer digits.
    TooLarge,
    /// Further than `outlier_percent` from the median of the other sources.
    Outlier,
    /// Valid, but too few sources agreed to set a price.
    NoQuorum,
    /// The pair was priced through an FX reference instead.
    Derived,
}

impl Refusal {
    /// Refused for its time: the quote does not count among the fresh ones.
    pub fn is_untimely(self) -> bool {
        matches!(self, Refusal::TooOld | Refusal::InFuture)
    }
}

/// The mid price of a quote at [`PRICE_DECIMALS`] (half to even), or why it is refused.
pub fn mid_price(
    quote: &SourceQuote,
    policy: &AggregationPolicy,
    now: Timestamp,
) -> Result<Decimal, Refusal> {
    let age = now.seconds_since(quote.observed_at);
    if age < -i64::from(policy.max_clock_skew_seconds) {
        return Err(Refusal::InFuture);
    }
    if age > i64::from(policy.max_quote_age_seconds) {
        return Err(Refusal::TooOld);
    }
    let (bid, ask) = (quote.bid, quote.ask);
    if bid <= Decimal::ZERO || ask <= Decimal::ZERO {
        return Err(Refusal::NotPositive);
    }
    let limit = Decimal::from(10u64.pow(MAX_INTEGER_DIGITS as u32));
    if bid >= limit || ask >= limit {
        return Err(Refusal::TooLarge);
    }
    if bid > ask {
        return Err(Refusal::Crossed);
    }
    let mid = ((bid + ask) / Decimal::TWO)
        .round_dp_with_strategy(PRICE_DECIMALS, RoundingStrategy::MidpointNearestEven);
    if mid <= Decimal::ZERO {
        return Err(Refusal::NotPositive);
    }
    match percent_of(ask - bid, mid) {
        Some(spread) if spread <= policy.max_spread_percent => Ok(mid),
        _ => Err(Refusal::SpreadTooWide),
    }
}

/// `part / whole × 100`, `None` on overflow.
pub(crate) fn percent_of(part: Decimal, whole: Decimal) -> Option<Decimal> {
    part.checked_mul(Decimal::ONE_HUNDRED)?.checked_div(whole)
}

/// `|a - b| / b × 100`.
pub(crate) fn distance_percent(a: Decimal, b: Decimal) -> Option<Decimal> {
    percent_of((a - b).abs(), b)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn quote(source: &str, bid: &str, ask: &str, observed_at: &str) -> SourceQuote {
        SourceQuote {
            source: source.into(),
            crypto: Crypto::Btc,
            fiat: Fiat::Eur,
            bid: bid.parse().unwrap(),
            ask: ask.parse().unwrap(),
            observed_at: observed_at.parse().unwrap(),
        }
    }

    fn now() -> Timestamp {
        "2026-01-01T12:00:00Z".parse().unwrap()
    }

    fn check(bid: &str, ask: &str, at: &str) -> Result<String, Refusal> {
        mid_price(
            &quote("k", bid, ask, at),
            &AggregationPolicy::default(),
            now(),
        )
        .map(|d| d.normalize().to_string())
    }

    #[test]
    fn mid_is_the_average_of_bid_and_ask_at_eight_places() {
        assert_eq!(
            check("60000.0", "60010.0", "2026-01-01T11:59:30Z").unwrap(),
            "60005"
        );
        assert_eq!(
            check("0.123456781", "0.123456782", "2026-01-01T12:00:00Z").unwrap(),
            "0.12345678"
        );
    }

    #[test]
    fn refuses_zero_negative_crossed_and_wide_quotes() {
        let at = "2026-01-01T12:00:00Z";
        assert_eq!(check("0", "1", at), Err(Refusal::NotPositive));
        assert_eq!(check("-5", "1", at), Err(Refusal::NotPositive));
        assert_eq!(
            check("0.000000001", "0.000000001", at),
            Err(Refusal::NotPositive)
        );
        assert_eq!(check("101", "100", at), Err(Refusal::Crossed));
        // 2 % of the mid is allowed, a little more is not.
        assert_eq!(check("99", "101", at).unwrap(), "100");
        assert_eq!(check("98.9", "101", at), Err(Refusal::SpreadTooWide));
        assert_eq!(check("1", "10000000000", at), Err(Refusal::TooLarge));
    }

    #[test]
    fn refuses_old_and_future_quotes() {
        assert!(check("1", "1", "2026-01-01T11:58:00Z").is_ok());
        assert_eq!(
            check("1", "1", "2026-01-01T11:57:59Z"),
            Err(Refusal::TooOld)
        );
        assert!(check("1", "1", "2026-01-01T12:00:05Z").is_ok());
        assert_eq!(
            check("1", "1", "2026-01-01T12:00:06Z"),
            Err(Refusal::InFuture)
        );
    }

    #[test]
    fn refusals_have_snake_case_names() {
        assert_eq!(
            serde_json::to_string(&Refusal::SpreadTooWide).unwrap(),
            "\"spread_too_wide\""
        );
    }
}
