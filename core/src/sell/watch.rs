//! What the deposits seen at a sell order's address mean for the order: one pure
//! decision, taken the same way for the sandbox's simulated deposits and for Esplora's
//! real ones. The host reads the deposits and the clock; [`assess`] says the status to
//! walk to, the exception, and what to pay out.

use rust_decimal::Decimal;

use crate::api::QuoteBreakdown;
use crate::time::Timestamp;

use super::policy::{AmountVerdict, SellPolicy};
use super::pricing::reprice_at_locked_rate;
use super::status::{SellException, SellStatus, SELL_ALLOWED};

/// One transfer to the deposit address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deposit {
    pub txid: String,
    pub amount: Decimal,
    /// 0 while in the mempool.
    pub confirmations: u32,
    /// When the watcher (or the sandbox) first saw it.
    pub first_seen: Timestamp,
}

/// Everything [`assess`] decides from.
#[derive(Debug, Clone, Copy)]
pub struct WatchFacts<'a> {
    pub status: SellStatus,
    /// The quote locked at placement.
    pub quote: &'a QuoteBreakdown,
    pub deadline: Timestamp,
    pub deposits: &'a [Deposit],
    pub now: Timestamp,
    pub policy: &'a SellPolicy,
}

/// The decision for one look at the deposits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    /// The statuses to record, in order, after the current one (empty: no change).
    pub path: Vec<SellStatus>,
    pub exception: Option<SellException>,
    /// The total that arrived by the deadline.
    pub received: Decimal,
    /// The fewest confirmations among the deposits counted (0 without any).
    pub confirmations: u32,
    /// What the customer is to be paid (set from `confirming` on): on what arrived at
    /// the locked rate, or the quoted amount when more arrived.
    pub payout: Option<QuoteBreakdown>,
    /// The part of an overpayment to send back (None when kept: below the floor).
    pub excess_refund: Option<Decimal>,
}

impl Assessment {
    /// The status after the path.
    pub fn status(&self, current: SellStatus) -> SellStatus {
        self.path.last().copied().unwrap_or(current)
    }
}

/// The status, exception and payout the deposits call for, and the path to it.
pub fn assess(facts: &WatchFacts<'_>) -> Assessment {
    let quote = facts.quote;
    let policy = facts.policy;
    let late_until = facts
        .deadline
        .checked_add_seconds(i64::from(policy.watch_window_seconds))
        .unwrap_or(facts.deadline);
    let on_time: Vec<&Deposit> = facts
        .deposits
        .iter()
        .filter(|d| d.first_seen <= facts.deadline)
        .collect();
    let any_late = facts
        .deposits
        .iter()
        .any(|d| d.first_seen > facts.deadline && d.first_seen <= late_until);
    let received: Decimal = on_time.iter().map(|d| d.amount).sum();
    let confirmations = on_time.iter().map(|d| d.confirmations).min().unwrap_or(0);
    let past_deadline = facts.now > facts.deadline;
    let deep = confirmations >= policy.depth(quote.crypto);
    let settled = |s: SellStatus| {
        if deep {
            SellStatus::PayoutPending
        } else {
            s
        }
    };

    let mut payout = None;
    let mut excess_refund = None;
    let (target, exception) = if on_time.is_empty() {
        if any_late {
            (SellStatus::RequoteRequired, Some(SellException::PaidLate))
        } else if past_deadline {
            (SellStatus::Expired, None)
        } else {
            (SellStatus::AwaitingDeposit, None)
        }
    } else {
        match policy.classify(quote.crypto_amount, received, quote.crypto.decimals()) {
            AmountVerdict::Under { .. } if past_deadline => (
                SellStatus::RequoteRequired,
                Some(SellException::PaidPartial),
            ),
            AmountVerdict::Under { .. } => {
                (SellStatus::Underpaid, Some(SellException::PaidPartial))
            }
            AmountVerdict::Within => match reprice_at_locked_rate(quote, received) {
                Ok(priced) => {
                    payout = Some(priced);
                    (settled(SellStatus::Confirming), None)
                }
                Err(_) => (
                    SellStatus::RequoteRequired,
                    Some(SellException::PaidPartial),
                ),
            },
            AmountVerdict::Over { excess } => {
                payout = Some(quote.clone());
                excess_refund = policy.excess_refund(excess, quote.fees.network.crypto);
                (
                    settled(SellStatus::Confirming),
                    Some(SellException::PaidOver),
                )
            }
        }
    };

    let path = path_from(facts.status, target);
    Assessment {
        path,
        exception,
        received,
        confirmations,
        payout,
        excess_refund,
    }
}

/// The statuses from `from` to the one the deposits call for, as far as the state
/// machine lets the order move on a deposit: decided statuses stay, a payout not yet
/// made steps back to `confirming` when its deposit lost depth.
fn path_from(from: SellStatus, target: SellStatus) -> Vec<SellStatus> {
    use SellStatus::*;
    match from {
        Completed | RefundDue | Failed | RequoteRequired => Vec::new(),
        PayoutPending if target != PayoutPending => vec![Confirming],
        Confirming if target != PayoutPending => Vec::new(),
        _ if from == target => Vec::new(),
        _ => shortest_path(from, target).unwrap_or_default(),
    }
}

/// The shortest walk through [`SELL_ALLOWED`] (at most three steps).
fn shortest_path(from: SellStatus, to: SellStatus) -> Option<Vec<SellStatus>> {
    let mut frontier = vec![vec![from]];
    for _ in 0..3 {
        let mut next = Vec::new();
        for walk in frontier {
            let last = *walk.last()?;
            for (a, b) in SELL_ALLOWED {
                if a == last && !walk.contains(&b) {
                    let mut w = walk.clone();
                    w.push(b);
                    if b == to {
                        return Some(w[1..].to_vec());
                    }
                    next.push(w);
                }
            }
        }
        frontier = next;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{SellQuoteRequest, SellSide};
    use crate::config::tests::sample;
    use SellStatus::*;

    fn t(s: &str) -> Timestamp {
        format!("2026-01-01T{s}Z").parse().unwrap()
    }

    /// Sell 0.01 BTC at 50 000 EUR (the config of the other tests), deadline 12:30: by
    /// hand, proceeds ⌊497.50⌋, value 500.00, spread 2.50, service ⌈7.4625⌉ + 0.50 = 7.97,
    /// network 2.50: paid out 487.03. For 0.0099: 495.00 − 2.48 − 7.89 − 2.50 = 482.13.
    fn quote() -> QuoteBreakdown {
        let rates = serde_json::from_str(
            r#"{"rates":[{"crypto":"BTC","fiat":"EUR","price":"50000","observed_at":"2026-01-01T12:00:00Z","source":"test","age_seconds":0}],"max_age_seconds":300}"#,
        )
        .unwrap();
        let request = SellQuoteRequest {
            side: SellSide::Sell,
            crypto: "BTC".into(),
            network: "mainnet".into(),
            fiat: "EUR".into(),
            amount: "0.01".into(),
            amount_currency: "BTC".into(),
        };
        crate::sell::estimate_sell(&request, &rates, &sample(), t("12:00:00"))
            .unwrap()
            .quote
    }

    fn dep(amount: &str, confirmations: u32, seen: &str) -> Deposit {
        Deposit {
            txid: format!("tx-{amount}-{seen}"),
            amount: amount.parse().unwrap(),
            confirmations,
            first_seen: t(seen),
        }
    }

    fn look(status: SellStatus, deposits: &[Deposit], now: &str) -> Assessment {
        let q = quote();
        let policy = SellPolicy::default();
        assess(&WatchFacts {
            status,
            quote: &q,
            deadline: t("12:30:00"),
            deposits,
            now: t(now),
            policy: &policy,
        })
    }

    struct Row {
        name: &'static str,
        from: SellStatus,
        deposits: Vec<Deposit>,
        now: &'static str,
        path: Vec<SellStatus>,
        exception: Option<SellException>,
        payout: Option<&'static str>,
    }

    #[test]
    fn each_deposit_story_walks_the_documented_path() {
        use SellException::*;
        let rows = vec![
            Row {
                name: "nothing yet",
                from: AwaitingDeposit,
                deposits: vec![],
                now: "12:10:00",
                path: vec![],
                exception: None,
                payout: None,
            },
            Row {
                name: "nothing by the deadline",
                from: AwaitingDeposit,
                deposits: vec![],
                now: "12:30:01",
                path: vec![Expired],
                exception: None,
                payout: None,
            },
            Row {
                name: "exact, in the mempool",
                from: AwaitingDeposit,
                deposits: vec![dep("0.01", 0, "12:05:00")],
                now: "12:05:00",
                path: vec![Confirming],
                exception: None,
                payout: Some("487.03"),
            },
            Row {
                name: "exact, deep at once",
                from: AwaitingDeposit,
                deposits: vec![dep("0.01", 3, "12:05:00")],
                now: "12:05:00",
                path: vec![Confirming, PayoutPending],
                exception: None,
                payout: Some("487.03"),
            },
            Row {
                name: "exact, depth reached later",
                from: Confirming,
                deposits: vec![dep("0.01", 3, "12:05:00")],
                now: "12:40:00",
                path: vec![PayoutPending],
                exception: None,
                payout: Some("487.03"),
            },
            Row {
                name: "1 % short is within, paid on what arrived",
                from: AwaitingDeposit,
                deposits: vec![dep("0.0099", 3, "12:05:00")],
                now: "12:05:00",
                path: vec![Confirming, PayoutPending],
                exception: None,
                payout: Some("482.13"),
            },
            Row {
                name: "more short is underpaid",
                from: AwaitingDeposit,
                deposits: vec![dep("0.005", 1, "12:05:00")],
                now: "12:05:00",
                path: vec![Underpaid],
                exception: Some(PaidPartial),
                payout: None,
            },
            Row {
                name: "a top-up in time completes it",
                from: Underpaid,
                deposits: vec![dep("0.005", 3, "12:05:00"), dep("0.005", 0, "12:20:00")],
                now: "12:20:00",
                path: vec![Confirming],
                exception: None,
                payout: Some("487.03"),
            },
            Row {
                name: "still short at the deadline",
                from: Underpaid,
                deposits: vec![dep("0.005", 3, "12:05:00")],
                now: "12:30:01",
                path: vec![RequoteRequired],
                exception: Some(PaidPartial),
                payout: None,
            },
            Row {
                name: "a top-up after the deadline does not count",
                from: Underpaid,
                deposits: vec![dep("0.005", 3, "12:05:00"), dep("0.005", 3, "12:31:00")],
                now: "12:31:00",
                path: vec![RequoteRequired],
                exception: Some(PaidPartial),
                payout: None,
            },
            Row {
                name: "over pays the quote",
                from: AwaitingDeposit,
                deposits: vec![dep("0.02", 3, "12:05:00")],
                now: "12:05:00",
                path: vec![Confirming, PayoutPending],
                exception: Some(PaidOver),
                payout: Some("487.03"),
            },
            Row {
                name: "first seen late",
                from: AwaitingDeposit,
                deposits: vec![dep("0.01", 0, "12:45:00")],
                now: "12:45:00",
                path: vec![RequoteRequired],
                exception: Some(PaidLate),
                payout: None,
            },
            Row {
                name: "late after expiry",
                from: Expired,
                deposits: vec![dep("0.01", 0, "13:45:00")],
                now: "13:45:00",
                path: vec![RequoteRequired],
                exception: Some(PaidLate),
                payout: None,
            },
            Row {
                name: "past the watch window: not seen",
                from: Expired,
                deposits: vec![dep("0.01", 0, "12:30:00").clone()]
                    .into_iter()
                    .map(|mut d| {
                        d.first_seen = "2026-01-02T12:30:01Z".parse().unwrap();
                        d
                    })
                    .collect(),
                now: "12:30:00",
                path: vec![],
                exception: None,
                payout: None,
            },
            Row {
                name: "reorg before payout",
                from: PayoutPending,
                deposits: vec![dep("0.01", 1, "12:05:00")],
                now: "12:50:00",
                path: vec![Confirming],
                exception: None,
                payout: Some("487.03"),
            },
            Row {
                name: "no reorg after completion",
                from: Completed,
                deposits: vec![dep("0.01", 0, "12:05:00")],
                now: "12:50:00",
                path: vec![],
                exception: None,
                payout: Some("487.03"),
            },
        ];
        for row in rows {
            let a = look(row.from, &row.deposits, row.now);
            assert_eq!(a.path, row.path, "{}", row.name);
            assert_eq!(a.exception, row.exception, "{}", row.name);
            assert_eq!(
                a.payout.as_ref().map(|p| p.fiat_amount.to_string()),
                row.payout.map(str::to_owned),
                "{}",
                row.name
            );
            // Every step of the path is allowed by the state machine.
            let mut at = row.from;
            for next in &a.path {
                super::super::status::sell_transition(at, *next).unwrap();
                at = *next;
            }
        }
    }

    #[test]
    fn an_excess_is_refunded_only_above_twice_the_network_fee() {
        // Network fee 0.00005 BTC; 0.0002 over (beyond the 1 % tolerance) is refunded
        // at the default floor of two fees (0.0001), kept at a floor of five.
        let a = look(AwaitingDeposit, &[dep("0.0102", 0, "12:05:00")], "12:05:00");
        assert_eq!(a.exception, Some(SellException::PaidOver));
        assert_eq!(a.excess_refund, Some("0.0002".parse().unwrap()));
        let policy_high = SellPolicy {
            refund_min_network_fees: 5, // a floor of 0.00025
            ..SellPolicy::default()
        };
        let q = quote();
        let deposits = [dep("0.0102", 0, "12:05:00")];
        let a = assess(&WatchFacts {
            status: AwaitingDeposit,
            quote: &q,
            deadline: t("12:30:00"),
            deposits: &deposits,
            now: t("12:05:00"),
            policy: &policy_high,
        });
        assert_eq!(a.exception, Some(SellException::PaidOver));
        assert_eq!(a.excess_refund, None);
    }
}
