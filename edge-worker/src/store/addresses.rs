//! Customer deposit addresses derived from the client's xpubs, and their index counters.

use serde::{Deserialize, Serialize};
use worker::{query, D1Database};

use super::StoreError;

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

/// Allocates the next derivation index of a client for a currency in one statement,
/// so two concurrent requests can never receive the same index.
pub async fn allocate_index(
    db: &D1Database,
    client_id: &str,
    crypto: &str,
) -> Result<u32, StoreError> {
    #[derive(Deserialize)]
    struct Allocated {
        idx: u32,
    }
    let row = query!(
        db,
        "INSERT INTO address_counters (client_id, crypto, next_index) VALUES (?1, ?2, 1)
         ON CONFLICT (client_id, crypto) DO UPDATE SET next_index = next_index + 1
         RETURNING next_index - 1 AS idx",
        client_id,
        crypto
    )?
    .first::<Allocated>(None)
    .await?
    .ok_or_else(|| StoreError::corrupt("index allocation returned no row"))?;
    Ok(row.idx)
}

pub async fn insert(db: &D1Database, client_id: &str, a: &AddressRow) -> Result<(), StoreError> {
    query!(
        db,
        "INSERT INTO customer_addresses
           (client_id, customer_id, crypto, network, derivation_index, derivation_path, address, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        client_id,
        a.customer_id,
        a.crypto,
        a.network,
        a.derivation_index,
        a.derivation_path,
        a.address,
        a.created_at
    )?
    .run()
    .await?;
    Ok(())
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
