//! Ticker sources of the rates refresh, one file per exchange. Each adapter is pure:
//! the URLs to ask for a set of pairs, and the parse of an answer into the core's
//! [`SourceQuote`]s (bid, ask, the source's own time or the fetch time). The fetching
//! itself (concurrent, each with its time budget) is in `routes/rates.rs`.
//!
//! Prices are parsed from the response text straight into `Decimal`, never via f64.

use std::str::FromStr;

use cryptoexchange_core::aggregate::{FxReference, SourceQuote};
use cryptoexchange_core::rates::Pair;
use cryptoexchange_core::time::Timestamp;
use rust_decimal::Decimal;

pub mod bitfinex;
pub mod bitstamp;
pub mod coinbase;
pub mod ecb;
pub mod kraken;
pub mod static_table;

/// A source of `RATES_SOURCES`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Kraken,
    Coinbase,
    Bitstamp,
    Bitfinex,
    /// The ECB's daily FX reference rates (for the derived thin pairs).
    Ecb,
    /// `RATES_SOURCE_JSON`: fixed prices from configuration, the offline default.
    Static,
}

impl Source {
    /// Every source that asks a remote service (all but `Static`); the tests plan with it.
    #[cfg(test)]
    pub const LIVE: [Source; 5] = [
        Source::Kraken,
        Source::Coinbase,
        Source::Bitstamp,
        Source::Bitfinex,
        Source::Ecb,
    ];

    pub const ALL: [Source; 6] = [
        Source::Kraken,
        Source::Coinbase,
        Source::Bitstamp,
        Source::Bitfinex,
        Source::Ecb,
        Source::Static,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Source::Kraken => "kraken",
            Source::Coinbase => "coinbase",
            Source::Bitstamp => "bitstamp",
            Source::Bitfinex => "bitfinex",
            Source::Ecb => "ecb",
            Source::Static => "static",
        }
    }

    /// The variable naming its base URL.
    pub fn url_var(self) -> String {
        format!("RATES_URL_{}", self.name().to_uppercase())
    }

    pub fn default_url(self) -> &'static str {
        match self {
            Source::Kraken => "https://api.kraken.com",
            Source::Coinbase => "https://api.exchange.coinbase.com",
            Source::Bitstamp => "https://www.bitstamp.net",
            Source::Bitfinex => "https://api-pub.bitfinex.com",
            Source::Ecb => "https://www.ecb.europa.eu",
            Source::Static => "",
        }
    }

    /// One request for every pair (`true`) or one per pair.
    fn batched(self) -> bool {
        !matches!(self, Source::Coinbase | Source::Bitstamp)
    }

    /// The requests for `pairs` (those the source lists), with the pairs each covers.
    pub fn requests(self, base: &str, pairs: &[Pair]) -> Vec<SourceRequest> {
        let base = base.trim_end_matches('/');
        let one = |url: String, pairs: Vec<Pair>| SourceRequest {
            source: self,
            url,
            pairs,
        };
        match self {
            Source::Kraken => kraken::url(base, pairs)
                .map(|(u, p)| vec![one(u, p)])
                .unwrap_or_default(),
            Source::Bitfinex => bitfinex::url(base, pairs)
                .map(|(u, p)| vec![one(u, p)])
                .unwrap_or_default(),
            Source::Ecb => vec![one(ecb::url(base), Vec::new())],
            Source::Coinbase => pairs
                .iter()
                .filter_map(|p| Some(one(coinbase::url(base, *p)?, vec![*p])))
                .collect(),
            Source::Bitstamp => pairs
                .iter()
                .filter_map(|p| Some(one(bitstamp::url(base, *p)?, vec![*p])))
                .collect(),
            Source::Static => Vec::new(),
        }
    }

    /// Reads an answer with HTTP `status` to the request for `pairs`, fetched at `now`.
    pub fn parse(
        self,
        status: u16,
        body: &str,
        pairs: &[Pair],
        now: Timestamp,
    ) -> Result<Parsed, String> {
        // Kraken puts its errors in a 200; the others use the status.
        if !(200..300).contains(&status) {
            return Err(format!("HTTP {status}: {}", excerpt(body)));
        }
        match self {
            Source::Kraken => kraken::parse(body, pairs, now).map(Parsed::Quotes),
            Source::Coinbase => coinbase::parse(body, pairs[0], now).map(Parsed::Quotes),
            Source::Bitstamp => bitstamp::parse(body, pairs[0]).map(Parsed::Quotes),
            Source::Bitfinex => bitfinex::parse(body, pairs, now).map(Parsed::Quotes),
            Source::Ecb => ecb::parse(body, now).map(Parsed::Fx),
            Source::Static => Err("the static source is not fetched".into()),
        }
    }
}

impl FromStr for Source {
    type Err = String;
    fn from_str(s: &str) -> Result<Source, String> {
        Source::ALL
            .into_iter()
            .find(|x| x.name() == s)
            .ok_or_else(|| format!("unknown rates source {s:?}"))
    }
}

/// One HTTP request of a refresh.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRequest {
    pub source: Source,
    pub url: String,
    /// The pairs its answer covers (empty for the FX reference).
    pub pairs: Vec<Pair>,
}

/// What an answer gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    Quotes(Vec<SourceQuote>),
    Fx(FxReference),
}

/// The requests of one refresh, at most `max_requests`: the one-call sources first, then
/// the per-pair requests pair by pair across sources, so a cut falls on the last pairs
/// of every source alike. Returns the requests and those left out.
pub fn plan(
    sources: &[Source],
    pairs: &[Pair],
    base_url: impl Fn(Source) -> String,
    max_requests: usize,
) -> (Vec<SourceRequest>, Vec<SourceRequest>) {
    let mut batched = Vec::new();
    let mut per_pair: Vec<Vec<SourceRequest>> = Vec::new();
    for &source in sources {
        let requests = source.requests(&base_url(source), pairs);
        if source.batched() {
            batched.extend(requests);
        } else {
            per_pair.push(requests);
        }
    }
    let longest = per_pair.iter().map(Vec::len).max().unwrap_or(0);
    let mut all = batched;
    for i in 0..longest {
        all.extend(per_pair.iter().filter_map(|r| r.get(i).cloned()));
    }
    let left_out = all.split_off(all.len().min(max_requests));
    (all, left_out)
}

/// A decimal from the text of a JSON string or number ("60000.1", "7.615e1"); no f64.
pub fn decimal(text: &str) -> Result<Decimal, String> {
    let text = text.trim().trim_matches('"');
    Decimal::from_str_exact(text)
        .or_else(|_| Decimal::from_scientific(text))
        .map_err(|_| format!("not a decimal: {}", excerpt(text)))
}

/// `quote` for one pair from bid and ask texts.
pub fn quote(
    source: Source,
    pair: Pair,
    bid: &str,
    ask: &str,
    observed_at: Timestamp,
) -> Result<SourceQuote, String> {
    Ok(SourceQuote {
        source: source.name().to_owned(),
        crypto: pair.crypto,
        fiat: pair.fiat,
        bid: decimal(bid)?,
        ask: decimal(ask)?,
        observed_at,
    })
}

/// The first 80 characters of an answer, for logs and reports.
pub fn excerpt(text: &str) -> String {
    text.chars().take(80).collect()
}

/// Lower-case tickers for URL paths ("btceur").
pub fn lower(pair: Pair) -> (String, String) {
    (
        pair.crypto.ticker().to_lowercase(),
        pair.fiat.ticker().to_lowercase(),
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use cryptoexchange_core::currency::{Crypto, Fiat};

    pub fn fixture(name: &str) -> String {
        let path = format!(
            "{}/../tests/fixtures/rates/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    pub fn pair(s: &str) -> Pair {
        let (c, f) = s.split_once('/').unwrap();
        Pair {
            crypto: c.parse().unwrap(),
            fiat: f.parse().unwrap(),
        }
    }

    pub fn now() -> Timestamp {
        "2026-11-29T21:00:30Z".parse().unwrap()
    }

    #[test]
    fn decimals_come_from_text_exactly() {
        assert_eq!(
            decimal("60000.123456789").unwrap().to_string(),
            "60000.123456789"
        );
        assert_eq!(decimal("7.615e1").unwrap().to_string(), "76.15");
        assert_eq!(decimal("\"0.1\"").unwrap().to_string(), "0.1");
        assert!(decimal("abc").is_err());
    }

    #[test]
    fn a_full_refresh_of_every_pair_stays_within_the_budget() {
        let pairs: Vec<Pair> = Crypto::ALL
            .iter()
            .flat_map(|c| {
                Fiat::ALL.iter().map(move |f| Pair {
                    crypto: *c,
                    fiat: *f,
                })
            })
            .collect();
        let sources = Source::LIVE;
        let (all, left) = plan(&sources, &pairs, |s| s.default_url().into(), usize::MAX);
        // 3 one-call sources + per-pair requests only for the pairs each venue lists.
        assert_eq!(all.iter().filter(|r| r.source.batched()).count(), 3);
        assert!(left.is_empty());
        let (kept, left) = plan(&sources, &pairs, |s| s.default_url().into(), 20);
        assert_eq!(kept.len(), 20);
        assert_eq!(kept.len() + left.len(), all.len());
        // The cut falls on both per-pair sources alike.
        let count = |s| kept.iter().filter(|r| r.source == s).count();
        assert!(count(Source::Coinbase).abs_diff(count(Source::Bitstamp)) <= 1);
    }

    #[test]
    fn urls_come_from_the_base_url() {
        let r = Source::Coinbase.requests("http://127.0.0.1:9/", &[pair("BTC/EUR")]);
        assert_eq!(r[0].url, "http://127.0.0.1:9/products/BTC-EUR/ticker");
        let r = Source::Bitstamp.requests("http://x", &[pair("BTC/EUR")]);
        assert_eq!(r[0].url, "http://x/api/v2/ticker/btceur/");
    }

    #[test]
    fn an_http_error_is_a_failure() {
        let err = Source::Coinbase
            .parse(
                404,
                &fixture("coinbase_error.json"),
                &[pair("BTC/EUR")],
                now(),
            )
            .unwrap_err();
        assert!(err.starts_with("HTTP 404"), "{err}");
    }
}
