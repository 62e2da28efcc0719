//! What the retention cron removes (`retention.rs`): rows past their use, in bounded
//! deletes so each statement stays short.

use serde::Serialize;
use worker::{query, D1Database};

use super::{changes, StoreError};

/// Rows removed per table and run at most; the cron runs every minute.
pub const BATCH: u32 = 1000;

#[derive(Debug, Default, Clone, Copy, Serialize)]
pub struct Removed {
    pub quotes: usize,
    pub idempotency_keys: usize,
    pub webhook_secrets: usize,
}

/// Deletes quotes that expired before `quotes_expired_before_ms`, idempotency keys
/// created before `keys_created_before_ms`, and webhook secrets whose overlap ended by
/// `now_ms`: one batch.
pub async fn sweep(
    db: &D1Database,
    quotes_expired_before_ms: i64,
    keys_created_before_ms: i64,
    now_ms: i64,
) -> Result<Removed, StoreError> {
    let quotes = query!(
        db,
        "DELETE FROM quotes WHERE rowid IN
           (SELECT rowid FROM quotes WHERE expires_at < ?1 ORDER BY expires_at LIMIT ?2)",
        quotes_expired_before_ms,
        BATCH
    )?;
    let keys = query!(
        db,
        "DELETE FROM idempotency_keys WHERE rowid IN
           (SELECT rowid FROM idempotency_keys WHERE created_at < ?1 ORDER BY created_at LIMIT ?2)",
        keys_created_before_ms,
        BATCH
    )?;
    let secrets = super::webhook_secrets::delete_expired_statement(db, now_ms)?;
    let results = db.batch(vec![quotes, keys, secrets]).await?;
    let count = |i: usize| -> Result<usize, StoreError> { results.get(i).map_or(Ok(0), changes) };
    Ok(Removed {
        quotes: count(0)?,
        idempotency_keys: count(1)?,
        webhook_secrets: count(2)?,
    })
}
