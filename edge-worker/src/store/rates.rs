//! The rate book (`core::aggregate::RateBook`), one KV key. The cron refresh and the
//! admin override both read it, change it and write it back; the latest write wins.

use worker::KvStore;

use super::StoreError;

const RATE_BOOK_KEY: &str = "rates:book";

/// The stored JSON of the rate book, if any was ever written.
pub async fn book(kv: &KvStore) -> Result<Option<String>, StoreError> {
    Ok(kv.get(RATE_BOOK_KEY).text().await?)
}

pub async fn put_book(kv: &KvStore, json: &str) -> Result<(), StoreError> {
    kv.put(RATE_BOOK_KEY, json)?.execute().await?;
    Ok(())
}
