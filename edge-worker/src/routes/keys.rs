//! API keys (issue 10): the operator creates, rotates and revokes a client's keys; the
//! client lists its own. A key is shown once, when created; only its SHA-256 is kept.
//!
//! Rotation: a new key with the old one's scopes and allowlist, and the old key's expiry
//! brought forward to the end of the overlap; both work until then. Revocation takes
//! effect at once (the key is read with every request, never cached).

use cryptoexchange_core::api::{
    ApiKeyList, ApiScope, CreateApiKeyRequest, CreatedApiKey, RotateApiKeyRequest, RotatedApiKey,
};
use cryptoexchange_core::error::ErrorKind;
use worker::{Env, Request, Response};

use crate::access::{normalize_allowlist, normalize_scopes};
use crate::auth::{require_admin, require_client};
use crate::body::{parse_json, read_bytes, sha256_hex};
use crate::ids;
use crate::problem::ApiError;
use crate::store::api_keys::{self, KeyRow, NewKey};

/// The default overlap of a rotation: a day for the client to deploy its new key.
pub const DEFAULT_OVERLAP_SECONDS: u32 = 86_400;
pub const MAX_OVERLAP_SECONDS: u32 = 30 * 86_400;
/// Characters of a key shown in lists: the mode prefix and 4 hex digits.
const SHOWN_PREFIX: usize = 12;

/// A fresh key of this deployment's mode (`cx_test_` or `cx_live_` + 32 hex digits).
pub fn new_api_key(env: &Env) -> Result<String, ApiError> {
    let prefix = crate::mode::SettlementMode::from_env(env)?.key_prefix();
    // 16 random bytes: guessing a key is hopeless.
    Ok(format!("{prefix}{}", ids::random_hex(16)?))
}

/// What identifies a new key: its secret, id, digest and shown prefix.
pub struct Minted {
    pub api_key: String,
    pub key_id: String,
    pub digest: String,
    pub prefix: String,
}

pub fn mint(env: &Env) -> Result<Minted, ApiError> {
    let api_key = new_api_key(env)?;
    Ok(Minted {
        key_id: ids::new_id("key")?,
        digest: sha256_hex(api_key.as_bytes()),
        prefix: api_key.chars().take(SHOWN_PREFIX).collect(),
        api_key,
    })
}

fn invalid(name: &'static str, detail: impl Into<String>) -> ApiError {
    ApiError::InvalidParameter {
        name,
        detail: detail.into(),
    }
}

/// A key setting the schema cannot refuse (an allowlist entry, a past expiry): 422.
fn unusable(field: &'static str, detail: impl Into<String>) -> ApiError {
    let detail = detail.into();
    ApiError::Domain {
        kind: ErrorKind::Invalid,
        code: "invalid_key_settings".into(),
        detail: format!("{field}: {detail}"),
        facts: serde_json::Map::from_iter([("field".to_owned(), field.into())]),
    }
}

/// An optional JSON body: empty means the type's default.
pub async fn optional_json<T: serde::de::DeserializeOwned + Default>(
    req: &mut Request,
) -> Result<T, ApiError> {
    let bytes = read_bytes(req).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    parse_json(&bytes)
}

fn info(row: &KeyRow) -> Result<cryptoexchange_core::api::ApiKeyInfo, ApiError> {
    Ok(row.info()?)
}

fn list_of(rows: &[KeyRow]) -> Result<ApiKeyList, ApiError> {
    Ok(ApiKeyList {
        keys: rows.iter().map(info).collect::<Result<_, _>>()?,
    })
}

/// `POST /v1/admin/clients/{client_id}/api-keys`
pub async fn create(mut req: Request, env: &Env, client_id: &str) -> Result<Response, ApiError> {
    require_admin(&req, env)?;
    let body: CreateApiKeyRequest = optional_json(&mut req).await?;
    let scopes = normalize_scopes(body.scopes.as_deref())
        .ok_or_else(|| unusable("scopes", "name at least one of read, trade"))?;
    let allowlist = body
        .ip_allowlist
        .as_deref()
        .map(normalize_allowlist)
        .transpose()
        .map_err(|detail| unusable("ip_allowlist", detail))?;
    let now_ms = ids::now_ms();
    if let Some(at) = body.expires_at {
        if at.unix_millis() <= now_ms {
            return Err(unusable("expires_at", "give a time in the future"));
        }
    }
    let minted = mint(env)?;
    let db = env.d1("DB")?;
    let stored = api_keys::insert(
        &db,
        &NewKey {
            key_id: &minted.key_id,
            client_id,
            key_sha256: &minted.digest,
            key_prefix: &minted.prefix,
            scopes: &scopes,
            ip_allowlist: allowlist.as_deref(),
            expires_at_ms: body.expires_at.map(|t| t.unix_millis()),
            now_ms,
        },
    )
    .await?;
    if !stored {
        return Err(ApiError::NotFound { what: "client" });
    }
    let row = api_keys::get(&db, client_id, &minted.key_id)
        .await?
        .ok_or_else(|| ApiError::internal("a key just stored is not found"))?;
    super::json(
        201,
        &CreatedApiKey {
            api_key: minted.api_key,
            key: info(&row)?,
        },
    )
}

/// `GET /v1/admin/clients/{client_id}/api-keys`
pub async fn admin_list(req: &Request, env: &Env, client_id: &str) -> Result<Response, ApiError> {
    require_admin(req, env)?;
    let db = env.d1("DB")?;
    if crate::store::clients::by_id(&db, client_id)
        .await?
        .is_none()
    {
        return Err(ApiError::NotFound { what: "client" });
    }
    super::json(200, &list_of(&api_keys::list(&db, client_id).await?)?)
}

/// `DELETE /v1/admin/clients/{client_id}/api-keys/{key_id}`: revoked at once.
pub async fn revoke(
    req: &Request,
    env: &Env,
    client_id: &str,
    key_id: &str,
) -> Result<Response, ApiError> {
    require_admin(req, env)?;
    let row = api_keys::revoke(&env.d1("DB")?, client_id, key_id, ids::now_ms())
        .await?
        .ok_or(ApiError::NotFound { what: "api key" })?;
    super::json(200, &info(&row)?)
}

/// `POST /v1/admin/clients/{client_id}/api-keys/{key_id}/rotate`
pub async fn rotate(
    mut req: Request,
    env: &Env,
    client_id: &str,
    key_id: &str,
) -> Result<Response, ApiError> {
    require_admin(&req, env)?;
    let body: RotateApiKeyRequest = optional_json(&mut req).await?;
    let overlap = body.overlap_seconds.unwrap_or(DEFAULT_OVERLAP_SECONDS);
    if overlap > MAX_OVERLAP_SECONDS {
        return Err(invalid(
            "overlap_seconds",
            format!("at most {MAX_OVERLAP_SECONDS} (30 days)"),
        ));
    }
    let db = env.d1("DB")?;
    let old = api_keys::get(&db, client_id, key_id)
        .await?
        .ok_or(ApiError::NotFound { what: "api key" })?;
    let policy = old.policy()?;
    let minted = mint(env)?;
    let now_ms = ids::now_ms();
    let new = NewKey {
        key_id: &minted.key_id,
        client_id,
        key_sha256: &minted.digest,
        key_prefix: &minted.prefix,
        scopes: &policy.scopes,
        ip_allowlist: policy.ip_allowlist.as_deref(),
        expires_at_ms: None,
        now_ms,
    };
    let (previous, key) = api_keys::rotate(&db, &new, key_id, now_ms + i64::from(overlap) * 1000)
        .await?
        // Revoked or expired meanwhile: a dead key is not rotated (create a new one).
        .ok_or_else(|| ApiError::Domain {
            kind: ErrorKind::Conflict,
            code: "api_key_inactive".into(),
            detail: "this key is revoked or expired: create a new key instead".into(),
            facts: serde_json::Map::from_iter([("key_id".to_owned(), key_id.into())]),
        })?;
    super::json(
        201,
        &RotatedApiKey {
            api_key: minted.api_key,
            key: info(&key)?,
            previous: info(&previous)?,
        },
    )
}

/// `GET /v1/api-keys`: the calling client's keys, without the keys themselves.
pub async fn own_list(req: &Request, env: &Env) -> Result<Response, ApiError> {
    let client = require_client(req, env, ApiScope::Read).await?;
    super::json(
        200,
        &list_of(&api_keys::list(&env.d1("DB")?, &client.client_id).await?)?,
    )
}
