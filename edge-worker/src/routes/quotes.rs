//! `POST /v1/quotes`: the core prices the request at the latest rates; the quote is
//! stored with its expiry and customer so that one order of that customer can honour it.

use cryptoexchange_core::api::QuoteRequest;
use cryptoexchange_core::quote::{estimate, quote_response};
use worker::{Env, Request, Response};

use super::config::stored_config;
use super::rates::latest;
use crate::auth::require_client;
use crate::body::read_json;
use crate::ids;
use crate::problem::ApiError;
use crate::store;
use cryptoexchange_core::api::ApiScope;

pub async fn create(mut req: Request, env: &Env) -> Result<Response, ApiError> {
    let body: serde_json::Value = read_json(&mut req).await?;
    if super::sell::is_sell(&body) {
        return super::sell::create_quote(&req, env, body).await;
    }
    let client = require_client(&req, env, ApiScope::Read).await?;
    let request: QuoteRequest = serde_json::from_value(body)
        .map_err(|e| ApiError::malformed(format!("invalid quote request: {e}")))?;
    let customer_id = match &request.customer_id {
        Some(raw) => Some(super::customer_id(raw)?),
        None => None,
    };
    let config = stored_config(&client)?;
    let (now, rates) = latest(env, config.max_rate_age_seconds).await?;
    let breakdown = estimate(&request, &rates, &config, now)?;
    let mut quote = quote_response(ids::new_id("quo")?, breakdown, &config, now)?;
    quote.livemode = crate::mode::SettlementMode::from_env(env)?.livemode();
    quote.customer_id = customer_id;
    let json = serde_json::to_string(&quote).map_err(ApiError::internal)?;
    store::quotes::insert(
        &env.d1("DB")?,
        &quote.id,
        &client.client_id,
        quote.customer_id.as_deref(),
        &json,
        now.unix_millis(),
        quote.expires_at.unix_millis(),
    )
    .await?;
    super::json(201, &quote)
}
