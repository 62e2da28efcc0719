//! The order model: its statuses and their state machine.
//!
//! ```text
//! pending ──► processing ──► sent ──► completed
//!    │  │          │           │
//!    │  └──► expired           │
//!    └─────────┴───────────────┴──► failed
//! ```
//! `completed`, `failed` and `expired` are final.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where an order is in its life.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Accepted, waiting for the settlement to start.
    Pending,
    /// Settlement started: payment captured, transaction being built.
    Processing,
    /// Transaction broadcast, waiting for confirmation.
    Sent,
    /// Confirmed on chain.
    Completed,
    /// Stopped for a [`FailureReason`].
    Failed,
    /// Never started before its quote expired.
    Expired,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 6] = [
        OrderStatus::Pending,
        OrderStatus::Processing,
        OrderStatus::Sent,
        OrderStatus::Completed,
        OrderStatus::Failed,
        OrderStatus::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Processing => "processing",
            OrderStatus::Sent => "sent",
            OrderStatus::Completed => "completed",
            OrderStatus::Failed => "failed",
            OrderStatus::Expired => "expired",
        }
    }

    /// No transition leaves a final status.
    pub fn is_final(self) -> bool {
        ALLOWED.iter().all(|(from, _)| *from != self)
    }

    /// Whether an order in this status uses up the customer's spending limits: an
    /// order that failed or expired delivered nothing, so it gives its room back.
    pub fn counts_toward_limits(self) -> bool {
        !matches!(self, OrderStatus::Failed | OrderStatus::Expired)
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every allowed transition; anything else is refused.
pub const ALLOWED: [(OrderStatus, OrderStatus); 7] = [
    (OrderStatus::Pending, OrderStatus::Processing),
    (OrderStatus::Pending, OrderStatus::Failed),
    (OrderStatus::Pending, OrderStatus::Expired),
    (OrderStatus::Processing, OrderStatus::Sent),
    (OrderStatus::Processing, OrderStatus::Failed),
    (OrderStatus::Sent, OrderStatus::Completed),
    (OrderStatus::Sent, OrderStatus::Failed),
];

/// Why an order failed.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FailureReason {
    QuoteExpired,
    PaymentRejected,
    SettlementRejected,
    AddressRejected,
    LimitExceeded,
    StaleRate,
    BroadcastFailed,
    Cancelled,
    /// On-chain mode: the hot wallet cannot fund the payout.
    InsufficientHotWalletFunds,
    /// On-chain mode: the network's fee rate is above the operator's cap.
    FeeRateAboveCap,
    /// On-chain mode: the node refused the payout transaction.
    BroadcastRejected,
    /// On-chain mode: the destination cannot be paid (e.g. a Litecoin MWEB address).
    AddressUnusable,
    /// On-chain mode: held by the daily outflow cap, then refused by the operator.
    RejectedByOperator,
}

/// Refuses every transition not in [`ALLOWED`].
pub fn transition(from: OrderStatus, to: OrderStatus) -> Result<(), OrderError> {
    if ALLOWED.contains(&(from, to)) {
        Ok(())
    } else {
        Err(OrderError::InvalidTransition { from, to })
    }
}

/// A status change the state machine refuses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
#[non_exhaustive]
pub enum OrderError {
    InvalidTransition { from: OrderStatus, to: OrderStatus },
}

impl crate::error::DomainError for OrderError {
    fn kind(&self) -> crate::error::ErrorKind {
        crate::error::ErrorKind::Conflict
    }
}

impl fmt::Display for OrderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OrderError::InvalidTransition { from, to } => {
                write!(f, "an order cannot go from {from} to {to}")
            }
        }
    }
}

impl std::error::Error for OrderError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::DomainError;

    #[test]
    fn transition_table_is_exhaustive() {
        for from in OrderStatus::ALL {
            for to in OrderStatus::ALL {
                let expected = matches!(
                    (from, to),
                    (OrderStatus::Pending, OrderStatus::Processing)
                        | (OrderStatus::Pending, OrderStatus::Failed)
                        | (OrderStatus::Pending, OrderStatus::Expired)
                        | (OrderStatus::Processing, OrderStatus::Sent)
                        | (OrderStatus::Processing, OrderStatus::Failed)
                        | (OrderStatus::Sent, OrderStatus::Completed)
                        | (OrderStatus::Sent, OrderStatus::Failed)
                );
                let result = transition(from, to);
                assert_eq!(result.is_ok(), expected, "{from} -> {to}");
                if let Err(e) = result {
                    assert_eq!(e, OrderError::InvalidTransition { from, to });
                    assert_eq!(e.code(), "invalid_transition");
                }
            }
        }
    }

    #[test]
    fn final_statuses_are_completed_failed_expired() {
        let finals: Vec<_> = OrderStatus::ALL
            .into_iter()
            .filter(|s| s.is_final())
            .collect();
        assert_eq!(
            finals,
            [
                OrderStatus::Completed,
                OrderStatus::Failed,
                OrderStatus::Expired
            ]
        );
    }

    #[test]
    fn statuses_and_reasons_are_snake_case_on_the_wire() {
        assert_eq!(
            serde_json::to_string(&OrderStatus::Processing).unwrap(),
            "\"processing\""
        );
        assert_eq!(
            serde_json::to_string(&FailureReason::SettlementRejected).unwrap(),
            "\"settlement_rejected\""
        );
        for s in OrderStatus::ALL {
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{s}\""));
        }
    }

    #[test]
    fn only_failed_and_expired_orders_give_their_limit_room_back() {
        let freed: Vec<_> = OrderStatus::ALL
            .into_iter()
            .filter(|s| !s.counts_toward_limits())
            .collect();
        assert_eq!(freed, [OrderStatus::Failed, OrderStatus::Expired]);
    }
}
