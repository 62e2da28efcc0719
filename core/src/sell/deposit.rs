//! Which derivation index a new sell order's deposit address takes, kept within the
//! wallet gap limit as BTCPay's NBXplorer does: an address whose order ended with no
//! deposit ever seen is released once the order's watch window is over (so a late
//! payment is still attributed to the old order), and the next sell order takes the
//! lowest released index before a new one is derived. A new index is derived only while
//! the xpub has fewer than the gap limit of unused addresses (allocated, never funded);
//! otherwise the placement is refused. An address that ever received anything is never
//! handed out again (the host keeps such addresses out of [`DepositPool::unfunded`]).

use crate::currency::Crypto;
use crate::time::Timestamp;

use super::{SellError, SellPolicy, SellStatus};

/// A deposit address never funded, with what its current order says. `order` is None
/// when its order does not exist (a placement whose guarded write refused the order
/// after the address was taken in the same batch): such an address is free at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnfundedDeposit {
    pub index: u32,
    pub order_id: Option<String>,
    pub order: Option<DepositHolder>,
}

/// The order an unfunded deposit address serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepositHolder {
    pub status: SellStatus,
    /// The order's version (guards the claim: any change of the order refuses it).
    pub version: u32,
    pub deadline: Timestamp,
    /// Deposits shown on the order (any, even past the window, counts as funded).
    pub deposits: usize,
    /// The order's own clock (the sandbox moves it past the deadline).
    pub clock: Timestamp,
    pub livemode: bool,
    /// The chain watcher still looks at the order (live orders: until its last look
    /// after the watch window).
    pub watched: bool,
}

/// Everything [`choose_deposit_index`] decides from.
#[derive(Debug, Clone, Copy)]
pub struct DepositPool<'a> {
    pub crypto: Crypto,
    pub gap_limit: u32,
    /// The index the next new address of the xpub gets.
    pub next_index: u32,
    /// Receive addresses (buy side) of the same xpub no order was sent to yet: on the
    /// same chain, they count toward the gap too.
    pub unused_receive: u32,
    /// The deposit addresses of the xpub never funded, any order.
    pub unfunded: &'a [UnfundedDeposit],
    pub now: Timestamp,
    pub policy: &'a SellPolicy,
}

/// Where the new order's deposit address comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DepositChoice {
    /// Take this released address over from its old order (None: no such order).
    Reuse {
        index: u32,
        previous_order_id: Option<String>,
        previous_version: Option<u32>,
    },
    /// Derive a new address at the xpub's next index.
    Derive { index: u32 },
}

/// Whether the address of this order is free for another order: the order expired with
/// no deposit ever seen, its watch window is over (by the later of `now` and the order's
/// own clock), and for a live order the watcher has taken its last look.
pub fn is_released(holder: &DepositHolder, now: Timestamp, policy: &SellPolicy) -> bool {
    holder.status == SellStatus::Expired
        && holder.deposits == 0
        && !(holder.livemode && holder.watched)
        && window_over(holder.deadline, now.max(holder.clock), policy)
}

/// Whether a deposit first seen at `at` is past the order's watch window (no longer
/// attributed to the order at all).
pub fn window_over(deadline: Timestamp, at: Timestamp, policy: &SellPolicy) -> bool {
    deadline
        .checked_add_seconds(i64::from(policy.watch_window_seconds))
        .is_none_or(|end| at > end)
}

/// The lowest released index, else a new one while the gap allows, else
/// [`SellError::DepositAddressGapLimit`].
pub fn choose_deposit_index(pool: &DepositPool<'_>) -> Result<DepositChoice, SellError> {
    let free = pool
        .unfunded
        .iter()
        .filter(|d| {
            d.order
                .as_ref()
                .is_none_or(|h| is_released(h, pool.now, pool.policy))
        })
        .min_by_key(|d| d.index);
    if let Some(d) = free {
        return Ok(DepositChoice::Reuse {
            index: d.index,
            previous_order_id: d.order_id.clone(),
            previous_version: d.order.as_ref().map(|h| h.version),
        });
    }
    let unused = u32::try_from(pool.unfunded.len())
        .unwrap_or(u32::MAX)
        .saturating_add(pool.unused_receive);
    if unused >= pool.gap_limit {
        // The earliest an address now held could be released: its order's window end.
        let next_release_at = pool
            .unfunded
            .iter()
            .filter_map(|d| d.order.as_ref())
            .filter(|h| h.deposits == 0)
            .filter_map(|h| {
                h.deadline
                    .checked_add_seconds(i64::from(pool.policy.watch_window_seconds))
            })
            .min();
        return Err(SellError::DepositAddressGapLimit {
            crypto: pool.crypto,
            gap_limit: pool.gap_limit,
            unused,
            next_release_at,
        });
    }
    Ok(DepositChoice::Derive {
        index: pool.next_index,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        format!("2026-01-01T{s}Z").parse().unwrap()
    }

    fn holder(status: SellStatus, deposits: usize, clock: &str) -> DepositHolder {
        DepositHolder {
            status,
            version: 2,
            deadline: t("12:30:00"),
            deposits,
            clock: t(clock),
            livemode: false,
            watched: true,
        }
    }

    fn held(index: u32, h: DepositHolder) -> UnfundedDeposit {
        UnfundedDeposit {
            index,
            order_id: Some(format!("order-{index}")),
            order: Some(h),
        }
    }

    fn choose(
        unfunded: &[UnfundedDeposit],
        unused_receive: u32,
        now: &str,
    ) -> Result<DepositChoice, SellError> {
        let policy = SellPolicy {
            watch_window_seconds: 3600,
            ..SellPolicy::default()
        };
        choose_deposit_index(&DepositPool {
            crypto: Crypto::Btc,
            gap_limit: 3,
            next_index: 7,
            unused_receive,
            unfunded,
            now: t(now),
            policy: &policy,
        })
    }

    #[test]
    fn derives_a_new_index_while_under_the_gap() {
        let pool = [held(4, holder(SellStatus::AwaitingDeposit, 0, "12:00:00"))];
        assert_eq!(
            choose(&pool, 1, "12:10:00"),
            Ok(DepositChoice::Derive { index: 7 })
        );
    }

    #[test]
    fn refuses_at_the_gap_counting_unused_receive_addresses_too() {
        let pool = [
            held(4, holder(SellStatus::AwaitingDeposit, 0, "12:00:00")),
            held(5, holder(SellStatus::Expired, 0, "12:31:00")),
        ];
        assert_eq!(
            choose(&pool, 1, "12:40:00"),
            Err(SellError::DepositAddressGapLimit {
                crypto: Crypto::Btc,
                gap_limit: 3,
                unused: 3,
                next_release_at: Some(t("13:30:00")),
            })
        );
    }

    #[test]
    fn an_expired_unfunded_address_is_reused_only_after_the_watch_window() {
        let pool = [
            held(6, holder(SellStatus::Expired, 0, "12:31:00")),
            held(5, holder(SellStatus::Expired, 0, "12:31:00")),
        ];
        // Within the window: a late payment must still find the old order.
        assert_eq!(
            choose(&pool, 0, "13:30:00"),
            Ok(DepositChoice::Derive { index: 7 })
        );
        // After it: the lowest released index.
        assert_eq!(
            choose(&pool, 0, "13:30:01"),
            Ok(DepositChoice::Reuse {
                index: 5,
                previous_order_id: Some("order-5".into()),
                previous_version: Some(2),
            })
        );
        // The sandbox's clock of the order counts as its now.
        let moved = [held(6, holder(SellStatus::Expired, 0, "14:00:00"))];
        assert!(matches!(
            choose(&moved, 0, "12:40:00"),
            Ok(DepositChoice::Reuse { index: 6, .. })
        ));
    }

    #[test]
    fn an_address_with_a_deposit_or_a_live_order_is_not_released() {
        for h in [
            holder(SellStatus::Expired, 1, "12:31:00"),
            holder(SellStatus::RequoteRequired, 0, "12:31:00"),
            holder(SellStatus::AwaitingDeposit, 0, "12:00:00"),
            DepositHolder {
                livemode: true,
                ..holder(SellStatus::Expired, 0, "12:31:00")
            },
        ] {
            assert_eq!(
                choose(&[held(2, h.clone())], 0, "23:00:00"),
                Ok(DepositChoice::Derive { index: 7 }),
                "{h:?}"
            );
        }
        // A live order the watcher let go (its last look found nothing) is released.
        let done = DepositHolder {
            livemode: true,
            watched: false,
            ..holder(SellStatus::Expired, 0, "12:31:00")
        };
        assert!(matches!(
            choose(&[held(2, done)], 0, "23:00:00"),
            Ok(DepositChoice::Reuse { index: 2, .. })
        ));
    }

    #[test]
    fn an_address_whose_order_was_never_written_is_free_at_once() {
        let orphan = UnfundedDeposit {
            index: 3,
            order_id: Some("refused".into()),
            order: None,
        };
        assert_eq!(
            choose(&[orphan], 0, "12:00:00"),
            Ok(DepositChoice::Reuse {
                index: 3,
                previous_order_id: Some("refused".into()),
                previous_version: None,
            })
        );
    }
}
