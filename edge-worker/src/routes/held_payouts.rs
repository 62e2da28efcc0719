//! Operator endpoints (bearer `ADMIN_TOKEN`) for the payouts the daily outflow cap held
//! (`PAYOUT_DAILY_CAP_<TICKER>`): list them, release them (the next run pays them,
//! above the cap) or fail them (`failed`, `rejected_by_operator`).

use cryptoexchange_core::api::{HeldPayout, HeldPayoutList};
use cryptoexchange_core::outflow::{HoldDecision, HoldStatus};
use rust_decimal::Decimal;
use worker::{Env, Request, Response};

use crate::auth::require_admin;
use crate::ids;
use crate::problem::ApiError;
use crate::settlement::decide_held;
use crate::store::payouts::{self, HoldRow};

/// At most this many held payouts in one answer, oldest first.
const PAGE: u32 = 100;

pub async fn list(req: &Request, env: &Env) -> Result<Response, ApiError> {
    require_admin(req, env)?;
    let rows = payouts::holds_in_status(&env.d1("DB")?, HoldStatus::Held.as_str(), PAGE).await?;
    let payouts = rows
        .into_iter()
        .map(held_payout)
        .collect::<Result<_, _>>()?;
    super::json(200, &HeldPayoutList { payouts })
}

pub async fn release(req: &Request, env: &Env, order_id: &str) -> Result<Response, ApiError> {
    decision(req, env, order_id, HoldDecision::Release).await
}

pub async fn fail(req: &Request, env: &Env, order_id: &str) -> Result<Response, ApiError> {
    decision(req, env, order_id, HoldDecision::Fail).await
}

async fn decision(
    req: &Request,
    env: &Env,
    order_id: &str,
    decision: HoldDecision,
) -> Result<Response, ApiError> {
    require_admin(req, env)?;
    let row = decide_held(env, order_id, decision).await?;
    super::json(200, &held_payout(row)?)
}

fn held_payout(row: HoldRow) -> Result<HeldPayout, ApiError> {
    let decimals = row.crypto.decimals();
    let coin = |base: u64| -> Result<Decimal, ApiError> {
        i64::try_from(base)
            .map(|units| Decimal::new(units, decimals))
            .map_err(|_| ApiError::internal(format!("hold {}: amount {base}", row.order_id)))
    };
    let status = HoldStatus::parse(&row.status)
        .ok_or_else(|| ApiError::internal(format!("hold {}: {}", row.order_id, row.status)))?;
    Ok(HeldPayout {
        amount: coin(row.amount)?,
        outflow_when_held: coin(row.outflow)?,
        daily_cap: coin(row.cap)?,
        status,
        order_status: row.order_status,
        held_at: ids::time_of(row.held_at),
        decided_at: row.decided_at.map(ids::time_of),
        crypto: row.crypto,
        network: row.network,
        destination_address: row.destination_address,
        client_id: row.client_id,
        customer_id: row.customer_id,
        order_id: row.order_id,
    })
}
