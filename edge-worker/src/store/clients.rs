//! API clients: identity, webhook secret and configuration (JSON). Their API keys are
//! in `api_keys`; a request's key is read with its client in one statement.

use serde::Deserialize;
use worker::{query, D1Database};

use super::StoreError;

#[derive(Debug, Clone, Deserialize)]
pub struct ClientRow {
    pub client_id: String,
    #[allow(dead_code)] // webhook deliveries read it with the event (store::webhooks::claim)
    pub webhook_secret: String,
    pub config_json: String,
    /// The key the client was found by (absent when read by id).
    #[serde(flatten)]
    pub key: Option<super::api_keys::KeyRow>,
}

pub struct NewClient<'a> {
    pub client_id: &'a str,
    pub name: &'a str,
    pub api_key_sha256: &'a str,
    pub secret_id: &'a str,
    /// Stored sealed in `webhook_secrets`; the client row keeps an empty string.
    pub webhook_secret: &'a str,
    pub master_keys: &'a crate::secrets::MasterKeys,
    pub config_json: &'a str,
    pub now_ms: i64,
}

/// The client, its first key and its webhook secret (sealed), in one batch.
pub async fn insert(
    db: &D1Database,
    c: &NewClient<'_>,
    key: &super::api_keys::NewKey<'_>,
) -> Result<(), StoreError> {
    let client = query!(
        db,
        "INSERT INTO clients (client_id, name, api_key_sha256, webhook_secret, config_json, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        c.client_id,
        c.name,
        c.api_key_sha256,
        "",
        c.config_json,
        c.now_ms
    )?;
    let secret = super::webhook_secrets::insert_statement(
        db,
        c.master_keys,
        c.client_id,
        c.secret_id,
        c.webhook_secret,
        c.now_ms,
        None,
    )?;
    db.batch(vec![
        client,
        super::api_keys::insert_statement(db, key)?,
        secret,
    ])
    .await?;
    Ok(())
}

pub async fn by_key_digest(db: &D1Database, digest: &str) -> Result<Option<ClientRow>, StoreError> {
    Ok(by_key_digest_statement(db, digest)?
        .first::<ClientRow>(None)
        .await?)
}

/// The lookup of [`by_key_digest`], to run in a batch with other reads: the client and
/// the key's scopes, allowlist, expiry and revocation, one statement.
pub fn by_key_digest_statement(
    db: &D1Database,
    digest: &str,
) -> Result<worker::D1PreparedStatement, StoreError> {
    let sql = format!(
        "SELECT c.client_id, c.name, c.webhook_secret, c.config_json, {}
         FROM api_keys k JOIN clients c ON c.client_id = k.client_id WHERE k.key_sha256 = ?1",
        super::api_keys::KEY_COLUMNS
    );
    Ok(query!(db, &sql, digest)?)
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
