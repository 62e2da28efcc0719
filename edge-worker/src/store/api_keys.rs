//! A client's API keys (migration 0005): only each key's SHA-256 is stored. The key of
//! a request is read with its client in one statement (`clients::by_key_digest`).

use cryptoexchange_core::api::ApiKeyInfo;
use serde::Deserialize;
use worker::{query, D1Database, D1PreparedStatement};

use super::{changes, StoreError};
use crate::access::{parse_scopes, scopes_text, KeyPolicy};
use crate::ids;

/// `last_used_at` is written at most this often per key.
pub const LAST_USED_GRANULARITY_MS: i64 = 60_000;

/// The key columns, as `by_key_digest` joins them to its client.
pub const KEY_COLUMNS: &str = "k.key_id, k.key_prefix, k.scopes, k.ip_allowlist, k.created_at, \
    k.last_used_at, k.expires_at, k.revoked_at";

/// One key as stored.
#[derive(Debug, Clone, Deserialize)]
pub struct KeyRow {
    pub key_id: String,
    pub key_prefix: String,
    pub scopes: String,
    /// JSON array, or NULL for any address.
    pub ip_allowlist: Option<String>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl KeyRow {
    pub fn policy(&self) -> Result<KeyPolicy, StoreError> {
        Ok(KeyPolicy {
            scopes: parse_scopes(&self.scopes),
            ip_allowlist: allowlist(self.ip_allowlist.as_deref(), &self.key_id)?,
            expires_at_ms: self.expires_at,
            revoked_at_ms: self.revoked_at,
        })
    }

    pub fn info(&self) -> Result<ApiKeyInfo, StoreError> {
        Ok(ApiKeyInfo {
            key_id: self.key_id.clone(),
            prefix: self.key_prefix.clone(),
            scopes: parse_scopes(&self.scopes),
            ip_allowlist: allowlist(self.ip_allowlist.as_deref(), &self.key_id)?,
            created_at: ids::time_of(self.created_at),
            last_used_at: self.last_used_at.map(ids::time_of),
            expires_at: self.expires_at.map(ids::time_of),
            revoked_at: self.revoked_at.map(ids::time_of),
        })
    }
}

fn allowlist(json: Option<&str>, key_id: &str) -> Result<Option<Vec<String>>, StoreError> {
    json.map(|text| {
        serde_json::from_str(text)
            .map_err(|e| StoreError::corrupt(format!("key {key_id} ip_allowlist: {e}")))
    })
    .transpose()
}

/// A key to store; `key_sha256` is the hex SHA-256 of the key shown once.
pub struct NewKey<'a> {
    pub key_id: &'a str,
    pub client_id: &'a str,
    pub key_sha256: &'a str,
    pub key_prefix: &'a str,
    pub scopes: &'a [cryptoexchange_core::api::ApiScope],
    pub ip_allowlist: Option<&'a [String]>,
    pub expires_at_ms: Option<i64>,
    pub now_ms: i64,
}

/// The insert of a key, only when its client exists (checked by `changes`).
pub fn insert_statement(
    db: &D1Database,
    k: &NewKey<'_>,
) -> Result<D1PreparedStatement, StoreError> {
    let allowlist = k
        .ip_allowlist
        .map(|list| serde_json::to_string(list).map_err(StoreError::corrupt))
        .transpose()?;
    Ok(query!(
        db,
        "INSERT INTO api_keys (key_id, client_id, key_sha256, key_prefix, scopes, ip_allowlist, created_at, expires_at)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8 WHERE EXISTS (SELECT 1 FROM clients WHERE client_id = ?2)",
        k.key_id,
        k.client_id,
        k.key_sha256,
        k.key_prefix,
        scopes_text(k.scopes),
        allowlist,
        k.now_ms,
        k.expires_at_ms
    )?)
}

/// Stores a key; false when there is no such client.
pub async fn insert(db: &D1Database, k: &NewKey<'_>) -> Result<bool, StoreError> {
    let result = insert_statement(db, k)?.run().await?;
    Ok(changes(&result)? == 1)
}

const SELECT_KEY: &str =
    "SELECT key_id, key_prefix, scopes, ip_allowlist, created_at, last_used_at, \
    expires_at, revoked_at FROM api_keys";

/// A client's keys, oldest first.
pub async fn list(db: &D1Database, client_id: &str) -> Result<Vec<KeyRow>, StoreError> {
    let sql = format!("{SELECT_KEY} WHERE client_id = ?1 ORDER BY created_at, key_id");
    Ok(query!(db, &sql, client_id)?
        .all()
        .await?
        .results::<KeyRow>()?)
}

pub async fn get(
    db: &D1Database,
    client_id: &str,
    key_id: &str,
) -> Result<Option<KeyRow>, StoreError> {
    let sql = format!("{SELECT_KEY} WHERE client_id = ?1 AND key_id = ?2");
    Ok(query!(db, &sql, client_id, key_id)?
        .first::<KeyRow>(None)
        .await?)
}

/// Revokes a key now (a revoked key keeps its first revocation time); the key as it is
/// afterwards, None when the client has no such key.
pub async fn revoke(
    db: &D1Database,
    client_id: &str,
    key_id: &str,
    now_ms: i64,
) -> Result<Option<KeyRow>, StoreError> {
    let sql = "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?3) WHERE client_id = ?1 AND key_id = ?2
         RETURNING key_id, key_prefix, scopes, ip_allowlist, created_at, last_used_at, expires_at, revoked_at";
    Ok(query!(db, sql, client_id, key_id, now_ms)?
        .first::<KeyRow>(None)
        .await?)
}

/// A rotation in one batch: the new key is inserted and the old one's expiry brought
/// forward to `old_expires_at_ms` (never pushed later), both only while the old key is
/// neither revoked nor expired. None when nothing was written.
pub async fn rotate(
    db: &D1Database,
    new: &NewKey<'_>,
    old_key_id: &str,
    old_expires_at_ms: i64,
) -> Result<Option<(KeyRow, KeyRow)>, StoreError> {
    let alive = "revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?3)";
    let shorten = query!(
        db,
        &format!(
            "UPDATE api_keys SET expires_at = MIN(COALESCE(expires_at, ?4), ?4)
             WHERE client_id = ?1 AND key_id = ?2 AND {alive}
             RETURNING key_id, key_prefix, scopes, ip_allowlist, created_at, last_used_at, expires_at, revoked_at"
        ),
        new.client_id,
        old_key_id,
        new.now_ms,
        old_expires_at_ms
    )?;
    let allowlist = new
        .ip_allowlist
        .map(|list| serde_json::to_string(list).map_err(StoreError::corrupt))
        .transpose()?;
    // Runs after the update in the same batch: inserts only when the old key was live
    // (its expiry is now exactly ?9, set by the statement before).
    let insert = query!(
        db,
        "INSERT INTO api_keys (key_id, client_id, key_sha256, key_prefix, scopes, ip_allowlist, created_at, expires_at)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8
         WHERE EXISTS (SELECT 1 FROM api_keys WHERE client_id = ?2 AND key_id = ?10
                       AND revoked_at IS NULL AND expires_at IS NOT NULL AND expires_at <= ?9 AND expires_at >= ?7)
         RETURNING key_id, key_prefix, scopes, ip_allowlist, created_at, last_used_at, expires_at, revoked_at",
        new.key_id,
        new.client_id,
        new.key_sha256,
        new.key_prefix,
        scopes_text(new.scopes),
        allowlist,
        new.now_ms,
        new.expires_at_ms,
        old_expires_at_ms,
        old_key_id
    )?;
    let results = db.batch(vec![shorten, insert]).await?;
    let mut rows = results.into_iter();
    let old = match rows.next() {
        Some(r) => r.results::<KeyRow>()?.pop(),
        None => None,
    };
    let created = match rows.next() {
        Some(r) => r.results::<KeyRow>()?.pop(),
        None => None,
    };
    Ok(old.zip(created))
}

/// Records a use of a key, at most once per [`LAST_USED_GRANULARITY_MS`]: the guard is
/// in the statement, so concurrent requests write it once.
pub async fn touch(db: &D1Database, key_sha256: &str, now_ms: i64) -> Result<(), StoreError> {
    query!(
        db,
        "UPDATE api_keys SET last_used_at = ?2
         WHERE key_sha256 = ?1 AND revoked_at IS NULL AND (last_used_at IS NULL OR last_used_at <= ?2 - ?3)",
        key_sha256,
        now_ms,
        LAST_USED_GRANULARITY_MS
    )?
    .run()
    .await?;
    Ok(())
}
