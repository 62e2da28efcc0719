//! Quotes handed out by `POST /v1/quotes`, kept until they expire. A quote prices one
//! order: the placement batch marks it used (`store::orders::place`).

use worker::{query, D1Database};

use super::StoreError;

pub async fn insert(
    db: &D1Database,
    quote_id: &str,
    client_id: &str,
    customer_id: Option<&str>,
    quote_json: &str,
    now_ms: i64,
    expires_at_ms: i64,
) -> Result<(), StoreError> {
    query!(
        db,
        "INSERT INTO quotes (quote_id, client_id, quote_json, created_at, expires_at, customer_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        quote_id,
        client_id,
        quote_json,
        now_ms,
        expires_at_ms,
        customer_id
    )?
    .run()
    .await?;
    Ok(())
}
