//! The latest rate table, one KV key. Both the cron refresh and the admin override
//! write it; the latest write wins.

use worker::KvStore;

use super::StoreError;

const LATEST_RATES_KEY: &str = "rates:latest";

/// The stored JSON of the latest rate table, if any was ever written.
pub async fn latest(kv: &KvStore) -> Result<Option<String>, StoreError> {
    Ok(kv.get(LATEST_RATES_KEY).text().await?)
}

pub async fn put_latest(kv: &KvStore, json: &str) -> Result<(), StoreError> {
    kv.put(LATEST_RATES_KEY, json)?.execute().await?;
    Ok(())
}
