//! Orders, their status history, idempotency keys and webhook events.
//!
//! D1 has no transactions: each write is one `db.batch` (all-or-nothing) whose first
//! statement is a guarded `INSERT ... SELECT ... WHERE` or `UPDATE ... WHERE`, and whose
//! later statements only write when the first one did. A single statement runs alone
//! in the database, so a guard cannot be passed by two concurrent requests.

use serde::Deserialize;
use worker::{query, D1Database, D1PreparedStatement};

use super::{changes, is_unique_violation};
use crate::problem::ApiError;

/// The SQL list of statuses that no longer count toward a customer's spending limits,
/// as the core decides them, e.g. `('failed', 'expired')`.
fn not_counted_statuses() -> String {
    let names: Vec<String> = cryptoexchange_core::order::OrderStatus::ALL
        .into_iter()
        .filter(|s| !s.counts_toward_limits())
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    format!("({})", names.join(", "))
}

#[derive(Debug, Clone, Deserialize)]
pub struct OrderRow {
    pub order_id: String,
    pub client_id: String,
    pub customer_id: String,
    pub quote_json: String,
    pub quote_id: Option<String>,
    pub destination_address: String,
    pub status: String,
    pub tx_id: Option<String>,
    pub event_sequence: u32,
    pub created_at: i64,
    pub updated_at: i64,
}

const ORDER_COLUMNS: &str = "order_id, client_id, customer_id, crypto, network, fiat, fiat_total_minor, \
    quote_json, quote_id, destination_address, status, tx_id, failure_reason, event_sequence, created_at, updated_at";

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct HistoryRow {
    pub sequence: u32,
    pub status: String,
    pub failure_reason: Option<String>,
    pub tx_id: Option<String>,
    pub at: i64,
}

/// A new order as it is written, with status `pending` and event sequence 1.
pub struct NewOrder<'a> {
    pub order_id: &'a str,
    pub client_id: &'a str,
    pub customer_id: &'a str,
    pub crypto: &'a str,
    pub network: &'a str,
    pub fiat: &'a str,
    pub fiat_total_minor: i64,
    pub quote_json: &'a str,
    pub quote_id: Option<&'a str>,
    pub destination_address: &'a str,
    pub initial_status: &'a str,
    pub now_ms: i64,
}

/// Spending windows the insert must respect: the sum of the customer's counted orders
/// created since `since_ms`, plus this order, must stay at most `max_minor`.
pub struct LimitWindow {
    pub since_ms: i64,
    pub max_minor: Option<i64>,
}

/// The first webhook event of the order, written in the same batch.
pub struct FirstEvent<'a> {
    pub event_id: &'a str,
    pub body: &'a str,
}

pub enum Placement {
    Placed,
    /// The limit guard refused the insert; nothing was written.
    LimitReached,
    /// Another request with the same Idempotency-Key won; nothing of this one was written.
    DuplicateKey,
}

/// Counted fiat total (minor units) of a customer's orders in `fiat` since `since_ms`.
pub async fn spent_since(
    db: &D1Database,
    client_id: &str,
    customer_id: &str,
    fiat: &str,
    since_ms: i64,
) -> Result<i64, ApiError> {
    #[derive(Deserialize)]
    struct Sum {
        total: i64,
    }
    let sql = format!(
        "SELECT COALESCE(SUM(fiat_total_minor), 0) AS total FROM orders
         WHERE client_id = ?1 AND customer_id = ?2 AND fiat = ?3 AND created_at >= ?4
           AND status NOT IN {not_counted}",
        not_counted = not_counted_statuses()
    );
    let sum = query!(db, &sql, client_id, customer_id, fiat, since_ms)?
        .first::<Sum>(None)
        .await?;
    Ok(sum.map_or(0, |s| s.total))
}

/// Writes the order, its idempotency key, its first history row and its first webhook
/// event, or nothing at all.
pub async fn place(
    db: &D1Database,
    order: &NewOrder<'_>,
    windows: &[LimitWindow; 2],
    idempotency_key: &str,
    request_hash: &str,
    event: &FirstEvent<'_>,
) -> Result<Placement, ApiError> {
    let window_guard = |since: usize, max: usize| {
        format!(
            "(?{max} IS NULL OR (SELECT COALESCE(SUM(fiat_total_minor), 0) FROM orders
               WHERE client_id = ?2 AND customer_id = ?3 AND fiat = ?6 AND created_at >= ?{since}
                 AND status NOT IN {not_counted}) + ?7 <= ?{max})",
            not_counted = not_counted_statuses()
        )
    };
    let insert_order = format!(
        "INSERT INTO orders ({ORDER_COLUMNS})
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, NULL, NULL, 1, ?12, ?12
         WHERE {} AND {}",
        window_guard(13, 14),
        window_guard(15, 16)
    );
    let insert_order = query!(
        db,
        &insert_order,
        order.order_id,
        order.client_id,
        order.customer_id,
        order.crypto,
        order.network,
        order.fiat,
        order.fiat_total_minor,
        order.quote_json,
        order.quote_id,
        order.destination_address,
        order.initial_status,
        order.now_ms,
        windows[0].since_ms,
        windows[0].max_minor,
        windows[1].since_ms,
        windows[1].max_minor
    )?;
    let insert_key = query!(
        db,
        "INSERT INTO idempotency_keys (client_id, idem_key, request_hash, order_id, created_at)
         SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS (SELECT 1 FROM orders WHERE order_id = ?4)",
        order.client_id,
        idempotency_key,
        request_hash,
        order.order_id,
        order.now_ms
    )?;
    let insert_history = query!(
        db,
        "INSERT INTO order_status_history (order_id, sequence, status, failure_reason, tx_id, at)
         SELECT ?1, 1, ?2, NULL, NULL, ?3 WHERE EXISTS (SELECT 1 FROM orders WHERE order_id = ?1)",
        order.order_id,
        order.initial_status,
        order.now_ms
    )?;
    let insert_event =
        insert_event_if(db, order.order_id, 1, order.client_id, event, order.now_ms)?;

    match db
        .batch(vec![insert_order, insert_key, insert_history, insert_event])
        .await
    {
        Ok(results) => {
            let inserted = results.first().map(changes).transpose()?.unwrap_or(0);
            Ok(if inserted == 1 {
                Placement::Placed
            } else {
                Placement::LimitReached
            })
        }
        Err(e) if is_unique_violation(&e) => Ok(Placement::DuplicateKey),
        Err(e) => Err(e.into()),
    }
}

/// Inserts a webhook event only when the order is at `sequence` (the statement before
/// it in the batch moved it there).
fn insert_event_if(
    db: &D1Database,
    order_id: &str,
    sequence: u32,
    client_id: &str,
    event: &FirstEvent<'_>,
    now_ms: i64,
) -> Result<D1PreparedStatement, ApiError> {
    Ok(query!(
        db,
        "INSERT INTO webhook_events (event_id, client_id, order_id, sequence, body, attempts, created_at)
         SELECT ?1, ?2, ?3, ?4, ?5, 0, ?6
         WHERE EXISTS (SELECT 1 FROM orders WHERE order_id = ?3 AND event_sequence = ?4)",
        event.event_id,
        client_id,
        order_id,
        sequence,
        event.body,
        now_ms
    )?)
}

#[derive(Debug, Deserialize)]
pub struct IdempotencyRow {
    pub request_hash: String,
    pub order_id: String,
}

pub async fn idempotency_key(
    db: &D1Database,
    client_id: &str,
    key: &str,
) -> Result<Option<IdempotencyRow>, ApiError> {
    Ok(query!(
        db,
        "SELECT request_hash, order_id FROM idempotency_keys WHERE client_id = ?1 AND idem_key = ?2",
        client_id,
        key
    )?
    .first::<IdempotencyRow>(None)
    .await?)
}

/// One order of one client; None for another client's order.
pub async fn get(
    db: &D1Database,
    client_id: &str,
    order_id: &str,
) -> Result<Option<OrderRow>, ApiError> {
    let sql = format!("SELECT {ORDER_COLUMNS} FROM orders WHERE order_id = ?1 AND client_id = ?2");
    Ok(query!(db, &sql, order_id, client_id)?
        .first::<OrderRow>(None)
        .await?)
}

/// An order by id alone, for the settlement queue (which acts for every client).
pub async fn get_for_settlement(
    db: &D1Database,
    order_id: &str,
) -> Result<Option<OrderRow>, ApiError> {
    let sql = format!("SELECT {ORDER_COLUMNS} FROM orders WHERE order_id = ?1");
    Ok(query!(db, &sql, order_id)?.first::<OrderRow>(None).await?)
}

pub async fn history(db: &D1Database, order_id: &str) -> Result<Vec<HistoryRow>, ApiError> {
    Ok(query!(
        db,
        "SELECT sequence, status, failure_reason, tx_id, at FROM order_status_history
         WHERE order_id = ?1 ORDER BY sequence",
        order_id
    )?
    .all()
    .await?
    .results::<HistoryRow>()?)
}

#[derive(Debug, Deserialize)]
pub struct HistoryOfRow {
    pub order_id: String,
    pub sequence: u32,
    pub status: String,
    pub failure_reason: Option<String>,
    pub tx_id: Option<String>,
    pub at: i64,
}

/// The history of several orders in one query (a page of a list).
pub async fn histories(db: &D1Database, order_ids: &[&str]) -> Result<Vec<HistoryOfRow>, ApiError> {
    if order_ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids = serde_json::to_string(order_ids).map_err(ApiError::internal)?;
    Ok(query!(
        db,
        "SELECT order_id, sequence, status, failure_reason, tx_id, at FROM order_status_history
         WHERE order_id IN (SELECT value FROM json_each(?1)) ORDER BY order_id, sequence",
        ids
    )?
    .all()
    .await?
    .results::<HistoryOfRow>()?)
}

/// Position after which a page starts: the last row of the previous page.
pub struct Cursor {
    pub created_at: i64,
    pub order_id: String,
}

/// A customer's orders, newest first, at most `limit`, after `cursor`, optionally of one status.
pub async fn list(
    db: &D1Database,
    client_id: &str,
    customer_id: &str,
    status: Option<&str>,
    cursor: Option<&Cursor>,
    limit: u32,
) -> Result<Vec<OrderRow>, ApiError> {
    let sql = format!(
        "SELECT {ORDER_COLUMNS} FROM orders
         WHERE client_id = ?1 AND customer_id = ?2
           AND (?3 IS NULL OR status = ?3)
           AND (?4 IS NULL OR created_at < ?4 OR (created_at = ?4 AND order_id < ?5))
         ORDER BY created_at DESC, order_id DESC
         LIMIT ?6"
    );
    Ok(query!(
        db,
        &sql,
        client_id,
        customer_id,
        status,
        cursor.map(|c| c.created_at),
        cursor.map(|c| c.order_id.as_str()),
        limit
    )?
    .all()
    .await?
    .results::<OrderRow>()?)
}

/// A status change decided by the core, applied only if the order is still where the
/// caller saw it (`from_status` at `from_sequence`).
pub struct Transition<'a> {
    pub order_id: &'a str,
    pub client_id: &'a str,
    pub from_status: &'a str,
    pub from_sequence: u32,
    pub to_status: &'a str,
    pub tx_id: Option<&'a str>,
    pub failure_reason: Option<&'a str>,
    pub now_ms: i64,
    pub event: FirstEvent<'a>,
    /// Sandbox transfer to record with the change (the `sent` step).
    pub ledger: Option<LedgerEntry<'a>>,
}

pub struct LedgerEntry<'a> {
    pub tx_id: &'a str,
    pub amount: &'a str,
}

/// Applies a transition; false when the order had already moved (nothing written).
pub async fn transition(db: &D1Database, t: &Transition<'_>) -> Result<bool, ApiError> {
    let to_sequence = t.from_sequence + 1;
    let update = query!(
        db,
        "UPDATE orders SET status = ?4, tx_id = COALESCE(?5, tx_id), failure_reason = ?6,
                event_sequence = event_sequence + 1, updated_at = ?7
         WHERE order_id = ?1 AND status = ?2 AND event_sequence = ?3",
        t.order_id,
        t.from_status,
        t.from_sequence,
        t.to_status,
        t.tx_id,
        t.failure_reason,
        t.now_ms
    )?;
    // The history primary key (order_id, sequence) stops a second writer that raced us.
    let history = query!(
        db,
        "INSERT INTO order_status_history (order_id, sequence, status, failure_reason, tx_id, at)
         SELECT order_id, event_sequence, status, failure_reason, tx_id, ?3 FROM orders
         WHERE order_id = ?1 AND event_sequence = ?2",
        t.order_id,
        to_sequence,
        t.now_ms
    )?;
    let event = insert_event_if(db, t.order_id, to_sequence, t.client_id, &t.event, t.now_ms)?;
    let mut statements = vec![update, history, event];
    if let Some(entry) = &t.ledger {
        statements.push(query!(
            db,
            "INSERT INTO sandbox_ledger (tx_id, order_id, crypto, address, amount, created_at)
             SELECT ?1, order_id, crypto, destination_address, ?2, ?3 FROM orders
             WHERE order_id = ?4 AND event_sequence = ?5",
            entry.tx_id,
            entry.amount,
            t.now_ms,
            t.order_id,
            to_sequence
        )?);
    }
    match db.batch(statements).await {
        Ok(results) => Ok(results.first().map(changes).transpose()?.unwrap_or(0) == 1),
        Err(e) if is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}
