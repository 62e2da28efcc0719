//! Webhook signing secrets (issue 10): stored sealed (`secrets.rs`), rotated by the
//! operator with an overlap during which both the old and the new secret sign, listed
//! (without the secrets) by the client.

use cryptoexchange_core::api::{
    ApiScope, RotateWebhookSecretRequest, RotatedWebhookSecret, WebhookSecretInfo,
    WebhookSecretList,
};
use worker::{Env, Request, Response};

use super::keys::{optional_json, MAX_OVERLAP_SECONDS};
use crate::auth::{require_admin, require_client};
use crate::ids;
use crate::problem::ApiError;
use crate::secrets::MasterKeys;
use crate::store::webhook_secrets::{self, SecretRow};

/// A client has this long to switch its receiver to a new secret, by default.
pub const DEFAULT_OVERLAP_SECONDS: u32 = 86_400;

fn info(row: &SecretRow) -> WebhookSecretInfo {
    WebhookSecretInfo {
        secret_id: row.secret_id.clone(),
        created_at: ids::time_of(row.created_at),
        expires_at: row.expires_at.map(ids::time_of),
    }
}

/// `POST /v1/admin/clients/{client_id}/webhook-secret/rotate`
pub async fn rotate(mut req: Request, env: &Env, client_id: &str) -> Result<Response, ApiError> {
    require_admin(&req, env)?;
    let body: RotateWebhookSecretRequest = optional_json(&mut req).await?;
    let overlap = body.overlap_seconds.unwrap_or(DEFAULT_OVERLAP_SECONDS);
    if overlap > MAX_OVERLAP_SECONDS {
        return Err(ApiError::InvalidParameter {
            name: "overlap_seconds",
            detail: format!("at most {MAX_OVERLAP_SECONDS} (30 days)"),
        });
    }
    let keys = MasterKeys::from_env(env)?;
    let db = env.d1("DB")?;
    let client = crate::store::clients::by_id(&db, client_id)
        .await?
        .ok_or(ApiError::NotFound { what: "client" })?;
    let secret = crate::webhook::new_secret()?;
    let now_ms = ids::now_ms();
    let rotated = webhook_secrets::rotate(
        &db,
        &keys,
        client_id,
        &client.webhook_secret,
        &ids::new_id("whs")?,
        &secret,
        now_ms,
        now_ms + i64::from(overlap) * 1000,
    )
    .await?;
    if !rotated {
        return Err(ApiError::NotFound { what: "client" });
    }
    let rows = webhook_secrets::current(&db, client_id, now_ms).await?;
    super::json(
        201,
        &RotatedWebhookSecret {
            webhook_secret: secret,
            secrets: rows.iter().map(info).collect(),
        },
    )
}

/// `GET /v1/webhook-secrets`: the calling client's signing secrets, without them.
pub async fn own_list(req: &Request, env: &Env) -> Result<Response, ApiError> {
    let client = require_client(req, env, ApiScope::Read).await?;
    let db = env.d1("DB")?;
    let rows = webhook_secrets::current(&db, &client.client_id, ids::now_ms()).await?;
    super::json(
        200,
        &WebhookSecretList {
            secrets: rows.iter().map(info).collect(),
        },
    )
}
