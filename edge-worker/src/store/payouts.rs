//! On-chain payouts: the signed transactions (stored before broadcast), which orders
//! each pays, and the coins they reserve.
//!
//! Never pay twice: a transaction, its orders and its coins are written in one batch
//! before the first broadcast; a guard that fails (an order no longer pending, a coin
//! already reserved) aborts the whole batch. A stored transaction is only ever
//! rebroadcast byte for byte, marked sent, confirmed or rejected: its orders never go
//! back to payable.

use serde::Deserialize;
use worker::{query, D1Database};

use super::changes;
use super::StoreError;

#[derive(Debug, Clone, Deserialize)]
pub struct PayoutTxRow {
    pub txid: String,
    pub raw_tx: String,
}

/// A live order waiting for its payout, oldest first.
#[derive(Debug, Clone, Deserialize)]
pub struct WaitingOrder {
    pub order_id: String,
    pub quote_json: String,
    pub destination_address: String,
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
    /// (order id, output index).
    pub items: Vec<(&'a str, u32)>,
    /// `txid:vout` of every input.
    pub coins: Vec<String>,
}

/// Live orders of a currency still `pending` with no payout transaction, oldest first.
pub async fn waiting_orders(
    db: &D1Database,
    crypto: &str,
    network: &str,
    limit: u32,
) -> Result<Vec<WaitingOrder>, StoreError> {
    Ok(query!(
        db,
        "SELECT o.order_id, o.quote_json, o.destination_address FROM orders o
         WHERE o.livemode = 1 AND o.crypto = ?1 AND o.network = ?2 AND o.status = 'pending'
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
    for (order_id, output) in &tx.items {
        // A NULL output index (NOT NULL column) fails the whole batch when the order
        // is no longer a pending live order.
        statements.push(query!(
            db,
            "INSERT INTO payout_items (order_id, txid, output_index)
             SELECT ?1, ?2, CASE WHEN EXISTS (SELECT 1 FROM orders WHERE order_id = ?1
                 AND status = 'pending' AND livemode = 1) THEN ?3 ELSE NULL END",
            order_id,
            tx.txid,
            output
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
    Ok(query!(
        db,
        "SELECT txid, raw_tx FROM payout_txs WHERE crypto = ?1 AND status = ?2
         ORDER BY created_at",
        crypto,
        status
    )?
    .all()
    .await?
    .results::<PayoutTxRow>()?)
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
        "UPDATE payout_txs SET status = ?3, last_error = COALESCE(?4, last_error), updated_at = ?5
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
