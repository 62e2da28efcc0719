//! `GET /openapi.json`: the hand-written OpenAPI 3.1 description of this API.

use worker::Response;

use crate::problem::ApiError;

const OPENAPI_JSON: &str = include_str!("../../openapi.json");

pub fn get() -> Result<Response, ApiError> {
    let mut response = Response::ok(OPENAPI_JSON)?;
    response
        .headers_mut()
        .set("content-type", "application/json")?;
    Ok(response)
}
