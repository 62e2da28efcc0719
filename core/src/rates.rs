//! Rate tables: the mid price of each (crypto, fiat) pair, when and where it
//! was observed, and whether it is still fresh enough to quote.
//!
//! A rate is fresh while `now - observed_at <= max_rate_age_seconds`. A rate
//! observed after `now` is refused (a wrong clock or a bad feed would
//! otherwise keep it fresh forever).

use std::collections::BTreeMap;
use std::fmt;

use rust_decimal::Decimal;
use serde::{Serialize, Serializer};

use crate::api::{RateEntry, RatesResponse, SetRatesRequest};
use crate::currency::{Crypto, Fiat};
use crate::money::{at_precision, MAX_INTEGER_DIGITS};
use crate::time::Timestamp;

/// A mid price has at most this many decimals (DOGE in EUR needs several).
pub const PRICE_DECIMALS: u32 = 8;

/// Source recorded when an administrator sets a rate without naming one.
pub const DEFAULT_SOURCE: &str = "admin";

/// A (crypto, fiat) pair, shown as "BTC/EUR".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pair {
    pub crypto: Crypto,
    pub fiat: Fiat,
}

impl fmt::Display for Pair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.crypto, self.fiat)
    }
}

impl Serialize for Pair {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// One validated mid price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rate {
    pub pair: Pair,
    pub mid_price: Decimal,
    pub observed_at: Timestamp,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
#[non_exhaustive]
pub enum RateError {
    /// No rate for this pair in the table.
    UnsupportedPair { pair: Pair },
    /// The rate is older than the client's maximum age (code `rate_unavailable`: the
    /// sources failed to give a newer one; retry later).
    #[serde(rename = "rate_unavailable")]
    Stale {
        pair: Pair,
        age_seconds: i64,
        max_age_seconds: u32,
    },
    /// The rate claims to be observed after `now`.
    #[serde(rename = "rate_in_future")]
    ObservedInFuture {
        pair: Pair,
        observed_at: Timestamp,
        now: Timestamp,
    },
    /// Zero, negative, too precise or too large.
    InvalidPrice {
        pair: Pair,
        #[serde(with = "crate::money::decimal_string")]
        price: Decimal,
    },
    /// The same pair twice in one table.
    DuplicatePair { pair: Pair },
}

impl crate::error::DomainError for RateError {
    fn kind(&self) -> crate::error::ErrorKind {
        match self {
            // The table is too old (or the clock too far behind) to price now.
            RateError::Stale { .. } | RateError::ObservedInFuture { .. } => {
                crate::error::ErrorKind::Unavailable
            }
            _ => crate::error::ErrorKind::Invalid,
        }
    }
}

impl fmt::Display for RateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RateError::UnsupportedPair { pair } => write!(f, "no rate for {pair}"),
            RateError::Stale { pair, age_seconds, max_age_seconds } => write!(
                f,
                "rate for {pair} is {age_seconds} s old, older than the maximum of {max_age_seconds} s"
            ),
            RateError::ObservedInFuture { pair, observed_at, now } => write!(
                f,
                "rate for {pair} is observed at {observed_at}, after now ({now})"
            ),
            RateError::InvalidPrice { pair, price } => write!(
                f,
                "price {price} for {pair} must be positive, below 10^{MAX_INTEGER_DIGITS} and have at most {PRICE_DECIMALS} decimal places"
            ),
            RateError::DuplicatePair { pair } => write!(f, "rate for {pair} is given twice"),
        }
    }
}

impl std::error::Error for RateError {}

/// Checks a mid price and rescales it to [`PRICE_DECIMALS`].
pub fn validate_price(pair: Pair, price: Decimal) -> Result<Decimal, RateError> {
    let invalid = || RateError::InvalidPrice { pair, price };
    if price <= Decimal::ZERO || price.trunc().to_string().len() > MAX_INTEGER_DIGITS {
        return Err(invalid());
    }
    at_precision(price, PRICE_DECIMALS).ok_or_else(invalid)
}

/// Whole seconds from `observed_at` to `now` (negative if in the future).
pub fn age_seconds(observed_at: Timestamp, now: Timestamp) -> i64 {
    now.seconds_since(observed_at)
}

/// The fresh rate of one pair in the body of `GET /v1/rates`. Only that
/// pair's entries are looked at, so a bad entry for another pair does not
/// stop this quote.
pub fn fresh_rate(
    response: &RatesResponse,
    pair: Pair,
    now: Timestamp,
    max_age_seconds: u32,
) -> Result<Rate, RateError> {
    let mut table = RateTable::default();
    for entry in response
        .rates
        .iter()
        .filter(|e| e.crypto == pair.crypto && e.fiat == pair.fiat)
    {
        table.insert(Rate {
            pair,
            mid_price: entry.price,
            observed_at: entry.observed_at,
            source: entry.source.clone(),
        })?;
    }
    table.fresh(pair, now, max_age_seconds).cloned()
}

/// The rates known at one moment, one per pair.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RateTable {
    rates: BTreeMap<Pair, Rate>,
}

impl RateTable {
    /// Reads and validates the body of `GET /v1/rates` (its `age_seconds`
    /// is ignored: freshness is recomputed from `observed_at` and `now`).
    pub fn from_response(response: &RatesResponse) -> Result<RateTable, RateError> {
        let mut table = RateTable::default();
        for entry in &response.rates {
            table.insert(Rate {
                pair: Pair {
                    crypto: entry.crypto,
                    fiat: entry.fiat,
                },
                mid_price: entry.price,
                observed_at: entry.observed_at,
                source: entry.source.clone(),
            })?;
        }
        Ok(table)
    }

    /// Validates the body of `PUT /v1/admin/rates`; the rates are observed `now`.
    pub fn from_set_request(
        request: &SetRatesRequest,
        now: Timestamp,
    ) -> Result<RateTable, RateError> {
        let mut table = RateTable::default();
        for entry in &request.rates {
            table.insert(Rate {
                pair: Pair {
                    crypto: entry.crypto,
                    fiat: entry.fiat,
                },
                mid_price: entry.price,
                observed_at: now,
                source: entry
                    .source
                    .clone()
                    .unwrap_or_else(|| DEFAULT_SOURCE.to_owned()),
            })?;
        }
        Ok(table)
    }

    fn insert(&mut self, rate: Rate) -> Result<(), RateError> {
        let pair = rate.pair;
        let rate = Rate {
            mid_price: validate_price(pair, rate.mid_price)?,
            ..rate
        };
        if self.rates.insert(pair, rate).is_some() {
            return Err(RateError::DuplicatePair { pair });
        }
        Ok(())
    }

    /// The rate of a pair, if it is fresh at `now`.
    pub fn fresh(
        &self,
        pair: Pair,
        now: Timestamp,
        max_age_seconds: u32,
    ) -> Result<&Rate, RateError> {
        let rate = self
            .rates
            .get(&pair)
            .ok_or(RateError::UnsupportedPair { pair })?;
        let age = age_seconds(rate.observed_at, now);
        if age < 0 {
            return Err(RateError::ObservedInFuture {
                pair,
                observed_at: rate.observed_at,
                now,
            });
        }
        if age > i64::from(max_age_seconds) {
            return Err(RateError::Stale {
                pair,
                age_seconds: age,
                max_age_seconds,
            });
        }
        Ok(rate)
    }

    pub fn rates(&self) -> impl Iterator<Item = &Rate> {
        self.rates.values()
    }

    /// The body of `GET /v1/rates` at `now`, sorted by pair.
    pub fn to_response(&self, now: Timestamp, max_age_seconds: u32) -> RatesResponse {
        RatesResponse {
            rates: self
                .rates
                .values()
                .map(|r| RateEntry {
                    crypto: r.pair.crypto,
                    fiat: r.pair.fiat,
                    price: r.mid_price,
                    observed_at: r.observed_at,
                    source: r.source.clone(),
                    age_seconds: age_seconds(r.observed_at, now),
                    status: Default::default(),
                    sources: Vec::new(),
                    expires_at: None,
                })
                .collect(),
            max_age_seconds,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::DomainError;

    const BTC_EUR: Pair = Pair {
        crypto: Crypto::Btc,
        fiat: Fiat::Eur,
    };

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn response(json: &str) -> RatesResponse {
        serde_json::from_str(json).unwrap()
    }

    fn one_rate(price: &str, observed_at: &str) -> RatesResponse {
        response(&format!(
            r#"{{"rates":[{{"crypto":"BTC","fiat":"EUR","price":"{price}","observed_at":"{observed_at}","source":"test","age_seconds":0}}],"max_age_seconds":300}}"#
        ))
    }

    #[test]
    fn fresh_rate_is_returned_at_the_age_limit() {
        let table =
            RateTable::from_response(&one_rate("50000.00", "2026-01-01T12:00:00Z")).unwrap();
        let rate = table
            .fresh(BTC_EUR, at("2026-01-01T12:05:00Z"), 300)
            .unwrap();
        assert_eq!(rate.mid_price.to_string(), "50000.00000000");
    }

    #[test]
    fn rate_older_than_max_age_is_stale() {
        let table =
            RateTable::from_response(&one_rate("50000.00", "2026-01-01T12:00:00Z")).unwrap();
        let err = table
            .fresh(BTC_EUR, at("2026-01-01T12:05:01Z"), 300)
            .unwrap_err();
        assert_eq!(
            err,
            RateError::Stale {
                pair: BTC_EUR,
                age_seconds: 301,
                max_age_seconds: 300
            }
        );
        assert_eq!(err.code(), "rate_unavailable");
        assert_eq!(
            err.to_string(),
            "rate for BTC/EUR is 301 s old, older than the maximum of 300 s"
        );
    }

    #[test]
    fn rate_from_the_future_is_refused() {
        let table =
            RateTable::from_response(&one_rate("50000.00", "2026-01-01T12:00:01Z")).unwrap();
        let err = table
            .fresh(BTC_EUR, at("2026-01-01T12:00:00Z"), 300)
            .unwrap_err();
        assert_eq!(err.code(), "rate_in_future");
    }

    #[test]
    fn missing_pair_is_unsupported() {
        let table =
            RateTable::from_response(&one_rate("50000.00", "2026-01-01T12:00:00Z")).unwrap();
        let pair = Pair {
            crypto: Crypto::Eth,
            fiat: Fiat::Eur,
        };
        let err = table
            .fresh(pair, at("2026-01-01T12:00:00Z"), 300)
            .unwrap_err();
        assert_eq!(err.code(), "unsupported_pair");
    }

    #[test]
    fn invalid_prices_are_refused() {
        for price in ["0", "0.000000001"] {
            let err =
                RateTable::from_response(&one_rate(price, "2026-01-01T12:00:00Z")).unwrap_err();
            assert_eq!(err.code(), "invalid_price", "{price}");
        }
        // The wire refuses ten billion already; the domain check holds too.
        let big = Decimal::from(10_000_000_000u64);
        assert_eq!(
            validate_price(BTC_EUR, big).unwrap_err().code(),
            "invalid_price"
        );
        assert!(validate_price(BTC_EUR, big - Decimal::ONE).is_ok());
    }

    #[test]
    fn duplicate_pair_is_refused() {
        let r = response(
            r#"{"rates":[
                {"crypto":"BTC","fiat":"EUR","price":"1","observed_at":"2026-01-01T00:00:00Z","source":"a","age_seconds":0},
                {"crypto":"BTC","fiat":"EUR","price":"2","observed_at":"2026-01-01T00:00:00Z","source":"b","age_seconds":0}
            ],"max_age_seconds":300}"#,
        );
        assert_eq!(
            RateTable::from_response(&r).unwrap_err().code(),
            "duplicate_pair"
        );
    }

    #[test]
    fn set_request_becomes_a_response_with_ages() {
        let req: SetRatesRequest =
            serde_json::from_str(r#"{"rates":[{"crypto":"ETH","fiat":"USD","price":"3000.5"}]}"#)
                .unwrap();
        let table = RateTable::from_set_request(&req, at("2026-01-01T00:00:00Z")).unwrap();
        let resp = table.to_response(at("2026-01-01T00:00:42Z"), 300);
        let json = serde_json::to_string(&resp).unwrap();
        assert_eq!(
            json,
            r#"{"rates":[{"crypto":"ETH","fiat":"USD","price":"3000.50000000","observed_at":"2026-01-01T00:00:00Z","source":"admin","age_seconds":42,"status":"ok","sources":[]}],"max_age_seconds":300}"#
        );
    }
}
