//! Orders.
use worker::{Env, Request, Response};

use crate::problem::ApiError;
use crate::store::orders::OrderRow;

pub enum SandboxStep {
    Process,
    Send { amount: String },
    Complete,
}
impl SandboxStep {
    pub fn status(&self) -> &'static str {
        match self {
            SandboxStep::Process => "processing",
            SandboxStep::Send { .. } => "sent",
            SandboxStep::Complete => "completed",
        }
    }
    pub fn is_final(&self) -> bool {
        matches!(self, SandboxStep::Complete)
    }
}
pub fn next_sandbox_step(_order: &OrderRow) -> Result<Option<SandboxStep>, ApiError> {
    Ok(None)
}
pub fn event_body(
    _order: &OrderRow,
    _event_id: &str,
    _sequence: u32,
    _status: &str,
    _tx_id: Option<&str>,
    _failure_reason: Option<&str>,
    _now_ms: i64,
) -> Result<String, ApiError> {
    Ok(String::new())
}
pub async fn create(_req: Request, _env: &Env, _customer: &str) -> Result<Response, ApiError> {
    Err(ApiError::NotFound { what: "endpoint" })
}
pub async fn list(_req: &Request, _env: &Env, _customer: &str) -> Result<Response, ApiError> {
    Err(ApiError::NotFound { what: "endpoint" })
}
pub async fn get(_req: &Request, _env: &Env, _id: &str) -> Result<Response, ApiError> {
    Err(ApiError::NotFound { what: "endpoint" })
}
