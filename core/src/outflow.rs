//! The daily outflow cap of the hot wallet, per currency, and the operator's decision
//! on the payouts it holds.
//!
//! The day's outflow is the sum of the payout amounts (base units, fees not counted) of
//! the transactions signed since 00:00 UTC that the node did not reject. A payout that
//! would push it above the cap is held, not signed: it waits (its order stays
//! `pending`) until the operator releases it (it is then paid whatever the cap says) or
//! fails it (`failed`, `rejected_by_operator`, the customer's limit room given back).
//! Younger, smaller payouts that still fit under the cap are not held back by an older
//! held one: the same "oldest first, skip what does not fit" as batching.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where a held payout stands.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldStatus {
    /// Waiting for the operator.
    Held,
    /// The operator let it go: it is paid by the next run, above the cap.
    Released,
    /// The operator refused it: its order is `failed` with `rejected_by_operator`.
    Failed,
}

impl HoldStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            HoldStatus::Held => "held",
            HoldStatus::Released => "released",
            HoldStatus::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<HoldStatus> {
        [HoldStatus::Held, HoldStatus::Released, HoldStatus::Failed]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// What the operator decides on a held payout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldDecision {
    Release,
    Fail,
}

impl HoldDecision {
    fn target(self) -> HoldStatus {
        match self {
            HoldDecision::Release => HoldStatus::Released,
            HoldDecision::Fail => HoldStatus::Failed,
        }
    }
}

/// A decision the hold's current status does not allow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
#[non_exhaustive]
pub enum HoldError {
    /// Only a held payout can be released or failed; a decided one stays decided.
    PayoutNotHeld { status: HoldStatus },
}

impl crate::error::DomainError for HoldError {
    fn kind(&self) -> crate::error::ErrorKind {
        crate::error::ErrorKind::Conflict
    }
}

impl fmt::Display for HoldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HoldError::PayoutNotHeld { status } => {
                write!(f, "the payout is {}, not held", status.as_str())
            }
        }
    }
}

/// The status a decision moves a hold to. Repeating the decision already taken is
/// answered with the same status (a retried request changes nothing); the other
/// decision on a decided payout is refused: a released payout may be signed already.
pub fn decide(current: HoldStatus, decision: HoldDecision) -> Result<HoldStatus, HoldError> {
    match current {
        HoldStatus::Held => Ok(decision.target()),
        done if done == decision.target() => Ok(done),
        done => Err(HoldError::PayoutNotHeld { status: done }),
    }
}

/// A payout waiting to be signed, as the cap sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate<'a> {
    pub id: &'a str,
    /// Base units.
    pub amount: u64,
    /// The operator released it: paid whatever the cap says (it still counts).
    pub released: bool,
}

/// What the cap says about this run's candidates (ids in their given order).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CapOutcome {
    pub pay: Vec<String>,
    pub hold: Vec<String>,
}

/// Splits the candidates (oldest first) into the payouts to sign now and the ones to
/// hold. `outflow_today` is what the day's stored transactions already pay; `cap`
/// `None` means no cap. Released payouts go first and always pay; each other payout
/// pays when the outflow with it stays at or below the cap.
pub fn apply_daily_cap(
    candidates: &[Candidate],
    outflow_today: u64,
    cap: Option<u64>,
) -> CapOutcome {
    let Some(cap) = cap else {
        return CapOutcome {
            pay: candidates.iter().map(|c| c.id.to_owned()).collect(),
            hold: Vec::new(),
        };
    };
    let mut outflow = candidates
        .iter()
        .filter(|c| c.released)
        .fold(outflow_today, |sum, c| sum.saturating_add(c.amount));
    let mut outcome = CapOutcome::default();
    for c in candidates {
        if c.released {
            outcome.pay.push(c.id.to_owned());
        } else if outflow.saturating_add(c.amount) <= cap {
            outflow += c.amount;
            outcome.pay.push(c.id.to_owned());
        } else {
            outcome.hold.push(c.id.to_owned());
        }
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(id: &str, amount: u64, released: bool) -> Candidate<'_> {
        Candidate {
            id,
            amount,
            released,
        }
    }

    #[test]
    fn without_a_cap_everything_pays() {
        let c = [candidate("a", u64::MAX, false), candidate("b", 1, false)];
        let out = apply_daily_cap(&c, 5, None);
        assert_eq!(out.pay, ["a", "b"]);
        assert!(out.hold.is_empty());
    }

    #[test]
    fn holds_the_payout_that_would_pass_the_cap_and_pays_younger_ones_that_fit() {
        let c = [
            candidate("a", 40, false),
            candidate("b", 50, false),
            candidate("c", 10, false),
        ];
        // 30 already out today, cap 80: a → 70, b would make 120 (held), c → 80.
        let out = apply_daily_cap(&c, 30, Some(80));
        assert_eq!(out.pay, ["a", "c"]);
        assert_eq!(out.hold, ["b"]);
    }

    #[test]
    fn reaching_the_cap_exactly_pays() {
        let out = apply_daily_cap(&[candidate("a", 20, false)], 80, Some(100));
        assert_eq!(out.pay, ["a"]);
        let out = apply_daily_cap(&[candidate("a", 21, false)], 80, Some(100));
        assert_eq!(out.hold, ["a"]);
    }

    #[test]
    fn released_payouts_pay_above_the_cap_and_use_up_its_room() {
        let c = [candidate("small", 10, false), candidate("big", 500, true)];
        let out = apply_daily_cap(&c, 0, Some(100));
        // The released one counts first, so the older small one no longer fits.
        assert_eq!(out.pay, ["big"]);
        assert_eq!(out.hold, ["small"]);
    }

    #[test]
    fn an_outflow_already_above_the_cap_holds_everything_new() {
        let out = apply_daily_cap(&[candidate("a", 1, false)], 200, Some(100));
        assert_eq!(out.hold, ["a"]);
    }

    #[test]
    fn decisions_table() {
        use HoldDecision::*;
        use HoldStatus::*;
        let cases = [
            (Held, Release, Ok(Released)),
            (Held, Fail, Ok(Failed)),
            (Released, Release, Ok(Released)),
            (Failed, Fail, Ok(Failed)),
            (
                Released,
                Fail,
                Err(HoldError::PayoutNotHeld { status: Released }),
            ),
            (
                Failed,
                Release,
                Err(HoldError::PayoutNotHeld { status: Failed }),
            ),
        ];
        for (current, decision, expected) in cases {
            assert_eq!(
                decide(current, decision),
                expected,
                "{current:?} {decision:?}"
            );
        }
    }

    #[test]
    fn statuses_read_back() {
        for s in [HoldStatus::Held, HoldStatus::Released, HoldStatus::Failed] {
            assert_eq!(HoldStatus::parse(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
        }
        assert_eq!(HoldStatus::parse("pending"), None);
    }
}
