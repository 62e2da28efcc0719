//! On-chain payouts: the signed transactions (stored before broadcast), which orders
//! each pays, and the coins they reserve.
//!
//! Never pay twice: a transaction, its orders and its coins are written in one batch
//! before the first broadcast; a guard that fails (an order no longer pending, a coin
//! already reserved) aborts the whole batch. A stored transaction is only ever
//! rebroadcast byte for byte, marked sent, confirmed or rejected: its orders never go
//! back to payable.

use cryptoexchange_core::order::OrderStatus;
use cryptoexchange_core::{Crypto, Network};
use serde::Deserialize;
use worker::{query, D1Database};

use super::changes;
use super::StoreError;

#[derive(Debug, Clone, Deserialize)]
pub struct PayoutTxRow {
    pub txid: String,
    pub raw_tx: String,
    pub plan_json: String,
    pub status: String,
    /// The first transaction of the payout this one replaces (a fee bump), if any.
    pub replaces: Option<String>,
    pub sent_at: Option<i64>,
}

impl PayoutTxRow {
    /// The first transaction of its payout: the one its orders' items name.
    pub fn original(&self) -> &str {
        self.replaces.as_deref().unwrap_or(&self.txid)
    }
}

const TX_COLUMNS: &str = "txid, raw_tx, plan_json, status, replaces, sent_at";

/// A live order waiting for its payout, oldest first.
#[derive(Debug, Clone, Deserialize)]
pub struct WaitingOrder {
    pub order_id: String,
    pub quote_json: String,
    pub destination_address: String,
    /// `released` when the operator let a held payout go; otherwise never held.
    pub hold: Option<String>,
}

pub struct NewPayoutTx<'a> {
    pub txid: &'a str,
    pub crypto: &'a str,
    pub network: &'a str,
    pub raw_tx: &'a str,
    pub plan_json: &'a str,
    pub fee: u64,
    pub vsize: u64,
    pub now_ms: i64,
    /// (order id, output index, amount in base units).
    pub items: Vec<(&'a str, u32, u64)>,
    /// `txid:vout` of every input.
    pub coins: Vec<String>,
}

/// Live orders of a currency still `pending` with no payout transaction, oldest first,
/// leaving out those the daily cap holds or the operator failed.
pub async fn waiting_orders(
    db: &D1Database,
    crypto: &str,
    network: &str,
    limit: u32,
) -> Result<Vec<WaitingOrder>, StoreError> {
    Ok(query!(
        db,
        "SELECT o.order_id, o.quote_json, o.destination_address, h.status AS hold FROM orders o
         LEFT JOIN payout_holds h ON h.order_id = o.order_id
         WHERE o.livemode = 1 AND o.crypto = ?1 AND o.network = ?2 AND o.status = 'pending'
           AND (h.status IS NULL OR h.status = 'released')
           AND NOT EXISTS (SELECT 1 FROM payout_items i WHERE i.order_id = o.order_id)
         ORDER BY o.created_at, o.order_id LIMIT ?3",
        crypto,
        network,
        limit
    )?
    .all()
    .await?
    .results::<WaitingOrder>()?)
}

/// Outpoints (`txid:vout`) spent by our transactions that are not rejected.
pub async fn reserved_coins(db: &D1Database) -> Result<Vec<String>, StoreError> {
    #[derive(Deserialize)]
    struct Row {
        outpoint: String,
    }
    Ok(db
        .prepare("SELECT outpoint FROM reserved_coins")
        .all()
        .await?
        .results::<Row>()?
        .into_iter()
        .map(|r| r.outpoint)
        .collect())
}

/// Writes the signed transaction, its orders and its coins, or nothing. False when a
/// guard refused (an order moved or was taken, a coin is already reserved).
///
/// Signatures are deterministic (RFC 6979): the same coins paying the same amounts give
/// the same txid as a transaction the node rejected before, which is then signed anew.
/// The same txid while it is still signed or sent cannot be written twice: its coins
/// are still reserved, and the batch fails.
pub async fn insert_signed(db: &D1Database, tx: &NewPayoutTx<'_>) -> Result<bool, StoreError> {
    let mut statements = vec![query!(
        db,
        "INSERT INTO payout_txs (txid, crypto, network, raw_tx, plan_json, fee, vsize, status, attempts, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'signed', 0, ?8, ?8)
         ON CONFLICT (txid) DO UPDATE SET status = 'signed', plan_json = excluded.plan_json,
           attempts = 0, last_error = NULL, updated_at = excluded.updated_at
         WHERE payout_txs.status = 'rejected'",
        tx.txid,
        tx.crypto,
        tx.network,
        tx.raw_tx,
        tx.plan_json,
        tx.fee,
        tx.vsize,
        tx.now_ms
    )?];
    for (order_id, output, amount) in &tx.items {
        // A NULL output index (NOT NULL column) fails the whole batch when the order
        // is no longer a pending live order, or the daily cap holds it, or the
        // operator failed it.
        statements.push(query!(
            db,
            "INSERT INTO payout_items (order_id, txid, output_index, amount)
             SELECT ?1, ?2, CASE WHEN EXISTS (SELECT 1 FROM orders WHERE order_id = ?1
                 AND status = 'pending' AND livemode = 1)
               AND NOT EXISTS (SELECT 1 FROM payout_holds WHERE order_id = ?1
                 AND status <> 'released') THEN ?3 ELSE NULL END, ?4",
            order_id,
            tx.txid,
            output,
            amount
        )?);
    }
    for coin in &tx.coins {
        statements.push(query!(
            db,
            "INSERT INTO reserved_coins (outpoint, txid) VALUES (?1, ?2)",
            coin,
            tx.txid
        )?);
    }
    match db.batch(statements).await {
        Ok(_) => Ok(true),
        Err(e) if is_constraint(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

fn is_constraint(e: &worker::Error) -> bool {
    let text = e.to_string();
    text.contains("UNIQUE constraint failed") || text.contains("NOT NULL constraint failed")
}

pub async fn in_status(
    db: &D1Database,
    crypto: &str,
    status: &str,
) -> Result<Vec<PayoutTxRow>, StoreError> {
    let sql = format!(
        "SELECT {TX_COLUMNS} FROM payout_txs WHERE crypto = ?1 AND status = ?2 ORDER BY created_at"
    );
    Ok(query!(db, &sql, crypto, status)?
        .all()
        .await?
        .results::<PayoutTxRow>()?)
}

/// Unconfirmed transactions of payouts that were fee-bumped (a replaced original or a
/// replacement): either may still lose to the other, so their change is not spent
/// before it confirms (a child would vanish with its parent).
pub async fn bumped_unsettled(db: &D1Database, crypto: &str) -> Result<Vec<String>, StoreError> {
    #[derive(Deserialize)]
    struct Row {
        txid: String,
    }
    Ok(query!(
        db,
        "SELECT txid FROM payout_txs WHERE crypto = ?1 AND status IN ('signed', 'sent', 'replaced')
           AND (replaces IS NOT NULL OR status = 'replaced')",
        crypto
    )?
    .all()
    .await?
    .results::<Row>()?
    .into_iter()
    .map(|r| r.txid)
    .collect())
}

/// A fee bump of a sent payout, signed, to store before its broadcast.
pub struct NewReplacement<'a> {
    pub txid: &'a str,
    /// The payout's first transaction.
    pub original: &'a str,
    /// The transaction it outbids, which must still be `sent`.
    pub outbids: &'a str,
    pub crypto: &'a str,
    pub network: &'a str,
    pub raw_tx: &'a str,
    pub plan_json: &'a str,
    pub fee: u64,
    pub vsize: u64,
    pub now_ms: i64,
}

/// Stores a replacement as `signed`, or nothing (false) when the transaction it outbids
/// is no longer `sent` or the payout already has a replacement waiting to go out. Its
/// coins stay reserved by the original, whose inputs it spends.
pub async fn insert_replacement(
    db: &D1Database,
    r: &NewReplacement<'_>,
) -> Result<bool, StoreError> {
    let result = query!(
        db,
        "INSERT INTO payout_txs (txid, crypto, network, raw_tx, plan_json, fee, vsize, status,
           attempts, created_at, updated_at, replaces)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, 'signed', 0, ?8, ?8, ?9
         WHERE EXISTS (SELECT 1 FROM payout_txs WHERE txid = ?10 AND status = 'sent')
           AND NOT EXISTS (SELECT 1 FROM payout_txs
                           WHERE (txid = ?9 OR replaces = ?9) AND status = 'signed')
         ON CONFLICT (txid) DO NOTHING",
        r.txid,
        r.crypto,
        r.network,
        r.raw_tx,
        r.plan_json,
        r.fee,
        r.vsize,
        r.now_ms,
        r.original,
        r.outbids
    )?
    .run()
    .await?;
    Ok(changes(&result)? == 1)
}

/// The other transactions of a payout in `from` statuses go to `to` (`replaced` when a
/// replacement was taken, `conflicted` once one of the family confirmed).
pub async fn supersede_others(
    db: &D1Database,
    original: &str,
    keep: &str,
    to: &str,
    now_ms: i64,
) -> Result<(), StoreError> {
    let from_sent_only = to == "replaced";
    query!(
        db,
        "UPDATE payout_txs SET status = ?3, updated_at = ?4
         WHERE (txid = ?1 OR replaces = ?1) AND txid <> ?2
           AND (status = 'sent' OR (?5 = 0 AND status IN ('replaced', 'signed')))",
        original,
        keep,
        to,
        now_ms,
        if from_sent_only { 1 } else { 0 }
    )?
    .run()
    .await?;
    Ok(())
}

/// Orders paid by a transaction.
pub async fn orders_of(db: &D1Database, txid: &str) -> Result<Vec<String>, StoreError> {
    #[derive(Deserialize)]
    struct Row {
        order_id: String,
    }
    Ok(query!(
        db,
        "SELECT order_id FROM payout_items WHERE txid = ?1 ORDER BY output_index",
        txid
    )?
    .all()
    .await?
    .results::<Row>()?
    .into_iter()
    .map(|r| r.order_id)
    .collect())
}

/// Guarded status change of a transaction; false when it was not in `from`.
pub async fn set_status(
    db: &D1Database,
    txid: &str,
    from: &str,
    to: &str,
    error: Option<&str>,
    now_ms: i64,
) -> Result<bool, StoreError> {
    let result = query!(
        db,
        "UPDATE payout_txs SET status = ?3, last_error = COALESCE(?4, last_error), updated_at = ?5,
           sent_at = CASE WHEN ?3 = 'sent' THEN COALESCE(sent_at, ?5) ELSE sent_at END
         WHERE txid = ?1 AND status = ?2",
        txid,
        from,
        to,
        error,
        now_ms
    )?
    .run()
    .await?;
    Ok(changes(&result)? == 1)
}

/// Counts one broadcast attempt.
pub async fn count_attempt(
    db: &D1Database,
    txid: &str,
    error: Option<&str>,
) -> Result<(), StoreError> {
    query!(
        db,
        "UPDATE payout_txs SET attempts = attempts + 1, last_error = COALESCE(?2, last_error) WHERE txid = ?1",
        txid,
        error
    )?
    .run()
    .await?;
    Ok(())
}

/// A rejected transaction frees its coins.
pub async fn release_coins(db: &D1Database, txid: &str) -> Result<(), StoreError> {
    query!(db, "DELETE FROM reserved_coins WHERE txid = ?1", txid)?
        .run()
        .await?;
    Ok(())
}

/// What the currency's payouts signed since `since_ms` pay, in base units (fees not
/// counted), leaving out transactions the node rejected. Replacements add no items, so
/// a bumped payout counts once.
pub async fn outflow_since(
    db: &D1Database,
    crypto: &str,
    network: &str,
    since_ms: i64,
) -> Result<u64, StoreError> {
    #[derive(Deserialize)]
    struct Row {
        total: u64,
    }
    let row = query!(
        db,
        "SELECT COALESCE(SUM(i.amount), 0) AS total FROM payout_items i
         JOIN payout_txs t ON t.txid = i.txid
         WHERE t.crypto = ?1 AND t.network = ?2 AND t.status <> 'rejected' AND t.created_at >= ?3",
        crypto,
        network,
        since_ms
    )?
    .first::<Row>(None)
    .await?;
    Ok(row.map_or(0, |r| r.total))
}

/// A payout the daily cap holds, as stored.
pub struct NewHold<'a> {
    pub order_id: &'a str,
    pub crypto: &'a str,
    pub network: &'a str,
    pub amount: u64,
    pub outflow: u64,
    pub cap: u64,
    pub now_ms: i64,
}

/// Holds a payout for the operator; a payout already held or decided stays as it is.
pub async fn hold(db: &D1Database, h: &NewHold<'_>) -> Result<(), StoreError> {
    query!(
        db,
        "INSERT INTO payout_holds (order_id, crypto, network, amount, outflow, cap, status, held_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'held', ?7) ON CONFLICT (order_id) DO NOTHING",
        h.order_id,
        h.crypto,
        h.network,
        h.amount,
        h.outflow,
        h.cap,
        h.now_ms
    )?
    .run()
    .await?;
    Ok(())
}

/// A hold with its order's facts.
#[derive(Debug, Clone, Deserialize)]
pub struct HoldRow {
    pub order_id: String,
    pub client_id: String,
    pub customer_id: String,
    pub crypto: Crypto,
    pub network: Network,
    pub amount: u64,
    pub destination_address: String,
    pub status: String,
    pub outflow: u64,
    pub cap: u64,
    pub order_status: OrderStatus,
    pub held_at: i64,
    pub decided_at: Option<i64>,
}

const HOLD_COLUMNS: &str = "h.order_id, o.client_id, o.customer_id, h.crypto, h.network, h.amount,
    o.destination_address, h.status, h.outflow, h.cap, o.status AS order_status, h.held_at,
    h.decided_at FROM payout_holds h JOIN orders o ON o.order_id = h.order_id";

/// The holds in `status`, oldest first.
pub async fn holds_in_status(
    db: &D1Database,
    status: &str,
    limit: u32,
) -> Result<Vec<HoldRow>, StoreError> {
    let sql = format!(
        "SELECT {HOLD_COLUMNS} WHERE h.status = ?1 ORDER BY h.held_at, h.order_id LIMIT ?2"
    );
    Ok(query!(db, &sql, status, limit)?
        .all()
        .await?
        .results::<HoldRow>()?)
}

pub async fn get_hold(db: &D1Database, order_id: &str) -> Result<Option<HoldRow>, StoreError> {
    let sql = format!("SELECT {HOLD_COLUMNS} WHERE h.order_id = ?1");
    Ok(query!(db, &sql, order_id)?.first::<HoldRow>(None).await?)
}

/// Guarded change of a hold's status; false when it was not in `from`.
pub async fn decide_hold(
    db: &D1Database,
    order_id: &str,
    from: &str,
    to: &str,
    now_ms: i64,
) -> Result<bool, StoreError> {
    let result = query!(
        db,
        "UPDATE payout_holds SET status = ?3, decided_at = ?4 WHERE order_id = ?1 AND status = ?2",
        order_id,
        from,
        to,
        now_ms
    )?
    .run()
    .await?;
    Ok(changes(&result)? == 1)
}

/// Orders of a currency the operator failed whose order is not final yet (the worker
/// stopped between the two writes): the run finishes them.
pub async fn failed_holds_unfinished(
    db: &D1Database,
    crypto: &str,
) -> Result<Vec<String>, StoreError> {
    #[derive(Deserialize)]
    struct Row {
        order_id: String,
    }
    Ok(query!(
        db,
        "SELECT h.order_id FROM payout_holds h JOIN orders o ON o.order_id = h.order_id
         WHERE h.crypto = ?1 AND h.status = 'failed' AND o.status = 'pending'",
        crypto
    )?
    .all()
    .await?
    .results::<Row>()?
    .into_iter()
    .map(|r| r.order_id)
    .collect())
}

/// A live order that has not followed its payout transaction (the worker stopped
/// between the transaction's status change and the order's).
#[derive(Debug, Clone, Deserialize)]
pub struct OrderBehind {
    pub order_id: String,
    pub txid: String,
    pub tx_status: String,
    pub last_error: Option<String>,
    /// How many orders the transaction pays.
    pub payouts: u32,
}

/// Orders behind their payout: `pending` with a signed transaction, not yet `sent` with
/// a sent one, not `completed` with a confirmed one, not `failed` with a rejected
/// original.
pub async fn orders_behind_their_tx(
    db: &D1Database,
    crypto: &str,
) -> Result<Vec<OrderBehind>, StoreError> {
    Ok(query!(
        db,
        "SELECT i.order_id, t.txid, t.status AS tx_status, t.last_error,
           (SELECT COUNT(*) FROM payout_items j WHERE j.txid = i.txid) AS payouts
         FROM payout_items i
         JOIN orders o ON o.order_id = i.order_id
         JOIN payout_txs t ON t.txid = i.txid OR t.replaces = i.txid
         WHERE t.crypto = ?1 AND o.status IN ('pending', 'processing', 'sent')
           AND ((t.status = 'signed' AND t.replaces IS NULL AND o.status = 'pending')
             OR (t.status IN ('sent', 'replaced') AND o.status IN ('pending', 'processing'))
             OR t.status = 'confirmed'
             OR (t.status = 'rejected' AND t.replaces IS NULL))",
        crypto
    )?
    .all()
    .await?
    .results::<OrderBehind>()?)
}
