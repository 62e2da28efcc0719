//! Webhook events (one row per order status change) and their delivery state, the
//! client's endpoint state, and the outbox reads of the sweeper.
//!
//! An event is `pending` until an attempt delivers it (`delivered`), its schedule is
//! exhausted or its endpoint is gone (`failed`), or there is no webhook URL to send it
//! to (`no_endpoint`). A pending event is due at `next_attempt_at` (a new one, NULL there,
//! at `created_at`). Events of one order
//! go out in `sequence` order: an event is claimed only when no earlier event of its
//! order is still pending.

use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{query, D1Database};

use super::{changes, StoreError};

/// No earlier event of the same order is still pending (`e` is the event).
const HEAD_OF_ORDER: &str = "NOT EXISTS (SELECT 1 FROM webhook_events p
     WHERE p.order_id = e.order_id AND p.sequence < e.sequence AND p.state = 'pending')";

/// An event claimed for one attempt, with what the attempt needs of its client.
#[derive(Debug, Deserialize)]
pub struct Claimed {
    pub event_id: String,
    pub client_id: String,
    pub order_id: String,
    pub sequence: u32,
    pub body: String,
    /// Attempts made, this one included.
    pub attempts: u32,
    pub last_attempt_at: i64,
}

#[derive(Debug, Deserialize)]
pub struct Endpoint {
    pub webhook_secret: String,
    pub config_json: String,
    pub disabled_at: Option<i64>,
}

/// Claims a due, pending event at the head of its order for one attempt: counts the
/// attempt and leases the event until `lease_until`, so a duplicate message finds it not
/// due. None when it is not due, not pending, not at the head, or unknown.
pub async fn claim(
    db: &D1Database,
    event_id: &str,
    now_ms: i64,
    due_by_ms: i64,
    lease_until_ms: i64,
) -> Result<Option<(Claimed, Endpoint)>, StoreError> {
    let claim = query!(
        db,
        &format!(
            "UPDATE webhook_events AS e SET attempts = attempts + 1, last_attempt_at = ?2,
                    next_attempt_at = ?4
             WHERE e.event_id = ?1 AND e.state = 'pending'
               AND COALESCE(e.next_attempt_at, e.created_at) <= ?3
               AND {HEAD_OF_ORDER}
             RETURNING event_id, client_id, order_id, sequence, body, attempts, last_attempt_at"
        ),
        event_id,
        now_ms,
        due_by_ms,
        lease_until_ms
    )?;
    let endpoint = query!(
        db,
        "SELECT c.webhook_secret, c.config_json, ep.disabled_at FROM clients c
         LEFT JOIN webhook_endpoints ep ON ep.client_id = c.client_id
         WHERE c.client_id = (SELECT client_id FROM webhook_events WHERE event_id = ?1)",
        event_id
    )?;
    let results = db.batch(vec![claim, endpoint]).await?;
    let mut results = results.into_iter();
    let claimed = match results.next() {
        Some(r) => r.results::<Claimed>()?.pop(),
        None => None,
    };
    let endpoint = match results.next() {
        Some(r) => r.results::<Endpoint>()?.pop(),
        None => None,
    };
    Ok(claimed.zip(endpoint))
}

/// The state an event is written in, by the config of its client (`?2`): `no_endpoint`
/// (final, nothing to send) without a webhook URL, else `pending`.
pub(super) const STATE_AT_WRITE: &str = "CASE WHEN json_extract(
        (SELECT config_json FROM clients WHERE client_id = ?2), '$.webhook_url') IS NULL
    THEN 'no_endpoint' ELSE 'pending' END";

/// Where an attempt left the event.
pub enum Recorded<'a> {
    Delivered,
    /// Pending again, due at the given time.
    RetryAt(i64, &'a str),
    /// Given up (schedule exhausted, endpoint disabled); the error says why.
    Failed(&'a str),
    NoEndpoint,
}

/// Records the outcome of the attempt claimed at `claimed_at` (only that attempt's
/// claimer writes: a later claim changed `last_attempt_at`), disables the endpoint when
/// asked, and returns the next pending event of the same order to send now, if any.
pub async fn record(
    db: &D1Database,
    c: &Claimed,
    outcome: &Recorded<'_>,
    now_ms: i64,
    disable_endpoint: Option<&str>,
) -> Result<(bool, Option<String>), StoreError> {
    let (state, delivered_at, next_at, error): (&str, Option<i64>, Option<i64>, Option<&str>) =
        match outcome {
            Recorded::Delivered => ("delivered", Some(now_ms), None, None),
            Recorded::RetryAt(at, e) => ("pending", None, Some(*at), Some(e)),
            Recorded::Failed(e) => ("failed", None, None, Some(e)),
            Recorded::NoEndpoint => ("no_endpoint", None, None, None),
        };
    let mut statements = vec![query!(
        db,
        "UPDATE webhook_events SET state = ?3, delivered_at = ?4, next_attempt_at = ?5, last_error = ?6
         WHERE event_id = ?1 AND last_attempt_at = ?2 AND state = 'pending'",
        c.event_id,
        c.last_attempt_at,
        state,
        delivered_at,
        next_at,
        error
    )?];
    if let Some(reason) = disable_endpoint {
        statements.push(query!(
            db,
            "INSERT INTO webhook_endpoints (client_id, disabled_at, disabled_reason) VALUES (?1, ?2, ?3)
             ON CONFLICT (client_id) DO UPDATE SET disabled_at = ?2, disabled_reason = ?3",
            c.client_id,
            now_ms,
            reason
        )?);
    }
    statements.push(query!(
        db,
        "SELECT event_id FROM webhook_events
         WHERE order_id = ?1 AND sequence > ?2 AND state = 'pending'
         ORDER BY sequence LIMIT 1",
        c.order_id,
        c.sequence
    )?);
    let results = db.batch(statements).await?;
    let written = results.first().map(changes).transpose()?.unwrap_or(0) == 1;
    #[derive(Deserialize)]
    struct Next {
        event_id: String,
    }
    let next = match results.last() {
        Some(r) => r.results::<Next>()?.pop().map(|n| n.event_id),
        None => None,
    };
    Ok((written, next))
}

/// Pending events at the head of their order whose attempt was due before `cutoff_ms`
/// (the sweeper sends these again), oldest first.
pub async fn overdue(
    db: &D1Database,
    cutoff_ms: i64,
    limit: u32,
) -> Result<Vec<String>, StoreError> {
    #[derive(Deserialize)]
    struct Row {
        event_id: String,
    }
    let rows = query!(
        db,
        &format!(
            "SELECT e.event_id FROM webhook_events e
             WHERE e.state = 'pending' AND COALESCE(e.next_attempt_at, e.created_at) <= ?1
               AND {HEAD_OF_ORDER}
             ORDER BY COALESCE(e.next_attempt_at, e.created_at) LIMIT ?2"
        ),
        cutoff_ms,
        limit
    )?
    .all()
    .await?
    .results::<Row>()?;
    Ok(rows.into_iter().map(|r| r.event_id).collect())
}

/// Makes a pending event due now (a replayed dead letter). False when it is not pending.
pub async fn make_due(db: &D1Database, event_id: &str, now_ms: i64) -> Result<bool, StoreError> {
    let result = query!(
        db,
        "UPDATE webhook_events SET next_attempt_at = ?2 WHERE event_id = ?1 AND state = 'pending'",
        event_id,
        now_ms
    )?
    .run()
    .await?;
    Ok(changes(&result)? == 1)
}

/// An event as `GET /v1/events` shows it.
#[derive(Debug, Clone, Deserialize)]
pub struct EventRow {
    pub event_id: String,
    pub order_id: String,
    pub sequence: u32,
    pub body: String,
    pub state: String,
    pub attempts: u32,
    pub last_attempt_at: Option<i64>,
    pub next_attempt_at: Option<i64>,
    pub delivered_at: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
}

const EVENT_COLUMNS: &str =
    "event_id, order_id, sequence, body, state, attempts, last_attempt_at, \
    next_attempt_at, delivered_at, last_error, created_at";

/// Which of a client's events a list returns; `None` does not filter.
#[derive(Debug, Default)]
pub struct EventFilter {
    pub order_id: Option<String>,
    pub kind: Option<String>,
    pub state: Option<String>,
}

/// A client's events, newest first, after the cursor `(created_at, event_id)`.
pub async fn list(
    db: &D1Database,
    client_id: &str,
    filter: &EventFilter,
    cursor: Option<(i64, String)>,
    limit: u32,
) -> Result<Vec<EventRow>, StoreError> {
    let mut conditions = vec!["client_id = ?1".to_owned()];
    let mut values: Vec<JsValue> = vec![client_id.into()];
    let mut when = |condition: &str, value: JsValue| {
        values.push(value);
        conditions.push(condition.replace('?', &format!("?{}", values.len())));
    };
    if let Some(order_id) = &filter.order_id {
        when("order_id = ?", order_id.as_str().into());
    }
    if let Some(kind) = &filter.kind {
        when("json_extract(body, '$.type') = ?", kind.as_str().into());
    }
    if let Some(state) = &filter.state {
        when("state = ?", state.as_str().into());
    }
    if let Some((at, id)) = cursor {
        values.push((at as f64).into());
        values.push(id.into());
        let (a, i) = (values.len() - 1, values.len());
        conditions.push(format!(
            "(created_at < ?{a} OR (created_at = ?{a} AND event_id < ?{i}))"
        ));
    }
    values.push(limit.into());
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM webhook_events WHERE {}
         ORDER BY created_at DESC, event_id DESC LIMIT ?{}",
        conditions.join(" AND "),
        values.len()
    );
    Ok(db
        .prepare(&sql)
        .bind(&values)?
        .all()
        .await?
        .results::<EventRow>()?)
}

/// Schedules a client's event for delivery again, now, with a fresh schedule (whatever
/// its state). None when the client has no such event.
pub async fn redeliver(
    db: &D1Database,
    client_id: &str,
    event_id: &str,
    now_ms: i64,
) -> Result<Option<EventRow>, StoreError> {
    Ok(query!(
        db,
        &format!(
            "UPDATE webhook_events SET state = 'pending', attempts = 0, next_attempt_at = ?3,
                    delivered_at = NULL, last_error = NULL
             WHERE event_id = ?2 AND client_id = ?1
             RETURNING {EVENT_COLUMNS}"
        ),
        client_id,
        event_id,
        now_ms
    )?
    .first::<EventRow>(None)
    .await?)
}

/// The endpoint state of a client: `(disabled_at, disabled_reason)` when disabled.
pub async fn endpoint_disabled(
    db: &D1Database,
    client_id: &str,
) -> Result<Option<(i64, String)>, StoreError> {
    #[derive(Deserialize)]
    struct Row {
        disabled_at: Option<i64>,
        disabled_reason: Option<String>,
    }
    let row = query!(
        db,
        "SELECT disabled_at, disabled_reason FROM webhook_endpoints WHERE client_id = ?1",
        client_id
    )?
    .first::<Row>(None)
    .await?;
    Ok(row.and_then(|r| Some((r.disabled_at?, r.disabled_reason.unwrap_or_default()))))
}

/// Enables a client's endpoint again (a new configuration was set).
pub async fn enable_endpoint(db: &D1Database, client_id: &str) -> Result<(), StoreError> {
    query!(
        db,
        "DELETE FROM webhook_endpoints WHERE client_id = ?1",
        client_id
    )?
    .run()
    .await?;
    Ok(())
}
