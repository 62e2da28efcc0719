//! Dead letters: each queue has a dead-letter queue (wrangler.toml) whose messages, ones
//! the queue retried `max_retries` times, this worker consumes and records in D1, so the
//! operator can list them (`GET /v1/admin/dead-letters`) and replay one (`POST
//! /v1/admin/dead-letters/{id}/replay`: the same job sent again, a webhook event made
//! due now). The sweeper repairs most of them anyway; replaying is always safe.

use cryptoexchange_core::api::{DeadLetterResponse, DeadLettersPage};
use worker::d1::serde_wasm_bindgen;
use worker::{console_error, Env, MessageBatch, MessageExt, Request, Response};

use crate::auth::require_admin;
use crate::ids;
use crate::problem::ApiError;
use crate::settlement::{enqueue, Job};
use crate::store::{self, outbox::DeadLetter};

pub async fn record_batch(batch: &MessageBatch<Job>, queue: &str, env: &Env) {
    let original = queue.trim_end_matches("-dlq");
    for message in batch.raw_iter() {
        let body = serde_wasm_bindgen::from_value::<serde_json::Value>(message.body())
            .map(|v| v.to_string())
            .unwrap_or_else(|e| format!("\"unreadable: {e}\""));
        let recorded = match env.d1("DB") {
            Ok(db) => store::outbox::record_dead_letter(
                &db,
                &message.id(),
                original,
                &body,
                ids::now_ms(),
            )
            .await
            .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        match recorded {
            Ok(()) => {
                console_error!("dead letter from {original}: {body}");
                message.ack();
            }
            Err(e) => {
                console_error!("dead letter {} not recorded: {e}", message.id());
                message.retry();
            }
        }
    }
}

fn view(d: DeadLetter) -> Result<DeadLetterResponse, ApiError> {
    let job = serde_json::from_str(&d.body).map_err(|e| {
        ApiError::internal(format!("dead letter {} unreadable: {e}", d.dead_letter_id))
    })?;
    Ok(DeadLetterResponse {
        id: d.dead_letter_id,
        queue: d.queue,
        job,
        received_at: ids::time_of(d.received_at),
        replayed_at: d.replayed_at.map(ids::time_of),
    })
}

/// `GET /v1/admin/dead-letters[?all=true]`: those not replayed yet (all with `all`).
pub async fn list(req: &Request, env: &Env) -> Result<Response, ApiError> {
    require_admin(req, env)?;
    let mut all = false;
    for (name, value) in req.url()?.query_pairs() {
        match (name.as_ref(), value.as_ref()) {
            ("all", "true") => all = true,
            ("all", "false") => all = false,
            _ => {
                return Err(ApiError::InvalidParameter {
                    name: "query",
                    detail: "only `all`, true or false".into(),
                })
            }
        }
    }
    let rows = store::outbox::dead_letters(&env.d1("DB")?, all, 100).await?;
    let dead_letters = rows.into_iter().map(view).collect::<Result<_, _>>()?;
    crate::routes::json(200, &DeadLettersPage { dead_letters })
}

/// `POST /v1/admin/dead-letters/{id}/replay`.
pub async fn replay(req: &Request, env: &Env, id: &str) -> Result<Response, ApiError> {
    require_admin(req, env)?;
    let db = env.d1("DB")?;
    let letter = store::outbox::dead_letter(&db, id)
        .await?
        .ok_or(ApiError::NotFound {
            what: "dead letter",
        })?;
    let job: Job = serde_json::from_str(&letter.body)
        .map_err(|e| ApiError::internal(format!("dead letter {id} unreadable: {e}")))?;
    let now = ids::now_ms();
    if let Job::Deliver { event_id } = &job {
        store::webhooks::make_due(&db, event_id, now).await?;
    }
    enqueue(env, job, 0).await?;
    store::outbox::mark_replayed(&db, id, now).await?;
    let replayed = store::outbox::dead_letter(&db, id)
        .await?
        .ok_or(ApiError::NotFound {
            what: "dead letter",
        })?;
    crate::routes::json(200, &view(replayed)?)
}
