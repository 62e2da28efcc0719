//! Retention (issue 10), run by the cron beside the rates refresh: what is kept and for
//! how long.
//!
//! - Quotes: until `QUOTE_RETENTION_SECONDS` (default 86400, a day) after they expired.
//!   Until then an order naming an expired quote is told `quote_expired`; after it, the
//!   quote is unknown. An order keeps its own copy of the price it was placed at.
//! - Idempotency keys: `IDEMPOTENCY_KEY_RETENTION_SECONDS` (default 86400, 24 hours, as
//!   Stripe keeps them) after their first use. A retry within the window answers the
//!   original order; a key reused after it places a new order.
//! - Webhook secrets: removed once a rotation's overlap has ended.

use worker::Env;

use crate::ids;
use crate::store::retention::{self, Removed};

pub const DEFAULT_QUOTE_RETENTION_SECONDS: i64 = 86_400;
pub const DEFAULT_IDEMPOTENCY_KEY_RETENTION_SECONDS: i64 = 86_400;

fn seconds(env: &Env, name: &str, default: i64) -> i64 {
    env.var(name)
        .ok()
        .and_then(|v| v.to_string().trim().parse::<i64>().ok())
        .filter(|n| *n >= 0)
        .unwrap_or(default)
}

/// One retention run; logs what it removed.
pub async fn run(env: &Env) -> Result<Removed, String> {
    let now_ms = ids::now_ms();
    let quotes = seconds(
        env,
        "QUOTE_RETENTION_SECONDS",
        DEFAULT_QUOTE_RETENTION_SECONDS,
    );
    let keys = seconds(
        env,
        "IDEMPOTENCY_KEY_RETENTION_SECONDS",
        DEFAULT_IDEMPOTENCY_KEY_RETENTION_SECONDS,
    );
    let db = env.d1("DB").map_err(|e| e.to_string())?;
    let removed = retention::sweep(&db, now_ms - quotes * 1000, now_ms - keys * 1000, now_ms)
        .await
        .map_err(|e| e.to_string())?;
    worker::console_log!(
        "retention: removed {} quotes, {} idempotency keys, {} webhook secrets",
        removed.quotes,
        removed.idempotency_keys,
        removed.webhook_secrets
    );
    Ok(removed)
}
