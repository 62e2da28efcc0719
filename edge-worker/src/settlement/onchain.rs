//! On-chain settlement of live orders (SETTLEMENT_MODE=onchain): one payout run per
//! currency, driven by the orders' queue messages.
//!
//! A run, in this order:
//! 1. every stored `signed` transaction is broadcast again, the same bytes (a timeout,
//!    a 5xx or a crash left it unknown);
//! 2. every `sent` transaction is checked for confirmations: at `PAYOUT_CONFIRMATIONS`
//!    (default 1) its orders are `completed`;
//! 3. the waiting live orders (oldest first) are planned into one transaction by the
//!    core, signed with the hot wallet, stored with their reserved coins in one guarded
//!    batch, moved to `processing`, and only then broadcast.
//!
//! Broadcast answers (core `payout::esplora`): accepted or already known → `sent`;
//! inputs missing or spent → our own txid is looked up first; a rejection → `failed`
//! with `broadcast_rejected` (the node's message is kept on the transaction); no answer →
//! the next run sends the same bytes. Refused payouts fail with
//! `insufficient_hot_wallet_funds`, `fee_rate_above_cap` or `address_unusable`; a failed
//! order gives its limit room back (the core does not count failed orders).
//!
//! `FAULT_INJECTION` (tests only, never in wrangler.toml): `stop_after_sign` ends the run
//! after the signed transaction is stored, `stop_after_broadcast` after the node took
//! it but before the status change; the tests kill the worker there.

use std::collections::HashSet;

use cryptoexchange_core::address::validate_address;
use cryptoexchange_core::api::QuoteBreakdown;
use cryptoexchange_core::order::{transition, FailureReason, OrderStatus};
use cryptoexchange_core::payout::esplora::{
    choose_fee_rate, classify_broadcast, BroadcastOutcome, FeeEstimateError,
};
use cryptoexchange_core::payout::plan::SkipReason;
use cryptoexchange_core::payout::{
    plan_batch, BatchRequest, ChainParams, Coin, FeeRate, HotWallet, KeyPath, OutPoint, Payout,
    PayoutError, Txid,
};
use cryptoexchange_core::{Crypto, Network};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use worker::{console_error, console_log, D1Database, Env};

use super::esplora::EsploraPayout;
use super::{enqueue, Job, Next};
use crate::ids;
use crate::problem::ApiError;
use crate::store::{self, orders::OrderRow, payouts};
use crate::webhook;

/// Seconds between two runs for an unfinished live order.
pub(crate) const STEP_SECONDS: u32 = 2;
const RECEIVE: KeyPath = KeyPath { chain: 0, index: 0 };
const CHANGE: KeyPath = KeyPath { chain: 1, index: 0 };
const MAX_PAYOUTS: u32 = 50;
const MAX_INPUTS: usize = 50;
/// Confirmation target of the fee estimate, in blocks.
const TARGET_BLOCKS: u32 = 3;
/// Bitcoin Core's default `-consolidatefeerate`: the long-term rate of the waste metric.
const LONG_TERM_FEE_RATE: FeeRate = FeeRate::from_sat_per_vb(10);

pub(crate) async fn advance(env: &Env, order: &OrderRow) -> Result<Next, ApiError> {
    let pricing: QuoteBreakdown = serde_json::from_str(&order.quote_json)
        .map_err(|e| ApiError::internal(format!("order {} pricing: {e}", order.order_id)))?;
    if let Err(e) = run(env, pricing.crypto, pricing.network).await {
        console_error!("payout run {} failed: {e}", pricing.crypto);
    }
    let db = env.d1("DB")?;
    let now = store::orders::get_for_settlement(&db, &order.order_id).await?;
    let unfinished = now.is_some_and(|o| !o.status.is_final());
    if unfinished {
        let job = Job::Advance {
            order_id: order.order_id.clone(),
        };
        enqueue(env, job, STEP_SECONDS).await?;
    }
    Ok(Next::Done)
}

fn payout_error(e: PayoutError) -> ApiError {
    ApiError::internal(format!("payout: {e}"))
}

fn hot_wallet(env: &Env, chain: &'static ChainParams) -> Result<HotWallet, ApiError> {
    let variable = match chain.crypto {
        Crypto::Btc => "HOT_WALLET_BTC",
        Crypto::Ltc => "HOT_WALLET_LTC",
        _ => "HOT_WALLET_<TICKER>",
    };
    let missing = |detail: String| ApiError::Misconfigured { variable, detail };
    let secret = env
        .secret(variable)
        .map_err(|_| missing(format!("the {variable} secret is not set")))?
        .to_string();
    // The error names what is wrong with the key, never the key.
    HotWallet::from_secret(&secret, chain).map_err(|e| missing(format!("{variable}: {e}")))
}

fn fault(env: &Env) -> String {
    env.var("FAULT_INJECTION")
        .map(|v| v.to_string())
        .unwrap_or_default()
}

fn env_u32(env: &Env, name: &str, default: u32) -> u32 {
    env.var(name)
        .ok()
        .and_then(|v| v.to_string().parse().ok())
        .unwrap_or(default)
}

/// The fee-rate cap of a currency in sat/vB (`PAYOUT_FEE_CAP_<TICKER>`).
fn fee_cap(env: &Env, crypto: Crypto) -> FeeRate {
    let default = if crypto == Crypto::Btc { 200 } else { 100 };
    let name = format!("PAYOUT_FEE_CAP_{}", crypto.ticker());
    FeeRate::from_sat_per_vb(u64::from(env_u32(env, &name, default)))
}

/// Whole base units of a decimal amount (8 places for BTC and LTC).
fn base_units(amount: Decimal, decimals: u32) -> Option<u64> {
    let scaled = amount.checked_mul(Decimal::from(10u64.checked_pow(decimals)?))?;
    if scaled.fract().is_zero() {
        scaled.to_u64()
    } else {
        None
    }
}

pub(crate) async fn run(env: &Env, crypto: Crypto, network: Network) -> Result<(), ApiError> {
    let db = env.d1("DB")?;
    let chain = ChainParams::for_chain(crypto, network).map_err(payout_error)?;
    let esplora = EsploraPayout::for_currency(env, crypto)?;
    let ticker = crypto.ticker();
    for tx in payouts::in_status(&db, ticker, "signed").await? {
        broadcast(env, &db, &esplora, &tx.txid, &tx.raw_tx).await?;
    }
    for tx in payouts::in_status(&db, ticker, "sent").await? {
        confirm(env, &db, &esplora, &tx.txid).await?;
    }
    let waiting = payouts::waiting_orders(&db, ticker, network.as_str(), MAX_PAYOUTS).await?;
    if waiting.is_empty() {
        return Ok(());
    }
    let wallet = hot_wallet(env, chain)?;

    let mut wanted = Vec::new();
    for order in &waiting {
        let pricing: QuoteBreakdown = serde_json::from_str(&order.quote_json)
            .map_err(|e| ApiError::internal(format!("order {} pricing: {e}", order.order_id)))?;
        let script = validate_address(crypto, &order.destination_address, Some(network))
            .ok()
            .and_then(|v| v.script_pubkey)
            .and_then(|s| hex::decode(s).ok());
        let amount = base_units(pricing.crypto_amount, crypto.decimals());
        match (script, amount) {
            (Some(script_pubkey), Some(amount)) => wanted.push(Payout {
                id: order.order_id.clone(),
                script_pubkey,
                amount,
            }),
            _ => fail(env, &db, &order.order_id, FailureReason::AddressUnusable).await?,
        }
    }

    let reserved: HashSet<String> = payouts::reserved_coins(&db).await?.into_iter().collect();
    let mut coins = Vec::new();
    for key in [RECEIVE, CHANGE] {
        let address = wallet.address(key).map_err(payout_error)?;
        let script_pubkey = wallet.script_pubkey(key).map_err(payout_error)?;
        for utxo in esplora.utxos(&address).await? {
            if reserved.contains(&format!("{}:{}", utxo.txid, utxo.vout)) {
                continue;
            }
            let Some(txid) = Txid::from_hex(&utxo.txid) else {
                continue;
            };
            coins.push(Coin {
                outpoint: OutPoint {
                    txid,
                    vout: utxo.vout,
                },
                value: utxo.value,
                script_pubkey: script_pubkey.clone(),
                key,
                confirmed: utxo.status.confirmed,
                // Only our own transactions pay to the change chain.
                own_change: key == CHANGE,
            });
        }
    }

    let estimates = esplora.fee_estimates().await?;
    let floor = FeeRate(chain.min_relay_fee);
    let fee_rate = match choose_fee_rate(&estimates, TARGET_BLOCKS, floor, fee_cap(env, crypto)) {
        Ok(rate) => rate,
        Err(FeeEstimateError::FeeRateAboveCap { rate, cap }) => {
            console_log!(
                "payout {ticker}: fee rate {} above the cap {}: failing {} payouts",
                rate.sat_per_vb(),
                cap.sat_per_vb(),
                wanted.len()
            );
            for payout in &wanted {
                fail(env, &db, &payout.id, FailureReason::FeeRateAboveCap).await?;
            }
            return Ok(());
        }
        Err(e) => {
            return Err(ApiError::ChainUnavailable {
                detail: e.to_string(),
            })
        }
    };

    let mut seed = [0u8; 8];
    getrandom::getrandom(&mut seed).map_err(|e| ApiError::internal(format!("getrandom: {e}")))?;
    let plan = plan_batch(&BatchRequest {
        chain,
        coins: &coins,
        payouts: &wanted,
        change_script: wallet.script_pubkey(CHANGE).map_err(payout_error)?,
        change_key: CHANGE,
        fee_rate,
        long_term_fee_rate: LONG_TERM_FEE_RATE,
        max_inputs: MAX_INPUTS,
        max_payouts: MAX_PAYOUTS as usize,
        seed: u64::from_le_bytes(seed),
    })
    .map_err(payout_error)?;
    for skipped in &plan.skipped {
        if let SkipReason::Refused { error } = &skipped.reason {
            let reason = match error {
                PayoutError::InsufficientFunds { .. } | PayoutError::InputCapReached { .. } => {
                    FailureReason::InsufficientHotWalletFunds
                }
                _ => FailureReason::AddressUnusable,
            };
            console_log!("payout {}: refused ({error})", skipped.id);
            fail(env, &db, &skipped.id, reason).await?;
        }
    }
    let Some(planned) = plan.tx else {
        return Ok(());
    };
    let signed = wallet.sign(&planned).map_err(payout_error)?;
    let plan_json = serde_json::to_string(&planned).map_err(ApiError::internal)?;
    let stored = payouts::insert_signed(
        &db,
        &payouts::NewPayoutTx {
            txid: &signed.txid,
            crypto: ticker,
            network: network.as_str(),
            raw_tx: &signed.raw_tx_hex,
            plan_json: &plan_json,
            fee: signed.fee,
            vsize: signed.vsize,
            now_ms: ids::now_ms(),
            items: planned
                .payout_ids
                .iter()
                .enumerate()
                .map(|(i, id)| (id.as_str(), i as u32))
                .collect(),
            coins: planned
                .spent
                .iter()
                .map(|c| format!("{}:{}", c.outpoint.txid.to_hex(), c.outpoint.vout))
                .collect(),
        },
    )
    .await?;
    if !stored {
        console_log!(
            "payout {ticker}: another run took these orders or coins; nothing signed kept"
        );
        return Ok(());
    }
    if let Some(report) = &plan.report {
        console_log!(
            "payout {ticker}: {} signed, {} payouts, {} vB, fee {} ({} per payout; alone {} vB, fee {})",
            signed.txid,
            report.payouts,
            signed.vsize,
            signed.fee,
            report.fee_per_payout,
            report.alone_vsize,
            report.alone_fee
        );
    }
    for id in &planned.payout_ids {
        move_order(env, &db, id, OrderStatus::Processing, None, None).await?;
    }
    broadcast(env, &db, &esplora, &signed.txid, &signed.raw_tx_hex).await
}

async fn broadcast(
    env: &Env,
    db: &D1Database,
    esplora: &EsploraPayout,
    txid: &str,
    raw_tx: &str,
) -> Result<(), ApiError> {
    if fault(env) == "stop_after_sign" {
        console_log!("fault injection: stopped after signing {txid}");
        return Ok(());
    }
    let outcome = match esplora.broadcast(raw_tx).await {
        Ok((status, body)) => classify_broadcast(status, &body, txid),
        Err(reason) => BroadcastOutcome::Retry { reason },
    };
    let outcome = match outcome {
        BroadcastOutcome::InputsMissingOrSpent { message } => {
            if esplora.knows_tx(txid).await? {
                BroadcastOutcome::Accepted
            } else {
                BroadcastOutcome::Rejected {
                    code: None,
                    message,
                }
            }
        }
        other => other,
    };
    match outcome {
        BroadcastOutcome::Accepted => {
            if fault(env) == "stop_after_broadcast" {
                console_log!("fault injection: stopped after broadcasting {txid}");
                return Ok(());
            }
            payouts::set_status(db, txid, "signed", "sent", None, ids::now_ms()).await?;
            for id in payouts::orders_of(db, txid).await? {
                move_order(env, db, &id, OrderStatus::Sent, Some(txid), None).await?;
            }
        }
        BroadcastOutcome::Rejected { message, .. } => {
            console_log!("payout {txid} rejected by the node: {message}");
            if payouts::set_status(
                db,
                txid,
                "signed",
                "rejected",
                Some(&message),
                ids::now_ms(),
            )
            .await?
            {
                payouts::release_coins(db, txid).await?;
            }
            for id in payouts::orders_of(db, txid).await? {
                fail(env, db, &id, FailureReason::BroadcastRejected).await?;
            }
        }
        BroadcastOutcome::Retry { reason } => {
            console_log!("payout {txid}: no verdict ({reason}); the same bytes go again");
            payouts::count_attempt(db, txid, Some(&reason)).await?;
        }
        BroadcastOutcome::InputsMissingOrSpent { .. } => {}
    }
    Ok(())
}

async fn confirm(
    env: &Env,
    db: &D1Database,
    esplora: &EsploraPayout,
    txid: &str,
) -> Result<(), ApiError> {
    let Some(height) = esplora.confirmed_height(txid).await? else {
        return Ok(());
    };
    let depth = esplora.tip_height().await?.saturating_sub(height) + 1;
    if depth < env_u32(env, "PAYOUT_CONFIRMATIONS", 1) {
        return Ok(());
    }
    payouts::set_status(db, txid, "sent", "confirmed", None, ids::now_ms()).await?;
    for id in payouts::orders_of(db, txid).await? {
        move_order(env, db, &id, OrderStatus::Completed, Some(txid), None).await?;
    }
    Ok(())
}

async fn fail(
    env: &Env,
    db: &D1Database,
    order_id: &str,
    reason: FailureReason,
) -> Result<(), ApiError> {
    move_order(env, db, order_id, OrderStatus::Failed, None, Some(reason)).await
}

/// Walks an order forward to `target` one allowed step at a time (each a guarded
/// update with its webhook event); a final order, or one already there, stays.
async fn move_order(
    env: &Env,
    db: &D1Database,
    order_id: &str,
    target: OrderStatus,
    tx_id: Option<&str>,
    failure: Option<FailureReason>,
) -> Result<(), ApiError> {
    for _ in 0..4 {
        let Some(order) = store::orders::get_for_settlement(db, order_id).await? else {
            return Ok(());
        };
        let from = order.status;
        if from == target || from.is_final() {
            return Ok(());
        }
        let to = match (target, from) {
            (OrderStatus::Failed, _) => OrderStatus::Failed,
            (_, OrderStatus::Pending) => OrderStatus::Processing,
            (_, OrderStatus::Processing) => OrderStatus::Sent,
            _ => OrderStatus::Completed,
        };
        transition(from, to)?;
        let now = ids::now_ms();
        let event_id = ids::new_id("evt")?;
        let transfer = tx_id.or(order.tx_id.as_deref());
        let failure = if to == OrderStatus::Failed {
            failure
        } else {
            None
        };
        let body = webhook::order_event(
            &event_id,
            order_id,
            &order.customer_id,
            order.event_sequence + 1,
            to,
            true,
            transfer,
            failure,
            now,
        );
        let reason = failure.map(|r| {
            serde_json::to_value(r)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        });
        let applied = store::orders::transition(
            db,
            &store::orders::Transition {
                order_id,
                client_id: &order.client_id,
                from_status: from.as_str(),
                from_sequence: order.event_sequence,
                to_status: to.as_str(),
                tx_id: transfer,
                failure_reason: reason.as_deref(),
                now_ms: now,
                event: store::orders::FirstEvent {
                    event_id: &event_id,
                    body: &body,
                },
                ledger: None,
            },
        )
        .await?;
        if applied {
            enqueue(env, Job::Deliver { event_id }, 0).await?;
        }
    }
    Ok(())
}
