//! The amount policy of sell deposits: how much may differ from the expected amount,
//! how long the customer has, how long a late deposit is still looked for, and how deep
//! a deposit must be before any payout. Pure functions over a [`SellPolicy`], which the
//! operator sets (`SELL_POLICY_JSON`, any subset of the fields; docs/pricing.md).

use std::collections::BTreeMap;
use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::currency::Crypto;
use crate::money::{decimal_string, mul_rounded, percent_to_fraction, Rounding};

/// The cryptos a sell order can take: those whose deposits come to an xpub-derived
/// address and are watched by confirmations (UTXO chains).
pub fn sellable(crypto: Crypto) -> bool {
    !matches!(crypto, Crypto::Eth)
}

#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SellPolicy {
    /// A deposit within this percent of the expected amount is paid on what arrived.
    #[serde(with = "decimal_string")]
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::DecimalString"))]
    pub tolerance_percent: Decimal,
    /// From placement to the deadline (Coinbase's off-ramp: 30 minutes).
    pub deadline_seconds: u32,
    /// How long after the deadline a first deposit is still recorded (`paid_late`):
    /// BTCPay's default of 24 hours.
    pub watch_window_seconds: u32,
    /// An excess is refunded only when at least this many network fees (the config's
    /// `network_fee` of the crypto): below, the refund would cost about what it returns.
    pub refund_min_network_fees: u32,
    /// Confirmations before a payout, per crypto (exchanges' published deposit policies).
    pub confirmations: BTreeMap<Crypto, u32>,
}

impl Default for SellPolicy {
    fn default() -> Self {
        SellPolicy {
            tolerance_percent: Decimal::ONE,
            deadline_seconds: 30 * 60,
            watch_window_seconds: 24 * 3600,
            refund_min_network_fees: 2,
            confirmations: BTreeMap::from([
                (Crypto::Btc, 3),
                (Crypto::Ltc, 12),
                (Crypto::Bch, 15),
                (Crypto::Doge, 40),
            ]),
        }
    }
}

/// A policy an operator may not set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum SellPolicyError {
    SellPolicyOutOfRange { field: &'static str },
}

impl fmt::Display for SellPolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SellPolicyError::SellPolicyOutOfRange { field } => {
                write!(f, "sell policy field {field} is out of range")
            }
        }
    }
}

impl SellPolicy {
    /// The policy from `SELL_POLICY_JSON`: the defaults for every field left out;
    /// depths given per crypto replace only those cryptos' defaults.
    pub fn from_json(text: &str) -> Result<SellPolicy, String> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Partial {
            tolerance_percent: Option<String>,
            deadline_seconds: Option<u32>,
            watch_window_seconds: Option<u32>,
            refund_min_network_fees: Option<u32>,
            #[serde(default)]
            confirmations: BTreeMap<Crypto, u32>,
        }
        let p: Partial = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let mut policy = SellPolicy::default();
        if let Some(v) = p.tolerance_percent {
            policy.tolerance_percent =
                crate::money::parse_amount(&v, 4).map_err(|e| e.to_string())?;
        }
        if let Some(v) = p.deadline_seconds {
            policy.deadline_seconds = v;
        }
        if let Some(v) = p.watch_window_seconds {
            policy.watch_window_seconds = v;
        }
        if let Some(v) = p.refund_min_network_fees {
            policy.refund_min_network_fees = v;
        }
        policy.confirmations.extend(p.confirmations);
        policy.validate().map_err(|e| e.to_string())
    }

    /// Tolerance 0..=10 % with at most 4 decimals; deadline 1 s..=24 h; watch window at
    /// most 30 days; depths 1..=1000.
    pub fn validate(self) -> Result<SellPolicy, SellPolicyError> {
        let bad = |field| Err(SellPolicyError::SellPolicyOutOfRange { field });
        let t = self.tolerance_percent;
        if t.is_sign_negative() || t > Decimal::TEN || t.normalize().scale() > 4 {
            return bad("tolerance_percent");
        }
        if !(1..=86_400).contains(&self.deadline_seconds) {
            return bad("deadline_seconds");
        }
        if self.watch_window_seconds > 30 * 86_400 {
            return bad("watch_window_seconds");
        }
        if self.refund_min_network_fees > 1000 {
            return bad("refund_min_network_fees");
        }
        if self.confirmations.values().any(|d| !(1..=1000).contains(d)) {
            return bad("confirmations");
        }
        Ok(self)
    }

    /// Confirmations a deposit of `crypto` needs before any payout (6 for a crypto the
    /// table leaves out: Bitcoin's classic depth).
    pub fn depth(&self, crypto: Crypto) -> u32 {
        self.confirmations.get(&crypto).copied().unwrap_or(6)
    }

    /// How `received` compares with `expected` under the tolerance. The band is
    /// `[⌈expected × (1 − t)⌉, ⌊expected × (1 + t)⌋]` in base units: the customer is
    /// never held to a bound finer than what can be sent.
    pub fn classify(&self, expected: Decimal, received: Decimal, decimals: u32) -> AmountVerdict {
        let t = percent_to_fraction(self.tolerance_percent).unwrap_or(Decimal::ZERO);
        let low =
            mul_rounded(expected, Decimal::ONE - t, decimals, Rounding::Up).unwrap_or(expected);
        let high =
            mul_rounded(expected, Decimal::ONE + t, decimals, Rounding::Down).unwrap_or(expected);
        if received < low {
            AmountVerdict::Under {
                missing: expected - received,
            }
        } else if received > high {
            AmountVerdict::Over {
                excess: received - expected,
            }
        } else {
            AmountVerdict::Within
        }
    }

    /// The excess to send back, or None when it is below `refund_min_network_fees`
    /// network fees (then it stays with the service, as documented to customers).
    pub fn excess_refund(&self, excess: Decimal, network_fee: Decimal) -> Option<Decimal> {
        let floor = network_fee.checked_mul(Decimal::from(self.refund_min_network_fees))?;
        (excess > Decimal::ZERO && excess >= floor).then_some(excess)
    }
}

/// A deposit total against the expected amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmountVerdict {
    /// Paid out on what arrived, at the locked rate.
    Within,
    /// Too little: `underpaid` (top-up) until the deadline, then `requote_required`.
    Under { missing: Decimal },
    /// Too much: the quoted amount is paid out; the excess refunded or kept.
    Over { excess: Decimal },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn defaults_are_the_published_ones() {
        let p = SellPolicy::default();
        assert_eq!(p.depth(Crypto::Btc), 3);
        assert_eq!(p.depth(Crypto::Ltc), 12);
        assert_eq!(p.depth(Crypto::Bch), 15);
        assert_eq!(p.depth(Crypto::Doge), 40);
        assert_eq!(p.deadline_seconds, 1800);
        assert_eq!(p.watch_window_seconds, 86_400);
        assert_eq!(p.tolerance_percent, Decimal::ONE);
    }

    #[test]
    fn one_percent_either_way_is_within() {
        let p = SellPolicy::default();
        let e = d("0.01000000");
        assert_eq!(p.classify(e, d("0.00990000"), 8), AmountVerdict::Within);
        assert_eq!(p.classify(e, d("0.01010000"), 8), AmountVerdict::Within);
        assert_eq!(p.classify(e, e, 8), AmountVerdict::Within);
        assert_eq!(
            p.classify(e, d("0.00989999"), 8),
            AmountVerdict::Under {
                missing: d("0.00010001")
            }
        );
        assert_eq!(
            p.classify(e, d("0.01010001"), 8),
            AmountVerdict::Over {
                excess: d("0.00010001")
            }
        );
    }

    #[test]
    fn a_band_finer_than_a_base_unit_is_widened_to_it() {
        // 1 % of 150 satoshis is 1.5: the band is 149 (⌈148.5⌉) to 151 (⌊151.5⌋).
        let p = SellPolicy::default();
        let e = d("0.00000150");
        assert_eq!(p.classify(e, d("0.00000149"), 8), AmountVerdict::Within);
        assert!(matches!(
            p.classify(e, d("0.00000148"), 8),
            AmountVerdict::Under { .. }
        ));
        assert_eq!(p.classify(e, d("0.00000151"), 8), AmountVerdict::Within);
        assert!(matches!(
            p.classify(e, d("0.00000152"), 8),
            AmountVerdict::Over { .. }
        ));
    }

    #[test]
    fn no_refund_of_an_excess_below_twice_the_network_fee() {
        let p = SellPolicy::default();
        let fee = d("0.00005");
        assert_eq!(p.excess_refund(d("0.00009999"), fee), None);
        assert_eq!(p.excess_refund(d("0.0001"), fee), Some(d("0.0001")));
        assert_eq!(p.excess_refund(Decimal::ZERO, Decimal::ZERO), None);
    }

    #[test]
    fn operator_json_overrides_only_what_it_names() {
        let p = SellPolicy::from_json(
            r#"{"deadline_seconds": 20, "tolerance_percent": "0.5", "confirmations": {"BTC": 1}}"#,
        )
        .unwrap();
        assert_eq!(p.deadline_seconds, 20);
        assert_eq!(p.tolerance_percent, d("0.5"));
        assert_eq!(p.depth(Crypto::Btc), 1);
        assert_eq!(p.depth(Crypto::Ltc), 12);
        assert!(SellPolicy::from_json(r#"{"tolerance_percent": 1}"#).is_err());
        assert!(SellPolicy::from_json(r#"{"tolerance_percent": "11"}"#).is_err());
        assert!(SellPolicy::from_json(r#"{"deadline_seconds": 0}"#).is_err());
        assert!(SellPolicy::from_json(r#"{"confirmations": {"BTC": 0}}"#).is_err());
        assert!(SellPolicy::from_json(r#"{"colour": "red"}"#).is_err());
    }
}
