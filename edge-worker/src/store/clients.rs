//! API clients: identity, key digest, webhook secret and configuration (JSON).

use serde::Deserialize;
use worker::{query, D1Database};

use super::StoreError;

#[derive(Debug, Clone, Deserialize)]
pub struct ClientRow {
    pub client_id: String,
    #[allow(dead_code)] // webhook deliveries read it with the event (store::webhooks::claim)
    pub webhook_secret: String,
    pub config_json: String,
}

pub struct NewClient<'a> {
    pub client_id: &'a str,
    pub name: &'a str,
    pub api_key_sha256: &'a str,
    pub webhook_secret: &'a str,
    pub config_json: &'a str,
    pub now_ms: i64,
}

pub async fn insert(db: &D1Database, c: &NewClient<'_>) -> Result<(), StoreError> {
    query!(
        db,
        "INSERT INTO clients (client_id, name, api_key_sha256, webhook_secret, config_json, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        c.client_id,
        c.name,
        c.api_key_sha256,
        c.webhook_secret,
        c.config_json,
        c.now_ms
    )?
    .run()
    .await?;
    Ok(())
}

pub async fn by_key_digest(db: &D1Database, digest: &str) -> Result<Option<ClientRow>, StoreError> {
    Ok(by_key_digest_statement(db, digest)?
        .first::<ClientRow>(None)
        .await?)
}

/// The lookup of [`by_key_digest`], to run in a batch with other reads.
pub fn by_key_digest_statement(
    db: &D1Database,
    digest: &str,
) -> Result<worker::D1PreparedStatement, StoreError> {
    Ok(query!(
        db,
        "SELECT client_id, name, webhook_secret, config_json FROM clients WHERE api_key_sha256 = ?1",
        digest
    )?)
}

pub async fn by_id(db: &D1Database, client_id: &str) -> Result<Option<ClientRow>, StoreError> {
    Ok(query!(
        db,
        "SELECT client_id, name, webhook_secret, config_json FROM clients WHERE client_id = ?1",
        client_id
    )?
    .first::<ClientRow>(None)
    .await?)
}

/// Replaces a client's configuration; false when there is no such client.
pub async fn update_config(
    db: &D1Database,
    client_id: &str,
    config_json: &str,
    now_ms: i64,
) -> Result<bool, StoreError> {
    let result = query!(
        db,
        "UPDATE clients SET config_json = ?2, updated_at = ?3 WHERE client_id = ?1",
        client_id,
        config_json,
        now_ms
    )?
    .run()
    .await?;
    Ok(super::changes(&result)? == 1)
}
