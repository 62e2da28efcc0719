//! Thin pairs (CHF, JPY) priced from the coin's EUR or USD price and a daily FX
//! reference rate (the ECB's euro foreign exchange reference rates, for example).

use std::collections::BTreeMap;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::currency::Fiat;
use crate::rates::PRICE_DECIMALS;
use crate::time::Timestamp;

/// Units of each fiat for one unit of `base`, as published at `observed_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FxReference {
    /// Named in the sources of every derived price, e.g. "ecb".
    pub source: String,
    pub base: Fiat,
    pub observed_at: Timestamp,
    pub rates: BTreeMap<Fiat, FxRate>,
}

/// One reference rate, a decimal string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FxRate(#[serde(with = "crate::money::decimal_string")] pub Decimal);

impl FxReference {
    /// Units of `fiat` per unit of the base (1 for the base itself).
    fn per_base(&self, fiat: Fiat) -> Option<Decimal> {
        if fiat == self.base {
            return Some(Decimal::ONE);
        }
        self.rates
            .get(&fiat)
            .map(|r| r.0)
            .filter(|r| *r > Decimal::ZERO)
    }

    /// Converts a price in `from` into `to`, half to even at [`PRICE_DECIMALS`];
    /// `None` when a rate is missing, the reference is older than `max_age_seconds`,
    /// or the result is not a positive price.
    pub fn convert(
        &self,
        price: Decimal,
        from: Fiat,
        to: Fiat,
        now: Timestamp,
        max_age_seconds: u32,
    ) -> Option<Decimal> {
        let age = now.seconds_since(self.observed_at);
        if !(0..=i64::from(max_age_seconds)).contains(&age) {
            return None;
        }
        let converted = price
            .checked_mul(self.per_base(to)?)?
            .checked_div(self.per_base(from)?)?
            .round_dp_with_strategy(PRICE_DECIMALS, RoundingStrategy::MidpointNearestEven);
        (converted > Decimal::ZERO).then_some(converted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ecb() -> FxReference {
        serde_json::from_str(
            r#"{"source":"ecb","base":"EUR","observed_at":"2026-01-02T15:00:00Z",
                "rates":{"USD":"1.0850","CHF":"0.9400","JPY":"162.50"}}"#,
        )
        .unwrap()
    }

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn converts_from_the_base_and_across() {
        let now = at("2026-01-03T00:00:00Z");
        let fx = ecb();
        let p = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(
            fx.convert(p("60000"), Fiat::Eur, Fiat::Chf, now, 86_400)
                .unwrap(),
            p("56400")
        );
        // 65100 USD / 1.085 = 60000 EUR = 9 750 000 JPY.
        assert_eq!(
            fx.convert(p("65100"), Fiat::Usd, Fiat::Jpy, now, 86_400)
                .unwrap(),
            p("9750000")
        );
        assert_eq!(fx.convert(p("1"), Fiat::Eur, Fiat::Gbp, now, 86_400), None);
    }

    #[test]
    fn an_old_or_future_reference_is_not_used() {
        let fx = ecb();
        let p = Decimal::ONE;
        assert!(fx
            .convert(p, Fiat::Eur, Fiat::Chf, at("2026-01-03T15:00:00Z"), 86_400)
            .is_some());
        assert_eq!(
            fx.convert(p, Fiat::Eur, Fiat::Chf, at("2026-01-03T15:00:01Z"), 86_400),
            None
        );
        assert_eq!(
            fx.convert(p, Fiat::Eur, Fiat::Chf, at("2026-01-02T14:59:59Z"), 86_400),
            None
        );
    }
}
