//! `GET /openapi.json`: the hand-written OpenAPI 3.1 description of this API.

use worker::Response;

use crate::problem::ApiError;

const OPENAPI_JSON: &str = include_str!("../../openapi.json");

pub fn get() -> Result<Response, ApiError> {
    let response = Response::builder()
        .with_header("content-type", "application/json")?
        .ok(OPENAPI_JSON)?;
    Ok(response)
}
