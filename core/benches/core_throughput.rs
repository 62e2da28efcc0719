//! Native throughput of the core's hot paths: address validation and quotes.
//! A plain harness (no criterion) to keep builds light on 2 cores:
//! `cargo bench -p cryptoexchange-core --bench core_throughput`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use cryptoexchange_core::api::{QuoteRequest, RatesResponse};
use cryptoexchange_core::config::ClientConfig;
use cryptoexchange_core::{estimate, validate_address, Crypto, Network};

/// Runs `f` over and over for about a second and returns calls per second.
fn per_second(mut f: impl FnMut() -> usize) -> f64 {
    for _ in 0..1_000 {
        black_box(f());
    }
    let start = Instant::now();
    let mut calls = 0usize;
    while start.elapsed() < Duration::from_secs(1) {
        calls += f();
    }
    calls as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    // The same corpus the wasm benchmark uses (bench/corpus.mjs writes it).
    let corpus: Vec<String> = std::fs::read_to_string("../bench/results/corpus.txt")
        .map(|t| t.lines().map(str::to_owned).collect())
        .unwrap_or_else(|_| {
            vec![
                "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2".into(),
                "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy".into(),
                "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4".into(),
                "bc1p5cyxnuxmeuwuvkwfem96lqzszd02n6xdcjrs20cac6yqjjwudpxqkedrcr".into(),
                "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3".into(),
            ]
        });
    let rate = per_second(|| {
        for a in &corpus {
            black_box(validate_address(Crypto::Btc, black_box(a), Some(Network::Mainnet)).is_ok());
        }
        corpus.len()
    });
    println!(
        "native validate_address: {rate:.0} addresses/s over {} addresses",
        corpus.len()
    );

    let cases: serde_json::Value =
        serde_json::from_str(include_str!("../tests/quote_cases.json")).expect("quote cases");
    let mut inputs = Vec::new();
    for case in cases.as_array().into_iter().flatten() {
        let (Ok(request), Ok(rates), Ok(config)) = (
            serde_json::from_value::<QuoteRequest>(case["request"].clone()),
            serde_json::from_value::<RatesResponse>(case["rates"].clone()),
            serde_json::from_value::<ClientConfig>(case["config"].clone()),
        ) else {
            continue;
        };
        let now = case["now"]
            .as_str()
            .and_then(|t| t.parse().ok())
            .expect("now");
        // Successful quotes only, as the wasm benchmark measures.
        if estimate(&request, &rates, &config, now).is_ok() {
            inputs.push((request, rates, config, now));
        }
    }
    let rate = per_second(|| {
        for (request, rates, config, now) in &inputs {
            black_box(estimate(request, rates, config, *now).is_ok());
        }
        inputs.len()
    });
    println!(
        "native estimate: {rate:.0} quotes/s over {} quote cases",
        inputs.len()
    );
}
