//! `GET /healthz`: the worker runs, D1 answers, and how old the oldest rate is.

use cryptoexchange_core::api::{Health, HealthRates};
use worker::{Env, Response};

use crate::ids;
use crate::problem::ApiError;
use crate::store;

pub async fn get(env: &Env) -> Result<Response, ApiError> {
    store::ping(&env.d1("DB")?).await?;
    let book = super::rates::load_book(env).await?;
    let now = ids::now();
    let oldest = book.oldest(now);
    super::json(
        200,
        &Health {
            status: "ok".into(),
            rates: HealthRates {
                pairs: u32::try_from(book.publish(now, u32::MAX).rates.len()).unwrap_or(u32::MAX),
                oldest_pair: oldest.map(|(pair, _)| pair.to_string()),
                oldest_age_seconds: oldest.map(|(_, age)| age),
                refreshed_at: book.refreshed_at,
            },
        },
    )
}
