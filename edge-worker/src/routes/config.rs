//! `GET /v1/config`: the calling client's configuration; and reading stored configs.

use worker::{Env, Request, Response};

use crate::auth::require_client;
use crate::problem::ApiError;
use crate::store::clients::ClientRow;

// PROVISIONAL until core::config lands.
pub type ClientConfig = serde_json::Value;

pub fn parse_config(raw: serde_json::Value) -> Result<ClientConfig, ApiError> {
    Ok(raw)
}

pub fn stored_config(client: &ClientRow) -> Result<ClientConfig, ApiError> {
    serde_json::from_str(&client.config_json).map_err(ApiError::internal)
}

pub fn webhook_url(client: &ClientRow) -> Result<Option<String>, ApiError> {
    Ok(stored_config(client)?
        .get("webhook_url")
        .and_then(|v| v.as_str())
        .map(str::to_owned))
}

pub async fn get(req: &Request, env: &Env) -> Result<Response, ApiError> {
    let client = require_client(req, env).await?;
    super::json(200, &stored_config(&client)?)
}
