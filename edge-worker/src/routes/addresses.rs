//! Customer addresses, validation and balances.
use worker::{Env, Request, Response};

use crate::problem::ApiError;

pub async fn list(_req: &Request, _env: &Env, _customer: &str) -> Result<Response, ApiError> {
    Err(ApiError::NotFound { what: "endpoint" })
}
pub async fn create(_req: Request, _env: &Env, _customer: &str) -> Result<Response, ApiError> {
    Err(ApiError::NotFound { what: "endpoint" })
}
pub async fn validate(_req: Request, _env: &Env) -> Result<Response, ApiError> {
    Err(ApiError::NotFound { what: "endpoint" })
}
pub async fn balance(_req: &Request, _env: &Env, _c: &str, _a: &str) -> Result<Response, ApiError> {
    Err(ApiError::NotFound { what: "endpoint" })
}
