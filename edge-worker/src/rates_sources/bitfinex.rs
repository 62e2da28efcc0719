//! Bitfinex `GET /v2/tickers?symbols=tBTCEUR,...`: every pair in one call, arrays of bare
//! JSON numbers `[SYMBOL, BID, BID_SIZE, ASK, ...]`. Each number is read from its JSON text
//! (`RawValue`) straight into a decimal, never through f64. Errors: `["error", code, text]`.

use cryptoexchange_core::aggregate::SourceQuote;
use cryptoexchange_core::currency::{Crypto, Fiat};
use cryptoexchange_core::rates::Pair;
use cryptoexchange_core::time::Timestamp;
use serde_json::value::RawValue;

use super::{excerpt, quote, Source};

/// Bitfinex's symbol, for the pairs it lists (`tDOGE:USD`: a colon after 4+ letters).
fn symbol(pair: Pair) -> Option<String> {
    let (code, listed) = match pair.crypto {
        Crypto::Btc => (
            "BTC",
            matches!(pair.fiat, Fiat::Eur | Fiat::Usd | Fiat::Gbp | Fiat::Jpy),
        ),
        Crypto::Eth => (
            "ETH",
            matches!(pair.fiat, Fiat::Eur | Fiat::Usd | Fiat::Gbp | Fiat::Jpy),
        ),
        Crypto::Ltc => ("LTC", pair.fiat == Fiat::Usd),
        Crypto::Doge => ("DOGE", pair.fiat == Fiat::Usd),
        Crypto::Bch => ("BCHN", pair.fiat == Fiat::Usd),
    };
    let sep = if code.len() > 3 { ":" } else { "" };
    listed.then(|| format!("t{code}{sep}{}", pair.fiat.ticker()))
}

pub fn url(base: &str, pairs: &[Pair]) -> Option<(String, Vec<Pair>)> {
    let listed: Vec<Pair> = pairs
        .iter()
        .copied()
        .filter(|p| symbol(*p).is_some())
        .collect();
    let symbols: Vec<String> = listed.iter().filter_map(|p| symbol(*p)).collect();
    (!symbols.is_empty()).then(|| {
        (
            format!("{base}/v2/tickers?symbols={}", symbols.join(",")),
            listed,
        )
    })
}

pub fn parse(body: &str, pairs: &[Pair], now: Timestamp) -> Result<Vec<SourceQuote>, String> {
    let rows: Vec<&RawValue> =
        serde_json::from_str(body).map_err(|_| format!("not a JSON array: {}", excerpt(body)))?;
    if rows.first().map(|r| r.get()) == Some("\"error\"") {
        return Err(format!("bitfinex error: {}", excerpt(body)));
    }
    let mut quotes = Vec::new();
    for row in rows {
        let fields: Vec<&RawValue> = serde_json::from_str(row.get())
            .map_err(|_| format!("not a ticker array: {}", excerpt(row.get())))?;
        let name: String = match fields.first().map(|f| serde_json::from_str(f.get())) {
            Some(Ok(name)) => name,
            _ => return Err(format!("no symbol: {}", excerpt(row.get()))),
        };
        let Some(&pair) = pairs
            .iter()
            .find(|p| symbol(**p).as_deref() == Some(name.as_str()))
        else {
            continue;
        };
        let (Some(bid), Some(ask)) = (fields.get(1), fields.get(3)) else {
            return Err(format!("{name}: short ticker"));
        };
        quotes.push(quote(Source::Bitfinex, pair, bid.get(), ask.get(), now)?);
    }
    Ok(quotes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rates_sources::tests::{fixture, now, pair};

    #[test]
    fn reads_bare_numbers_exactly() {
        let pairs = [
            pair("BTC/EUR"),
            pair("DOGE/USD"),
            pair("LTC/USD"),
            pair("BCH/USD"),
        ];
        let q = parse(&fixture("bitfinex_tickers.json"), &pairs, now()).unwrap();
        assert_eq!(q.len(), 3);
        assert_eq!(
            (q[0].bid.to_string(), q[0].ask.to_string()),
            ("60001".into(), "60011".into())
        );
        // 0.16251 has no exact f64; the decimal keeps every digit.
        assert_eq!(
            (q[1].bid.to_string(), q[1].ask.to_string()),
            ("0.16251".into(), "0.16259".into())
        );
        assert_eq!(q[2].bid.to_string(), "76.15");
    }

    #[test]
    fn an_error_array_or_garbage_is_a_failure() {
        assert!(
            parse(&fixture("bitfinex_error.json"), &[pair("BTC/EUR")], now())
                .unwrap_err()
                .contains("10020")
        );
        assert!(parse("{}", &[pair("BTC/EUR")], now()).is_err());
        assert!(parse(r#"[["tBTCEUR","x",1,"y"]]"#, &[pair("BTC/EUR")], now()).is_err());
    }

    #[test]
    fn symbols_take_a_colon_after_four_letters() {
        let (url, _) = url("b", &[pair("DOGE/USD"), pair("BTC/EUR"), pair("DOGE/EUR")]).unwrap();
        assert_eq!(url, "b/v2/tickers?symbols=tDOGE:USD,tBTCEUR");
    }
}
