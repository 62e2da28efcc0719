//! `GET /healthz`: the worker runs, D1 answers, and how old the oldest rate is.

use serde_json::json;
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
        &json!({
            "status": "ok",
            "rates": {
                "pairs": book.publish(now, u32::MAX).rates.len(),
                "oldest_pair": oldest.map(|(pair, _)| pair.to_string()),
                "oldest_age_seconds": oldest.map(|(_, age)| age),
                "refreshed_at": book.refreshed_at,
            }
        }),
    )
}
