//! The changes of a sell order after placement, each a pure function from the order as
//! stored to the order to store: a look at the deposits ([`apply_deposits`]), the
//! client's fiat payout report ([`report_payout`]) and its refund report
//! ([`report_refund`]). Each returns None when nothing changes (a repeated report), so
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
    let ok = !tx_id.is_empty()
        && tx_id.len() <= MAX_REPORT_CHARS
        && tx_id.bytes().all(|b| b.is_ascii_graphic());
    if !ok {
        return Err(SellError::InvalidReport {
            field: "tx_id",
            max_chars: MAX_REPORT_CHARS,
        });
    }
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
