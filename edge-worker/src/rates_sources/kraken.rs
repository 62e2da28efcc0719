//! Kraken `GET /0/public/Ticker?pair=XBTEUR,...`: every pair in one call. Errors come in
//! an HTTP 200 with a non-empty `error` array; result keys are Kraken's own names
//! (`XXBTZEUR` for the request `XBTEUR`, but `XDGEUR` and `BCHEUR` as asked). No time
//! in the answer: quotes are observed when fetched.

use cryptoexchange_core::aggregate::SourceQuote;
use cryptoexchange_core::currency::{Crypto, Fiat};
use cryptoexchange_core::rates::Pair;
use cryptoexchange_core::time::Timestamp;
use serde_json::Value;

use super::{excerpt, quote, Source};

/// Kraken's asset code, and whether it lists the pair (an unknown pair fails the whole call).
fn asset(pair: Pair) -> Option<&'static str> {
    let code = match pair.crypto {
        Crypto::Btc => "XBT",
        Crypto::Eth => "ETH",
        Crypto::Ltc => "LTC",
        Crypto::Doge => "XDG",
        Crypto::Bch => "BCH",
    };
    let listed = match pair.crypto {
        Crypto::Btc | Crypto::Eth => true,
        Crypto::Ltc | Crypto::Bch => matches!(pair.fiat, Fiat::Eur | Fiat::Usd | Fiat::Gbp),
        Crypto::Doge => matches!(pair.fiat, Fiat::Eur | Fiat::Usd),
    };
    listed.then_some(code)
}

fn request_name(pair: Pair) -> Option<String> {
    Some(format!("{}{}", asset(pair)?, pair.fiat.ticker()))
}

pub fn url(base: &str, pairs: &[Pair]) -> Option<(String, Vec<Pair>)> {
    let listed: Vec<Pair> = pairs
        .iter()
        .copied()
        .filter(|p| asset(*p).is_some())
        .collect();
    let names: Vec<String> = listed.iter().filter_map(|p| request_name(*p)).collect();
    (!names.is_empty()).then(|| {
        (
            format!("{base}/0/public/Ticker?pair={}", names.join(",")),
            listed,
        )
    })
}

pub fn parse(body: &str, pairs: &[Pair], now: Timestamp) -> Result<Vec<SourceQuote>, String> {
    let v: Value =
        serde_json::from_str(body).map_err(|_| format!("not JSON: {}", excerpt(body)))?;
    if let Some(errors) = v.get("error").and_then(Value::as_array) {
        if !errors.is_empty() {
            let texts: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
            return Err(format!("kraken error: {}", texts.join(", ")));
        }
    }
    let result = v
        .get("result")
        .and_then(Value::as_object)
        .ok_or_else(|| format!("no result: {}", excerpt(body)))?;
    let mut quotes = Vec::new();
    for &pair in pairs {
        let Some(asked) = request_name(pair) else {
            continue;
        };
        let legacy = asset(pair).map(|a| format!("X{a}Z{}", pair.fiat.ticker()));
        let Some(ticker) = result
            .get(&asked)
            .or_else(|| legacy.as_ref().and_then(|k| result.get(k)))
        else {
            continue;
        };
        let first = |field: &str| {
            ticker
                .get(field)
                .and_then(|a| a.get(0))
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| format!("{asked}: no {field}[0]"))
        };
        quotes.push(quote(
            Source::Kraken,
            pair,
            &first("b")?,
            &first("a")?,
            now,
        )?);
    }
    Ok(quotes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rates_sources::tests::{fixture, now, pair};

    #[test]
    fn reads_bid_and_ask_under_krakens_own_names() {
        let pairs = [
            pair("BTC/EUR"),
            pair("DOGE/EUR"),
            pair("BCH/EUR"),
            pair("ETH/GBP"),
        ];
        let q = parse(&fixture("kraken_ticker.json"), &pairs, now()).unwrap();
        assert_eq!(q.len(), 3, "ETH/GBP is not in the answer");
        assert_eq!(
            (q[0].bid.to_string(), q[0].ask.to_string()),
            ("60000.00000".into(), "60010.10000".into())
        );
        assert_eq!(q[1].bid.to_string(), "0.1499500");
        assert_eq!(q[2].ask.to_string(), "350.10");
        assert_eq!(q[0].observed_at, now());
    }

    #[test]
    fn an_error_inside_a_200_is_a_failure() {
        let err = parse(&fixture("kraken_error.json"), &[pair("BTC/EUR")], now()).unwrap_err();
        assert!(err.contains("EQuery:Unknown asset pair"), "{err}");
        assert!(parse("<html>", &[pair("BTC/EUR")], now()).is_err());
    }

    #[test]
    fn asks_only_for_listed_pairs() {
        let (url, pairs) = url(
            "https://k",
            &[pair("BTC/EUR"), pair("DOGE/JPY"), pair("LTC/USD")],
        )
        .unwrap();
        assert_eq!(url, "https://k/0/public/Ticker?pair=XBTEUR,LTCUSD");
        assert_eq!(pairs.len(), 2);
    }
}
