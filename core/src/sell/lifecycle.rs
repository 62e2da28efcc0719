//! The changes of a sell order after placement, each a pure function from the order as
//! stored to the order to store: a look at the deposits ([`apply_deposits`]), the
//! client's fiat payout report ([`report_payout`]), its refund report
//! ([`report_refund`]) and its report of an overpayment's excess sent back
//! ([`report_excess_refund`]). Each returns None when nothing changes (a repeated report), so
//! that the host writes, and notifies, only real changes.

use rust_decimal::Decimal;

use crate::api::{FiatPayoutOutcome, SellDeposit, SellOrderResponse, SellStatusChange};
use crate::money::format_amount;
use crate::time::Timestamp;

use super::policy::SellPolicy;
use super::status::{sell_transition, SellStatus};
use super::watch::{assess, Deposit, WatchFacts};
use super::SellError;

/// Longest client reference, reason or txid accepted.
pub const MAX_REPORT_CHARS: usize = 200;

/// The order after a look at the deposits seen at its address (as of `now`), or None
/// when nothing changed.
pub fn apply_deposits(
    order: &SellOrderResponse,
    deposits: &[Deposit],
    now: Timestamp,
    policy: &SellPolicy,
) -> Option<SellOrderResponse> {
    let quote = &order.pricing.quote;
    let a = assess(&WatchFacts {
        status: order.status,
        quote,
        deadline: order.deadline,
        deposits,
        now,
        policy,
    });
    let crypto_places = quote.crypto.decimals();
    let mut next = order.clone();
    next.deposits = deposits
        .iter()
        .map(|d| SellDeposit {
            tx_id: d.txid.clone(),
            amount: at_places(d.amount, crypto_places),
            confirmations: d.confirmations,
            first_seen_at: d.first_seen,
            late: d.first_seen > order.deadline,
        })
        .collect();
    if !order.status.is_watched() {
        // Decided: the deposits are shown, the order does not move.
        return (next != *order).then_some(next);
    }
    next.received_crypto_amount = at_places(a.received, crypto_places);
    next.confirmations = a.confirmations;
    for status in &a.path {
        if sell_transition(next.status, *status).is_err() {
            break;
        }
        next.status = *status;
        next.status_history.push(SellStatusChange {
            status: *status,
            at: now,
        });
    }
    if !a.path.is_empty() || a.exception.is_some() {
        next.exception = a.exception;
    }
    next.payout_fiat_amount = a
        .payout
        .as_ref()
        .map(|p| format_amount(p.fiat_amount, p.fiat.minor_units()));
    next.excess_refund_crypto_amount = a.excess_refund.map(|e| format_amount(e, crypto_places));
    if next == *order {
        return None;
    }
    next.updated_at = now;
    Some(next)
}

/// The client's report of its fiat payout: `paid` (with its reference) completes a
/// `payout_pending` order, idempotently; `failed` (with a reason) makes it `refund_due`.
pub fn report_payout(
    order: &SellOrderResponse,
    outcome: FiatPayoutOutcome,
    reference: Option<&str>,
    reason: Option<&str>,
    now: Timestamp,
) -> Result<Option<SellOrderResponse>, SellError> {
    let text = |field: &'static str, v: Option<&str>| -> Result<String, SellError> {
        match v {
            Some(s) if !s.trim().is_empty() && s.chars().count() <= MAX_REPORT_CHARS => {
                Ok(s.to_owned())
            }
            _ => Err(SellError::InvalidReport {
                field,
                max_chars: MAX_REPORT_CHARS,
            }),
        }
    };
    let mut next = order.clone();
    match outcome {
        FiatPayoutOutcome::Paid => {
            let reference = text("reference", reference)?;
            if order.status == SellStatus::Completed {
                return match &order.payout_reference {
                    Some(r) if *r == reference => Ok(None),
                    Some(r) => Err(SellError::PayoutReferenceMismatch {
                        reference: r.clone(),
                    }),
                    None => Ok(None),
                };
            }
            expect(order, &[SellStatus::PayoutPending])?;
            next.payout_reference = Some(reference);
            step(&mut next, SellStatus::Completed, now);
        }
        FiatPayoutOutcome::Failed => {
            let reason = text("reason", reason)?;
            if order.status == SellStatus::RefundDue
                && order.payout_failure.as_ref() == Some(&reason)
            {
                return Ok(None);
            }
            expect(order, &[SellStatus::PayoutPending])?;
            next.payout_failure = Some(reason);
            step(&mut next, SellStatus::RefundDue, now);
        }
    }
    Ok(Some(next))
}

/// The client's wallet sent the deposit back: a `refund_due` (or `requote_required`,
/// declined by the customer) order ends `failed` with the refund's txid. Idempotent.
pub fn report_refund(
    order: &SellOrderResponse,
    tx_id: &str,
    now: Timestamp,
) -> Result<Option<SellOrderResponse>, SellError> {
    check_tx_id(tx_id)?;
    if order.status == SellStatus::Failed && order.refund_tx_id.as_deref() == Some(tx_id) {
        return Ok(None);
    }
    expect(order, &[SellStatus::RefundDue, SellStatus::RequoteRequired])?;
    let mut next = order.clone();
    if next.status == SellStatus::RequoteRequired {
        step(&mut next, SellStatus::RefundDue, now);
    }
    next.refund_tx_id = Some(tx_id.to_owned());
    step(&mut next, SellStatus::Failed, now);
    Ok(Some(next))
}

/// The client's wallet sent an overpaid order's excess (`excess_refund_crypto_amount`)
/// back to the refund address: the txid is recorded, the status stays. Only once the
/// deposit is confirmed to depth (`payout_pending` or `completed`: a refund before could
/// return coins a reorganisation takes away). Idempotent.
pub fn report_excess_refund(
    order: &SellOrderResponse,
    tx_id: &str,
    now: Timestamp,
) -> Result<Option<SellOrderResponse>, SellError> {
    check_tx_id(tx_id)?;
    match &order.excess_refund_tx_id {
        Some(t) if t == tx_id => return Ok(None),
        Some(t) => return Err(SellError::ExcessRefundTxMismatch { tx_id: t.clone() }),
        None => {}
    }
    if order.excess_refund_crypto_amount.is_none() {
        return Err(SellError::NoExcessRefundDue {
            exception: order.exception,
        });
    }
    expect(order, &[SellStatus::PayoutPending, SellStatus::Completed])?;
    let mut next = order.clone();
    next.excess_refund_tx_id = Some(tx_id.to_owned());
    next.updated_at = now;
    Ok(Some(next))
}

fn check_tx_id(tx_id: &str) -> Result<(), SellError> {
    let ok = !tx_id.is_empty()
        && tx_id.len() <= MAX_REPORT_CHARS
        && tx_id.bytes().all(|b| b.is_ascii_graphic());
    if ok {
        Ok(())
    } else {
        Err(SellError::InvalidReport {
            field: "tx_id",
            max_chars: MAX_REPORT_CHARS,
        })
    }
}

fn expect(order: &SellOrderResponse, allowed: &[SellStatus]) -> Result<(), SellError> {
    if allowed.contains(&order.status) {
        Ok(())
    } else {
        Err(SellError::SellStatusConflict {
            status: order.status,
            expected: allowed.to_vec(),
        })
    }
}

fn step(order: &mut SellOrderResponse, to: SellStatus, now: Timestamp) {
    debug_assert!(sell_transition(order.status, to).is_ok());
    order.status = to;
    order.status_history.push(SellStatusChange {
        status: to,
        at: now,
    });
    order.updated_at = now;
}

fn at_places(mut v: Decimal, places: u32) -> Decimal {
    v.rescale(places);
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sell::SellException;

    /// A paid-over order at `payout_pending` with an excess to send back (the recorded
    /// example of the payout report, moved back before the payout).
    fn overpaid() -> SellOrderResponse {
        let example: serde_json::Value =
            serde_json::from_str(include_str!("../../../docs/examples/reportFiatPayout.json"))
                .unwrap();
        let mut order: SellOrderResponse =
            serde_json::from_value(example["response"]["body"].clone()).unwrap();
        order.status = SellStatus::PayoutPending;
        order.exception = Some(SellException::PaidOver);
        order.excess_refund_crypto_amount = Some("0.00020000".into());
        order.excess_refund_tx_id = None;
        order
    }

    fn now() -> Timestamp {
        "2026-12-01T00:00:00Z".parse().unwrap()
    }

    #[test]
    fn an_excess_refund_is_recorded_once_and_keeps_the_status() {
        let order = overpaid();
        let next = report_excess_refund(&order, "aa11", now())
            .unwrap()
            .unwrap();
        assert_eq!(next.excess_refund_tx_id.as_deref(), Some("aa11"));
        assert_eq!(next.status, SellStatus::PayoutPending);
        assert_eq!(next.status_history, order.status_history);
        assert_eq!(next.updated_at, now());
        // The same report again changes nothing; another txid is refused.
        assert_eq!(report_excess_refund(&next, "aa11", now()), Ok(None));
        assert_eq!(
            report_excess_refund(&next, "bb22", now()),
            Err(SellError::ExcessRefundTxMismatch {
                tx_id: "aa11".into()
            })
        );
    }

    #[test]
    fn no_excess_refund_without_an_excess_or_before_depth() {
        let mut kept = overpaid();
        kept.excess_refund_crypto_amount = None;
        assert_eq!(
            report_excess_refund(&kept, "aa11", now()),
            Err(SellError::NoExcessRefundDue {
                exception: Some(SellException::PaidOver)
            })
        );
        let mut shallow = overpaid();
        shallow.status = SellStatus::Confirming;
        assert!(matches!(
            report_excess_refund(&shallow, "aa11", now()),
            Err(SellError::SellStatusConflict { .. })
        ));
        assert!(matches!(
            report_excess_refund(&overpaid(), "", now()),
            Err(SellError::InvalidReport { field: "tx_id", .. })
        ));
    }
}
