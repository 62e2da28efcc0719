//! Property tests of the selling rules (docs/pricing.md, "Selling") over random
//! amounts, rates and fee settings.

use std::collections::BTreeMap;

use cryptoexchange_core::api::{
    QuoteBreakdown, RateEntry, RatesResponse, SellQuoteBreakdown, SellQuoteRequest, SellSide, Side,
};
use cryptoexchange_core::config::{ClientConfig, CryptoSettings, FiatSettings};
use cryptoexchange_core::money::format_amount;
use cryptoexchange_core::sell::{estimate_sell, reprice_at_locked_rate, SellError};
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
    /// At most 2 decimals, so the test's own `*` is exact.
    mid: Decimal,
    spread_percent: Decimal,
    service_percent: Decimal,
    service_fixed: Decimal,
    network_fee: Decimal,
}

impl Market {
    fn config(&self) -> ClientConfig {
        let big = Decimal::new(9_000_000_000, 0);
        ClientConfig {
            name: "props".into(),
            fiat: BTreeMap::from([(
                self.fiat,
                FiatSettings {
                    min_order: Decimal::new(1, self.fiat.minor_units()),
                    max_order: big,
                    daily_limit: big,
                    monthly_limit: big,
                    service_fee_fixed: self.service_fixed,
                },
            )]),
            crypto: BTreeMap::from([(
                self.crypto,
                CryptoSettings {
                    networks: vec![Network::Mainnet],
                    network_fee: self.network_fee,
                },
            )]),
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

    fn sell(&self, amount: Decimal, in_crypto: bool) -> Result<SellQuoteBreakdown, SellError> {
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
        let request = SellQuoteRequest {
            side: SellSide::Sell,
            crypto: self.crypto.ticker().into(),
            network: "mainnet".into(),
            fiat: self.fiat.ticker().into(),
            amount: text,
            amount_currency: currency.into(),
        };
        estimate_sell(&request, &self.rates(), &self.config(), now())
    }

    fn minor(&self) -> Decimal {
        Decimal::new(1, self.fiat.minor_units())
    }

    fn unit(&self) -> Decimal {
        Decimal::new(1, self.crypto.decimals())
    }

    fn price(&self) -> Decimal {
        self.mid * (Decimal::ONE - self.spread_percent / Decimal::ONE_HUNDRED)
    }
}

/// Sellable cryptos at prices where one base unit is worth at most one minor unit
/// (the documented domain of the one-minor-unit bound).
fn market() -> impl Strategy<Value = Market> {
    let sellable: Vec<Crypto> = Crypto::ALL
        .into_iter()
        .filter(|c| *c != Crypto::Eth)
        .collect();
    (
        prop::sample::select(sellable),
        prop::sample::select(Fiat::ALL.to_vec()),
        1u64..=60_000_000,
        0u32..=5000,
        0u32..=5000,
        0u32..=1000,
        0u64..=100_000,
    )
        .prop_map(
            |(crypto, fiat, mid_cents, spread, service, fixed, fee)| Market {
                crypto,
                fiat,
                mid: Decimal::new(mid_cents as i64, 2),
                spread_percent: Decimal::new(i64::from(spread), 2),
                service_percent: Decimal::new(i64::from(service), 2),
                service_fixed: Decimal::new(i64::from(fixed), fiat.minor_units()),
                network_fee: Decimal::new(fee as i64, 8),
            },
        )
}

fn check_parts(m: &Market, q: &QuoteBreakdown) {
    let fp = m.fiat.minor_units();
    assert_eq!(q.crypto_amount.scale(), m.crypto.decimals());
    for v in [q.fiat_amount, q.crypto_value, q.fees.total] {
        assert_eq!(v.scale(), fp, "{v}");
    }
    // Parts add up exactly: what the crypto is worth = what is paid out + every fee.
    assert_eq!(
        q.fees.total,
        q.fees.service.fiat + q.fees.spread.fiat + q.fees.network.fiat
    );
    assert_eq!(q.crypto_value, q.fiat_amount + q.fees.total);
    assert!(q.fiat_amount > Decimal::ZERO);
    assert!(q.fees.spread.fiat >= Decimal::ZERO);
    // Rounded down: never more than the exact value, and less by under one minor unit.
    let exact_value = q.crypto_amount * m.mid;
    assert!(q.crypto_value <= exact_value && exact_value - q.crypto_value < m.minor());
    let proceeds = q.crypto_value - q.fees.spread.fiat;
    let exact_proceeds = q.crypto_amount * m.price();
    assert!(proceeds <= exact_proceeds && exact_proceeds - proceeds < m.minor());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn sell_parts_add_up(m in market(), sats in 1u64..=2_000_000_000) {
        let c = Decimal::new(sats as i64, 8);
        let Ok(q) = m.sell(c, true) else { return Ok(()) };
        prop_assert_eq!(q.side, Side::Sell);
        check_parts(&m, &q.quote);
        prop_assert_eq!(q.quote.crypto_amount, c);
    }

    #[test]
    fn receiving_the_quoted_fiat_never_takes_less_crypto_than_quoted(
        m in market(), cents in 1u64..=5_000_000,
    ) {
        let wanted = Decimal::new(cents as i64, m.fiat.minor_units());
        let Ok(q) = m.sell(wanted, false) else { return Ok(()) };
        check_parts(&m, &q.quote);
        prop_assert!(q.quote.fiat_amount >= wanted);
        // One base unit less pays out less than asked (or nothing at all).
        let less = q.quote.crypto_amount - m.unit();
        if less > Decimal::ZERO {
            if let Ok(l) = m.sell(less, true) {
                prop_assert!(l.quote.fiat_amount < wanted, "{} pays {}", less, l.quote.fiat_amount);
            }
        }
    }

    #[test]
    fn fiat_crypto_fiat_round_trip_loses_at_most_one_minor_unit(
        m in market(), cents in 1u64..=5_000_000,
    ) {
        prop_assume!(m.unit() * m.price() <= m.minor());
        let wanted = Decimal::new(cents as i64, m.fiat.minor_units());
        let Ok(q) = m.sell(wanted, false) else { return Ok(()) };
        let back = m.sell(q.quote.crypto_amount, true).unwrap();
        prop_assert_eq!(back.quote.fiat_amount, q.quote.fiat_amount);
        prop_assert!(back.quote.fiat_amount - wanted <= m.minor());
        // And crypto → fiat → crypto never asks for more crypto than was sold.
        let again = m.sell(back.quote.fiat_amount, false).unwrap();
        prop_assert!(again.quote.crypto_amount <= q.quote.crypto_amount);
    }

    #[test]
    fn repricing_at_the_locked_rate_is_the_quote_of_that_amount(
        m in market(), sats in 1u64..=2_000_000_000, delta in -1000i64..=1000,
    ) {
        let c = Decimal::new(sats as i64, 8);
        let Ok(q) = m.sell(c, true) else { return Ok(()) };
        let other = c + Decimal::new(delta, 8);
        prop_assume!(other > Decimal::ZERO);
        let fresh = m.sell(other, true);
        let locked = reprice_at_locked_rate(&q.quote, other);
        match (fresh, locked) {
            (Ok(f), Ok(l)) => {
                prop_assert_eq!(f.quote.fiat_amount, l.fiat_amount);
                prop_assert_eq!(f.quote.fees, l.fees);
            }
            (Err(_), _) | (_, Err(_)) => {}
        }
    }
}
