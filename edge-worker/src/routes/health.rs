//! `GET /healthz`: the worker runs and D1 answers.

use cryptoexchange_core::api::Health;
use worker::{Env, Response};

use crate::problem::ApiError;
use crate::store;

pub async fn get(env: &Env) -> Result<Response, ApiError> {
    store::ping(&env.d1("DB")?).await?;
    super::json(
        200,
        &Health {
            status: "ok".into(),
        },
    )
}
