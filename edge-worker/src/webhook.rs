//! Webhook delivery: each order status change is POSTed to the client's `webhook_url`,
//! signed with HMAC-SHA256 over `"{timestamp}.{body}"` using the client's webhook secret.
//!
//! Header: `CryptoExchange-Signature: t=<unix seconds>,v1=<lower-case hex>`. The receiver
//! recomputes the HMAC over the raw body and rejects old timestamps to stop replays.
//! Delivery runs from the queue; a failure is retried by the queue with a growing delay.

use cryptoexchange_core::api::{OrderStatusChanged, WebhookEvent};
use cryptoexchange_core::order::{FailureReason, OrderStatus};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use worker::{Fetch, Headers, Method, Request, RequestInit, Url};

pub const SIGNATURE_HEADER: &str = "CryptoExchange-Signature";

/// A receiver that takes longer is treated as failed; the event is retried later.
const DELIVERY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Attempts before an event is given up (its row keeps `last_error`).
pub const MAX_ATTEMPTS: u32 = 8;

/// The JSON body of one order event (`api::WebhookEvent`). `sequence` counts the
/// order's status changes from 1 (its creation), so a receiver can order events that
/// arrive out of order. `transfer` is the transaction id of a live order, or the
/// sandbox reference of a sandbox order (never shown as a `tx_id`).
#[allow(clippy::too_many_arguments)]
pub fn order_event(
    event_id: &str,
    order_id: &str,
    customer_id: &str,
    sequence: u32,
    status: OrderStatus,
    livemode: bool,
    transfer: Option<&str>,
    failure_reason: Option<FailureReason>,
    at_ms: i64,
) -> String {
    let (tx_id, sandbox_reference) = crate::settlement::split_transfer(livemode, transfer);
    let event = WebhookEvent {
        event_id: event_id.to_owned(),
        kind: "order.status_changed".to_owned(),
        sequence,
        created_at: crate::ids::time_of(at_ms),
        livemode,
        data: OrderStatusChanged {
            order_id: order_id.to_owned(),
            customer_id: customer_id.to_owned(),
            status,
            tx_id,
            sandbox_reference,
            failure_reason,
        },
    };
    // Plain strings, numbers and enums: serializing cannot fail.
    serde_json::to_string(&event).unwrap_or_default()
}

/// `v1` signature of `body` sent at `timestamp` (Unix seconds).
pub fn sign(secret: &str, timestamp: i64, body: &str) -> String {
    // HMAC accepts keys of any length, so new_from_slice cannot fail.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

pub fn signature_header(secret: &str, timestamp: i64, body: &str) -> String {
    format!("t={timestamp},v1={}", sign(secret, timestamp, body))
}

/// Seconds to wait before retry number `attempt` (1-based): 2, 4, 8 ... capped at 5 minutes.
pub fn retry_delay_seconds(attempt: u32) -> u32 {
    2u32.saturating_pow(attempt.min(16)).min(300)
}

/// POSTs one signed event; Ok only for a 2xx answer.
pub async fn deliver(url: &str, secret: &str, timestamp: i64, body: &str) -> Result<(), String> {
    let url = Url::parse(url).map_err(|e| format!("bad webhook_url: {e}"))?;
    let headers = Headers::new();
    let set = |k: &str, v: &str| headers.set(k, v).map_err(|e| e.to_string());
    set("content-type", "application/json")?;
    set(SIGNATURE_HEADER, &signature_header(secret, timestamp, body))?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers.clone())
        .with_body(Some(body.into()));
    let request = Request::new_with_init(url.as_str(), &init).map_err(|e| e.to_string())?;
    let response = crate::outbound::send(Fetch::Request(request), DELIVERY_TIMEOUT).await?;
    match response.status_code() {
        200..=299 => Ok(()),
        status => Err(format!("webhook answered HTTP {status}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_an_independent_hmac() {
        // printf '1700000000.{}' | openssl dgst -sha256 -hmac secret
        assert_eq!(
            sign("secret", 1_700_000_000, "{}"),
            "b8569b78799ff9e3cbff0fc2d63a33a2b57f3282abd07c37ae5e8e7d79a5f163"
        );
        assert_eq!(
            signature_header("secret", 1_700_000_000, "{}"),
            "t=1700000000,v1=b8569b78799ff9e3cbff0fc2d63a33a2b57f3282abd07c37ae5e8e7d79a5f163"
        );
    }

    #[test]
    fn retry_delay_grows_and_is_capped() {
        assert_eq!(retry_delay_seconds(1), 2);
        assert_eq!(retry_delay_seconds(3), 8);
        assert_eq!(retry_delay_seconds(20), 300);
    }
}
