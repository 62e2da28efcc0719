//! The jump guard: a new price far from the last accepted one is held (the pair is
//! `suspect`, its old price ages) until consecutive refreshes confirm the new level.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::check::distance_percent;
use super::policy::AggregationPolicy;
use crate::currency::Crypto;

/// A price seen but not yet accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingJump {
    #[serde(with = "crate::money::decimal_string")]
    pub price: Decimal,
    /// Refreshes in a row that saw this level, this one included.
    pub confirmations: u32,
}

/// What the guard decides for one candidate price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuardOutcome {
    Accept,
    Hold(PendingJump),
}

/// Judges `candidate` against the `last` accepted price and the `pending` jump so far.
pub fn judge(
    crypto: Crypto,
    candidate: Decimal,
    last: Option<Decimal>,
    pending: Option<&PendingJump>,
    policy: &AggregationPolicy,
) -> GuardOutcome {
    let Some(last) = last else {
        return GuardOutcome::Accept;
    };
    let within =
        |a: Decimal, b: Decimal, limit: Decimal| distance_percent(a, b).is_some_and(|d| d <= limit);
    if within(candidate, last, policy.jump_percent_for(crypto)) {
        return GuardOutcome::Accept;
    }
    // The same new level as the pending jump: within the outlier band of it.
    let confirmations = match pending {
        Some(p) if within(candidate, p.price, policy.outlier_percent) => p.confirmations + 1,
        _ => 1,
    };
    if confirmations >= policy.jump_confirmations {
        GuardOutcome::Accept
    } else {
        GuardOutcome::Hold(PendingJump {
            price: candidate,
            confirmations,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn run(
        candidate: &str,
        last: Option<&str>,
        pending: Option<(&str, u32)>,
        c: Crypto,
    ) -> GuardOutcome {
        let pending = pending.map(|(p, n)| PendingJump {
            price: d(p),
            confirmations: n,
        });
        judge(
            c,
            d(candidate),
            last.map(d),
            pending.as_ref(),
            &AggregationPolicy::default(),
        )
    }

    #[test]
    fn first_price_and_small_moves_are_accepted() {
        assert_eq!(run("60000", None, None, Crypto::Btc), GuardOutcome::Accept);
        assert_eq!(
            run("66000", Some("60000"), None, Crypto::Btc),
            GuardOutcome::Accept
        );
    }

    #[test]
    fn a_jump_is_held_until_confirmed_three_times() {
        let first = run("70000", Some("60000"), None, Crypto::Btc);
        assert_eq!(
            first,
            GuardOutcome::Hold(PendingJump {
                price: d("70000"),
                confirmations: 1
            })
        );
        let second = run("70100", Some("60000"), Some(("70000", 1)), Crypto::Btc);
        assert_eq!(
            second,
            GuardOutcome::Hold(PendingJump {
                price: d("70100"),
                confirmations: 2
            })
        );
        assert_eq!(
            run("70050", Some("60000"), Some(("70100", 2)), Crypto::Btc),
            GuardOutcome::Accept
        );
    }

    #[test]
    fn a_different_new_level_starts_counting_again() {
        let out = run("80000", Some("60000"), Some(("70000", 2)), Crypto::Btc);
        assert_eq!(
            out,
            GuardOutcome::Hold(PendingJump {
                price: d("80000"),
                confirmations: 1
            })
        );
    }

    #[test]
    fn volatile_coins_have_a_wider_threshold() {
        assert_eq!(
            run("84", Some("70"), None, Crypto::Ltc),
            GuardOutcome::Accept
        );
        assert!(matches!(
            run("84", Some("70"), None, Crypto::Eth),
            GuardOutcome::Hold(_)
        ));
    }
}
