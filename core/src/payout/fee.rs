//! Fee rates as whole satoshis per 1000 virtual bytes (Bitcoin Core's `CFeeRate`), so
//! no float ever touches a fee. Esplora's float sat/vB are parsed as decimals.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// Satoshis (or litoshis) per 1000 vbytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FeeRate(pub u64);

/// One vbyte is four weight units.
pub const WITNESS_SCALE: u64 = 4;

impl FeeRate {
    pub const fn from_sat_per_vb(sat_per_vb: u64) -> FeeRate {
        FeeRate(sat_per_vb * 1000)
    }

    /// A decimal sat/vB (as Esplora gives it), rounded up to the next sat/kvB so the
    /// rate paid is never below the one asked.
    pub fn from_sat_per_vb_decimal(sat_per_vb: Decimal) -> Option<FeeRate> {
        if sat_per_vb.is_sign_negative() {
            return None;
        }
        (sat_per_vb * Decimal::from(1000))
            .round_dp_with_strategy(0, RoundingStrategy::AwayFromZero)
            .to_u64()
            .map(FeeRate)
    }

    pub fn sat_per_kvb(self) -> u64 {
        self.0
    }

    /// The fee for `weight` weight units: its vsize (rounded up, as nodes count it),
    /// then the fee rounded up. Summing this over parts whose weights are multiples of
    /// four plus one other part never gives less than the fee of the whole.
    pub fn fee_for_weight(self, weight: u64) -> u64 {
        self.fee_for_vsize(weight.div_ceil(WITNESS_SCALE))
    }

    /// The fee for `vsize` vbytes, rounded up.
    pub fn fee_for_vsize(self, vsize: u64) -> u64 {
        vsize.saturating_mul(self.0).div_ceil(1000)
    }

    /// The decimal sat/vB, for display.
    pub fn sat_per_vb(self) -> Decimal {
        Decimal::new(self.0 as i64, 3).normalize()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fractional_esplora_rates_rounding_up() {
        let rate = |s: &str| FeeRate::from_sat_per_vb_decimal(s.parse().unwrap());
        assert_eq!(rate("1.0"), Some(FeeRate(1000)));
        assert_eq!(rate("0.5"), Some(FeeRate(500)));
        assert_eq!(rate("12.3456"), Some(FeeRate(12346)));
        assert_eq!(rate("-1"), None);
    }

    #[test]
    fn fees_round_up() {
        // 141 vB (one P2WPKH in, two out) at 1.5 sat/vB: 211.5 -> 212.
        assert_eq!(FeeRate(1500).fee_for_vsize(141), 212);
        assert_eq!(FeeRate(1500).fee_for_weight(564), 212);
        assert_eq!(FeeRate(1000).fee_for_weight(1), 1);
        // 562 WU is 140.5 vB, which nodes count as 141.
        assert_eq!(FeeRate(3000).fee_for_weight(562), 423);
    }
}
