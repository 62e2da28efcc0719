//! Operator endpoints (bearer `ADMIN_TOKEN`): onboarding API clients, their
//! configuration, and setting rates by hand.

use serde::{Deserialize, Serialize};
use worker::{Env, Request, Response};

use super::config::{parse_config, ClientConfig};
use super::rates::{store_rates, RatesInput};
use crate::auth::require_admin;
use crate::body::{read_json, sha256_hex};
use crate::ids;
use crate::problem::ApiError;
use crate::store::clients::{self, NewClient};

#[derive(Deserialize)]
struct CreateClientRequest {
    name: String,
    config: serde_json::Value,
}

#[derive(Serialize)]
struct CreatedClient<'a> {
    client_id: &'a str,
    name: &'a str,
    /// Shown once; only its SHA-256 is stored.
    api_key: &'a str,
    /// Shown once; signs the webhooks (HMAC-SHA256).
    webhook_secret: &'a str,
    config: &'a ClientConfig,
}

pub async fn create_client(mut req: Request, env: &Env) -> Result<Response, ApiError> {
    require_admin(&req, env)?;
    let body: CreateClientRequest = read_json(&mut req).await?;
    let name = body.name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err(ApiError::InvalidParameter {
            name: "name",
            detail: "give the client a name of 1 to 100 characters".into(),
        });
    }
    let config = parse_config(body.config)?;
    let client_id = ids::new_id("cli")?;
    let api_key = format!("cx_live_{}", ids::random_hex(16)?);
    let webhook_secret = format!("whsec_{}", ids::random_hex(32)?);
    let config_json = serde_json::to_string(&config).map_err(ApiError::internal)?;
    clients::insert(
        &env.d1("DB")?,
        &NewClient {
            client_id: &client_id,
            name,
            api_key_sha256: &sha256_hex(api_key.as_bytes()),
            webhook_secret: &webhook_secret,
            config_json: &config_json,
            now_ms: ids::now_ms(),
        },
    )
    .await?;
    super::json(
        201,
        &CreatedClient {
            client_id: &client_id,
            name,
            api_key: &api_key,
            webhook_secret: &webhook_secret,
            config: &config,
        },
    )
}

pub async fn get_config(req: &Request, env: &Env, client_id: &str) -> Result<Response, ApiError> {
    require_admin(req, env)?;
    let client = clients::by_id(&env.d1("DB")?, client_id)
        .await?
        .ok_or(ApiError::NotFound { what: "client" })?;
    super::json(200, &super::config::stored_config(&client)?)
}

pub async fn put_config(mut req: Request, env: &Env, client_id: &str) -> Result<Response, ApiError> {
    require_admin(&req, env)?;
    let config = parse_config(read_json(&mut req).await?)?;
    let config_json = serde_json::to_string(&config).map_err(ApiError::internal)?;
    if !clients::update_config(&env.d1("DB")?, client_id, &config_json, ids::now_ms()).await? {
        return Err(ApiError::NotFound { what: "client" });
    }
    super::json(200, &config)
}

pub async fn put_rates(mut req: Request, env: &Env) -> Result<Response, ApiError> {
    require_admin(&req, env)?;
    let input: RatesInput = read_json(&mut req).await?;
    let stored = store_rates(env, input, "admin").await?;
    super::json(200, &stored)
}
