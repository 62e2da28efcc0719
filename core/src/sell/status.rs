//! The sell order's statuses and their state machine.
//!
//! ```text
//! awaiting_deposit ──► confirming ──► payout_pending ──► completed
//!    │   │    │          ▲     ▲          │  │
//!    │   │    └► underpaid ────┘          │  └──► refund_due ──► failed
//!    │   │         │   (top-up)           │           ▲
//!    │   │         ▼                      └► confirming (reorg)
//!    │   └──► requote_required ───────────────────────┘
//!    └──► expired ──► requote_required (deposit first seen late, within the watch window)
//! ```
//! `completed` and `failed` are final; `expired` is final once the watch window is over.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where a sell order is in its life.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SellStatus {
    /// Placed: the deposit address waits for the customer's crypto until the deadline.
    AwaitingDeposit,
    /// Enough arrived in time (within the tolerance, or more): waiting for its depth.
    Confirming,
    /// Less than the tolerance allows arrived; the customer may top up until the deadline.
    Underpaid,
    /// The deposit is confirmed: the client pays the customer through its fiat rails.
    PayoutPending,
    /// The client confirmed the fiat payout.
    Completed,
    /// Nothing arrived by the deadline.
    Expired,
    /// What arrived cannot be paid at the locked rate (too little by the deadline, or
    /// first seen after it): the client requotes or refunds.
    RequoteRequired,
    /// The fiat payout failed or the customer declined the requote: the client's wallet
    /// sends the deposit back to the refund address.
    RefundDue,
    /// Refunded (the client reported the refund's txid).
    Failed,
}

impl SellStatus {
    pub const ALL: [SellStatus; 9] = [
        SellStatus::AwaitingDeposit,
        SellStatus::Confirming,
        SellStatus::Underpaid,
        SellStatus::PayoutPending,
        SellStatus::Completed,
        SellStatus::Expired,
        SellStatus::RequoteRequired,
        SellStatus::RefundDue,
        SellStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SellStatus::AwaitingDeposit => "awaiting_deposit",
            SellStatus::Confirming => "confirming",
            SellStatus::Underpaid => "underpaid",
            SellStatus::PayoutPending => "payout_pending",
            SellStatus::Completed => "completed",
            SellStatus::Expired => "expired",
            SellStatus::RequoteRequired => "requote_required",
            SellStatus::RefundDue => "refund_due",
            SellStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<SellStatus> {
        SellStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// No transition leaves a final status.
    pub fn is_final(self) -> bool {
        SELL_ALLOWED.iter().all(|(from, _)| *from != self)
    }

    /// Whether the deposit watcher still looks at the order.
    pub fn is_watched(self) -> bool {
        matches!(
            self,
            SellStatus::AwaitingDeposit
                | SellStatus::Underpaid
                | SellStatus::Confirming
                | SellStatus::PayoutPending
                | SellStatus::Expired
        )
    }

    /// The same rule as buys (and the same SQL list): an expired or failed sell paid
    /// nothing out, so it gives its limit room back.
    pub fn counts_toward_limits(self) -> bool {
        !matches!(self, SellStatus::Failed | SellStatus::Expired)
    }
}

impl fmt::Display for SellStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

use SellStatus::*;

/// Every allowed transition of a sell order; anything else is refused.
pub const SELL_ALLOWED: [(SellStatus, SellStatus); 13] = [
    (AwaitingDeposit, Confirming),
    (AwaitingDeposit, Underpaid),
    (AwaitingDeposit, Expired),
    (AwaitingDeposit, RequoteRequired),
    (Underpaid, Confirming),
    (Underpaid, RequoteRequired),
    (Confirming, PayoutPending),
    (PayoutPending, Confirming),
    (PayoutPending, Completed),
    (PayoutPending, RefundDue),
    (Expired, RequoteRequired),
    (RequoteRequired, RefundDue),
    (RefundDue, Failed),
];

/// Refuses every transition not in [`SELL_ALLOWED`].
pub fn sell_transition(from: SellStatus, to: SellStatus) -> Result<(), SellTransitionError> {
    if SELL_ALLOWED.contains(&(from, to)) {
        Ok(())
    } else {
        Err(SellTransitionError { from, to })
    }
}

/// The statuses a sell order may go to from `from`.
pub fn next_sell_statuses(from: SellStatus) -> Vec<SellStatus> {
    SELL_ALLOWED
        .iter()
        .filter(|(f, _)| *f == from)
        .map(|(_, t)| *t)
        .collect()
}

/// A sell status change the state machine refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SellTransitionError {
    pub from: SellStatus,
    pub to: SellStatus,
}

impl fmt::Display for SellTransitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a sell order cannot go from {} to {}",
            self.from, self.to
        )
    }
}

/// What was wrong with the deposit, beside the status (BTCPay's "additional status").
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SellException {
    /// Less than the tolerance allows arrived in time.
    PaidPartial,
    /// More than the tolerance allows arrived: the quoted amount is paid out.
    PaidOver,
    /// The deposit was first seen after the deadline (within the watch window).
    PaidLate,
}

impl SellException {
    pub fn as_str(self) -> &'static str {
        match self {
            SellException::PaidPartial => "paid_partial",
            SellException::PaidOver => "paid_over",
            SellException::PaidLate => "paid_late",
        }
    }

    pub fn parse(s: &str) -> Option<SellException> {
        [
            SellException::PaidPartial,
            SellException::PaidOver,
            SellException::PaidLate,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table written out once more, by hand, as the issue states the flow.
    const EXPECTED: &[(&str, &str)] = &[
        ("awaiting_deposit", "confirming"),
        ("awaiting_deposit", "underpaid"),
        ("awaiting_deposit", "expired"),
        ("awaiting_deposit", "requote_required"),
        ("underpaid", "confirming"),
        ("underpaid", "requote_required"),
        ("confirming", "payout_pending"),
        ("payout_pending", "confirming"),
        ("payout_pending", "completed"),
        ("payout_pending", "refund_due"),
        ("expired", "requote_required"),
        ("requote_required", "refund_due"),
        ("refund_due", "failed"),
    ];

    #[test]
    fn transition_table_is_exhaustive() {
        for from in SellStatus::ALL {
            for to in SellStatus::ALL {
                let expected = EXPECTED.contains(&(from.as_str(), to.as_str()));
                let result = sell_transition(from, to);
                assert_eq!(result.is_ok(), expected, "{from} -> {to}");
                if let Err(e) = result {
                    assert_eq!(e, SellTransitionError { from, to });
                }
            }
        }
    }

    #[test]
    fn final_statuses_are_completed_and_failed() {
        let finals: Vec<_> = SellStatus::ALL
            .into_iter()
            .filter(|s| s.is_final())
            .collect();
        assert_eq!(finals, [SellStatus::Completed, SellStatus::Failed]);
    }

    #[test]
    fn a_reorg_before_payout_goes_back_to_confirming_but_not_after() {
        assert!(sell_transition(PayoutPending, Confirming).is_ok());
        assert!(sell_transition(Completed, Confirming).is_err());
    }

    #[test]
    fn statuses_and_exceptions_are_snake_case_on_the_wire() {
        for s in SellStatus::ALL {
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{s}\""));
            assert_eq!(SellStatus::parse(s.as_str()), Some(s));
        }
        for e in [
            SellException::PaidPartial,
            SellException::PaidOver,
            SellException::PaidLate,
        ] {
            assert_eq!(
                serde_json::to_string(&e).unwrap(),
                format!("\"{}\"", e.as_str())
            );
        }
    }

    #[test]
    fn limits_free_the_same_statuses_as_buys() {
        let freed: Vec<_> = SellStatus::ALL
            .into_iter()
            .filter(|s| !s.counts_toward_limits())
            .map(|s| s.as_str())
            .collect();
        let buy_freed: Vec<_> = crate::order::OrderStatus::ALL
            .into_iter()
            .filter(|s| !s.counts_toward_limits())
            .map(|s| s.as_str())
            .collect();
        let mut a = freed.clone();
        a.sort_unstable();
        let mut b = buy_freed;
        b.sort_unstable();
        assert_eq!(a, b);
    }
}
