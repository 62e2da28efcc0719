//! Sell orders (migration 0006): a row of `orders` with side 'sell' (so every limit sum
//! and guard counts it with the buys) and its `sell_orders` row holding the order as the
//! API shows it. Each change is one batch whose first statement is guarded by the
//! version read, and whose later statements check the random token the first wrote.

use cryptoexchange_core::api::{SellOrderResponse, SellQuoteResponse};
use cryptoexchange_core::sell::deposit::{DepositChoice, DepositHolder, UnfundedDeposit};
use cryptoexchange_core::sell::placement::{NewSellOrder, SellPriorUse};
use cryptoexchange_core::sell::SellStatus;
use cryptoexchange_core::time::Timestamp;
use serde::Deserialize;
use worker::{query, D1Database, D1PreparedStatement};

use super::addresses::AddressRow;
use super::clients::ClientRow;
use super::{changes, is_unique_violation, StoreError};

const CLIENT_OF_KEY: &str = "(SELECT client_id FROM clients WHERE api_key_sha256 = ?1)";

/// Idempotency keys of sells live beside the buys' under this prefix, so that a buy
/// retried with a key a sell used never reads a sell as a buy.
pub fn namespaced_key(key: &str) -> String {
    format!("sell:{key}")
}

/// The SQL list of statuses that no longer count toward the limits (the same list as
/// the buys': `failed`, `expired`).
fn not_counted_statuses() -> String {
    let names: Vec<String> = SellStatus::ALL
        .into_iter()
        .filter(|s| !s.counts_toward_limits())
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    format!("({})", names.join(", "))
}

/// A sell order as stored, with its version.
#[derive(Debug, Clone)]
pub struct StoredSell {
    pub client_id: String,
    pub order: SellOrderResponse,
    pub version: u32,
    pub clock_ms: i64,
}

#[derive(Deserialize)]
struct SellRow {
    client_id: String,
    order_json: String,
    version: u32,
    clock: i64,
    #[serde(default)]
    request_hash: Option<String>,
}

impl SellRow {
    fn into_stored(self) -> Result<StoredSell, StoreError> {
        let order: SellOrderResponse = serde_json::from_str(&self.order_json)
            .map_err(|e| StoreError::corrupt(format!("sell order: {e}")))?;
        Ok(StoredSell {
            client_id: self.client_id,
            order,
            version: self.version,
            clock_ms: self.clock,
        })
    }
}

/// What placing a sell needs to know, read in one round trip.
pub struct SellPlacementRead {
    pub client: Option<ClientRow>,
    pub prior: Option<SellPriorUse>,
    pub spent_today_minor: i64,
    pub spent_this_month_minor: i64,
    pub quote: Option<SellQuoteResponse>,
    pub pool: DepositPoolRead,
}

/// The xpub's addresses as the choice of a deposit index needs them
/// (`core::sell::deposit::DepositPool`).
#[derive(Debug, Clone, Default)]
pub struct DepositPoolRead {
    pub next_index: u32,
    pub unused_receive: u32,
    pub unfunded: Vec<UnfundedDeposit>,
}

/// The three reads of the deposit pool of the key's client for `crypto` (?1 the key
/// digest, ?2 the crypto): the counter, the unused receive addresses, and every unfunded
/// deposit address with its order's state.
fn pool_statements(
    db: &D1Database,
    key_digest: &str,
    crypto: &str,
) -> Result<[D1PreparedStatement; 3], StoreError> {
    let next = query!(
        db,
        &format!(
            "SELECT next_index AS n FROM address_counters WHERE client_id = {CLIENT_OF_KEY} AND crypto = ?2"
        ),
        key_digest,
        crypto
    )?;
    let unused_receive = query!(
        db,
        &format!(
            "SELECT COUNT(*) AS n FROM customer_addresses a
             WHERE a.client_id = {CLIENT_OF_KEY} AND a.crypto = ?2 AND a.purpose = 'receive'
               AND NOT {}",
            super::addresses::USED
        ),
        key_digest,
        crypto
    )?;
    let unfunded = query!(
        db,
        &format!(
            "SELECT a.derivation_index AS idx, a.order_id, s.version, o.status, s.clock, s.watched,
                    o.livemode, json_extract(s.order_json, '$.deadline') AS deadline,
                    json_array_length(s.order_json, '$.deposits') AS deposits
             FROM customer_addresses a
             LEFT JOIN sell_orders s ON s.order_id = a.order_id
             LEFT JOIN orders o ON o.order_id = a.order_id
             WHERE a.client_id = {CLIENT_OF_KEY} AND a.crypto = ?2 AND a.purpose = 'deposit'
               AND a.funded = 0
             ORDER BY a.derivation_index LIMIT 1000"
        ),
        key_digest,
        crypto
    )?;
    Ok([next, unused_receive, unfunded])
}

fn pool_of(results: [worker::D1Result; 3]) -> Result<DepositPoolRead, StoreError> {
    #[derive(Deserialize)]
    struct Count {
        n: u32,
    }
    #[derive(Deserialize)]
    struct Unfunded {
        idx: u32,
        order_id: Option<String>,
        version: Option<u32>,
        status: Option<String>,
        clock: Option<i64>,
        watched: Option<u8>,
        livemode: Option<u8>,
        deadline: Option<String>,
        deposits: Option<u32>,
    }
    let [next, unused, unfunded] = results;
    let holder = |u: &Unfunded| -> Result<Option<DepositHolder>, StoreError> {
        let (Some(version), Some(status), Some(clock), Some(deadline)) = (
            u.version,
            u.status.as_deref(),
            u.clock,
            u.deadline.as_deref(),
        ) else {
            return Ok(None);
        };
        let corrupt =
            |what: &str| StoreError::corrupt(format!("deposit address {}: {what}", u.idx));
        Ok(Some(DepositHolder {
            status: SellStatus::parse(status).ok_or_else(|| corrupt("status"))?,
            version,
            deadline: deadline
                .parse::<Timestamp>()
                .map_err(|_| corrupt("deadline"))?,
            deposits: u.deposits.unwrap_or(0) as usize,
            clock: Timestamp::from_unix_millis(clock).ok_or_else(|| corrupt("clock"))?,
            livemode: u.livemode == Some(1),
            watched: u.watched != Some(0),
        }))
    };
    let unfunded = unfunded
        .results::<Unfunded>()?
        .into_iter()
        .map(|u| {
            Ok(UnfundedDeposit {
                index: u.idx,
                order: holder(&u)?,
                order_id: u.order_id,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(DepositPoolRead {
        next_index: next.results::<Count>()?.pop().map_or(0, |c| c.n),
        unused_receive: unused.results::<Count>()?.pop().map_or(0, |c| c.n),
        unfunded,
    })
}

/// The deposit pool alone (a placement whose address claim lost a race reads it again).
pub async fn deposit_pool(
    db: &D1Database,
    key_digest: &str,
    crypto: &str,
) -> Result<DepositPoolRead, StoreError> {
    let results = db
        .batch(pool_statements(db, key_digest, crypto)?.into())
        .await?;
    let results = <[_; 3]>::try_from(results)
        .map_err(|r: Vec<_>| StoreError::corrupt(format!("{} results for 3 reads", r.len())))?;
    pool_of(results)
}

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
    crypto: &str,
) -> Result<SellPlacementRead, StoreError> {
    let client = super::clients::by_key_digest_statement(db, key_digest)?;
    let prior = query!(
        db,
        &format!(
            "SELECT k.request_hash, s.client_id, s.order_json, s.version, s.clock
             FROM idempotency_keys k JOIN sell_orders s ON s.order_id = k.order_id
             WHERE k.client_id = {CLIENT_OF_KEY} AND k.idem_key = ?2"
        ),
        key_digest,
        namespaced_key(idempotency_key)
    )?;
    // The same totals as the buys' placement (`customer_spend`): buys and sells count
    // together against one daily and one monthly limit.
    let spent = super::orders::spent_statement(
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
            "SELECT quote_json FROM sell_quotes WHERE quote_id = ?2 AND client_id = {CLIENT_OF_KEY}"
        ),
        key_digest,
        quote_id
    )?;
    let [next, unused, unfunded] = pool_statements(db, key_digest, crypto)?;
    let results = db
        .batch(vec![client, prior, spent, quote, next, unused, unfunded])
        .await?;
    let [client, prior, spent, quote, next, unused, unfunded] = <[_; 7]>::try_from(results)
        .map_err(|r: Vec<_>| StoreError::corrupt(format!("{} results for 7 reads", r.len())))?;
    #[derive(Deserialize)]
    struct Sums {
        today: i64,
        this_month: i64,
    }
    #[derive(Deserialize)]
    struct QuoteRow {
        quote_json: String,
    }
    let prior = match prior.results::<SellRow>()?.pop() {
        Some(mut row) => Some(SellPriorUse {
            fingerprint: row.request_hash.take().unwrap_or_default(),
            order: row.into_stored()?.order,
        }),
        None => None,
    };
    let sums = spent.results::<Sums>()?.into_iter().next();
    let quote = match quote.results::<QuoteRow>()?.into_iter().next() {
        Some(row) => Some(
            serde_json::from_str::<SellQuoteResponse>(&row.quote_json)
                .map_err(|e| StoreError::corrupt(format!("stored sell quote: {e}")))?,
        ),
        None => None,
    };
    Ok(SellPlacementRead {
        client: client.results::<ClientRow>()?.into_iter().next(),
        prior,
        spent_today_minor: sums.as_ref().map_or(0, |s| s.today),
        spent_this_month_minor: sums.as_ref().map_or(0, |s| s.this_month),
        quote,
        pool: pool_of([next, unused, unfunded])?,
    })
}

pub enum SellPlacement {
    Placed,
    LimitReached,
    DuplicateKey,
    /// Another placement took the deposit address (or the index) first: nothing of
    /// this order was written; choose again.
    AddressTaken,
}

/// The deposit address an order takes: which (`choice`, from the core) and what it is.
pub struct DepositClaim<'a> {
    pub choice: &'a DepositChoice,
    pub row: &'a AddressRow,
    /// Held again by the guard of a new index.
    pub gap_limit: u32,
}

/// The statements that give the order `order_id` its deposit address, guarded: a new
/// index only while the counter is still at it (so no other address was derived since
/// the pool was read) and the gap still holds, a released one only
/// while it is unfunded and its old order is as read (expired, same version) or was
/// never written. The last statement's `changes` say whether the address is the order's.
fn claim_statements(
    db: &D1Database,
    client_id: &str,
    order_id: &str,
    claim: &DepositClaim<'_>,
) -> Result<Vec<D1PreparedStatement>, StoreError> {
    let a = claim.row;
    let DepositChoice::Reuse {
        previous_order_id,
        previous_version,
        ..
    } = claim.choice
    else {
        // A new index: the counter's guarded take, as for a receive address.
        return Ok(super::addresses::take_index_statements(
            db,
            client_id,
            a,
            claim.gap_limit,
            Some(order_id),
        )?
        .into());
    };
    let previous = match previous_version {
        Some(_) => {
            "EXISTS (SELECT 1 FROM sell_orders s JOIN orders o ON o.order_id = s.order_id
                     WHERE s.order_id = ?10 AND s.version = ?11 AND o.status = 'expired')"
        }
        None => "NOT EXISTS (SELECT 1 FROM orders WHERE order_id = ?10) AND ?11 IS NULL",
    };
    Ok(vec![query!(
        db,
        &format!(
            "UPDATE customer_addresses SET customer_id = ?2, network = ?4, derivation_path = ?6,
                address = ?7, created_at = ?8, order_id = ?9
             WHERE client_id = ?1 AND crypto = ?3 AND derivation_index = ?5
               AND purpose = 'deposit' AND funded = 0 AND order_id IS ?10 AND {previous}"
        ),
        client_id,
        a.customer_id,
        a.crypto,
        a.network,
        a.derivation_index,
        a.derivation_path,
        a.address,
        a.created_at,
        order_id,
        previous_order_id,
        previous_version
    )?])
}

/// Writes the sell order (guarded by the limits, the same statement shape as the buys'),
/// its sell row, its idempotency key and its first webhook event, or nothing.
#[allow(clippy::too_many_arguments)]
pub async fn place(
    db: &D1Database,
    client_id: &str,
    new: &NewSellOrder,
    idempotency_key: &str,
    request_hash: &str,
    event_id: &str,
    event_body: &str,
    token: &str,
    claim: &DepositClaim<'_>,
) -> Result<SellPlacement, StoreError> {
    let order = &new.order;
    let q = &order.pricing.quote;
    let now_ms = order.created_at.unix_millis();
    let quote_json = serde_json::to_string(&order.pricing).map_err(StoreError::corrupt)?;
    let order_json = serde_json::to_string(order).map_err(StoreError::corrupt)?;
    let insert_order = query!(
        db,
        &format!(
            "INSERT INTO orders ({}, side)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, NULL, NULL, 1, ?12, ?12, ?17, 'sell'
             WHERE {} AND {}
               AND EXISTS (SELECT 1 FROM customer_addresses
                           WHERE client_id = ?2 AND crypto = ?4 AND order_id = ?1 AND address = ?10)",
            super::orders::ORDER_COLUMNS,
            super::orders::spend_guard("day", 13, 14),
            super::orders::spend_guard("month", 15, 16)
        ),
        order.id,
        client_id,
        order.customer_id,
        q.crypto.ticker(),
        q.network.as_str(),
        q.fiat.ticker(),
        new.fiat_total_minor,
        quote_json,
        order.quote_id,
        order.deposit_address,
        order.status.as_str(),
        now_ms,
        new.guard.day_start.unix_millis(),
        new.guard.daily_limit_minor,
        new.guard.month_start.unix_millis(),
        new.guard.monthly_limit_minor,
        u8::from(order.livemode)
    )?;
    let insert_sell = query!(
        db,
        "INSERT INTO sell_orders (order_id, client_id, crypto, deposit_address, order_json, version,
            write_token, clock, watched, created_at)
         SELECT ?1, ?2, ?3, ?4, ?5, 1, ?6, ?7, 1, ?7
         WHERE EXISTS (SELECT 1 FROM orders WHERE order_id = ?1)",
        order.id,
        client_id,
        q.crypto.ticker(),
        order.deposit_address,
        order_json,
        token,
        now_ms
    )?;
    let insert_key = query!(
        db,
        "INSERT INTO idempotency_keys (client_id, idem_key, request_hash, order_id, created_at)
         SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS (SELECT 1 FROM orders WHERE order_id = ?4)",
        client_id,
        namespaced_key(idempotency_key),
        request_hash,
        order.id,
        now_ms
    )?;
    let insert_event = event_if_token(
        db, event_id, client_id, &order.id, 1, event_body, token, now_ms,
    )?;
    let claim = claim_statements(db, client_id, &order.id, claim)?;
    let claimed_at = claim.len() - 1;
    let results = match db
        .batch(
            claim
                .into_iter()
                .chain([insert_order, insert_sell, insert_key, insert_event])
                .chain(super::orders::spend_add_statements(
                    db, &order.id, &new.guard,
                )?)
                .collect(),
        )
        .await
    {
        Ok(results) => results,
        Err(e) if is_unique_violation(&e) => return Ok(SellPlacement::DuplicateKey),
        Err(e) => return Err(e.into()),
    };
    let changed = |i: usize| -> Result<bool, StoreError> {
        Ok(match results.get(i) {
            Some(r) => changes(r)? == 1,
            None => false,
        })
    };
    if !changed(claimed_at)? {
        Ok(SellPlacement::AddressTaken)
    } else if changed(claimed_at + 1)? {
        Ok(SellPlacement::Placed)
    } else {
        Ok(SellPlacement::LimitReached)
    }
}

#[allow(clippy::too_many_arguments)]
fn event_if_token(
    db: &D1Database,
    event_id: &str,
    client_id: &str,
    order_id: &str,
    sequence: u32,
    body: &str,
    token: &str,
    now_ms: i64,
) -> Result<D1PreparedStatement, StoreError> {
    Ok(query!(
        db,
        &format!(
            "INSERT INTO webhook_events (event_id, client_id, order_id, sequence, body, attempts, created_at, state)
             SELECT ?1, ?2, ?3, ?4, ?5, 0, ?6, {}
             WHERE EXISTS (SELECT 1 FROM sell_orders WHERE order_id = ?3 AND write_token = ?7)",
            super::webhooks::STATE_AT_WRITE
        ),
        event_id,
        client_id,
        order_id,
        sequence,
        body,
        now_ms,
        token
    )?)
}

/// The client of a bearer key and one of its sell orders, in one round trip.
pub async fn get_for_key(
    db: &D1Database,
    key_digest: &str,
    order_id: &str,
) -> Result<(Option<ClientRow>, Option<StoredSell>), StoreError> {
    let client = super::clients::by_key_digest_statement(db, key_digest)?;
    let order = query!(
        db,
        &format!(
            "SELECT client_id, order_json, version, clock FROM sell_orders
             WHERE order_id = ?2 AND client_id = {CLIENT_OF_KEY}"
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
        Some(r) => r.results::<SellRow>()?.pop(),
        None => None,
    };
    Ok((client, order.map(SellRow::into_stored).transpose()?))
}

/// The live sell orders the deposit watcher still looks at, oldest first.
pub async fn watched(db: &D1Database, limit: u32) -> Result<Vec<StoredSell>, StoreError> {
    let rows = query!(
        db,
        "SELECT s.client_id, s.order_json, s.version, s.clock FROM sell_orders s
         JOIN orders o ON o.order_id = s.order_id AND o.livemode = 1
         WHERE s.watched = 1 ORDER BY s.created_at LIMIT ?1",
        limit
    )?
    .all()
    .await?
    .results::<SellRow>()?;
    rows.into_iter().map(SellRow::into_stored).collect()
}

/// One webhook event of a change.
pub struct ChangeEvent {
    pub event_id: String,
    pub body: String,
}

/// Writes a change of a sell order read at `version`: the new order, its status in
/// `orders`, and one webhook event per new sequence number. Ok(false) when another
/// change won the race (nothing written).
#[allow(clippy::too_many_arguments)]
pub async fn update(
    db: &D1Database,
    stored: &StoredSell,
    next: &SellOrderResponse,
    clock_ms: i64,
    events: &[ChangeEvent],
    token: &str,
) -> Result<bool, StoreError> {
    let order_json = serde_json::to_string(next).map_err(StoreError::corrupt)?;
    let new_version = stored.version + events.len() as u32;
    let now_ms = next.updated_at.unix_millis();
    let watched = u8::from(next.status.is_watched());
    let mut statements = vec![query!(
        db,
        "UPDATE sell_orders SET order_json = ?1, version = ?2, write_token = ?3, clock = ?4,
            watched = ?5
         WHERE order_id = ?6 AND version = ?7",
        order_json,
        new_version,
        token,
        clock_ms,
        watched,
        next.id,
        stored.version
    )?];
    statements.push(query!(
        db,
        "UPDATE orders SET status = ?1, event_sequence = ?2, updated_at = ?3
         WHERE order_id = ?4
           AND EXISTS (SELECT 1 FROM sell_orders WHERE order_id = ?4 AND write_token = ?5)",
        next.status.as_str(),
        new_version,
        now_ms,
        next.id,
        token
    )?);
    if stored.order.status.counts_toward_limits() && !next.status.counts_toward_limits() {
        // Expired or failed: its fiat value leaves the customer's totals, in this batch
        // (guarded by the write token, so only the change that won writes it).
        statements.push(super::orders::release_spend(
            db,
            &next.id,
            new_version,
            &not_counted_statuses(),
            Some(token),
        )?);
    }
    if !next.deposits.is_empty() {
        // A deposit was seen at the address: it is never handed out again.
        statements.push(query!(
            db,
            "UPDATE customer_addresses SET funded = 1
             WHERE client_id = ?1 AND crypto = ?2 AND address = ?3 AND purpose = 'deposit'
               AND funded = 0
               AND EXISTS (SELECT 1 FROM sell_orders WHERE order_id = ?4 AND write_token = ?5)",
            stored.client_id,
            next.pricing.quote.crypto.ticker(),
            next.deposit_address,
            next.id,
            token
        )?);
    }
    for (i, e) in events.iter().enumerate() {
        statements.push(event_if_token(
            db,
            &e.event_id,
            &stored.client_id,
            &next.id,
            stored.version + 1 + i as u32,
            &e.body,
            token,
            now_ms,
        )?);
    }
    let results = db.batch(statements).await?;
    match results.first() {
        Some(r) => Ok(changes(r)? == 1),
        None => Ok(false),
    }
}

/// Stores a sell quote for an order to honour until it expires.
pub async fn insert_quote(
    db: &D1Database,
    client_id: &str,
    quote: &SellQuoteResponse,
    now_ms: i64,
) -> Result<(), StoreError> {
    let json = serde_json::to_string(quote).map_err(StoreError::corrupt)?;
    query!(
        db,
        "INSERT INTO sell_quotes (quote_id, client_id, quote_json, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        quote.id,
        client_id,
        json,
        now_ms,
        quote.expires_at.unix_millis()
    )?
    .run()
    .await?;
    Ok(())
}

/// A sell order by id alone (the watcher and the reread after a lost race).
pub async fn by_id(db: &D1Database, order_id: &str) -> Result<Option<StoredSell>, StoreError> {
    query!(
        db,
        "SELECT client_id, order_json, version, clock FROM sell_orders WHERE order_id = ?1",
        order_id
    )?
    .first::<SellRow>(None)
    .await?
    .map(SellRow::into_stored)
    .transpose()
}

/// The watcher is done with an order (an expired one past its watch window): it leaves
/// the cron's batch for good.
pub async fn unwatch(db: &D1Database, order_id: &str) -> Result<(), StoreError> {
    query!(
        db,
        "UPDATE sell_orders SET watched = 0 WHERE order_id = ?1",
        order_id
    )?
    .run()
    .await?;
    Ok(())
}
