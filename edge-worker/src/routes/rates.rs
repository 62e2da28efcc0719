//! `GET /v1/rates`, the scheduled refresh from a rates source, and the admin override.
//!
//! The latest table is one KV value in the shape of `GET /v1/rates` (the core's
//! `RatesResponse`); freshness is always recomputed by the core from `observed_at`.

use cryptoexchange_core::api::{RatesResponse, SetRatesRequest};
use cryptoexchange_core::rates::{Pair, RateTable};
use cryptoexchange_core::time::Timestamp;
use worker::{console_log, Env, Request, Response};

use crate::auth::require_client;
use crate::ids;
use crate::problem::ApiError;
use crate::store;

/// Where the scheduled refresh gets its rates. Only the offline `static` source
/// (the `RATES_SOURCE_JSON` variable) ships; an exchange API would be another impl.
#[allow(async_fn_in_trait)] // futures are !Send on Workers
pub trait RatesSource {
    async fn fetch(&self, now: Timestamp) -> Result<SetRatesRequest, ApiError>;
}

pub struct StaticSource {
    json: String,
}

impl StaticSource {
    pub fn from_env(env: &Env) -> Result<Self, ApiError> {
        let json = env
            .var("RATES_SOURCE_JSON")
            .map_err(|_| ApiError::internal("RATES_SOURCE_JSON is not set"))?
            .to_string();
        Ok(StaticSource { json })
    }
}

impl RatesSource for StaticSource {
    async fn fetch(&self, _now: Timestamp) -> Result<SetRatesRequest, ApiError> {
        serde_json::from_str(&self.json)
            .map_err(|e| ApiError::internal(format!("RATES_SOURCE_JSON: {e}")))
    }
}

/// The stored table, validated by the core; empty when nothing was ever stored.
pub async fn latest_table(env: &Env) -> Result<RateTable, ApiError> {
    let Some(json) = store::rates::latest(&env.kv("RATES")?).await? else {
        return Ok(RateTable::default());
    };
    let stored: RatesResponse = serde_json::from_str(&json)
        .map_err(|e| ApiError::internal(format!("stored rates: {e}")))?;
    Ok(RateTable::from_response(&stored)?)
}

/// Validates `request` (observed `now`), replaces those pairs in the stored table and
/// keeps the others.
pub async fn merge_and_store(
    env: &Env,
    request: &SetRatesRequest,
    now: Timestamp,
) -> Result<RatesResponse, ApiError> {
    let incoming = RateTable::from_set_request(request, now)?.to_response(now, 0);
    let current = latest_table(env).await?.to_response(now, 0);
    let mut merged = incoming.clone();
    merged.rates.extend(current.rates.into_iter().filter(|old| {
        !incoming
            .rates
            .iter()
            .any(|new| new.crypto == old.crypto && new.fiat == old.fiat)
    }));
    // Round-trip through the core so the stored table is sorted and validated.
    let table = RateTable::from_response(&merged)?.to_response(now, 0);
    let json = serde_json::to_string(&table).map_err(ApiError::internal)?;
    store::rates::put_latest(&env.kv("RATES")?, &json).await?;
    Ok(table)
}

/// `GET /v1/rates`: the rates of the pairs this client enabled, refused as a whole
/// (`stale_rate`) when any of them is older than the client's `max_rate_age_seconds`.
pub async fn get(req: &Request, env: &Env) -> Result<Response, ApiError> {
    let client = require_client(req, env).await?;
    let config = super::config::stored_config(&client)?;
    let now = ids::now();
    let table = latest_table(env).await?;
    let enabled = |pair: &Pair| {
        config.crypto.contains_key(&pair.crypto) && config.fiat.contains_key(&pair.fiat)
    };
    let mut response = table.to_response(now, config.max_rate_age_seconds);
    response.rates.retain(|r| {
        enabled(&Pair {
            crypto: r.crypto,
            fiat: r.fiat,
        })
    });
    if response.rates.is_empty() {
        return Err(ApiError::NoRates {
            pair: "any pair this client enabled".into(),
        });
    }
    for rate in &response.rates {
        table.fresh(
            Pair {
                crypto: rate.crypto,
                fiat: rate.fiat,
            },
            now,
            config.max_rate_age_seconds,
        )?;
    }
    super::json(200, &response)
}

/// Fetches from the configured source and stores (the cron trigger, and
/// `POST /v1/admin/rates/refresh` to run it on demand).
pub async fn refresh_from_source(env: &Env) -> Result<RatesResponse, ApiError> {
    let source = StaticSource::from_env(env)?;
    let now = ids::now();
    let request = source.fetch(now).await?;
    let table = merge_and_store(env, &request, now).await?;
    console_log!(
        "rates refreshed from the static source: {} pairs",
        table.rates.len()
    );
    Ok(table)
}
