//! `GET /v1/rates`, the rates refresh (cron) and the admin override.

use serde::{Deserialize, Serialize};
use worker::{console_error, Env, Request, Response};

use crate::auth::require_client;
use crate::problem::ApiError;

// PROVISIONAL until core::rates lands.
#[derive(Debug, Deserialize, Serialize)]
pub struct RatesInput {
    pub rates: serde_json::Value,
}

pub async fn store_rates(env: &Env, input: RatesInput, source: &str) -> Result<serde_json::Value, ApiError> {
    let stored = serde_json::json!({ "source": source, "as_of_ms": crate::ids::now_ms(), "rates": input.rates });
    crate::store::rates::put_latest(&env.kv("RATES")?, &stored.to_string()).await?;
    Ok(stored)
}

pub async fn get(req: &Request, env: &Env) -> Result<Response, ApiError> {
    let _client = require_client(req, env).await?;
    let latest = crate::store::rates::latest(&env.kv("RATES")?).await?;
    let value: serde_json::Value = match latest {
        Some(s) => serde_json::from_str(&s).map_err(ApiError::internal)?,
        None => return Err(ApiError::NoRates { pair: "any".into() }),
    };
    super::json(200, &value)
}

pub async fn refresh_from_source(env: &Env) {
    if let Err(e) = refresh(env).await {
        console_error!("rates refresh failed: {e}");
    }
}

async fn refresh(env: &Env) -> Result<(), ApiError> {
    let json = env.var("RATES_SOURCE_JSON")?.to_string();
    let input: RatesInput = serde_json::from_str(&json).map_err(ApiError::internal)?;
    store_rates(env, input, "static").await?;
    Ok(())
}
