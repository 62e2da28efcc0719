//! Every SQL statement and KV key of the worker. Routes call these functions and
//! never see SQL; each function filters by `client_id` where the data belongs to a client.

pub mod addresses;
pub mod clients;
pub mod ledger;
pub mod orders;
pub mod quotes;
pub mod rates;
pub mod webhooks;

use worker::D1Result;

use crate::problem::ApiError;

/// Rows changed by a write, as reported by D1.
pub fn changes(result: &D1Result) -> Result<usize, ApiError> {
    Ok(result.meta()?.and_then(|m| m.changes).unwrap_or(0))
}

/// True when a D1 failure is a UNIQUE/PRIMARY KEY violation (a concurrent duplicate).
pub fn is_unique_violation(e: &worker::Error) -> bool {
    e.to_string().contains("UNIQUE constraint failed")
}

/// A trivial query: D1 is reachable.
pub async fn ping(db: &worker::D1Database) -> Result<(), ApiError> {
    db.prepare("SELECT 1")
        .first::<serde_json::Value>(None)
        .await?;
    Ok(())
}
