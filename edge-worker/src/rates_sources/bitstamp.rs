//! Bitstamp `GET /api/v2/ticker/{btceur}/`: one call per pair, strings, and `timestamp`,
//! Unix seconds as a string (the snapshot's own time).

use cryptoexchange_core::aggregate::SourceQuote;
use cryptoexchange_core::currency::{Crypto, Fiat};
use cryptoexchange_core::rates::Pair;
use cryptoexchange_core::time::Timestamp;
use serde::Deserialize;

use super::{excerpt, lower, quote, Source};

#[derive(Deserialize)]
struct Ticker {
    bid: String,
    ask: String,
    timestamp: String,
}

pub fn url(base: &str, pair: Pair) -> Option<String> {
    let listed = match pair.crypto {
        Crypto::Doge => matches!(pair.fiat, Fiat::Eur | Fiat::Usd),
        _ => matches!(pair.fiat, Fiat::Eur | Fiat::Usd | Fiat::Gbp),
    };
    let (c, f) = lower(pair);
    listed.then(|| format!("{base}/api/v2/ticker/{c}{f}/"))
}

pub fn parse(body: &str, pair: Pair) -> Result<Vec<SourceQuote>, String> {
    let t: Ticker = serde_json::from_str(body).map_err(|e| format!("{e}: {}", excerpt(body)))?;
    let at = t
        .timestamp
        .parse::<i64>()
        .ok()
        .and_then(Timestamp::from_unix_seconds)
        .ok_or_else(|| format!("timestamp {:?}", t.timestamp))?;
    Ok(vec![quote(Source::Bitstamp, pair, &t.bid, &t.ask, at)?])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rates_sources::tests::{fixture, pair};

    #[test]
    fn reads_strings_and_the_snapshot_timestamp() {
        let q = parse(&fixture("bitstamp_ticker_btceur.json"), pair("BTC/EUR")).unwrap();
        assert_eq!(
            (q[0].bid.to_string(), q[0].ask.to_string()),
            ("60005".into(), "60015".into())
        );
        assert_eq!(q[0].observed_at.to_string(), "2026-11-29T21:00:00Z");
    }

    #[test]
    fn a_missing_field_or_bad_timestamp_is_a_failure() {
        assert!(parse(r#"{"bid":"1","ask":"2"}"#, pair("BTC/EUR")).is_err());
        assert!(parse(
            r#"{"bid":"1","ask":"2","timestamp":"soon"}"#,
            pair("BTC/EUR")
        )
        .is_err());
    }
}
