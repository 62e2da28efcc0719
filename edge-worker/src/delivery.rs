//! Webhook delivery from the `WEBHOOKS` queue: one message per event, each attempt
//! counted in D1 (the worker crate exposes no attempt count of a message).
//!
//! An attempt: claim the event in D1 (due, pending, no earlier event of its order still
//! pending; the claim counts the attempt and leases the event so a duplicate message
//! finds it not due), POST it signed afresh (`webhook.rs`), record the outcome. A failure
//! schedules the next attempt by the retry schedule with jitter: a wait up to 12 h is a
//! delayed message, a longer one is left to the cron sweeper (`next_attempt_at`). A
//! delivered or abandoned event sends the next pending event of its order, so a
//! receiver gets an order's events in sequence.

use worker::{console_error, console_log, Env};

use crate::faults;
use crate::ids;
use crate::problem::ApiError;
use crate::settlement::{enqueue, Job, Next};
use crate::store::webhooks::{self, Recorded};
use crate::webhook::{self, Outcome};

/// A message may arrive this early for its attempt (queue delays are whole seconds).
const EARLY_SLACK_MS: i64 = 2_000;
/// A claimed attempt holds the event this long (past the POST's deadline); if the
/// worker dies meanwhile, the sweeper finds it overdue after that.
const LEASE_MS: i64 = 30_000;

pub async fn deliver(env: &Env, event_id: &str) -> Result<Next, ApiError> {
    let db = env.d1("DB")?;
    let now = ids::now_ms();
    faults::before_batch(env, "claim_delivery")?;
    let Some((claimed, endpoint)) =
        webhooks::claim(&db, event_id, now, now + EARLY_SLACK_MS, now + LEASE_MS).await?
    else {
        // Delivered, given up, not due yet, or waiting for an earlier event of its
        // order: nothing to do for this message.
        return Ok(Next::Done);
    };
    faults::after_batch(env, "claim_delivery")?;
    let url =
        serde_json::from_str::<cryptoexchange_core::config::ClientConfig>(&endpoint.config_json)
            .ok()
            .and_then(|c| c.webhook_url);
    let mut disable = None;
    let failure;
    let recorded = match (url, endpoint.disabled_at) {
        (None, _) => Recorded::NoEndpoint,
        (Some(_), Some(_)) => Recorded::Failed("the endpoint is disabled (it answered 410 Gone)"),
        (Some(url), None) => {
            // Every current secret (two during a rotation's overlap), unsealed with the
            // master key: the receiver accepts any one of the signatures.
            let keys = crate::secrets::MasterKeys::from_env(env)?;
            let secrets = crate::store::webhook_secrets::signing_secrets(
                &db,
                &keys,
                &claimed.client_id,
                &endpoint.webhook_secret,
                now,
            )
            .await?;
            let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
            match webhook::post(&url, &secrets, event_id, now / 1000, &claimed.body).await {
                Outcome::Delivered => Recorded::Delivered,
                Outcome::Gone => {
                    disable = Some("the endpoint answered 410 Gone");
                    Recorded::Failed("HTTP 410 Gone: endpoint disabled")
                }
                Outcome::Failed(error) => {
                    failure = error;
                    let schedule = webhook::retry_schedule(env);
                    let jitter = jitter();
                    match webhook::next_attempt_delay_ms(&schedule, claimed.attempts, jitter) {
                        Some(delay) => Recorded::RetryAt(ids::now_ms() + delay, &failure),
                        None => Recorded::Failed(&failure),
                    }
                }
            }
        }
    };
    let done = ids::now_ms();
    faults::before_batch(env, "record_delivery")?;
    let (written, next_of_order) =
        webhooks::record(&db, &claimed, &recorded, done, disable).await?;
    if !written {
        console_log!("event {event_id}: a later attempt took over; outcome not recorded");
    }
    match &recorded {
        Recorded::RetryAt(at, error) => {
            console_log!(
                "event {event_id}: attempt {} failed ({error})",
                claimed.attempts
            );
            if let Some(delay) = webhook::queue_delay_seconds(at - done) {
                let job = Job::Deliver {
                    event_id: event_id.to_owned(),
                };
                if let Err(e) = enqueue(env, job, delay).await {
                    console_error!(
                        "event {event_id}: retry not enqueued ({e:?}); the sweeper will"
                    );
                }
            }
        }
        Recorded::Failed(error) => {
            console_error!(
                "event {event_id}: given up after {} attempts: {error}",
                claimed.attempts
            )
        }
        Recorded::Delivered | Recorded::NoEndpoint => {}
    }
    if let Some(next) = next_of_order {
        if let Err(e) = enqueue(env, Job::Deliver { event_id: next }, 0).await {
            console_error!("event {event_id}: successor not enqueued ({e:?}); the sweeper will");
        }
    }
    Ok(Next::Done)
}

/// A uniform draw in [0, 1) for the retry jitter (the middle when none can be drawn).
fn jitter() -> f64 {
    crate::ids::random_fraction().unwrap_or(0.5)
}
