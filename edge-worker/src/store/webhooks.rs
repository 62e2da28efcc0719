//! Webhook events: one row per order status change, delivered from the queue.

use serde::Deserialize;
use worker::{query, D1Database};

use super::StoreError;

#[derive(Debug, Deserialize)]
pub struct EventRow {
    pub client_id: String,
    pub body: String,
    pub attempts: u32,
    pub delivered_at: Option<i64>,
}

pub async fn get(db: &D1Database, event_id: &str) -> Result<Option<EventRow>, StoreError> {
    Ok(query!(
        db,
        "SELECT event_id, client_id, body, attempts, delivered_at FROM webhook_events WHERE event_id = ?1",
        event_id
    )?
    .first::<EventRow>(None)
    .await?)
}

/// Records one delivery attempt; `error` is None when it succeeded.
pub async fn record_attempt(
    db: &D1Database,
    event_id: &str,
    now_ms: i64,
    error: Option<&str>,
) -> Result<(), StoreError> {
    let delivered_at = error.is_none().then_some(now_ms);
    query!(
        db,
        "UPDATE webhook_events SET attempts = attempts + 1, delivered_at = ?2, last_error = ?3 WHERE event_id = ?1",
        event_id,
        delivered_at,
        error
    )?
    .run()
    .await?;
    Ok(())
}
