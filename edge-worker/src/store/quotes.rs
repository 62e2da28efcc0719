//! Quotes handed out by `POST /v1/quotes`, kept until they expire.

use serde::Deserialize;
use worker::{query, D1Database};

use crate::problem::ApiError;

/// The stored quote; its `expires_at` column serves queries and clean-up, the JSON
/// carries the same time for the core's expiry check.
#[derive(Debug, Deserialize)]
pub struct QuoteRow {
    pub quote_json: String,
}

pub async fn insert(
    db: &D1Database,
    quote_id: &str,
    client_id: &str,
    quote_json: &str,
    now_ms: i64,
    expires_at_ms: i64,
) -> Result<(), ApiError> {
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

pub async fn get(
    db: &D1Database,
    client_id: &str,
    quote_id: &str,
) -> Result<Option<QuoteRow>, ApiError> {
    Ok(query!(
        db,
        "SELECT quote_json FROM quotes WHERE quote_id = ?1 AND client_id = ?2",
        quote_id,
        client_id
    )?
    .first::<QuoteRow>(None)
    .await?)
}
