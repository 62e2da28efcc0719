//! Quotes handed out by `POST /v1/quotes`, kept until they expire.

use worker::{query, D1Database};

use super::StoreError;

pub async fn insert(
    db: &D1Database,
    quote_id: &str,
    client_id: &str,
    quote_json: &str,
    now_ms: i64,
    expires_at_ms: i64,
) -> Result<(), StoreError> {
    query!(
        db,
        "INSERT INTO quotes (quote_id, client_id, quote_json, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        quote_id,
        client_id,
        quote_json,
        now_ms,
        expires_at_ms
    )?
    .run()
    .await?;
    Ok(())
}
