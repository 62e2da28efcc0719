//! Orders, their status history, idempotency keys and webhook events.
//!
//! D1 has no transactions: each write is one `db.batch` (all-or-nothing) whose first
//! statement is a guarded `INSERT ... SELECT ... WHERE` or `UPDATE ... WHERE`, and whose
//! later statements only write when the first one did. A single statement runs alone
//! in the database, so a guard cannot be passed by two concurrent requests.

use cryptoexchange_core::api::{OrderResponse, QuoteBreakdown, QuoteResponse, StatusChange};
use cryptoexchange_core::order::{FailureReason, OrderStatus};
use cryptoexchange_core::placement::{LimitGuard, NewOrder, PriorUse};
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{query, D1Database, D1PreparedStatement};

use super::clients::ClientRow;
use super::{changes, is_unique_violation, StoreError};
use crate::ids;

/// The SQL list of statuses that no longer count toward a customer's spending limits,
/// as the core decides them, e.g. `('failed', 'expired')`.
fn not_counted_statuses() -> String {
    let names: Vec<String> = OrderStatus::ALL
        .into_iter()
        .filter(|s| !s.counts_toward_limits())
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    format!("({})", names.join(", "))
}

/// An order row; `history` is its status history as a JSON array when the query asks
/// for it ([`WITH_HISTORY`]).
#[derive(Debug, Clone, Deserialize)]
pub struct OrderRow {
    pub order_id: String,
    pub client_id: String,
    pub customer_id: String,
    pub quote_json: String,
    pub quote_id: Option<String>,
    pub destination_address: String,
    pub status: OrderStatus,
    pub tx_id: Option<String>,
    pub event_sequence: u32,
    pub created_at: i64,
    pub updated_at: i64,
    /// 1 for an order placed in on-chain mode (D1 gives booleans as 0/1).
    pub livemode: u8,
    #[serde(default)]
    history: Option<String>,
    /// Selected with an idempotency key: the fingerprint of the request that used it.
    #[serde(default)]
    request_hash: Option<String>,
}

pub(super) const ORDER_COLUMNS: &str = "order_id, client_id, customer_id, crypto, network, fiat, fiat_total_minor, \
    quote_json, quote_id, destination_address, status, tx_id, failure_reason, event_sequence, created_at, updated_at, \
    livemode";

/// The order columns of `o` and its status history as one JSON column, so that an
/// order and its history are one statement.
const WITH_HISTORY: &str = "o.order_id, o.client_id, o.customer_id, o.quote_json, o.quote_id, \
    o.destination_address, o.status, o.tx_id, o.event_sequence, o.created_at, o.updated_at, o.livemode, \
    (SELECT json_group_array(json_object('sequence', h.sequence, 'status', h.status, \
       'failure_reason', h.failure_reason, 'at', h.at)) \
     FROM order_status_history h WHERE h.order_id = o.order_id) AS history";

/// The client a bearer key belongs to, as a subquery: reads scoped by the key digest
/// (`?1`) need no earlier round trip to learn the client id.
const CLIENT_OF_KEY: &str = "(SELECT client_id FROM api_keys WHERE key_sha256 = ?1)";

#[derive(Debug, Deserialize)]
struct HistoryEntry {
    sequence: u32,
    status: OrderStatus,
    failure_reason: Option<FailureReason>,
    at: i64,
}

impl OrderRow {
    pub fn is_live(&self) -> bool {
        self.livemode == 1
    }

    /// The order in the core's wire shape (its history must have been selected).
    pub fn into_response(self) -> Result<OrderResponse, StoreError> {
        let corrupt = |what: &str, e: &dyn std::fmt::Display| {
            StoreError::corrupt(format!("order {} {what}: {e}", self.order_id))
        };
        let pricing: QuoteBreakdown =
            serde_json::from_str(&self.quote_json).map_err(|e| corrupt("pricing", &e))?;
        let mut history: Vec<HistoryEntry> =
            serde_json::from_str(self.history.as_deref().unwrap_or("[]"))
                .map_err(|e| corrupt("history", &e))?;
        history.sort_by_key(|h| h.sequence);
        let livemode = self.is_live();
        let (tx_id, sandbox_reference) =
            crate::settlement::split_transfer(livemode, self.tx_id.as_deref());
        Ok(OrderResponse {
            id: self.order_id,
            customer_id: self.customer_id,
            status: self.status,
            destination_address: self.destination_address,
            quote_id: self.quote_id,
            pricing,
            status_history: history
                .into_iter()
                .map(|h| StatusChange {
                    status: h.status,
                    at: ids::time_of(h.at),
                    failure_reason: h.failure_reason,
                })
                .collect(),
            tx_id,
            sandbox_reference,
            livemode,
            created_at: ids::time_of(self.created_at),
            updated_at: ids::time_of(self.updated_at),
        })
    }
}

/// The first webhook event of the order, written in the same batch.
pub struct FirstEvent<'a> {
    pub event_id: &'a str,
    pub body: &'a str,
}

/// Who placed an order and the client configuration its plan was made with; the write
/// holds to both (the host may have planned with a copy it read earlier).
pub struct PlannedWith<'a> {
    pub client_id: &'a str,
    pub key_digest: &'a str,
    pub config_json: &'a str,
}

pub enum Placement {
    /// Written; the order as the insert returned it, and whether its first event waits
    /// for delivery (false for a client with no webhook URL).
    Placed {
        order: Box<OrderResponse>,
        event_pending: bool,
    },
    /// The guard refused the insert (a limit, the quote, or the key or configuration the
    /// order was planned with changed); nothing was written.
    Refused,
    /// Another request with the same Idempotency-Key won; nothing of this one was written.
    DuplicateKey,
}

/// What placing an order needs to know, read in one round trip.
pub struct PlacementRead {
    /// None for an unknown key.
    pub client: Option<ClientRow>,
    /// The earlier use of the Idempotency-Key.
    pub prior: Option<PriorUse>,
    pub spent_today_minor: i64,
    pub spent_this_month_minor: i64,
    /// The quote the request names, if it is this client's.
    pub quote: Option<QuoteResponse>,
    /// That quote already priced an order.
    pub quote_used: bool,
}

/// The facts of a placement, scoped by the bearer key's digest: the client, the earlier
/// use of the Idempotency-Key, the customer's counted spending in `fiat` since each
/// window start, and the named quote. One `batch`, one round trip.
#[allow(clippy::too_many_arguments)]
pub async fn placement_read(
    db: &D1Database,
    key_digest: &str,
    idempotency_key: &str,
    customer_id: &str,
    fiat: &str,
    day_start_ms: i64,
    month_start_ms: i64,
    quote_id: Option<&str>,
) -> Result<PlacementRead, StoreError> {
    let client = super::clients::by_key_digest_statement(db, key_digest)?;
    let prior = query!(
        db,
        &format!(
            "SELECT k.request_hash, {WITH_HISTORY} FROM idempotency_keys k
             JOIN orders o ON o.order_id = k.order_id
             WHERE k.client_id = {CLIENT_OF_KEY} AND k.idem_key = ?2"
        ),
        key_digest,
        idempotency_key
    )?;
    let spent = spent_statement(
        db,
        key_digest,
        customer_id,
        fiat,
        day_start_ms,
        month_start_ms,
    )?;
    let quote = query!(
        db,
        &format!(
            "SELECT quote_json, used_by_order IS NOT NULL AS used FROM quotes
             WHERE quote_id = ?2 AND client_id = {CLIENT_OF_KEY}"
        ),
        key_digest,
        quote_id
    )?;
    let results = db.batch(vec![client, prior, spent, quote]).await?;
    let [client, prior, spent, quote] = <[_; 4]>::try_from(results)
        .map_err(|r: Vec<_>| StoreError::corrupt(format!("{} results for 4 reads", r.len())))?;

    #[derive(Deserialize)]
    struct Sums {
        today: i64,
        this_month: i64,
    }
    #[derive(Deserialize)]
    struct QuoteRow {
        quote_json: String,
        used: u8,
    }
    let prior = match prior.results::<OrderRow>()?.pop() {
        Some(mut row) => Some(PriorUse {
            fingerprint: row.request_hash.take().unwrap_or_default(),
            order: row.into_response()?,
        }),
        None => None,
    };
    let sums = spent.results::<Sums>()?.into_iter().next();
    let quote_row = quote.results::<QuoteRow>()?.into_iter().next();
    let quote_used = quote_row.as_ref().is_some_and(|row| row.used == 1);
    let quote = match quote_row {
        Some(row) => Some(
            serde_json::from_str(&row.quote_json)
                .map_err(|e| StoreError::corrupt(format!("stored quote: {e}")))?,
        ),
        None => None,
    };
    Ok(PlacementRead {
        client: client.results::<ClientRow>()?.into_iter().next(),
        prior,
        spent_today_minor: sums.as_ref().map_or(0, |s| s.today),
        spent_this_month_minor: sums.as_ref().map_or(0, |s| s.this_month),
        quote,
        quote_used,
    })
}

/// Writes the order, its idempotency key, its first history row, its first webhook
/// event and the use of its quote, or nothing at all: one D1 batch, one round trip.
pub async fn place(
    db: &D1Database,
    planned_with: &PlannedWith<'_>,
    new: &NewOrder,
    idempotency_key: &str,
    request_hash: &str,
    event: &FirstEvent<'_>,
) -> Result<Placement, StoreError> {
    let statements =
        placement_statements(db, planned_with, new, idempotency_key, request_hash, event)?;
    let results = match db.batch(statements).await {
        Ok(results) => results,
        Err(e) if is_unique_violation(&e) => return Ok(Placement::DuplicateKey),
        Err(e) => return Err(e.into()),
    };
    #[derive(Deserialize)]
    struct History {
        history: String,
    }
    let mut written = match results.get(PLACED_ORDER) {
        Some(r) => r.results::<OrderRow>()?,
        None => Vec::new(),
    };
    let Some(mut row) = written.pop() else {
        return Ok(Placement::Refused);
    };
    row.history = match results.get(PLACED_HISTORY) {
        Some(r) => r.results::<History>()?.pop().map(|h| h.history),
        None => None,
    };
    Ok(Placement::Placed {
        order: Box::new(row.into_response()?),
        event_pending: event_pending(results.get(PLACED_EVENT))?,
    })
}

/// Where [`placement_statements`] puts the order insert (its `RETURNING` row is the
/// order as written), the history insert (its first status change) and the event.
const PLACED_ORDER: usize = 0;
const PLACED_HISTORY: usize = 2;
const PLACED_EVENT: usize = 3;

/// The statements of a placement, in the order they run in its one batch. The first,
/// the order insert, is the guard: it writes only while the customer's counted spending
/// since each window start plus this order stays within each limit, the quote it
/// names (if any) is this client's, unused and for this customer, and the bearer key is
/// alive and the client's configuration the one the plan was made with; every later
/// statement writes only if the order row exists; two of them add the order to the
/// customer's spend totals of its day and month (`customer_spend`, which the guard reads
/// by primary key: no sum over the customer's orders). A statement runs alone in D1, and a
/// batch is one transaction, so two concurrent placements cannot both pass the guard
/// for the same limit room or the same quote. Add a placement's further rows at the end.
fn placement_statements(
    db: &D1Database,
    planned_with: &PlannedWith<'_>,
    new: &NewOrder,
    idempotency_key: &str,
    request_hash: &str,
    event: &FirstEvent<'_>,
) -> Result<Vec<D1PreparedStatement>, StoreError> {
    let client_id = planned_with.client_id;
    let order = &new.order;
    let pricing = &order.pricing;
    let now_ms = order.created_at.unix_millis();
    let quote_json = serde_json::to_string(pricing).map_err(StoreError::corrupt)?;
    // ?9 is the order's quote id (NULL without one).
    let quote_guard = "(?9 IS NULL OR EXISTS (SELECT 1 FROM quotes
        WHERE quote_id = ?9 AND client_id = ?2 AND used_by_order IS NULL
          AND (customer_id IS NULL OR customer_id = ?3)))";
    // ?18 is the bearer key's digest, ?19 the configuration the order was planned with:
    // the order is written only while that key is alive and that configuration current.
    let planned_guard =
        "EXISTS (SELECT 1 FROM api_keys k JOIN clients c ON c.client_id = k.client_id
        WHERE k.key_sha256 = ?18 AND k.client_id = ?2 AND k.revoked_at IS NULL
          AND (k.expires_at IS NULL OR k.expires_at > ?12) AND c.config_json = ?19)";
    let insert_order = format!(
        "INSERT INTO orders ({ORDER_COLUMNS})
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, NULL, NULL, 1, ?12, ?12, ?17
         WHERE {} AND {} AND {quote_guard} AND {planned_guard}
         RETURNING order_id, client_id, customer_id, quote_json, quote_id, destination_address,
                   status, tx_id, event_sequence, created_at, updated_at, livemode",
        spend_guard("day", 13, 14),
        spend_guard("month", 15, 16)
    );
    let insert_order = query!(
        db,
        &insert_order,
        order.id,
        client_id,
        order.customer_id,
        pricing.crypto.ticker(),
        pricing.network.as_str(),
        pricing.fiat.ticker(),
        new.fiat_total_minor,
        quote_json,
        order.quote_id,
        order.destination_address,
        order.status.as_str(),
        now_ms,
        new.guard.day_start.unix_millis(),
        new.guard.daily_limit_minor,
        new.guard.month_start.unix_millis(),
        new.guard.monthly_limit_minor,
        u8::from(order.livemode),
        planned_with.key_digest,
        planned_with.config_json
    )?;
    let insert_key = query!(
        db,
        "INSERT INTO idempotency_keys (client_id, idem_key, request_hash, order_id, created_at)
         SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS (SELECT 1 FROM orders WHERE order_id = ?4)",
        client_id,
        idempotency_key,
        request_hash,
        order.id,
        now_ms
    )?;
    let insert_history = query!(
        db,
        "INSERT INTO order_status_history (order_id, sequence, status, failure_reason, tx_id, at)
         SELECT ?1, 1, ?2, NULL, NULL, ?3 WHERE EXISTS (SELECT 1 FROM orders WHERE order_id = ?1)
         RETURNING json_array(json_object('sequence', sequence, 'status', status,
                   'failure_reason', failure_reason, 'at', at)) AS history",
        order.id,
        order.status.as_str(),
        now_ms
    )?;
    let insert_event = insert_event_if(db, &order.id, 1, client_id, event, now_ms)?;
    let mut statements = vec![insert_order, insert_key, insert_history, insert_event];
    statements.extend(spend_add_statements(db, &order.id, &new.guard)?);
    if let Some(quote_id) = &order.quote_id {
        // The quote is used up by this order, and bound to its customer if it named none.
        statements.push(query!(
            db,
            "UPDATE quotes SET used_by_order = ?1, customer_id = COALESCE(customer_id, ?4)
             WHERE quote_id = ?2 AND client_id = ?3 AND used_by_order IS NULL
               AND EXISTS (SELECT 1 FROM orders WHERE order_id = ?1)",
            order.id,
            quote_id,
            client_id,
            order.customer_id
        )?);
    }
    Ok(statements)
}

/// Inserts a webhook event only when the order is at `sequence` (the statement before
/// it in the batch moved it there). An event of a client with no webhook URL is written
/// as `no_endpoint`, already final: nothing is queued for it (a later URL does not make
/// it pending; `POST /v1/events/{id}/redeliver` sends it). The row returns its `state`.
fn insert_event_if(
    db: &D1Database,
    order_id: &str,
    sequence: u32,
    client_id: &str,
    event: &FirstEvent<'_>,
    now_ms: i64,
) -> Result<D1PreparedStatement, StoreError> {
    Ok(query!(
        db,
        &format!("INSERT INTO webhook_events (event_id, client_id, order_id, sequence, body, attempts, created_at, state)
         SELECT ?1, ?2, ?3, ?4, ?5, 0, ?6, {}
         WHERE EXISTS (SELECT 1 FROM orders WHERE order_id = ?3 AND event_sequence = ?4)
         RETURNING state",
            super::webhooks::STATE_AT_WRITE
        ),
        event.event_id,
        client_id,
        order_id,
        sequence,
        event.body,
        now_ms
    )?)
}

/// Whether the event a batch wrote (its insert's result) waits for delivery.
fn event_pending(result: Option<&worker::D1Result>) -> Result<bool, StoreError> {
    #[derive(Deserialize)]
    struct Row {
        state: String,
    }
    Ok(match result {
        Some(r) => r
            .results::<Row>()?
            .pop()
            .is_some_and(|row| row.state == "pending"),
        None => false,
    })
}

/// The client of a bearer key and one of its orders (None: unknown key, or no such
/// order of this client), in one round trip.
pub async fn get_for_key(
    db: &D1Database,
    key_digest: &str,
    order_id: &str,
) -> Result<(Option<ClientRow>, Option<OrderResponse>), StoreError> {
    let client = super::clients::by_key_digest_statement(db, key_digest)?;
    let order = query!(
        db,
        &format!(
            "SELECT {WITH_HISTORY} FROM orders o
             WHERE o.order_id = ?2 AND o.client_id = {CLIENT_OF_KEY} AND o.side = 'buy'"
        ),
        key_digest,
        order_id
    )?;
    let results = db.batch(vec![client, order]).await?;
    let mut results = results.into_iter();
    let client = match results.next() {
        Some(r) => r.results::<ClientRow>()?.pop(),
        None => None,
    };
    let order = match results.next() {
        Some(r) => r.results::<OrderRow>()?.pop(),
        None => None,
    };
    Ok((client, order.map(OrderRow::into_response).transpose()?))
}

/// Orders by id alone, for one batch of the settlement queue; unknown ids are left out.
pub async fn get_all_for_settlement(
    db: &D1Database,
    order_ids: &[&str],
) -> Result<Vec<OrderRow>, StoreError> {
    let ids = serde_json::to_string(order_ids).map_err(|e| StoreError::Platform(e.to_string()))?;
    let sql = format!(
        "SELECT {ORDER_COLUMNS} FROM orders WHERE order_id IN (SELECT value FROM json_each(?1))"
    );
    Ok(query!(db, &sql, ids)?.all().await?.results::<OrderRow>()?)
}

/// An order by id alone, for the settlement queue (which acts for every client).
pub async fn get_for_settlement(
    db: &D1Database,
    order_id: &str,
) -> Result<Option<OrderRow>, StoreError> {
    let sql = format!("SELECT {ORDER_COLUMNS} FROM orders WHERE order_id = ?1");
    Ok(query!(db, &sql, order_id)?.first::<OrderRow>(None).await?)
}

/// Position after which a page starts: the last row of the previous page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: i64,
    pub order_id: String,
}

/// Which of a customer's orders a list returns; `None` does not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderFilter {
    pub status: Option<OrderStatus>,
    pub crypto: Option<cryptoexchange_core::Crypto>,
    /// Created at or after (Unix ms).
    pub created_from_ms: Option<i64>,
    /// Created before (Unix ms).
    pub created_to_ms: Option<i64>,
    pub destination_address: Option<String>,
}

/// A customer's orders with their histories, newest first, at most `limit`, after
/// `cursor`, matching `filter`. One statement, which names only the filters given, so
/// that SQLite can use the index of an equality filter (migration 0002).
pub async fn list(
    db: &D1Database,
    client_id: &str,
    customer_id: &str,
    filter: &OrderFilter,
    cursor: Option<&Cursor>,
    limit: u32,
) -> Result<Vec<(Cursor, OrderResponse)>, StoreError> {
    let mut conditions = vec![
        "o.client_id = ?1".to_owned(),
        "o.customer_id = ?2".to_owned(),
        // Sell orders (migration 0006) have their own shape: GET /v1/orders/{id} shows them.
        "o.side = 'buy'".to_owned(),
    ];
    let mut values: Vec<JsValue> = vec![client_id.into(), customer_id.into()];
    let mut when = |condition: &str, value: JsValue| {
        values.push(value);
        conditions.push(condition.replace('?', &format!("?{}", values.len())));
    };
    if let Some(status) = filter.status {
        when("o.status = ?", status.as_str().into());
    }
    if let Some(crypto) = filter.crypto {
        when("o.crypto = ?", crypto.ticker().into());
    }
    if let Some(address) = &filter.destination_address {
        when("o.destination_address = ?", address.as_str().into());
    }
    // Milliseconds stay below 2^53, exact as JS numbers.
    if let Some(from) = filter.created_from_ms {
        when("o.created_at >= ?", (from as f64).into());
    }
    if let Some(to) = filter.created_to_ms {
        when("o.created_at < ?", (to as f64).into());
    }
    if let Some(c) = cursor {
        values.push((c.created_at as f64).into());
        values.push(c.order_id.as_str().into());
        let (at, id) = (values.len() - 1, values.len());
        conditions.push(format!(
            "(o.created_at < ?{at} OR (o.created_at = ?{at} AND o.order_id < ?{id}))"
        ));
    }
    values.push(limit.into());
    let sql = format!(
        "SELECT {WITH_HISTORY} FROM orders o WHERE {}
         ORDER BY o.created_at DESC, o.order_id DESC LIMIT ?{}",
        conditions.join(" AND "),
        values.len()
    );
    let rows = db
        .prepare(&sql)
        .bind(&values)?
        .all()
        .await?
        .results::<OrderRow>()?;
    rows.into_iter()
        .map(|row| {
            let cursor = Cursor {
                created_at: row.created_at,
                order_id: row.order_id.clone(),
            };
            Ok((cursor, row.into_response()?))
        })
        .collect()
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
/// How a [`transition`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transitioned {
    /// The order had moved: nothing written.
    Skipped,
    /// Written; `event_pending`: its event waits for delivery (false for a client with
    /// no webhook URL).
    Applied { event_pending: bool },
}

pub async fn transition(db: &D1Database, t: &Transition<'_>) -> Result<Transitioned, StoreError> {
    match transition_all(db, std::slice::from_ref(t)).await {
        Ok(mut done) => Ok(done.pop().unwrap_or(Transitioned::Skipped)),
        Err(TransitionsError::Raced) => Ok(Transitioned::Skipped),
        Err(TransitionsError::Store(e)) => Err(e),
    }
}

/// Why [`transition_all`] wrote nothing.
#[derive(Debug)]
pub enum TransitionsError {
    /// Another writer made one of the transitions first (its history key): the whole
    /// batch rolled back.
    Raced,
    Store(StoreError),
}

impl From<StoreError> for TransitionsError {
    fn from(e: StoreError) -> Self {
        TransitionsError::Store(e)
    }
}

/// Several transitions of different orders in one D1 batch, one transaction: each is
/// guarded as if alone, so one whose order had moved writes nothing ([`Skipped`]) and the
/// others apply. The outcomes are in the order given.
///
/// [`Skipped`]: Transitioned::Skipped
pub async fn transition_all(
    db: &D1Database,
    transitions: &[Transition<'_>],
) -> Result<Vec<Transitioned>, TransitionsError> {
    let mut statements = Vec::new();
    let mut starts = Vec::with_capacity(transitions.len());
    for t in transitions {
        starts.push(statements.len());
        statements.extend(transition_statements(db, t)?);
    }
    let results = match db.batch(statements).await {
        Ok(results) => results,
        Err(e) if is_unique_violation(&e) => return Err(TransitionsError::Raced),
        Err(e) => return Err(StoreError::from(e).into()),
    };
    starts
        .into_iter()
        .map(|start| {
            if results.get(start).map(changes).transpose()?.unwrap_or(0) != 1 {
                return Ok(Transitioned::Skipped);
            }
            Ok(Transitioned::Applied {
                event_pending: event_pending(results.get(start + TRANSITION_EVENT))?,
            })
        })
        .collect()
}

/// Where [`transition_statements`] puts the event insert.
const TRANSITION_EVENT: usize = 2;

/// The statements of one transition: the guarded update first (its `changes` decide).
fn transition_statements(
    db: &D1Database,
    t: &Transition<'_>,
) -> Result<Vec<D1PreparedStatement>, StoreError> {
    let to_sequence = t.from_sequence + 1;
    let update = query!(
        db,
        "UPDATE orders SET status = ?4, tx_id = COALESCE(?5, tx_id), failure_reason = ?6,
                event_sequence = event_sequence + 1, updated_at = ?7, next_step_at = NULL
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
    let release = release_spend(db, t.order_id, to_sequence, &not_counted_statuses(), None)?;
    let mut statements = vec![update, history, event, release];
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
    Ok(statements)
}

/// Takes an order's fiat total back off its customer's day and month spend totals when
/// the transition just written (the order is at `sequence`) moved it to a status that
/// no longer counts toward the limits. Runs after the history insert, whose primary key
/// fails the whole batch if another writer made this transition first, so an order is
/// released once.
/// `not_counted` is the SQL list of the order's side's statuses that do not count;
/// `sell_write_token`: a sell's change applies only with its batch's write token (bound,
/// never formatted into the SQL); None for a buy.
pub(super) fn release_spend(
    db: &D1Database,
    order_id: &str,
    sequence: u32,
    not_counted: &str,
    sell_write_token: Option<&str>,
) -> Result<D1PreparedStatement, StoreError> {
    let also = match sell_write_token {
        Some(_) => "EXISTS (SELECT 1 FROM sell_orders WHERE order_id = ?1 AND write_token = ?3)",
        None => "?3 IS NULL",
    };
    let of_order = |column: &str| format!("(SELECT {column} FROM orders WHERE order_id = ?1)");
    let sql = format!(
        "UPDATE customer_spend SET total_minor = total_minor - {total}
         WHERE client_id = {client} AND customer_id = {customer} AND fiat = {fiat}
           AND ((period = 'day' AND period_start = {day})
                OR (period = 'month' AND period_start = {month}))
           AND EXISTS (SELECT 1 FROM orders WHERE order_id = ?1 AND event_sequence = ?2
                         AND status IN {not_counted})
           AND {also}",
        total = of_order("fiat_total_minor"),
        client = of_order("client_id"),
        customer = of_order("customer_id"),
        fiat = of_order("fiat"),
        day = of_order("created_at - created_at % 86400000"),
        month = of_order(
            "CAST(strftime('%s', created_at / 1000, 'unixepoch', 'start of month') AS INTEGER) * 1000"
        ),
        not_counted = not_counted,
        also = also
    );
    Ok(query!(db, &sql, order_id, sequence, sell_write_token)?)
}

/// The customer's counted spending in `fiat` in the UTC day and month starting at the
/// given times (`today`, `this_month`), from `customer_spend`: two primary-key lookups.
/// Buys and sells read and add to the same totals.
pub(super) fn spent_statement(
    db: &D1Database,
    key_digest: &str,
    customer_id: &str,
    fiat: &str,
    day_start_ms: i64,
    month_start_ms: i64,
) -> Result<D1PreparedStatement, StoreError> {
    Ok(query!(
        db,
        &format!(
            "SELECT COALESCE((SELECT total_minor FROM customer_spend
                              WHERE client_id = {CLIENT_OF_KEY} AND customer_id = ?2 AND fiat = ?3
                                AND period = 'day' AND period_start = ?4), 0) AS today,
                    COALESCE((SELECT total_minor FROM customer_spend
                              WHERE client_id = {CLIENT_OF_KEY} AND customer_id = ?2 AND fiat = ?3
                                AND period = 'month' AND period_start = ?5), 0) AS this_month"
        ),
        key_digest,
        customer_id,
        fiat,
        day_start_ms,
        month_start_ms
    )?)
}

/// The SQL condition of an order insert that its window's total plus this order stays
/// within the limit. The insert binds ?2 client, ?3 customer, ?6 fiat, ?7 the order's
/// fiat total; `start` and `max` are the window start's and limit's parameters.
pub(super) fn spend_guard(period: &str, start: usize, max: usize) -> String {
    format!(
        "COALESCE((SELECT total_minor FROM customer_spend
           WHERE client_id = ?2 AND customer_id = ?3 AND fiat = ?6
             AND period = '{period}' AND period_start = ?{start}), 0) + ?7 <= ?{max}"
    )
}

/// Adds a just-inserted order's fiat total to its customer's day and month totals (each
/// only if the order row exists, so a refused insert adds nothing).
pub(super) fn spend_add_statements(
    db: &D1Database,
    order_id: &str,
    guard: &LimitGuard,
) -> Result<Vec<D1PreparedStatement>, StoreError> {
    let mut statements = Vec::new();
    for (period, start) in [("day", guard.day_start), ("month", guard.month_start)] {
        statements.push(query!(
            db,
            "INSERT INTO customer_spend (client_id, customer_id, fiat, period, period_start, total_minor)
             SELECT client_id, customer_id, fiat, ?2, ?3, fiat_total_minor FROM orders WHERE order_id = ?1
             ON CONFLICT (client_id, customer_id, fiat, period, period_start)
             DO UPDATE SET total_minor = total_minor + excluded.total_minor",
            order_id,
            period,
            start.unix_millis()
        )?);
    }
    Ok(statements)
}
