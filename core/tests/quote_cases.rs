//! Runs every case of quote_cases.json through `estimate` and compares the
//! JSON output (or the error code) with the expectation, which
//! quote_cases_oracle.py computed independently from docs/pricing.md. The
//! lead runs the same file against the wasm build in Node.

use cryptoexchange_core::api::{QuoteRequest, RatesResponse};
use cryptoexchange_core::config::ClientConfig;
use cryptoexchange_core::error::DomainError;
use cryptoexchange_core::quote::estimate;
use cryptoexchange_core::time::Timestamp;
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    request: QuoteRequest,
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

fn cases() -> Vec<Case> {
    serde_json::from_str(include_str!("quote_cases.json")).expect("quote_cases.json parses")
}

#[test]
fn every_quote_case_matches_the_oracle() {
    let cases = cases();
    assert!(cases.len() >= 15, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let result = estimate(&case.request, &case.rates, &case.config, case.now);
        let outcome = match (&case.expected, result) {
            (Expected::Quote(want), Ok(got)) => {
                let got_text = serde_json::to_string(&got).unwrap();
                // Byte-for-byte, key order included, as the Node runner compares.
                let want_text = serde_json::to_string(want).unwrap();
                let got_value: Value = serde_json::from_str(&got_text).unwrap();
                (got_value == *want)
                    .then_some(())
                    .ok_or(format!("got {got_text}\nwant {want_text}"))
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

#[test]
fn quote_output_keys_are_in_wire_order() {
    // The Node runner compares JSON text, so the serialized key order must
    // be the order the file lists.
    let case = cases()
        .into_iter()
        .find(|c| matches!(c.expected, Expected::Quote(_)))
        .unwrap();
    let got = estimate(&case.request, &case.rates, &case.config, case.now).unwrap();
    let text = serde_json::to_string(&got).unwrap();
    let keys: Vec<&str> = [
        "crypto",
        "network",
        "fiat",
        "amount",
        "amount_currency",
        "mid_price",
        "price",
        "crypto_amount",
        "fiat_amount",
        "crypto_value",
        "fees",
        "rate_observed_at",
        "rate_source",
    ]
    .to_vec();
    let positions: Vec<usize> = keys
        .iter()
        .map(|k| text.find(&format!("\"{k}\":")).unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");
}
