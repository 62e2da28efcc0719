//! Outbound HTTP with a deadline: a slow Esplora server or webhook receiver must not
//! hold a request (or a queue message) until the platform kills it.

use std::time::Duration;

use futures_util::future::{select, Either};
use worker::{AbortController, Delay, Fetch, Response};

/// Sends `fetch`, aborting it after `timeout`. The error is a sentence for logs and
/// problem details.
pub async fn send(fetch: Fetch, timeout: Duration) -> Result<Response, String> {
    let controller = AbortController::default();
    let signal = controller.signal();
    let request = Box::pin(async move { fetch.send_with_signal(&signal).await });
    match select(request, Box::pin(Delay::from(timeout))).await {
        Either::Left((result, _)) => result.map_err(|e| e.to_string()),
        Either::Right(_) => {
            controller.abort();
            Err(format!("no answer within {} s", timeout.as_secs()))
        }
    }
}
