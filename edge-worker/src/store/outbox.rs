//! The outbox side of orders and the dead letters: what the cron sweeper re-enqueues,
//! and the messages the dead-letter queues' consumer recorded for the operator.

use serde::Deserialize;
use worker::{query, D1Database};

use super::{changes, StoreError};

/// Unfinished orders whose next step was due before `cutoff_ms` (migration 0004: its
/// `next_step_at`, else a second after its last change), most overdue first.
pub async fn overdue_orders(
    db: &D1Database,
    cutoff_ms: i64,
    limit: u32,
) -> Result<Vec<String>, StoreError> {
    #[derive(Deserialize)]
    struct Row {
        order_id: String,
    }
    let rows = query!(
        db,
        "SELECT order_id FROM orders
         WHERE status IN ('pending', 'processing', 'sent')
           AND COALESCE(next_step_at, updated_at + 1000) <= ?1
         ORDER BY COALESCE(next_step_at, updated_at + 1000) LIMIT ?2",
        cutoff_ms,
        limit
    )?
    .all()
    .await?
    .results::<Row>()?;
    Ok(rows.into_iter().map(|r| r.order_id).collect())
}

/// Moves an unfinished order's next step to `at` (the on-chain settlement polls the
/// chain without a status change, and must not look overdue meanwhile).
pub async fn postpone_step(db: &D1Database, order_id: &str, at_ms: i64) -> Result<(), StoreError> {
    query!(
        db,
        "UPDATE orders SET next_step_at = ?2
         WHERE order_id = ?1 AND status IN ('pending', 'processing', 'sent')",
        order_id,
        at_ms
    )?
    .run()
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Deserialize)]
pub struct DeadLetter {
    pub dead_letter_id: String,
    pub queue: String,
    pub body: String,
    pub received_at: i64,
    pub replayed_at: Option<i64>,
}

/// Records a dead-lettered message once (the dead-letter queue may deliver it twice).
pub async fn record_dead_letter(
    db: &D1Database,
    id: &str,
    queue: &str,
    body: &str,
    now_ms: i64,
) -> Result<(), StoreError> {
    query!(
        db,
        "INSERT INTO dead_letters (dead_letter_id, queue, body, received_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (dead_letter_id) DO NOTHING",
        id,
        queue,
        body,
        now_ms
    )?
    .run()
    .await?;
    Ok(())
}

/// Dead letters, newest first; only those not replayed yet unless `all`.
pub async fn dead_letters(
    db: &D1Database,
    all: bool,
    limit: u32,
) -> Result<Vec<DeadLetter>, StoreError> {
    Ok(query!(
        db,
        "SELECT dead_letter_id, queue, body, received_at, replayed_at FROM dead_letters
         WHERE ?1 = 1 OR replayed_at IS NULL
         ORDER BY received_at DESC, dead_letter_id DESC LIMIT ?2",
        u8::from(all),
        limit
    )?
    .all()
    .await?
    .results::<DeadLetter>()?)
}

pub async fn dead_letter(db: &D1Database, id: &str) -> Result<Option<DeadLetter>, StoreError> {
    Ok(query!(
        db,
        "SELECT dead_letter_id, queue, body, received_at, replayed_at FROM dead_letters
         WHERE dead_letter_id = ?1",
        id
    )?
    .first::<DeadLetter>(None)
    .await?)
}

pub async fn mark_replayed(db: &D1Database, id: &str, now_ms: i64) -> Result<bool, StoreError> {
    let result = query!(
        db,
        "UPDATE dead_letters SET replayed_at = ?2 WHERE dead_letter_id = ?1",
        id,
        now_ms
    )?
    .run()
    .await?;
    Ok(changes(&result)? == 1)
}
