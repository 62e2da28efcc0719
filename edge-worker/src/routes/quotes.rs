//! `POST /v1/quotes`.
use worker::{Env, Request, Response};

use crate::problem::ApiError;

pub async fn create(_req: Request, _env: &Env) -> Result<Response, ApiError> {
    Err(ApiError::NotFound { what: "endpoint" })
}
