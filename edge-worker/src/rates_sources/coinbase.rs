//! Coinbase Exchange `GET /products/{BTC-EUR}/ticker`: one call per pair, strings, and
//! `time`, the last trade's time (the quote's own time). Needs a `User-Agent`.

use cryptoexchange_core::aggregate::SourceQuote;
use cryptoexchange_core::currency::Fiat;
use cryptoexchange_core::rates::Pair;
use cryptoexchange_core::time::Timestamp;
use serde::Deserialize;

use super::{excerpt, quote, Source};

#[derive(Deserialize)]
struct Ticker {
    bid: String,
    ask: String,
    time: String,
}

pub fn url(base: &str, pair: Pair) -> Option<String> {
    matches!(pair.fiat, Fiat::Eur | Fiat::Usd | Fiat::Gbp).then(|| {
        format!(
            "{base}/products/{}-{}/ticker",
            pair.crypto.ticker(),
            pair.fiat.ticker()
        )
    })
}

pub fn parse(body: &str, pair: Pair, _now: Timestamp) -> Result<Vec<SourceQuote>, String> {
    let t: Ticker = serde_json::from_str(body).map_err(|e| format!("{e}: {}", excerpt(body)))?;
    let at = Timestamp::parse_rfc3339(&t.time).map_err(|e| format!("time {:?}: {e}", t.time))?;
    Ok(vec![quote(Source::Coinbase, pair, &t.bid, &t.ask, at)?])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rates_sources::tests::{fixture, now, pair};

    #[test]
    fn reads_bid_ask_and_the_trade_time() {
        let q = parse(
            &fixture("coinbase_ticker_btc_eur.json"),
            pair("BTC/EUR"),
            now(),
        )
        .unwrap();
        assert_eq!(
            (q[0].bid.to_string(), q[0].ask.to_string()),
            ("60008.10".into(), "60012.34".into())
        );
        assert_eq!(q[0].observed_at.to_string(), "2026-11-29T21:00:00Z");
    }

    #[test]
    fn an_error_body_or_garbage_is_a_failure() {
        assert!(parse(&fixture("coinbase_error.json"), pair("BTC/EUR"), now()).is_err());
        assert!(parse(
            r#"{"bid":"x","ask":"1","time":"2026-11-29T21:00:00Z"}"#,
            pair("BTC/EUR"),
            now()
        )
        .is_err());
        assert_eq!(url("h", pair("BTC/JPY")), None);
    }
}
