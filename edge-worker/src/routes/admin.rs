//! Operator endpoints (bearer `ADMIN_TOKEN`): onboarding API clients, their
//! configuration, and setting rates by hand.

use cryptoexchange_core::api::{CreateClientRequest, CreateClientResponse, SetRatesRequest};
use cryptoexchange_core::config::ClientConfig;
use worker::{Env, Request, Response};

use super::config::{check_config, stored_config};
use crate::auth::require_admin;
use crate::body::read_json;
use crate::ids;
use crate::problem::ApiError;
use crate::store::api_keys::NewKey;
use crate::store::clients::{self, NewClient};
use cryptoexchange_core::api::ApiScope;

pub async fn create_client(mut req: Request, env: &Env) -> Result<Response, ApiError> {
    require_admin(&req, env)?;
    let body: CreateClientRequest = read_json(&mut req).await?;
    let name = body.name.trim();
    // The limit counts what was sent (as the OpenAPI maxLength does), blanks included.
    if name.is_empty() || body.name.chars().count() > 100 {
        return Err(ApiError::InvalidParameter {
            name: "name",
            detail: "give the client a name of 1 to 100 characters".into(),
        });
    }
    let config = check_config(body.config)?;
    let client_id = ids::new_id("cli")?;
    // The first key has both scopes; more keys: POST /v1/admin/clients/{id}/api-keys.
    let key = super::keys::mint(env)?;
    let webhook_secret = crate::webhook::new_secret()?;
    // Sealed under the master key; D1 never holds it in plain text.
    let master_keys = crate::secrets::MasterKeys::from_env(env)?;
    let now_ms = ids::now_ms();
    clients::insert(
        &env.d1("DB")?,
        &NewClient {
            client_id: &client_id,
            name,
            api_key_sha256: &key.digest,
            secret_id: &ids::new_id("whs")?,
            webhook_secret: &webhook_secret,
            master_keys: &master_keys,
            config_json: &config_json(&config)?,
            now_ms,
        },
        &NewKey {
            key_id: &key.key_id,
            client_id: &client_id,
            key_sha256: &key.digest,
            key_prefix: &key.prefix,
            scopes: &ApiScope::ALL,
            ip_allowlist: None,
            expires_at_ms: None,
            now_ms,
        },
    )
    .await?;
    super::json(
        201,
        &CreateClientResponse {
            client_id,
            api_key: key.api_key,
            api_key_id: key.key_id,
            webhook_secret,
            config,
        },
    )
}

pub async fn get_config(req: &Request, env: &Env, client_id: &str) -> Result<Response, ApiError> {
    require_admin(req, env)?;
    let client = clients::by_id(&env.d1("DB")?, client_id)
        .await?
        .ok_or(ApiError::NotFound { what: "client" })?;
    super::json(200, &stored_config(&client)?)
}

pub async fn put_config(
    mut req: Request,
    env: &Env,
    client_id: &str,
) -> Result<Response, ApiError> {
    require_admin(&req, env)?;
    let config = check_config(read_json::<ClientConfig>(&mut req).await?)?;
    let db = env.d1("DB")?;
    if !clients::update_config(&db, client_id, &config_json(&config)?, ids::now_ms()).await? {
        return Err(ApiError::NotFound { what: "client" });
    }
    // A new configuration enables a webhook endpoint disabled by a 410 Gone.
    crate::store::webhooks::enable_endpoint(&db, client_id).await?;
    super::json(200, &config)
}

/// Sets the given pairs' rates, observed now; pairs not named keep their rate. With
/// `expires_at` they win over the sources until then.
pub async fn put_rates(mut req: Request, env: &Env) -> Result<Response, ApiError> {
    require_admin(&req, env)?;
    let request: SetRatesRequest = read_json(&mut req).await?;
    let table = super::rates::set_overrides(env, &request, ids::now()).await?;
    super::json(200, &table)
}

/// Runs the scheduled rates refresh now.
pub async fn refresh_rates(req: &Request, env: &Env) -> Result<Response, ApiError> {
    require_admin(req, env)?;
    let book = super::rates::refresh_from_sources(env).await?;
    super::json(200, &book.publish(ids::now(), 0))
}

fn config_json(config: &ClientConfig) -> Result<String, ApiError> {
    serde_json::to_string(config).map_err(ApiError::internal)
}
