//! Every SQL statement and KV key of the worker. Routes call these functions and
//! never see SQL; each function filters by `client_id` where the data belongs to a client.
//! Rows come back as the core's types (typed statuses, `OrderResponse`), and failures as
//! [`StoreError`], which knows nothing of HTTP.

pub mod addresses;
pub mod api_keys;
pub mod clients;
pub mod ledger;
pub mod orders;
pub mod outbox;
pub mod payouts;
pub mod quotes;
pub mod rates;
pub mod retention;
pub mod sell;
pub mod webhook_secrets;
pub mod webhooks;

use std::fmt;

use worker::D1Result;

/// Why the store could not answer. Never shown to API callers (the worker logs it and
/// answers a generic 500).
#[derive(Debug)]
#[non_exhaustive]
pub enum StoreError {
    /// D1, KV or the runtime failed.
    Platform(String),
    /// A stored value does not read back as its type.
    Corrupt(String),
}

impl StoreError {
    pub fn corrupt(detail: impl fmt::Display) -> Self {
        StoreError::Corrupt(detail.to_string())
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Platform(detail) => write!(f, "storage failed: {detail}"),
            StoreError::Corrupt(detail) => write!(f, "stored data unreadable: {detail}"),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<worker::Error> for StoreError {
    fn from(e: worker::Error) -> Self {
        StoreError::Platform(e.to_string())
    }
}

impl From<worker::KvError> for StoreError {
    fn from(e: worker::KvError) -> Self {
        StoreError::Platform(e.to_string())
    }
}

/// Rows changed by a write, as reported by D1.
pub fn changes(result: &D1Result) -> Result<usize, StoreError> {
    Ok(result.meta()?.and_then(|m| m.changes).unwrap_or(0))
}

/// True when a D1 failure is a UNIQUE/PRIMARY KEY violation (a concurrent duplicate).
pub fn is_unique_violation(e: &worker::Error) -> bool {
    e.to_string().contains("UNIQUE constraint failed")
}

/// A trivial query: D1 is reachable.
pub async fn ping(db: &worker::D1Database) -> Result<(), StoreError> {
    db.prepare("SELECT 1")
        .first::<serde_json::Value>(None)
        .await?;
    Ok(())
}
