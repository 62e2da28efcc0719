//! Webhooks as the Standard Webhooks specification has them
//! (<https://www.standardwebhooks.com/>, spec/standard-webhooks.md of
//! github.com/standard-webhooks/standard-webhooks), so clients verify them with the stock
//! libraries (npm/PyPI `standardwebhooks`, Svix):
//! - `webhook-id`: the event id, the same on every attempt (receivers drop duplicates);
//! - `webhook-timestamp`: Unix seconds of this attempt;
//! - `webhook-signature`: `v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`, one per
//!   secret, space-separated (a secret rotation signs with the old and the new secret);
//!   signed afresh for each attempt. A secret is `whsec_` + base64 of the key bytes.
//!
//! Retries follow the specification's example schedule (about three days) with jitter;
//! a 2xx is success, anything else (3xx included: redirects are not followed) a failure,
//! and 410 Gone disables the endpoint. Delivery itself runs in `delivery.rs`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use cryptoexchange_core::api::{OrderStatusChanged, WebhookEvent};
use cryptoexchange_core::order::{FailureReason, OrderStatus};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use worker::{Fetch, Headers, Method, Request, RequestInit, RequestRedirect, Url};

use crate::problem::ApiError;

pub const SECRET_PREFIX: &str = "whsec_";

/// A receiver that takes longer is treated as failed (the specification recommends a
/// timeout between 15 and 30 s).
const DELIVERY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

/// The specification's example retry schedule: the delay before each attempt, from the
/// first (immediately) to the tenth, 75 h 35 min 5 s after the first.
pub const RETRY_SCHEDULE_SECONDS: [u32; 10] = [
    0, 5, 300, 1_800, 7_200, 18_000, 36_000, 50_400, 72_000, 86_400,
];

/// Queue delays stop at 12 hours; a longer wait is left to the cron sweeper.
pub const MAX_QUEUE_DELAY_SECONDS: u32 = 12 * 3600;

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

/// A new signing secret: `whsec_` + base64 of 32 random bytes.
pub fn new_secret() -> Result<String, ApiError> {
    let mut key = [0u8; 32];
    getrandom::getrandom(&mut key).map_err(|e| ApiError::internal(format!("getrandom: {e}")))?;
    Ok(format!("{SECRET_PREFIX}{}", STANDARD.encode(key)))
}

/// The key bytes of a secret (`whsec_` + base64; the prefix is optional as in the
/// reference libraries). Older secrets, `whsec_` + 64 hex digits, are valid base64 too
/// and decode to the same bytes a stock verifier uses.
fn key_bytes(secret: &str) -> Option<Vec<u8>> {
    let encoded = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
    STANDARD.decode(encoded).ok().filter(|k| !k.is_empty())
}

/// `v1,<base64 signature>` of one message under one secret; None for a secret that is
/// not base64.
pub fn sign(secret: &str, msg_id: &str, timestamp: i64, body: &str) -> Option<String> {
    let key = key_bytes(secret)?;
    // HMAC takes keys of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(msg_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    Some(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// The `webhook-signature` value: one signature per usable secret, space-separated (the
/// first is the current secret; the others are secrets still valid during a rotation).
pub fn signature_header(secrets: &[&str], msg_id: &str, timestamp: i64, body: &str) -> String {
    secrets
        .iter()
        .filter_map(|s| sign(s, msg_id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

/// When the attempt after `attempts_made` failed ones runs, or None when the schedule
/// is exhausted. `jitter` in [0, 1) moves the delay by -10 % to +10 %.
pub fn next_attempt_delay_ms(schedule: &[u32], attempts_made: u32, jitter: f64) -> Option<i64> {
    let base = i64::from(*schedule.get(attempts_made as usize)?) * 1000;
    let factor = 0.9 + 0.2 * jitter.clamp(0.0, 1.0);
    Some((base as f64 * factor).round() as i64)
}

/// The queue delay (whole seconds) for a wait of `delay_ms`, or None when it is longer
/// than a queue delay may be: the cron sweeper sends it when due.
pub fn queue_delay_seconds(delay_ms: i64) -> Option<u32> {
    let seconds = u32::try_from((delay_ms.max(0) + 999) / 1000).ok()?;
    (seconds <= MAX_QUEUE_DELAY_SECONDS).then_some(seconds)
}

/// The retry schedule in force: `WEBHOOK_RETRY_SCHEDULE` (comma-separated seconds, for
/// tests) or the specification's.
pub fn retry_schedule(env: &worker::Env) -> Vec<u32> {
    env.var("WEBHOOK_RETRY_SCHEDULE")
        .ok()
        .map(|v| {
            v.to_string()
                .split(',')
                .filter_map(|s| s.trim().parse().ok())
                .collect::<Vec<u32>>()
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| RETRY_SCHEDULE_SECONDS.to_vec())
}

/// What one POST came to.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// 410 Gone: the receiver wants no more webhooks; the endpoint is disabled.
    Gone,
    Failed(String),
}

pub fn outcome_of_status(status: u16) -> Outcome {
    match status {
        200..=299 => Outcome::Delivered,
        410 => Outcome::Gone,
        300..=399 => Outcome::Failed(format!("HTTP {status}: redirects are not followed")),
        _ => Outcome::Failed(format!("HTTP {status}")),
    }
}

/// POSTs one event, signed now with every secret; redirects are not followed.
pub async fn post(
    url: &str,
    secrets: &[&str],
    event_id: &str,
    timestamp: i64,
    body: &str,
) -> Outcome {
    match try_post(url, secrets, event_id, timestamp, body).await {
        Ok(status) => outcome_of_status(status),
        Err(e) => Outcome::Failed(e),
    }
}

async fn try_post(
    url: &str,
    secrets: &[&str],
    event_id: &str,
    timestamp: i64,
    body: &str,
) -> Result<u16, String> {
    let url = Url::parse(url).map_err(|e| format!("bad webhook_url: {e}"))?;
    let signature = signature_header(secrets, event_id, timestamp, body);
    if signature.is_empty() {
        return Err("no usable webhook secret".into());
    }
    let headers = Headers::new();
    let set = |k: &str, v: &str| headers.set(k, v).map_err(|e| e.to_string());
    set("content-type", "application/json")?;
    set("webhook-id", event_id)?;
    set("webhook-timestamp", &timestamp.to_string())?;
    set("webhook-signature", &signature)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers.clone())
        .with_redirect(RequestRedirect::Manual)
        .with_body(Some(body.into()));
    let request = Request::new_with_init(url.as_str(), &init).map_err(|e| e.to_string())?;
    let response = crate::outbound::send(Fetch::Request(request), DELIVERY_TIMEOUT).await?;
    Ok(response.status_code())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// tests/vectors/standard-webhooks.json: the signing example of the specification's
    /// reference libraries (see tests/vectors/README.md).
    #[derive(serde::Deserialize)]
    struct Vector {
        secret: String,
        msg_id: String,
        timestamp: i64,
        payload: String,
        signature: String,
    }

    fn vectors() -> Vec<Vector> {
        serde_json::from_str(include_str!("../tests/vectors/standard-webhooks.json")).unwrap()
    }

    #[test]
    fn signs_the_specification_test_vector() {
        for v in vectors() {
            assert_eq!(
                sign(&v.secret, &v.msg_id, v.timestamp, &v.payload).as_deref(),
                Some(v.signature.as_str())
            );
            assert_ne!(
                sign(&v.secret, &v.msg_id, v.timestamp + 1, &v.payload).as_deref(),
                Some(v.signature.as_str())
            );
        }
    }

    #[test]
    fn a_rotation_sends_one_signature_per_secret_space_separated() {
        let v = &vectors()[0];
        let other = "whsec_c2Vjb25kIHNlY3JldCBrZXkgYnl0ZXM=";
        let header = signature_header(&[other, &v.secret], &v.msg_id, v.timestamp, &v.payload);
        let parts: Vec<&str> = header.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[1], v.signature);
        assert!(parts[0].starts_with("v1,") && parts[0] != v.signature);
        // A secret that is not base64 signs nothing.
        assert_eq!(signature_header(&["whsec_***"], "m", 1, "{}"), "");
    }

    #[test]
    fn the_default_schedule_spans_about_three_days() {
        let total: u32 = RETRY_SCHEDULE_SECONDS.iter().sum();
        assert_eq!(total, 75 * 3600 + 35 * 60 + 5);
        assert_eq!(
            next_attempt_delay_ms(&RETRY_SCHEDULE_SECONDS, 1, 0.5),
            Some(5_000)
        );
        assert_eq!(
            next_attempt_delay_ms(&RETRY_SCHEDULE_SECONDS, 2, 0.0),
            Some(270_000)
        );
        assert_eq!(
            next_attempt_delay_ms(&RETRY_SCHEDULE_SECONDS, 2, 1.0),
            Some(330_000)
        );
        assert_eq!(
            next_attempt_delay_ms(&RETRY_SCHEDULE_SECONDS, 10, 0.5),
            None
        );
    }

    #[test]
    fn waits_beyond_twelve_hours_are_left_to_the_sweeper() {
        assert_eq!(queue_delay_seconds(0), Some(0));
        assert_eq!(queue_delay_seconds(4_500), Some(5));
        assert_eq!(queue_delay_seconds(36_000_000), Some(36_000));
        assert_eq!(queue_delay_seconds(43_200_000), Some(43_200));
        assert_eq!(queue_delay_seconds(50_400_000), None);
    }

    #[test]
    fn only_2xx_delivers_and_410_disables() {
        assert_eq!(outcome_of_status(204), Outcome::Delivered);
        assert_eq!(outcome_of_status(410), Outcome::Gone);
        assert!(matches!(outcome_of_status(301), Outcome::Failed(e) if e.contains("redirect")));
        assert!(matches!(outcome_of_status(500), Outcome::Failed(_)));
    }
}
