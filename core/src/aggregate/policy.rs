//! The knobs of the aggregation, with the defaults docs/rates.md explains.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::currency::{Crypto, Fiat};

/// How quotes from several sources become one price per pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AggregationPolicy {
    /// A quote whose spread `(ask - bid) / mid` exceeds this percentage is refused.
    #[serde(with = "super::signed_decimal")]
    pub max_spread_percent: Decimal,
    /// A quote older than this is refused (its source's own timestamp, or the fetch time).
    pub max_quote_age_seconds: u32,
    /// A quote observed more than this after `now` is refused (clock skew allowance).
    pub max_clock_skew_seconds: u32,
    /// After the first median, quotes further than this percentage from it are dropped.
    #[serde(with = "super::signed_decimal")]
    pub outlier_percent: Decimal,
    /// At least this many quotes must make the final median.
    pub min_sources: u32,
    /// A new median further than this percentage from the last accepted price is held.
    #[serde(with = "super::signed_decimal")]
    pub jump_percent: Decimal,
    /// The same for the more volatile coins (LTC, BCH, DOGE).
    #[serde(with = "super::signed_decimal")]
    pub jump_percent_volatile: Decimal,
    /// Consecutive refreshes at the new level before a held jump is accepted.
    pub jump_confirmations: u32,
    /// Fiats that may be derived from a EUR or USD median times an FX reference rate
    /// when their own quotes do not make a quorum.
    pub derived_fiats: Vec<Fiat>,
    /// The FX reference rate is not used once older than this.
    pub max_fx_age_seconds: u32,
}

impl Default for AggregationPolicy {
    fn default() -> Self {
        AggregationPolicy {
            max_spread_percent: Decimal::new(2, 0),
            max_quote_age_seconds: 120,
            max_clock_skew_seconds: 5,
            outlier_percent: Decimal::new(2, 0),
            min_sources: 2,
            jump_percent: Decimal::new(10, 0),
            jump_percent_volatile: Decimal::new(20, 0),
            jump_confirmations: 3,
            derived_fiats: vec![Fiat::Chf, Fiat::Jpy],
            // ECB reference rates: published on TARGET working days only, so a long
            // weekend (Friday to Tuesday) is four days old.
            max_fx_age_seconds: 4 * 86_400 + 6 * 3_600,
        }
    }
}

impl AggregationPolicy {
    /// The jump threshold of a coin.
    pub fn jump_percent_for(&self, crypto: Crypto) -> Decimal {
        match crypto {
            Crypto::Ltc | Crypto::Bch | Crypto::Doge => self.jump_percent_volatile,
            _ => self.jump_percent,
        }
    }
}
