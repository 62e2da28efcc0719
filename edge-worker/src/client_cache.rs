//! This isolate's copy of the clients it placed orders for, by key digest, so that the
//! happy path of a placement makes no read before its write (routes/orders.rs). Safe to
//! be stale: a placement binds the key digest and the configuration it planned with into
//! its write's guard (`store::orders::PlannedWith`), so a revoked or expired key or a
//! changed configuration writes nothing and the placement goes the read path, which
//! forgets the copy. Scopes and IP allowlists are never changed on a key (a new key is
//! made instead), so the copy's are the stored ones.

use std::cell::RefCell;
use std::collections::HashMap;

use crate::store::clients::ClientRow;

/// How long a copy is used: it only saves a read, so a minute is plenty.
const KEEP_MS: i64 = 60_000;
/// At most this many keys are kept (the copy is dropped whole when full).
const MAX_KEYS: usize = 1_000;

thread_local! {
    static CLIENTS: RefCell<HashMap<String, (i64, ClientRow)>> = RefCell::new(HashMap::new());
}

/// The client of this key digest as read at most [`KEEP_MS`] before `now_ms`.
pub fn recall(digest: &str, now_ms: i64) -> Option<ClientRow> {
    CLIENTS.with(|clients| {
        clients
            .borrow()
            .get(digest)
            .filter(|(at, _)| (0..KEEP_MS).contains(&(now_ms - at)))
            .map(|(_, client)| client.clone())
    })
}

pub fn remember(digest: &str, client: &ClientRow, now_ms: i64) {
    CLIENTS.with(|clients| {
        let mut clients = clients.borrow_mut();
        if clients.len() >= MAX_KEYS && !clients.contains_key(digest) {
            clients.clear();
        }
        clients.insert(digest.to_owned(), (now_ms, client.clone()));
    });
}

pub fn forget(digest: &str) {
    CLIENTS.with(|clients| clients.borrow_mut().remove(digest));
}
