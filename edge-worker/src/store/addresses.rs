//! Customer deposit addresses derived from the client's xpubs, and their index counters.
//!
//! The wallet gap limit: an address is used once an order of its customer was sent to
//! it. A customer's unused address is handed out again rather than a new one, and no
//! xpub ever has more than the gap limit of unused addresses, so a wallet restored from
//! the xpub (which stops looking after that many unused addresses) finds every payment.
//! Sell deposit addresses (`purpose = 'deposit'`) share the xpub's chain of indexes and
//! count toward the same gap while never funded; `store::sell` hands them out.

use serde::{Deserialize, Serialize};
use worker::{query, D1Database, D1PreparedStatement};

use super::{is_unique_violation, StoreError};

/// Whether address `a` has been used: a receive address once an order of its customer
/// was sent to it, a sell deposit address (migration 0009) once a deposit was seen at it.
pub(crate) const USED: &str = "(CASE WHEN a.purpose = 'deposit' THEN a.funded = 1 \
    ELSE EXISTS (SELECT 1 FROM orders o WHERE o.client_id = a.client_id \
    AND o.customer_id = a.customer_id AND o.destination_address = a.address) END)";

/// What allocating a customer's address needs to know, read in one round trip.
#[derive(Debug, Clone, Default)]
pub struct AllocationFacts {
    /// The customer's oldest unused address of the currency, handed out again.
    pub unused_of_customer: Option<AddressRow>,
    /// Unused addresses of the client's xpub for the currency.
    pub unused_of_xpub: u32,
    /// The index the next new address gets.
    pub next_index: u32,
}

pub async fn allocation_facts(
    db: &D1Database,
    client_id: &str,
    customer_id: &str,
    crypto: &str,
) -> Result<AllocationFacts, StoreError> {
    let mine = query!(
        db,
        &format!(
            "SELECT a.customer_id, a.crypto, a.network, a.derivation_index, a.derivation_path, a.address, a.created_at
             FROM customer_addresses a
             WHERE a.client_id = ?1 AND a.customer_id = ?2 AND a.crypto = ?3 AND a.purpose = 'receive' AND NOT {USED}
             ORDER BY a.derivation_index LIMIT 1"
        ),
        client_id,
        customer_id,
        crypto
    )?;
    let unused = query!(
        db,
        &format!(
            "SELECT COUNT(*) AS n FROM customer_addresses a WHERE a.client_id = ?1 AND a.crypto = ?2 AND NOT {USED}"
        ),
        client_id,
        crypto
    )?;
    let next = query!(
        db,
        "SELECT next_index AS n FROM address_counters WHERE client_id = ?1 AND crypto = ?2",
        client_id,
        crypto
    )?;
    #[derive(Deserialize)]
    struct Count {
        n: u32,
    }
    let results = db.batch(vec![mine, unused, next]).await?;
    let [mine, unused, next] = <[_; 3]>::try_from(results)
        .map_err(|r: Vec<_>| StoreError::corrupt(format!("{} results for 3 reads", r.len())))?;
    Ok(AllocationFacts {
        unused_of_customer: mine.results::<AddressRow>()?.pop(),
        unused_of_xpub: unused.results::<Count>()?.pop().map_or(0, |c| c.n),
        next_index: next.results::<Count>()?.pop().map_or(0, |c| c.n),
    })
}

pub enum Allocation {
    /// Written: the new address.
    Inserted,
    /// A guard refused (another request took the index, gave the customer an address, or
    /// reached the gap): nothing was written; read the facts again.
    Refused,
}

/// Takes index `a.derivation_index` (the counter must still be there) and inserts the
/// address, in one batch, guarded: only while the customer has no unused address of the
/// currency and the xpub has fewer than `gap_limit` unused addresses.
pub async fn insert_allocated(
    db: &D1Database,
    client_id: &str,
    a: &AddressRow,
    gap_limit: u32,
) -> Result<Allocation, StoreError> {
    let statements = take_index_statements(db, client_id, a, gap_limit, None)?;
    match db.batch(statements.into()).await {
        Ok(results) => match results.last() {
            Some(inserted) if super::changes(inserted)? == 1 => Ok(Allocation::Inserted),
            _ => Ok(Allocation::Refused),
        },
        Err(e) if is_unique_violation(&e) => Ok(Allocation::Refused),
        Err(e) => Err(e.into()),
    }
}

/// The statements that take index `a.derivation_index` of the client's counter and
/// insert the address there, each guarded: the counter moves only from that index and
/// while the xpub has fewer than `gap_limit` unused addresses (and, for a receive
/// address, while its customer has none unused); the row is inserted only when the
/// counter moved past the index and no row has it (had another request taken it, its
/// row would be there). `deposit_of`: a sell order's deposit address for that order.
pub(crate) fn take_index_statements(
    db: &D1Database,
    client_id: &str,
    a: &AddressRow,
    gap_limit: u32,
    deposit_of: Option<&str>,
) -> Result<[D1PreparedStatement; 3], StoreError> {
    let ensure_counter = query!(
        db,
        "INSERT OR IGNORE INTO address_counters (client_id, crypto, next_index) VALUES (?1, ?2, 0)",
        client_id,
        a.crypto
    )?;
    let customer_guard = match deposit_of {
        None => format!(
            "NOT EXISTS (SELECT 1 FROM customer_addresses a
                         WHERE a.client_id = ?1 AND a.customer_id = ?4 AND a.crypto = ?2
                           AND a.purpose = 'receive' AND NOT {USED})"
        ),
        // A sell order takes a fresh address whatever its customer holds.
        Some(_) => "?4 IS NOT NULL".to_owned(),
    };
    let take_index = query!(
        db,
        &format!(
            "UPDATE address_counters SET next_index = ?3 + 1
             WHERE client_id = ?1 AND crypto = ?2 AND next_index = ?3 AND {customer_guard}
               AND (SELECT COUNT(*) FROM customer_addresses a
                    WHERE a.client_id = ?1 AND a.crypto = ?2 AND NOT {USED}) < ?5"
        ),
        client_id,
        a.crypto,
        a.derivation_index,
        a.customer_id,
        gap_limit
    )?;
    let insert = query!(
        db,
        "INSERT INTO customer_addresses
           (client_id, customer_id, crypto, network, derivation_index, derivation_path, address, created_at,
            purpose, order_id)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, CASE WHEN ?9 IS NULL THEN 'receive' ELSE 'deposit' END, ?9
         WHERE EXISTS (SELECT 1 FROM address_counters WHERE client_id = ?1 AND crypto = ?3 AND next_index = ?5 + 1)
           AND NOT EXISTS (SELECT 1 FROM customer_addresses WHERE client_id = ?1 AND crypto = ?3 AND derivation_index = ?5)",
        client_id,
        a.customer_id,
        a.crypto,
        a.network,
        a.derivation_index,
        a.derivation_path,
        a.address,
        a.created_at,
        deposit_of
    )?;
    Ok([ensure_counter, take_index, insert])
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AddressRow {
    pub customer_id: String,
    pub crypto: String,
    pub network: String,
    pub derivation_index: u32,
    pub derivation_path: String,
    pub address: String,
    pub created_at: i64,
}

pub async fn list_for_customer(
    db: &D1Database,
    client_id: &str,
    customer_id: &str,
) -> Result<Vec<AddressRow>, StoreError> {
    Ok(query!(
        db,
        "SELECT customer_id, crypto, network, derivation_index, derivation_path, address, created_at
         FROM customer_addresses WHERE client_id = ?1 AND customer_id = ?2
         ORDER BY created_at, crypto, derivation_index",
        client_id,
        customer_id
    )?
    .all()
    .await?
    .results::<AddressRow>()?)
}
