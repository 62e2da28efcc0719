//! Refresh scenarios of the rate book: several sources over several refreshes.

use cryptoexchange_core::aggregate::{refresh, AggregationPolicy, RateBook, RefreshInput, Refusal};
use cryptoexchange_core::api::{RateStatus, RatesResponse, SetRatesRequest};
use cryptoexchange_core::time::Timestamp;
use serde_json::json;

fn at(minute: i64) -> Timestamp {
    "2026-01-01T12:00:00Z"
        .parse::<Timestamp>()
        .unwrap()
        .checked_add_seconds(minute * 60)
        .unwrap()
}

fn quote(source: &str, pair: &str, mid: &str, t: Timestamp) -> serde_json::Value {
    let (crypto, fiat) = pair.split_once('/').unwrap();
    json!({"source": source, "crypto": crypto, "fiat": fiat, "bid": mid, "ask": mid,
           "observed_at": t.to_string()})
}

fn input(pairs: &[&str], quotes: Vec<serde_json::Value>, failures: &[&str]) -> RefreshInput {
    let failures: Vec<_> = failures
        .iter()
        .map(|s| json!({"source": s, "detail": "down"}))
        .collect();
    serde_json::from_value(json!({"pairs": pairs, "quotes": quotes, "failures": failures})).unwrap()
}

fn four(pair: &str, mids: [&str; 4], t: Timestamp) -> Vec<serde_json::Value> {
    ["kraken", "coinbase", "bitstamp", "bitfinex"]
        .iter()
        .zip(mids)
        .map(|(s, m)| quote(s, pair, m, t))
        .collect()
}

fn published(book: &RateBook, t: Timestamp) -> RatesResponse {
    book.publish(t, 300)
}

fn price(book: &RateBook, t: Timestamp, pair: &str) -> Option<(String, RateStatus)> {
    published(book, t)
        .rates
        .into_iter()
        .find(|r| format!("{}/{}", r.crypto, r.fiat) == pair)
        .map(|r| (r.price.normalize().to_string(), r.status))
}

fn policy() -> AggregationPolicy {
    AggregationPolicy::default()
}

#[test]
fn all_agree_then_one_down_keeps_the_price_moving() {
    let b = refresh(
        &RateBook::default(),
        &input(
            &["BTC/EUR"],
            four("BTC/EUR", ["60000", "60010", "60020", "60030"], at(0)),
            &[],
        ),
        &policy(),
        at(0),
    );
    assert_eq!(
        price(&b, at(0), "BTC/EUR"),
        Some(("60015".into(), RateStatus::Ok))
    );
    let r = &published(&b, at(0)).rates[0];
    assert_eq!(r.source, "median:bitfinex,bitstamp,coinbase,kraken");
    assert_eq!(r.sources.len(), 4);

    let mut q = four("BTC/EUR", ["60100", "60110", "60120", "x"], at(1));
    q.pop();
    let b = refresh(&b, &input(&["BTC/EUR"], q, &["bitfinex"]), &policy(), at(1));
    assert_eq!(
        price(&b, at(1), "BTC/EUR"),
        Some(("60110".into(), RateStatus::Ok))
    );
    let r = &published(&b, at(1)).rates[0];
    let down = r.sources.iter().find(|s| s.name == "bitfinex").unwrap();
    assert_eq!(
        (down.used, down.reason),
        (false, Some(Refusal::Unavailable))
    );
}

#[test]
fn without_quorum_the_old_price_ages_into_stale() {
    let b = refresh(
        &RateBook::default(),
        &input(
            &["BTC/EUR"],
            four("BTC/EUR", ["60000", "60000", "60000", "60000"], at(0)),
            &[],
        ),
        &policy(),
        at(0),
    );
    let mut b2 = b;
    for minute in 1..=6 {
        let q = vec![quote("kraken", "BTC/EUR", "61000", at(minute))];
        b2 = refresh(
            &b2,
            &input(&["BTC/EUR"], q, &["coinbase", "bitstamp", "bitfinex"]),
            &policy(),
            at(minute),
        );
    }
    // Observed at minute 0: 360 s old, over the client's 300.
    let r = &published(&b2, at(6)).rates[0];
    assert_eq!(r.price.normalize().to_string(), "60000");
    assert_eq!((r.age_seconds, r.status), (360, RateStatus::Stale));
    assert_eq!(r.sources[0].reason, Some(Refusal::NoQuorum));
}

#[test]
fn a_jump_is_held_as_suspect_until_three_refreshes_confirm_it() {
    let mut b = refresh(
        &RateBook::default(),
        &input(&["BTC/EUR"], four("BTC/EUR", ["60000"; 4], at(0)), &[]),
        &policy(),
        at(0),
    );
    for minute in 1..=2 {
        b = refresh(
            &b,
            &input(&["BTC/EUR"], four("BTC/EUR", ["75000"; 4], at(minute)), &[]),
            &policy(),
            at(minute),
        );
        assert_eq!(
            price(&b, at(minute), "BTC/EUR"),
            Some(("60000".into(), RateStatus::Suspect))
        );
    }
    b = refresh(
        &b,
        &input(&["BTC/EUR"], four("BTC/EUR", ["75000"; 4], at(3)), &[]),
        &policy(),
        at(3),
    );
    assert_eq!(
        price(&b, at(3), "BTC/EUR"),
        Some(("75000".into(), RateStatus::Ok))
    );
}

#[test]
fn thin_pairs_are_derived_from_eur_and_the_fx_reference() {
    let mut inp = input(
        &["BTC/EUR", "BTC/CHF"],
        four("BTC/EUR", ["60000"; 4], at(0)),
        &[],
    );
    inp.quotes
        .push(serde_json::from_value(quote("kraken", "BTC/CHF", "56000", at(0))).unwrap());
    inp.fx = Some(
        serde_json::from_value(json!({"source": "ecb", "base": "EUR",
            "observed_at": "2025-12-31T15:00:00Z", "rates": {"CHF": "0.9400", "USD": "1.0850"}}))
        .unwrap(),
    );
    let b = refresh(&RateBook::default(), &inp, &policy(), at(0));
    let r = published(&b, at(0))
        .rates
        .into_iter()
        .find(|r| r.fiat.ticker() == "CHF")
        .unwrap();
    assert_eq!(r.price.normalize().to_string(), "56400");
    assert_eq!(r.source, "ecb×BTC/EUR");
    assert_eq!(r.sources[0].reason, Some(Refusal::Derived));
    assert!(r.sources[1].used);

    // Five days later the reference is too old: no price is derived.
    let mut late = inp.clone();
    late.fx = None;
    late.quotes =
        serde_json::from_value(json!(four("BTC/EUR", ["60000"; 4], at(5 * 1440)))).unwrap();
    let b = refresh(&b, &late, &policy(), at(5 * 1440));
    let chf = b.pairs.iter().find(|e| e.fiat.ticker() == "CHF").unwrap();
    assert_eq!(chf.observed_at, Some(at(0)));
    assert_eq!(chf.sources.last().unwrap().reason, Some(Refusal::TooOld));
}

#[test]
fn an_override_wins_until_it_expires() {
    let mut b = refresh(
        &RateBook::default(),
        &input(&["BTC/EUR"], four("BTC/EUR", ["60000"; 4], at(0)), &[]),
        &policy(),
        at(0),
    );
    let req: SetRatesRequest = serde_json::from_value(json!({
        "rates": [{"crypto": "BTC", "fiat": "EUR", "price": "50000"}],
        "expires_at": at(3).to_string()}))
    .unwrap();
    b.set_overrides(&req, at(0)).unwrap();
    for minute in 1..=2 {
        b = refresh(
            &b,
            &input(&["BTC/EUR"], four("BTC/EUR", ["60000"; 4], at(minute)), &[]),
            &policy(),
            at(minute),
        );
        let r = &published(&b, at(minute)).rates[0];
        assert_eq!(
            (r.price.normalize().to_string(), r.source.as_str()),
            ("50000".into(), "admin")
        );
        assert_eq!((r.age_seconds, r.expires_at), (0, Some(at(3))));
    }
    b = refresh(
        &b,
        &input(&["BTC/EUR"], four("BTC/EUR", ["60000"; 4], at(3)), &[]),
        &policy(),
        at(3),
    );
    assert_eq!(
        price(&b, at(3), "BTC/EUR"),
        Some(("60000".into(), RateStatus::Ok))
    );
    assert!(b.overrides.is_empty());
}

#[test]
fn an_override_without_expiry_holds_until_the_next_accepted_price() {
    let mut b = RateBook::default();
    let req: SetRatesRequest = serde_json::from_value(json!({
        "rates": [{"crypto": "ETH", "fiat": "USD", "price": "3000.5"}]}))
    .unwrap();
    b.set_overrides(&req, at(0)).unwrap();
    assert_eq!(
        price(&b, at(0), "ETH/USD"),
        Some(("3000.5".into(), RateStatus::Ok))
    );
    assert_eq!(published(&b, at(6)).rates[0].status, RateStatus::Stale);
    b = refresh(
        &b,
        &input(&["ETH/USD"], four("ETH/USD", ["3100"; 4], at(1)), &[]),
        &policy(),
        at(1),
    );
    assert_eq!(
        price(&b, at(1), "ETH/USD"),
        Some(("3100".into(), RateStatus::Ok))
    );
}

#[test]
fn oldest_pair_is_reported() {
    let b = refresh(
        &RateBook::default(),
        &input(
            &["BTC/EUR", "ETH/EUR"],
            [
                four("BTC/EUR", ["1"; 4], at(0)),
                four("ETH/EUR", ["2"; 4], at(1)),
            ]
            .concat(),
            &[],
        ),
        &policy(),
        at(1),
    );
    let (pair, age) = b.oldest(at(2)).unwrap();
    assert_eq!((pair.to_string(), age), ("BTC/EUR".into(), 120));
}

#[test]
fn a_price_observed_a_moment_after_the_reader_is_published_as_observed_now() {
    let b = refresh(
        &RateBook::default(),
        &input(&["BTC/EUR"], four("BTC/EUR", ["60000"; 4], at(1)), &[]),
        &policy(),
        at(1),
    );
    let before = at(1).checked_sub_seconds(1).unwrap();
    let r = &published(&b, before).rates[0];
    assert_eq!(
        (r.observed_at, r.age_seconds, r.status),
        (before, 0, RateStatus::Ok)
    );
}
