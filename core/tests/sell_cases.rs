//! Runs every case of sell_cases.json through `estimate_sell` and compares the JSON
//! output (or the error code) with the expectation that sell_cases_oracle.py computed
//! independently from docs/pricing.md. tests/wasm/sell-cases.test.mjs runs the same
//! file against the npm package.

use cryptoexchange_core::api::{RatesResponse, SellQuoteRequest};
use cryptoexchange_core::config::ClientConfig;
use cryptoexchange_core::error::DomainError;
use cryptoexchange_core::sell::estimate_sell;
use cryptoexchange_core::time::Timestamp;
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    request: SellQuoteRequest,
    rates: RatesResponse,
    config: ClientConfig,
    now: Timestamp,
    expected: Expected,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
enum Expected {
    Quote(Value),
    Error(String),
}

#[test]
fn every_sell_case_matches_the_oracle() {
    let cases: Vec<Case> = serde_json::from_str(include_str!("sell_cases.json")).unwrap();
    assert!(cases.len() >= 12, "only {} cases", cases.len());
    assert!(cases
        .iter()
        .any(|c| matches!(c.expected, Expected::Quote(_))));
    assert!(cases
        .iter()
        .any(|c| matches!(c.expected, Expected::Error(_))));
    let mut failures = Vec::new();
    for case in &cases {
        let result = estimate_sell(&case.request, &case.rates, &case.config, case.now);
        let outcome = match (&case.expected, result) {
            (Expected::Quote(want), Ok(got)) => {
                let got = serde_json::to_value(&got).unwrap();
                (got == *want)
                    .then_some(())
                    .ok_or(format!("got {got}\nwant {want}"))
            }
            (Expected::Error(code), Err(e)) => (e.code() == *code)
                .then_some(())
                .ok_or(format!("got error {}, want {code}", e.code())),
            (Expected::Quote(_), Err(e)) => Err(format!("got error {} ({e})", e.code())),
            (Expected::Error(code), Ok(q)) => Err(format!("want {code}, got quote {q:?}")),
        };
        if let Err(why) = outcome {
            failures.push(format!("{}: {why}", case.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
