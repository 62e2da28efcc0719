//! On-chain settlement of live orders (SETTLEMENT_MODE=onchain): one payout run per
//! currency, driven by the orders' queue messages.
//!
//! A run, in this order:
//! 1. every stored `signed` transaction is broadcast again, the same bytes (a timeout,
//!    a 5xx or a crash left it unknown);
//! 2. every `sent` or `replaced` transaction is checked for confirmations: at
//!    `PAYOUT_CONFIRMATIONS` (default 1) the one that confirmed completes its payout's
//!    orders, the rest of its family is `conflicted`;
//! 3. fee bumps: a `sent` payout past `PAYOUT_BUMP_AFTER_SECONDS` below the current
//!    estimate is replaced (BIP-125) through the core's bump, stored before broadcast;
//! 4. orders that did not follow their transaction's stored status catch up (so a plain
//!    Advance finishes whatever a stopped worker left half done);
//! 5. the waiting live orders (oldest first) pass the daily outflow cap (the core holds
//!    those above it for the operator), are planned into one transaction by the core,
//!    signed with the hot wallet, stored with their reserved coins in one guarded batch,
//!    moved to `processing`, and only then broadcast.
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
//! it but before the status change, `stop_after_sent_status`,
//! `stop_after_confirmed_status` and `stop_after_rejected_status` after the
//! transaction's status change but before its orders follow; the tests kill the worker
//! there and check that a restarted one finishes from what is stored.

use std::collections::HashSet;
use std::str::FromStr;

use cryptoexchange_core::address::validate_address;
use cryptoexchange_core::api::QuoteBreakdown;
use cryptoexchange_core::order::{transition, FailureReason, OrderStatus};
use cryptoexchange_core::outflow::{apply_daily_cap, decide, Candidate, HoldDecision, HoldStatus};
use cryptoexchange_core::payout::esplora::{
    choose_fee_rate, classify_broadcast, rejection_failure, BroadcastOutcome, FeeEstimateError,
};
use cryptoexchange_core::payout::plan::SkipReason;
use cryptoexchange_core::payout::{
    bump_fee, plan_batch, BatchRequest, ChainParams, Coin, FeeRate, HotWallet, KeyPath, OutPoint,
    Payout, PayoutError, PlannedTx, Txid,
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
        broadcast(
            env,
            &db,
            &esplora,
            &tx.txid,
            &tx.raw_tx,
            tx.replaces.as_deref(),
        )
        .await?;
    }
    // A replaced transaction is still watched: whichever of a payout's confirms wins.
    for status in ["sent", "replaced"] {
        for tx in payouts::in_status(&db, ticker, status).await? {
            confirm(env, &db, &esplora, &tx).await?;
        }
    }
    bump_fees(env, &db, &esplora, chain).await?;
    // Orders whose transaction moved on while the worker stopped before they followed.
    // A worker with a `stop_after_*_status` fault plays one that died at that step: it
    // leaves the catch-up to the restarted worker the tests check.
    if !fault(env).ends_with("_status") {
        for stale in payouts::orders_behind_their_tx(&db, ticker).await? {
            catch_up(env, &db, &stale).await?;
        }
    }
    // The operator failed these, and the worker stopped before their orders followed.
    for order_id in payouts::failed_holds_unfinished(&db, ticker).await? {
        fail(env, &db, &order_id, FailureReason::RejectedByOperator).await?;
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
    let released: HashSet<&str> = waiting
        .iter()
        .filter(|o| o.hold.as_deref() == Some(HoldStatus::Released.as_str()))
        .map(|o| o.order_id.as_str())
        .collect();
    let wanted = hold_above_daily_cap(env, &db, chain, &released, wanted).await?;
    if wanted.is_empty() {
        return Ok(());
    }

    let reserved: HashSet<String> = payouts::reserved_coins(&db).await?.into_iter().collect();
    let bumped: HashSet<String> = payouts::bumped_unsettled(&db, ticker)
        .await?
        .into_iter()
        .collect();
    let mut coins = Vec::new();
    for key in [RECEIVE, CHANGE] {
        let address = wallet.address(key).map_err(payout_error)?;
        let script_pubkey = wallet.script_pubkey(key).map_err(payout_error)?;
        for utxo in esplora.utxos(&address).await? {
            if reserved.contains(&format!("{}:{}", utxo.txid, utxo.vout))
                || (!utxo.status.confirmed && bumped.contains(&utxo.txid))
            {
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
    let own_scripts = [wallet.script_pubkey(RECEIVE).map_err(payout_error)?];
    let plan = plan_batch(&BatchRequest {
        chain,
        coins: &coins,
        payouts: &wanted,
        change_script: wallet.script_pubkey(CHANGE).map_err(payout_error)?,
        change_key: CHANGE,
        own_scripts: &own_scripts,
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
                .map(|(i, id)| (id.as_str(), i as u32, planned.tx.outputs[i].value))
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
    broadcast(env, &db, &esplora, &signed.txid, &signed.raw_tx_hex, None).await
}

/// The daily outflow cap of a currency in base units (`PAYOUT_DAILY_CAP_<TICKER>`, an
/// amount of the coin such as `0.5`); unset or empty means no cap.
fn daily_cap(env: &Env, crypto: Crypto) -> Result<Option<u64>, ApiError> {
    let variable = match crypto {
        Crypto::Btc => "PAYOUT_DAILY_CAP_BTC",
        Crypto::Ltc => "PAYOUT_DAILY_CAP_LTC",
        _ => return Ok(None),
    };
    let Ok(value) = env.var(variable) else {
        return Ok(None);
    };
    let text = value.to_string();
    if text.trim().is_empty() {
        return Ok(None);
    }
    Decimal::from_str(text.trim())
        .ok()
        .filter(|d| !d.is_sign_negative())
        .and_then(|d| base_units(d, crypto.decimals()))
        .map(Some)
        .ok_or_else(|| ApiError::Misconfigured {
            variable,
            detail: format!(
                "{variable} must be an amount of {crypto} such as 0.5, at most {} decimals",
                crypto.decimals()
            ),
        })
}

/// Holds the payouts that would push the day's outflow above the cap (the core
/// decides which) and returns the others, still oldest first.
async fn hold_above_daily_cap(
    env: &Env,
    db: &D1Database,
    chain: &ChainParams,
    released: &HashSet<&str>,
    wanted: Vec<Payout>,
) -> Result<Vec<Payout>, ApiError> {
    let Some(cap) = daily_cap(env, chain.crypto)? else {
        return Ok(wanted);
    };
    let now = ids::now_ms();
    let day_start = ids::time_of(now).day_start().unix_millis();
    let ticker = chain.crypto.ticker();
    let network = chain.network.as_str();
    let outflow = payouts::outflow_since(db, ticker, network, day_start).await?;
    let candidates: Vec<Candidate> = wanted
        .iter()
        .map(|p| Candidate {
            id: &p.id,
            amount: p.amount,
            released: released.contains(p.id.as_str()),
        })
        .collect();
    let outcome = apply_daily_cap(&candidates, outflow, Some(cap));
    let (held, pay): (Vec<Payout>, Vec<Payout>) = wanted
        .into_iter()
        .partition(|p| outcome.hold.contains(&p.id));
    for payout in &held {
        console_log!(
            "payout {}: held for the operator ({} today, {} more, cap {cap})",
            payout.id,
            outflow,
            payout.amount
        );
        payouts::hold(
            db,
            &payouts::NewHold {
                order_id: &payout.id,
                crypto: ticker,
                network,
                amount: payout.amount,
                outflow,
                cap,
                now_ms: now,
            },
        )
        .await?;
    }
    Ok(pay)
}

/// The operator's decision on a payout the daily cap held: a release lets the next run
/// pay it (one is queued now), a fail moves its order to `failed` with
/// `rejected_by_operator`. The hold's status changes first, guarded, so a run can never
/// sign a failed one; a run finishes the order's move if the worker stops in between.
pub(crate) async fn decide_held(
    env: &Env,
    order_id: &str,
    decision: HoldDecision,
) -> Result<payouts::HoldRow, ApiError> {
    let db = env.d1("DB")?;
    let not_found = || ApiError::NotFound {
        what: "held payout",
    };
    for _ in 0..3 {
        let hold = payouts::get_hold(&db, order_id)
            .await?
            .ok_or_else(not_found)?;
        let current = HoldStatus::parse(&hold.status)
            .ok_or_else(|| ApiError::internal(format!("hold {order_id}: {}", hold.status)))?;
        let target = decide(current, decision)?;
        if target != current
            && !payouts::decide_hold(
                &db,
                order_id,
                current.as_str(),
                target.as_str(),
                ids::now_ms(),
            )
            .await?
        {
            continue; // decided concurrently: read it again
        }
        match target {
            HoldStatus::Failed => {
                fail(env, &db, order_id, FailureReason::RejectedByOperator).await?;
            }
            HoldStatus::Released if hold.order_status == OrderStatus::Pending => {
                let job = Job::Advance {
                    order_id: order_id.to_owned(),
                };
                enqueue(env, job, 0).await?;
            }
            _ => {}
        }
        return payouts::get_hold(&db, order_id)
            .await?
            .ok_or_else(not_found);
    }
    Err(ApiError::internal(format!(
        "hold {order_id} keeps changing"
    )))
}

/// Sends a stored transaction (the same bytes every time) and records the verdict.
/// `replaces` is the original of a fee bump: its orders are `sent` already, so a
/// rejected bump only marks itself rejected (the original still pays them, and its coins
/// stay reserved).
async fn broadcast(
    env: &Env,
    db: &D1Database,
    esplora: &EsploraPayout,
    txid: &str,
    raw_tx: &str,
    replaces: Option<&str>,
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
    let original = replaces.unwrap_or(txid);
    let now = ids::now_ms();
    match outcome {
        BroadcastOutcome::Accepted => {
            if fault(env) == "stop_after_broadcast" {
                console_log!("fault injection: stopped after broadcasting {txid}");
                return Ok(());
            }
            let took = payouts::set_status(db, txid, "signed", "sent", None, now).await?;
            if took && replaces.is_some() {
                console_log!("payout {original}: replaced by {txid}");
                payouts::supersede_others(db, original, txid, "replaced", now).await?;
            }
            if fault(env) == "stop_after_sent_status" {
                console_log!("fault injection: stopped after marking {txid} sent");
                return Ok(());
            }
            for id in payouts::orders_of(db, original).await? {
                move_order(env, db, &id, OrderStatus::Sent, Some(txid), None).await?;
            }
        }
        BroadcastOutcome::Rejected { message, .. } => {
            console_log!("payout {txid} rejected by the node: {message}");
            let marked =
                payouts::set_status(db, txid, "signed", "rejected", Some(&message), now).await?;
            if replaces.is_some() {
                return Ok(()); // the original still stands
            }
            if marked {
                payouts::release_coins(db, txid).await?;
            }
            if fault(env) == "stop_after_rejected_status" {
                console_log!("fault injection: stopped after marking {txid} rejected");
                return Ok(());
            }
            let orders = payouts::orders_of(db, txid).await?;
            let reason = rejection_failure(&message, orders.len());
            for id in orders {
                fail(env, db, &id, reason).await?;
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

/// At the configured depth a transaction of a payout (the original or a fee bump,
/// whichever a miner took) completes its orders; the rest of the family conflicts.
async fn confirm(
    env: &Env,
    db: &D1Database,
    esplora: &EsploraPayout,
    tx: &payouts::PayoutTxRow,
) -> Result<(), ApiError> {
    let Some(height) = esplora.confirmed_height(&tx.txid).await? else {
        return Ok(());
    };
    let depth = esplora.tip_height().await?.saturating_sub(height) + 1;
    if depth < env_u32(env, "PAYOUT_CONFIRMATIONS", 1) {
        return Ok(());
    }
    let now = ids::now_ms();
    if !payouts::set_status(db, &tx.txid, &tx.status, "confirmed", None, now).await? {
        return Ok(());
    }
    let original = tx.original();
    payouts::supersede_others(db, original, &tx.txid, "conflicted", now).await?;
    if fault(env) == "stop_after_confirmed_status" {
        console_log!(
            "fault injection: stopped after marking {} confirmed",
            tx.txid
        );
        return Ok(());
    }
    for id in payouts::orders_of(db, original).await? {
        move_order(env, db, &id, OrderStatus::Completed, Some(&tx.txid), None).await?;
    }
    Ok(())
}

/// Fee bumps (BIP-125) by the worker: a payout whose newest transaction has waited
/// unconfirmed for `PAYOUT_BUMP_AFTER_SECONDS` (default 1800) at a fee rate below the
/// current estimate is replaced by the core's `bump_fee` (the same inputs, every payout
/// output unchanged, the extra fee from the change only) at that estimate, which is
/// never above the cap. The replacement is stored before it is broadcast, like any
/// payout transaction; the original stays watched.
async fn bump_fees(
    env: &Env,
    db: &D1Database,
    esplora: &EsploraPayout,
    chain: &'static ChainParams,
) -> Result<(), ApiError> {
    let after_ms = i64::from(env_u32(env, "PAYOUT_BUMP_AFTER_SECONDS", 1800)) * 1000;
    let now = ids::now_ms();
    let due: Vec<_> = payouts::in_status(db, chain.crypto.ticker(), "sent")
        .await?
        .into_iter()
        .filter(|tx| tx.sent_at.is_some_and(|at| now - at >= after_ms))
        .collect();
    if due.is_empty() {
        return Ok(());
    }
    let estimates = esplora.fee_estimates().await?;
    let floor = FeeRate(chain.min_relay_fee);
    let rate = match choose_fee_rate(&estimates, TARGET_BLOCKS, floor, fee_cap(env, chain.crypto)) {
        Ok(rate) => rate,
        Err(e) => {
            console_log!("payout {}: no fee bump ({e})", chain.crypto.ticker());
            return Ok(());
        }
    };
    let wallet = hot_wallet(env, chain)?;
    let reserved: HashSet<String> = payouts::reserved_coins(db).await?.into_iter().collect();
    for tx in due {
        let plan: PlannedTx = serde_json::from_str(&tx.plan_json)
            .map_err(|e| ApiError::internal(format!("payout {} plan: {e}", tx.txid)))?;
        if plan.fee_rate >= rate {
            continue;
        }
        // A later payout already spends its change: replacing it would evict that child.
        if plan
            .change_index
            .is_some_and(|i| reserved.contains(&format!("{}:{i}", tx.txid)))
        {
            console_log!(
                "payout {}: no fee bump (a later payout spends its change)",
                tx.txid
            );
            continue;
        }
        let bumped = match bump_fee(&plan, rate, chain) {
            Ok(bumped) => bumped,
            Err(e) => {
                console_log!("payout {}: no fee bump ({e})", tx.txid);
                continue;
            }
        };
        let signed = wallet.sign(&bumped).map_err(payout_error)?;
        let plan_json = serde_json::to_string(&bumped).map_err(ApiError::internal)?;
        let stored = payouts::insert_replacement(
            db,
            &payouts::NewReplacement {
                txid: &signed.txid,
                original: tx.original(),
                outbids: &tx.txid,
                crypto: chain.crypto.ticker(),
                network: chain.network.as_str(),
                raw_tx: &signed.raw_tx_hex,
                plan_json: &plan_json,
                fee: signed.fee,
                vsize: signed.vsize,
                now_ms: ids::now_ms(),
            },
        )
        .await?;
        if !stored {
            continue;
        }
        console_log!(
            "payout {}: fee bump {} -> {} sat ({} sat/vB) as {}",
            tx.txid,
            plan.fee,
            signed.fee,
            rate.sat_per_vb(),
            signed.txid
        );
        let original = tx.original().to_owned();
        broadcast(
            env,
            db,
            esplora,
            &signed.txid,
            &signed.raw_tx_hex,
            Some(&original),
        )
        .await?;
    }
    Ok(())
}

/// Moves an order to where its payout transaction already is.
async fn catch_up(
    env: &Env,
    db: &D1Database,
    stale: &payouts::OrderBehind,
) -> Result<(), ApiError> {
    let id = &stale.order_id;
    match stale.tx_status.as_str() {
        "signed" => move_order(env, db, id, OrderStatus::Processing, None, None).await,
        "sent" | "replaced" => {
            move_order(env, db, id, OrderStatus::Sent, Some(&stale.txid), None).await
        }
        "confirmed" => {
            move_order(env, db, id, OrderStatus::Completed, Some(&stale.txid), None).await
        }
        "rejected" => {
            let message = stale.last_error.as_deref().unwrap_or_default();
            fail(
                env,
                db,
                id,
                rejection_failure(message, stale.payouts as usize),
            )
            .await
        }
        _ => Ok(()),
    }
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
        if applied
            == (store::orders::Transitioned::Applied {
                event_pending: true,
            })
        {
            enqueue(env, Job::Deliver { event_id }, 0).await?;
        }
    }
    Ok(())
}
