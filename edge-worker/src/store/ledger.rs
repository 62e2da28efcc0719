//! The sandbox ledger: transfers the sandbox settlement "sent", counted in balances.

use rust_decimal::Decimal;
use serde::Deserialize;
use worker::{query, D1Database};

use crate::problem::ApiError;

/// Sum of sandbox transfers to `address` in `crypto`, exact (amounts are stored as text).
pub async fn received(db: &D1Database, crypto: &str, address: &str) -> Result<Decimal, ApiError> {
    #[derive(Deserialize)]
    struct Row {
        amount: String,
    }
    let rows = query!(
        db,
        "SELECT amount FROM sandbox_ledger WHERE crypto = ?1 AND address = ?2",
        crypto,
        address
    )?
    .all()
    .await?
    .results::<Row>()?;
    rows.iter().try_fold(Decimal::ZERO, |sum, r| {
        let amount: Decimal = r
            .amount
            .parse()
            .map_err(|e| ApiError::internal(format!("ledger amount {:?}: {e}", r.amount)))?;
        Ok(sum + amount)
    })
}
