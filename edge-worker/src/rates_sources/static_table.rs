//! The `static` source: fixed prices from `RATES_SOURCE_JSON` (the body of
//! `PUT /v1/admin/rates`), observed at each refresh. The offline default of
//! `./scripts/run`; labelled `static` in `GET /v1/rates` and on the demo page.

use cryptoexchange_core::aggregate::SourceQuote;
use cryptoexchange_core::api::SetRatesRequest;
use cryptoexchange_core::time::Timestamp;

pub fn parse(json: &str, now: Timestamp) -> Result<Vec<SourceQuote>, String> {
    let table: SetRatesRequest =
        serde_json::from_str(json).map_err(|e| format!("RATES_SOURCE_JSON: {e}"))?;
    Ok(table
        .rates
        .into_iter()
        .map(|r| SourceQuote {
            source: "static".into(),
            crypto: r.crypto,
            fiat: r.fiat,
            bid: r.price,
            ask: r.price,
            observed_at: now,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rates_sources::tests::now;

    #[test]
    fn every_row_is_a_quote_observed_now() {
        let q = parse(
            r#"{"rates":[{"crypto":"BTC","fiat":"EUR","price":"60000.00","source":"static"}]}"#,
            now(),
        )
        .unwrap();
        assert_eq!(
            (q[0].source.as_str(), q[0].bid, q[0].observed_at),
            ("static", q[0].ask, now())
        );
        assert!(parse(
            r#"{"rates":[{"crypto":"BTC","fiat":"EUR","price":60000}]}"#,
            now()
        )
        .is_err());
    }
}
