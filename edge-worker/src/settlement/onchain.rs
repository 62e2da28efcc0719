//! On-chain settlement of live orders (SETTLEMENT_MODE=onchain): payouts from the
//! operator's hot wallet, planned and signed by `cryptoexchange_core::payout`.
//!
//! Not wired to Esplora yet: a live order stays `pending` (its limit room held) until
//! the payout run exists. It is never completed by the sandbox.

use worker::{console_log, Env};

use super::Next;
use crate::problem::ApiError;
use crate::store::orders::OrderRow;

pub(crate) async fn advance(_env: &Env, order: &OrderRow) -> Result<Next, ApiError> {
    console_log!(
        "settlement: live order {} waits for the on-chain payout run",
        order.order_id
    );
    Ok(Next::Done)
}
