//! Property tests of the pricing rules (docs/pricing.md) over random
//! amounts, rates and fee settings.

use std::collections::BTreeMap;

use cryptoexchange_core::api::{QuoteBreakdown, QuoteRequest, RateEntry, RatesResponse};
use cryptoexchange_core::config::{ClientConfig, CryptoSettings, FiatSettings};
use cryptoexchange_core::error::DomainError;
use cryptoexchange_core::money::{format_amount, mul_rounded, parse_amount, Rounding};
use cryptoexchange_core::quote::{estimate, QuoteError};
use cryptoexchange_core::time::Timestamp;
use cryptoexchange_core::{Crypto, Fiat, Network};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn now() -> Timestamp {
    "2026-06-01T12:00:30Z".parse().unwrap()
}

#[derive(Debug, Clone)]
struct Market {
    crypto: Crypto,
    fiat: Fiat,
    /// Mid price with at most 2 decimals, so that the test's own checks with
    /// rust_decimal's `*` are exact.
    mid: Decimal,
    spread_percent: Decimal,
    service_percent: Decimal,
    service_fixed: Decimal,
    network_fee: Decimal,
}

impl Market {
    fn config(&self) -> ClientConfig {
        let big = Decimal::new(9_000_000_000, 0);
        let fiat = FiatSettings {
            min_order: Decimal::new(1, self.fiat.minor_units()),
            max_order: big,
            daily_limit: big,
            monthly_limit: big,
            service_fee_fixed: self.service_fixed,
        };
        let crypto = CryptoSettings {
            networks: vec![Network::Mainnet],
            network_fee: self.network_fee,
        };
        ClientConfig {
            name: "props".into(),
            fiat: BTreeMap::from([(self.fiat, fiat)]),
            crypto: BTreeMap::from([(self.crypto, crypto)]),
            service_fee_percent: self.service_percent,
            spread_percent: self.spread_percent,
            quote_validity_seconds: 60,
            max_rate_age_seconds: 300,
            webhook_url: None,
            xpubs: BTreeMap::new(),
        }
        .validate()
        .unwrap()
    }

    fn rates(&self) -> RatesResponse {
        RatesResponse {
            rates: vec![RateEntry {
                crypto: self.crypto,
                fiat: self.fiat,
                price: self.mid,
                observed_at: "2026-06-01T12:00:00Z".parse().unwrap(),
                source: "props".into(),
                age_seconds: 30,
                status: Default::default(),
                sources: Vec::new(),
                expires_at: None,
            }],
            max_age_seconds: 300,
        }
    }

    fn quote(&self, amount: Decimal, in_crypto: bool) -> Result<QuoteBreakdown, QuoteError> {
        let (text, currency) = if in_crypto {
            (
                format_amount(amount, self.crypto.decimals()),
                self.crypto.ticker(),
            )
        } else {
            (
                format_amount(amount, self.fiat.minor_units()),
                self.fiat.ticker(),
            )
        };
        let request = QuoteRequest {
            customer_id: None,
            crypto: self.crypto.ticker().into(),
            network: "mainnet".into(),
            fiat: self.fiat.ticker().into(),
            amount: text,
            amount_currency: currency.into(),
        };
        estimate(&request, &self.rates(), &self.config(), now())
    }

    fn minor(&self) -> Decimal {
        Decimal::new(1, self.fiat.minor_units())
    }

    fn price(&self) -> Decimal {
        self.mid * (Decimal::ONE + self.spread_percent / Decimal::ONE_HUNDRED)
    }
}

/// Prices where one base unit of the crypto is worth at most one minor
/// unit of the fiat at the effective price (the documented domain of the
/// one-minor-unit round-trip bound).
fn market() -> impl Strategy<Value = Market> {
    (
        prop::sample::select(Crypto::ALL.to_vec()),
        prop::sample::select(Fiat::ALL.to_vec()),
        1u64..=60_000_000,
        0u32..=5000,
        0u32..=5000,
        0u32..=1000,
        0u64..=100_000,
    )
        .prop_map(|(crypto, fiat, mid_cents, spread, service, fixed, fee)| {
            let fiat_places = fiat.minor_units();
            Market {
                crypto,
                fiat,
                mid: Decimal::new(mid_cents as i64, 2),
                spread_percent: Decimal::new(i64::from(spread), 2),
                service_percent: Decimal::new(i64::from(service), 2),
                service_fixed: Decimal::new(i64::from(fixed), fiat_places),
                network_fee: Decimal::new(fee as i64, crypto.decimals().min(8)),
            }
        })
}

fn check_breakdown(m: &Market, q: &QuoteBreakdown) {
    let fp = m.fiat.minor_units();
    // Precision respected.
    assert_eq!(q.crypto_amount.scale(), m.crypto.decimals());
    assert_eq!(q.fees.network.crypto.scale(), m.crypto.decimals());
    for v in [
        q.fiat_amount,
        q.crypto_value,
        q.fees.total,
        q.fees.service.fiat,
        q.fees.spread.fiat,
        q.fees.network.fiat,
        q.fees.service.fixed,
    ] {
        assert_eq!(v.scale(), fp, "{v}");
    }
    // Parts add up exactly.
    assert_eq!(
        q.fees.total,
        q.fees.service.fiat + q.fees.spread.fiat + q.fees.network.fiat
    );
    assert_eq!(q.fiat_amount, q.crypto_value + q.fees.total);
    // Each rounded part is within one minor unit above its exact value.
    let exact_cost = q.crypto_amount * m.price();
    let cost = q.crypto_value + q.fees.spread.fiat;
    assert!(
        cost >= exact_cost && cost - exact_cost < m.minor(),
        "cost {cost} vs {exact_cost}"
    );
    let exact_value = q.crypto_amount * m.mid;
    assert!(q.crypto_value >= exact_value && q.crypto_value - exact_value < m.minor());
    let exact_service = cost * m.service_percent / Decimal::ONE_HUNDRED + m.service_fixed;
    assert!(
        q.fees.service.fiat >= exact_service && q.fees.service.fiat - exact_service < m.minor()
    );
    let exact_network = m.network_fee * m.mid;
    assert!(
        q.fees.network.fiat >= exact_network && q.fees.network.fiat - exact_network < m.minor()
    );
}

fn acceptable_error(e: &QuoteError) -> bool {
    matches!(
        e.code().as_str(),
        "amount_below_fees" | "below_minimum" | "above_maximum"
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn spend_quote_adds_up_and_never_overdelivers(
        m in market(),
        spend_minor in prop_oneof![1u64..=2_000, 1u64..=50_000_000],
    ) {
        let spend = Decimal::new(spend_minor as i64, m.fiat.minor_units());
        match m.quote(spend, false) {
            Ok(q) => {
                check_breakdown(&m, &q);
                // Spending the quoted fiat buys at most the quoted crypto:
                // what is charged never exceeds what was offered...
                prop_assert!(q.fiat_amount <= spend);
                // ...and one base unit more would cost more than the spend.
                let one_more = q.crypto_amount + Decimal::new(1, m.crypto.decimals());
                if let Ok(more) = m.quote(one_more, true) {
                    prop_assert!(more.fiat_amount > spend, "{} buys {} too", spend, one_more);
                }
                // Round trip fiat → crypto → fiat loses at most one minor unit.
                let back = m.quote(q.crypto_amount, true).unwrap();
                prop_assert_eq!(back.fiat_amount, q.fiat_amount);
                prop_assert!(spend - back.fiat_amount <= m.minor(), "lost {}", spend - back.fiat_amount);
            }
            Err(e) => prop_assert!(acceptable_error(&e), "{e}"),
        }
    }

    #[test]
    fn receive_quote_adds_up_and_charges_at_least_the_crypto(m in market(), units in 1u64..=100_000_000_000) {
        let places = m.crypto.decimals().min(8);
        let amount = Decimal::new(units as i64, places);
        match m.quote(amount, true) {
            Ok(q) => {
                check_breakdown(&m, &q);
                prop_assert_eq!(q.crypto_amount, amount);
                prop_assert!(q.fiat_amount >= amount * m.price() + m.service_fixed);
                // Spending exactly the quoted fiat buys the same crypto back.
                let spend = m.quote(q.fiat_amount, false).unwrap();
                prop_assert!(spend.crypto_amount >= q.crypto_amount);
                prop_assert_eq!(spend.fiat_amount, q.fiat_amount);
            }
            Err(e) => prop_assert!(acceptable_error(&e), "{e}"),
        }
    }

    #[test]
    fn eth_amounts_with_18_decimals_stay_exact(
        wei in 1u128..=9_999_999_999_999_999_999_999_999u128,
        mid_cents in 1i64..=1_000_000_000,
    ) {
        let m = Market {
            crypto: Crypto::Eth,
            fiat: Fiat::Usd,
            mid: Decimal::new(mid_cents, 2),
            spread_percent: Decimal::new(75, 2),
            service_percent: Decimal::new(125, 2),
            service_fixed: Decimal::new(99, 2),
            network_fee: Decimal::new(4, 4),
        };
        let amount = Decimal::from_i128_with_scale(wei as i128, 18);
        match m.quote(amount, true) {
            Ok(q) => {
                prop_assert_eq!(q.crypto_amount, amount);
                prop_assert_eq!(q.fiat_amount, q.crypto_value + q.fees.total);
            }
            Err(e) => prop_assert!(acceptable_error(&e) || e.code() == "amount_too_large", "{e}"),
        }
    }

    #[test]
    fn mul_rounded_brackets_the_exact_product(
        a in 0i64..=10_000_000_000, sa in 0u32..=12,
        b in 0i64..=10_000_000_000, sb in 0u32..=12,
        dp in 0u32..=8,
    ) {
        let (x, y) = (Decimal::new(a, sa), Decimal::new(b, sb));
        let exact = x * y; // at most 24 digits, 24 places: exact
        let down = mul_rounded(x, y, dp, Rounding::Down).unwrap();
        let up = mul_rounded(x, y, dp, Rounding::Up).unwrap();
        let step = Decimal::new(1, dp);
        prop_assert!(down <= exact && exact - down < step);
        prop_assert!(up >= exact && up - exact < step);
        prop_assert_eq!(up == down, exact == down);
        prop_assert_eq!(down.scale(), dp);
    }

    #[test]
    fn amounts_round_trip_through_their_string_form(
        (m, places) in (0u32..=8).prop_flat_map(|p| (0i64..10i64.pow(10 + p), Just(p)))
    ) {
        let value = Decimal::new(m, places);
        let text = format_amount(value, places);
        prop_assert_eq!(text.split_once('.').map_or(0, |(_, f)| f.len()), places as usize);
        prop_assert_eq!(parse_amount(&text, places).unwrap(), value);
    }

    #[test]
    fn no_amount_string_makes_the_core_panic(
        amount in "\\PC{0,40}|-?[0-9]{0,30}(\\.[0-9]{0,30})?([eE][+-]?[0-9]{1,3})?",
        currency in "BTC|ETH|EUR|JPY|\\PC{0,5}",
        crypto in "BTC|ETH|DOGE|\\PC{0,4}",
        fiat in "EUR|JPY|USD|\\PC{0,4}",
        network in "mainnet|testnet|\\PC{0,8}",
    ) {
        let m = Market {
            crypto: Crypto::Btc,
            fiat: Fiat::Eur,
            mid: Decimal::new(5_000_000, 2),
            spread_percent: Decimal::ONE,
            service_percent: Decimal::ONE,
            service_fixed: Decimal::new(50, 2),
            network_fee: Decimal::new(5000, 8),
        };
        let request = QuoteRequest { crypto, network, fiat, amount, amount_currency: currency, customer_id: None };
        let _ = estimate(&request, &m.rates(), &m.config(), now());
    }

    #[test]
    fn no_config_or_rate_makes_the_core_panic(
        percents in prop::array::uniform2((-10_000i64..=10_000_000, 0u32..=10)),
        fixed in (-1000i64..=i64::MAX, 0u32..=20),
        fee in (-1000i64..=i64::MAX, 0u32..=28),
        limits in prop::array::uniform4((-10i64..=i64::MAX, 0u32..=6)),
        mid in (-10i64..=i64::MAX, 0u32..=28),
        amount in "[0-9]{1,12}(\\.[0-9]{1,20})?",
        in_crypto in any::<bool>(),
        seconds in prop::array::uniform2(0u32..=100_000),
        age in -100i64..=100_000,
    ) {
        let dec = |(m, s): (i64, u32)| Decimal::new(m, s);
        let fiat = FiatSettings {
            min_order: dec(limits[0]),
            max_order: dec(limits[1]),
            daily_limit: dec(limits[2]),
            monthly_limit: dec(limits[3]),
            service_fee_fixed: dec(fixed),
        };
        let config = ClientConfig {
            name: "fuzz".into(),
            fiat: BTreeMap::from([(Fiat::Eur, fiat)]),
            crypto: BTreeMap::from([(Crypto::Eth, CryptoSettings { networks: vec![Network::Mainnet], network_fee: dec(fee) })]),
            service_fee_percent: dec(percents[0]),
            spread_percent: dec(percents[1]),
            quote_validity_seconds: seconds[0],
            max_rate_age_seconds: seconds[1],
            webhook_url: None,
            xpubs: BTreeMap::new(),
        };
        let rates = RatesResponse {
            rates: vec![RateEntry {
                crypto: Crypto::Eth,
                fiat: Fiat::Eur,
                price: dec(mid),
                observed_at: now().checked_sub_seconds(age).unwrap(),
                source: "fuzz".into(),
                age_seconds: age,
                status: Default::default(),
                sources: Vec::new(),
                expires_at: None,
            }],
            max_age_seconds: seconds[1],
        };
        let request = QuoteRequest {
            customer_id: None,
            crypto: "ETH".into(),
            network: "mainnet".into(),
            fiat: "EUR".into(),
            amount,
            amount_currency: if in_crypto { "ETH" } else { "EUR" }.into(),
        };
        if let Ok(q) = estimate(&request, &rates, &config, now()) {
            prop_assert_eq!(q.fiat_amount, q.crypto_value + q.fees.total);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn limit_check_passes_exactly_when_every_window_has_room(
        entries in prop::collection::vec((0i64..=40 * 86_400, 0i64..=200_000), 0..12),
        requested in 1i64..=150_000,
    ) {
        use cryptoexchange_core::limits::{check_limits, window_starts, SpentEntry};
        let m = Market {
            crypto: Crypto::Btc,
            fiat: Fiat::Eur,
            mid: Decimal::ONE,
            spread_percent: Decimal::ZERO,
            service_percent: Decimal::ZERO,
            service_fixed: Decimal::ZERO,
            network_fee: Decimal::ZERO,
        };
        let mut config = m.config();
        let eur = config.fiat.get_mut(&Fiat::Eur).unwrap();
        eur.min_order = Decimal::new(1, 2);
        eur.max_order = Decimal::new(1500, 0);
        eur.daily_limit = Decimal::new(2000, 0);
        eur.monthly_limit = Decimal::new(5000, 0);
        let now = now();
        let history: Vec<SpentEntry> = entries
            .iter()
            .map(|(ago, cents)| SpentEntry {
                at: now.checked_sub_seconds(*ago).unwrap(),
                fiat: Fiat::Eur,
                amount: Decimal::new(*cents, 2),
            })
            .collect();
        let amount = Decimal::new(requested, 2);
        let (day, month) = window_starts(now);
        let used = |start| history.iter().filter(|e| e.at >= start).map(|e| e.amount).sum::<Decimal>();
        let fits = used(day) + amount <= Decimal::new(2000, 0) && used(month) + amount <= Decimal::new(5000, 0);
        prop_assert_eq!(check_limits(&config, &history, Fiat::Eur, amount, now).is_ok(), fits);
    }

    #[test]
    fn no_order_request_makes_the_core_panic(
        fields in prop::array::uniform7("\\PC{0,30}|BTC|EUR|mainnet|100|bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"),
    ) {
        use cryptoexchange_core::api::PlaceOrderRequest;
        use cryptoexchange_core::placement::validate_place_order;
        let [customer_id, crypto, network, fiat, amount, amount_currency, destination_address] = fields;
        let m = Market {
            crypto: Crypto::Btc,
            fiat: Fiat::Eur,
            mid: Decimal::ONE,
            spread_percent: Decimal::ZERO,
            service_percent: Decimal::ZERO,
            service_fixed: Decimal::ZERO,
            network_fee: Decimal::ZERO,
        };
        let request = PlaceOrderRequest {
            customer_id, crypto, network, fiat, amount, amount_currency, destination_address, quote_id: None,
        };
        let _ = validate_place_order(&request, &m.config());
    }
}
