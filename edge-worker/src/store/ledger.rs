//! The sandbox ledger: transfers the sandbox settlement "sent", counted in balances.

use rust_decimal::Decimal;
use serde::Deserialize;
use worker::{query, D1Database};

use super::StoreError;

/// Sum of this client's sandbox transfers to `address` in `crypto`, exact (amounts are
/// stored as text and added as decimals, never by SQLite's floating-point SUM).
pub async fn received(
    db: &D1Database,
    client_id: &str,
    crypto: &str,
    address: &str,
) -> Result<Decimal, StoreError> {
    #[derive(Deserialize)]
    struct Row {
        amount: String,
    }
    let rows = query!(
        db,
        "SELECT l.amount FROM sandbox_ledger l JOIN orders o ON o.order_id = l.order_id
         WHERE o.client_id = ?1 AND l.crypto = ?2 AND l.address = ?3",
        client_id,
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
            .map_err(|e| StoreError::corrupt(format!("ledger amount {:?}: {e}", r.amount)))?;
        Ok(sum + amount)
    })
}
