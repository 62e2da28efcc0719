//! The rate book: every pair's last accepted price with the reports of the last
//! refresh, the operator's overrides, and the FX reference. The worker stores it as is.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::check::{Refusal, SourceQuote};
use super::fx::FxReference;
use super::guard::{judge, GuardOutcome, PendingJump};
use super::median::decide;
use super::policy::AggregationPolicy;
use crate::api::{RateEntry, RateStatus, RatesResponse, SetRatesRequest, SourceReport};
use crate::currency::{Crypto, Fiat};
use crate::rates::{validate_price, Pair, RateError, DEFAULT_SOURCE, PRICE_DECIMALS};
use crate::time::Timestamp;

/// Everything the worker keeps between refreshes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateBook {
    /// Sorted by (crypto, fiat).
    #[serde(default)]
    pub pairs: Vec<BookEntry>,
    #[serde(default)]
    pub overrides: Vec<RateOverride>,
    #[serde(default)]
    pub fx: Option<FxReference>,
    #[serde(default)]
    pub refreshed_at: Option<Timestamp>,
}

/// One pair: its last accepted price (none until a refresh accepts one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookEntry {
    pub crypto: Crypto,
    pub fiat: Fiat,
    #[serde(with = "super::signed_decimal_opt")]
    pub price: Option<Decimal>,
    pub observed_at: Option<Timestamp>,
    /// `static`, `median:kraken,coinbase,...`, or `ecb×BTC/EUR` for a derived price.
    pub source: String,
    /// A jump the guard holds; the pair is `suspect` while it is set.
    #[serde(default)]
    pub pending: Option<PendingJump>,
    /// The last refresh's reports.
    #[serde(default)]
    pub sources: Vec<SourceReport>,
}

/// An operator's price (`PUT /v1/admin/rates`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateOverride {
    pub crypto: Crypto,
    pub fiat: Fiat,
    #[serde(with = "crate::money::decimal_string")]
    pub price: Decimal,
    pub source: String,
    pub set_at: Timestamp,
    /// Until then it wins over the sources; without it, until a refresh accepts a price.
    pub expires_at: Option<Timestamp>,
}

impl RateOverride {
    fn pair(&self) -> Pair {
        Pair {
            crypto: self.crypto,
            fiat: self.fiat,
        }
    }

    /// Whether it still wins at `now` over `entry`.
    fn is_active(&self, entry: Option<&BookEntry>, now: Timestamp) -> bool {
        match self.expires_at {
            Some(expires_at) => now < expires_at,
            None => entry
                .and_then(|e| e.observed_at)
                .is_none_or(|accepted| accepted <= self.set_at),
        }
    }
}

/// A source that answered nothing usable for these pairs (all when empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceFailure {
    pub source: String,
    #[serde(default)]
    pub pairs: Vec<PairName>,
    /// For logs: "no answer within 3 s", "HTTP 502", "EAPI:Invalid arguments".
    pub detail: String,
}

/// A pair as its wire name, "BTC/EUR".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PairName(pub Pair);

impl TryFrom<String> for PairName {
    type Error = String;
    fn try_from(text: String) -> Result<PairName, String> {
        let (c, f) = text
            .split_once('/')
            .ok_or_else(|| format!("not a pair such as \"BTC/EUR\": {text:?}"))?;
        Ok(PairName(Pair {
            crypto: c.parse().map_err(|e| format!("{e}"))?,
            fiat: f.parse().map_err(|e| format!("{e}"))?,
        }))
    }
}

impl From<PairName> for String {
    fn from(p: PairName) -> String {
        p.0.to_string()
    }
}

/// One refresh: the pairs to price and what the sources said.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshInput {
    pub pairs: Vec<PairName>,
    #[serde(default)]
    pub quotes: Vec<SourceQuote>,
    #[serde(default)]
    pub failures: Vec<SourceFailure>,
    /// A newer FX reference, when one was fetched.
    #[serde(default)]
    pub fx: Option<FxReference>,
}

/// The book after one refresh at `now`.
pub fn refresh(
    previous: &RateBook,
    input: &RefreshInput,
    policy: &AggregationPolicy,
    now: Timestamp,
) -> RateBook {
    let mut book = previous.clone();
    book.refreshed_at = Some(now);
    if let Some(fx) = &input.fx {
        if book
            .fx
            .as_ref()
            .is_none_or(|old| old.observed_at <= fx.observed_at)
        {
            book.fx = Some(fx.clone());
        }
    }
    book.overrides
        .retain(|o| o.expires_at.is_none_or(|expires_at| now < expires_at));
    // Direct pairs first: derived ones are priced from them.
    let mut pairs: Vec<Pair> = input.pairs.iter().map(|p| p.0).collect();
    pairs.sort_by_key(|p| (policy.derived_fiats.contains(&p.fiat), *p));
    pairs.dedup();
    for pair in pairs {
        refresh_pair(&mut book, pair, input, policy, now);
    }
    book.pairs.sort_by_key(|e| (e.crypto, e.fiat));
    book
}

fn refresh_pair(
    book: &mut RateBook,
    pair: Pair,
    input: &RefreshInput,
    policy: &AggregationPolicy,
    now: Timestamp,
) {
    let quotes: Vec<SourceQuote> = input
        .quotes
        .iter()
        .filter(|q| q.pair() == pair)
        .cloned()
        .collect();
    let decision = decide(&quotes, policy, now);
    let mut reports = decision.reports;
    reports.extend(
        input
            .failures
            .iter()
            .filter(|f| f.pairs.is_empty() || f.pairs.iter().any(|p| p.0 == pair))
            .map(|f| unavailable(&f.source)),
    );
    let mut candidate = decision
        .price
        .map(|(price, at)| (price, at, median_label(&reports)));
    if candidate.is_none() && policy.derived_fiats.contains(&pair.fiat) {
        candidate = derive(book, pair, policy, now, &mut reports);
    }

    let index = match book
        .pairs
        .iter()
        .position(|e| e.crypto == pair.crypto && e.fiat == pair.fiat)
    {
        Some(i) => i,
        None => {
            book.pairs.push(BookEntry {
                crypto: pair.crypto,
                fiat: pair.fiat,
                price: None,
                observed_at: None,
                source: String::new(),
                pending: None,
                sources: Vec::new(),
            });
            book.pairs.len() - 1
        }
    };
    let entry = &mut book.pairs[index];
    entry.sources = reports;
    let Some((price, observed_at, label)) = candidate else {
        return;
    };
    match judge(
        pair.crypto,
        price,
        entry.price,
        entry.pending.as_ref(),
        policy,
    ) {
        GuardOutcome::Accept => {
            entry.price = Some(price);
            entry.observed_at = Some(observed_at);
            entry.source = label;
            entry.pending = None;
            // An override without expiry gives way to the next accepted price.
            book.overrides
                .retain(|o| o.pair() != pair || o.expires_at.is_some());
        }
        GuardOutcome::Hold(pending) => entry.pending = Some(pending),
    }
}

fn unavailable(source: &str) -> SourceReport {
    SourceReport {
        name: source.to_owned(),
        price: None,
        observed_at: None,
        used: false,
        reason: Some(Refusal::Unavailable),
    }
}

/// "static" for one source, "median:a,b,c" for several.
fn median_label(reports: &[SourceReport]) -> String {
    let mut used: Vec<&str> = reports
        .iter()
        .filter(|r| r.used)
        .map(|r| r.name.as_str())
        .collect();
    used.sort_unstable();
    match used.as_slice() {
        [one] => (*one).to_owned(),
        many => format!("median:{}", many.join(",")),
    }
}

/// The pair's price from the coin's fresh EUR (else USD) price and the FX reference.
fn derive(
    book: &RateBook,
    pair: Pair,
    policy: &AggregationPolicy,
    now: Timestamp,
    reports: &mut Vec<SourceReport>,
) -> Option<(Decimal, Timestamp, String)> {
    let fx = book.fx.as_ref();
    for base in [Fiat::Eur, Fiat::Usd] {
        if base == pair.fiat || policy.derived_fiats.contains(&base) {
            continue;
        }
        let Some(entry) = book.pairs.iter().find(|e| {
            e.crypto == pair.crypto
                && e.fiat == base
                && e.pending.is_none()
                && e.observed_at.is_some_and(|t| {
                    now.seconds_since(t) <= i64::from(policy.max_quote_age_seconds)
                })
        }) else {
            continue;
        };
        let (Some(base_price), Some(base_at), Some(fx)) = (entry.price, entry.observed_at, fx)
        else {
            continue;
        };
        if let Some(price) = fx.convert(base_price, base, pair.fiat, now, policy.max_fx_age_seconds)
        {
            let name = format!("{}×{}/{}", fx.source, pair.crypto, base);
            for r in reports
                .iter_mut()
                .filter(|r| r.reason == Some(Refusal::NoQuorum))
            {
                r.reason = Some(Refusal::Derived);
            }
            reports.push(SourceReport {
                name: name.clone(),
                price: Some(price),
                observed_at: Some(base_at),
                used: true,
                reason: None,
            });
            return Some((price, base_at, name));
        }
    }
    let (name, reason) = match fx {
        Some(fx) => (fx.source.clone(), Refusal::TooOld),
        None => ("fx".to_owned(), Refusal::Unavailable),
    };
    reports.push(SourceReport {
        name,
        price: None,
        observed_at: fx.map(|f| f.observed_at),
        used: false,
        reason: Some(reason),
    });
    None
}

impl RateBook {
    /// Records an operator's prices (validated) at `now`.
    pub fn set_overrides(
        &mut self,
        request: &SetRatesRequest,
        now: Timestamp,
    ) -> Result<(), RateError> {
        let mut incoming = Vec::new();
        for rate in &request.rates {
            let pair = Pair {
                crypto: rate.crypto,
                fiat: rate.fiat,
            };
            if incoming.iter().any(|o: &RateOverride| o.pair() == pair) {
                return Err(RateError::DuplicatePair { pair });
            }
            incoming.push(RateOverride {
                crypto: rate.crypto,
                fiat: rate.fiat,
                price: validate_price(pair, rate.price)?,
                source: rate
                    .source
                    .clone()
                    .unwrap_or_else(|| DEFAULT_SOURCE.to_owned()),
                set_at: now,
                expires_at: request.expires_at,
            });
        }
        self.overrides
            .retain(|o| !incoming.iter().any(|n| n.pair() == o.pair()));
        self.overrides.extend(incoming);
        Ok(())
    }

    /// The body of `GET /v1/rates` at `now` for a client accepting rates up to
    /// `max_age_seconds` old: every pair with a price, sorted, overrides on top.
    pub fn publish(&self, now: Timestamp, max_age_seconds: u32) -> RatesResponse {
        let mut rates: Vec<RateEntry> = Vec::new();
        for entry in &self.pairs {
            let active = self
                .overrides
                .iter()
                .find(|o| o.crypto == entry.crypto && o.fiat == entry.fiat)
                .filter(|o| o.is_active(Some(entry), now));
            if let Some(o) = active {
                rates.push(override_entry(
                    o,
                    entry.sources.clone(),
                    now,
                    max_age_seconds,
                ));
            } else if let (Some(price), Some(observed_at)) = (entry.price, entry.observed_at) {
                // A refresh that ran during this request (or a source clock a little ahead,
                // within the skew allowance) is observed now, not in the future.
                let observed_at = observed_at.min(now);
                let age = now.seconds_since(observed_at);
                rates.push(RateEntry {
                    crypto: entry.crypto,
                    fiat: entry.fiat,
                    price: at_price_scale(price),
                    observed_at,
                    source: entry.source.clone(),
                    age_seconds: age,
                    status: status(age, max_age_seconds, entry.pending.is_some()),
                    sources: entry.sources.clone(),
                    expires_at: None,
                });
            }
        }
        for o in &self.overrides {
            let known = self
                .pairs
                .iter()
                .any(|e| e.crypto == o.crypto && e.fiat == o.fiat);
            if !known && o.is_active(None, now) {
                rates.push(override_entry(o, Vec::new(), now, max_age_seconds));
            }
        }
        rates.sort_by_key(|r| (r.crypto, r.fiat));
        RatesResponse {
            rates,
            max_age_seconds,
        }
    }

    /// The oldest published pair and its age at `now`, for `/healthz`.
    pub fn oldest(&self, now: Timestamp) -> Option<(Pair, i64)> {
        self.publish(now, u32::MAX)
            .rates
            .iter()
            .map(|r| {
                let pair = Pair {
                    crypto: r.crypto,
                    fiat: r.fiat,
                };
                (pair, r.age_seconds)
            })
            .max_by_key(|(_, age)| *age)
    }
}

/// Prices on the wire have [`PRICE_DECIMALS`] places, as the rates table always had.
fn at_price_scale(price: Decimal) -> Decimal {
    let mut p = price.round_dp(PRICE_DECIMALS);
    p.rescale(PRICE_DECIMALS);
    p
}

fn status(age: i64, max_age_seconds: u32, suspect: bool) -> RateStatus {
    if age > i64::from(max_age_seconds) || age < 0 {
        RateStatus::Stale
    } else if suspect {
        RateStatus::Suspect
    } else {
        RateStatus::Ok
    }
}

/// An override with an expiry is vouched for until then (observed `now`); one without
/// ages from when it was set.
fn override_entry(
    o: &RateOverride,
    mut sources: Vec<SourceReport>,
    now: Timestamp,
    max_age_seconds: u32,
) -> RateEntry {
    let observed_at = if o.expires_at.is_some() {
        now
    } else {
        o.set_at
    };
    let age = now.seconds_since(observed_at);
    for s in &mut sources {
        s.used = false;
    }
    sources.insert(
        0,
        SourceReport {
            name: o.source.clone(),
            price: Some(o.price),
            observed_at: Some(o.set_at),
            used: true,
            reason: None,
        },
    );
    RateEntry {
        crypto: o.crypto,
        fiat: o.fiat,
        price: at_price_scale(o.price),
        observed_at,
        source: o.source.clone(),
        age_seconds: age,
        status: status(age, max_age_seconds, false),
        sources,
        expires_at: o.expires_at,
    }
}
