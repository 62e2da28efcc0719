//! Webhook signing secrets at rest (migration 0005): each sealed with AES-256-GCM under
//! a master key (`secrets.rs`), with the associated data `client_id:secret_id`. A
//! client's signing secrets are its rows not yet expired, newest first: one normally,
//! two during a rotation's overlap.

use serde::Deserialize;
use worker::{query, D1Database, D1PreparedStatement};

use super::{changes, StoreError};
use crate::secrets::{MasterKeys, Sealed};

#[derive(Debug, Clone, Deserialize)]
pub struct SecretRow {
    pub secret_id: String,
    pub master_key_id: String,
    pub nonce: String,
    pub ciphertext: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
}

impl SecretRow {
    fn sealed(&self) -> Sealed {
        Sealed {
            key_id: self.master_key_id.clone(),
            nonce: self.nonce.clone(),
            ciphertext: self.ciphertext.clone(),
        }
    }
}

fn associated(client_id: &str, secret_id: &str) -> Vec<u8> {
    format!("{client_id}:{secret_id}").into_bytes()
}

/// The insert of a sealed secret, only when its client exists.
pub fn insert_statement(
    db: &D1Database,
    keys: &MasterKeys,
    client_id: &str,
    secret_id: &str,
    secret: &str,
    now_ms: i64,
    expires_at_ms: Option<i64>,
) -> Result<D1PreparedStatement, StoreError> {
    let sealed = keys
        .seal(secret.as_bytes(), &associated(client_id, secret_id))
        .map_err(StoreError::Platform)?;
    Ok(query!(
        db,
        "INSERT INTO webhook_secrets (secret_id, client_id, master_key_id, nonce, ciphertext, created_at, expires_at)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE EXISTS (SELECT 1 FROM clients WHERE client_id = ?2)",
        secret_id,
        client_id,
        sealed.key_id,
        sealed.nonce,
        sealed.ciphertext,
        now_ms,
        expires_at_ms
    )?)
}

/// A client's secrets still valid at `now_ms`, newest first (without the secrets).
pub async fn current(
    db: &D1Database,
    client_id: &str,
    now_ms: i64,
) -> Result<Vec<SecretRow>, StoreError> {
    Ok(query!(
        db,
        "SELECT secret_id, master_key_id, nonce, ciphertext, created_at, expires_at FROM webhook_secrets
         WHERE client_id = ?1 AND (expires_at IS NULL OR expires_at > ?2)
         ORDER BY created_at DESC, secret_id DESC",
        client_id,
        now_ms
    )?
    .all()
    .await?
    .results::<SecretRow>()?)
}

/// The secrets to sign a client's webhooks with now, newest first: the current one, and
/// during a rotation's overlap the previous one too. `legacy` is the client's plain-text
/// secret of before migration 0005 (`clients.webhook_secret`, empty for newer clients):
/// the first read seals it and blanks the column. A value sealed under a master key that
/// is no longer current is sealed again under the current one.
pub async fn signing_secrets(
    db: &D1Database,
    keys: &MasterKeys,
    client_id: &str,
    legacy: &str,
    now_ms: i64,
) -> Result<Vec<String>, StoreError> {
    let rows = current(db, client_id, now_ms).await?;
    if rows.is_empty() && !legacy.is_empty() {
        seal_legacy(db, keys, client_id, legacy, now_ms, None).await?;
        return Ok(vec![legacy.to_owned()]);
    }
    let mut secrets = Vec::with_capacity(rows.len());
    for row in rows {
        let plain = keys
            .open(&row.sealed(), &associated(client_id, &row.secret_id))
            .map_err(|e| StoreError::corrupt(format!("webhook secret {}: {e}", row.secret_id)))?;
        let plain = String::from_utf8(plain)
            .map_err(|e| StoreError::corrupt(format!("webhook secret {}: {e}", row.secret_id)))?;
        if row.master_key_id != keys.current_id() {
            reseal(db, keys, client_id, &row, &plain).await?;
        }
        secrets.push(plain);
    }
    Ok(secrets)
}

/// Seals the plain-text secret of an older client and blanks it, in one batch; the
/// insert only happens while the column still holds that secret.
async fn seal_legacy(
    db: &D1Database,
    keys: &MasterKeys,
    client_id: &str,
    legacy: &str,
    now_ms: i64,
    expires_at_ms: Option<i64>,
) -> Result<(), StoreError> {
    db.batch(legacy_statements(
        db,
        keys,
        client_id,
        legacy,
        now_ms,
        expires_at_ms,
    )?)
    .await?;
    Ok(())
}

fn legacy_statements(
    db: &D1Database,
    keys: &MasterKeys,
    client_id: &str,
    legacy: &str,
    now_ms: i64,
    expires_at_ms: Option<i64>,
) -> Result<Vec<D1PreparedStatement>, StoreError> {
    // The legacy secret's id is derived from the client: sealing it twice is one row.
    let secret_id = format!("whs_legacy_{client_id}");
    let sealed = keys
        .seal(legacy.as_bytes(), &associated(client_id, &secret_id))
        .map_err(StoreError::Platform)?;
    let insert = query!(
        db,
        "INSERT OR IGNORE INTO webhook_secrets (secret_id, client_id, master_key_id, nonce, ciphertext, created_at, expires_at)
         SELECT ?1, ?2, ?3, ?4, ?5, c.created_at, ?7 FROM clients c WHERE c.client_id = ?2 AND c.webhook_secret = ?6",
        secret_id,
        client_id,
        sealed.key_id,
        sealed.nonce,
        sealed.ciphertext,
        legacy,
        expires_at_ms
    )?;
    let blank = query!(
        db,
        "UPDATE clients SET webhook_secret = '', updated_at = ?3 WHERE client_id = ?1 AND webhook_secret = ?2",
        client_id,
        legacy,
        now_ms
    )?;
    Ok(vec![insert, blank])
}

async fn reseal(
    db: &D1Database,
    keys: &MasterKeys,
    client_id: &str,
    row: &SecretRow,
    plain: &str,
) -> Result<(), StoreError> {
    let sealed = keys
        .seal(plain.as_bytes(), &associated(client_id, &row.secret_id))
        .map_err(StoreError::Platform)?;
    query!(
        db,
        "UPDATE webhook_secrets SET master_key_id = ?3, nonce = ?4, ciphertext = ?5
         WHERE client_id = ?1 AND secret_id = ?2 AND master_key_id = ?6",
        client_id,
        row.secret_id,
        sealed.key_id,
        sealed.nonce,
        sealed.ciphertext,
        row.master_key_id
    )?
    .run()
    .await?;
    Ok(())
}

/// A rotation in one batch: every secret still valid (a plain-text legacy one sealed
/// first) now expires at `overlap_end_ms` at the latest, and the new secret becomes
/// current. False when there is no such client.
#[allow(clippy::too_many_arguments)]
pub async fn rotate(
    db: &D1Database,
    keys: &MasterKeys,
    client_id: &str,
    legacy: &str,
    new_secret_id: &str,
    new_secret: &str,
    now_ms: i64,
    overlap_end_ms: i64,
) -> Result<bool, StoreError> {
    let mut statements = Vec::new();
    if !legacy.is_empty() {
        statements.extend(legacy_statements(
            db,
            keys,
            client_id,
            legacy,
            now_ms,
            Some(overlap_end_ms),
        )?);
    }
    statements.push(query!(
        db,
        "UPDATE webhook_secrets SET expires_at = MIN(COALESCE(expires_at, ?3), ?3)
         WHERE client_id = ?1 AND (expires_at IS NULL OR expires_at > ?2)",
        client_id,
        now_ms,
        overlap_end_ms
    )?);
    statements.push(insert_statement(
        db,
        keys,
        client_id,
        new_secret_id,
        new_secret,
        now_ms,
        None,
    )?);
    let results = db.batch(statements).await?;
    match results.last() {
        Some(inserted) => Ok(changes(inserted)? == 1),
        None => Ok(false),
    }
}

/// Expired secrets are of no use: removed by the retention cron.
pub fn delete_expired_statement(
    db: &D1Database,
    now_ms: i64,
) -> Result<D1PreparedStatement, StoreError> {
    Ok(query!(
        db,
        "DELETE FROM webhook_secrets WHERE expires_at IS NOT NULL AND expires_at <= ?1",
        now_ms
    )?)
}
