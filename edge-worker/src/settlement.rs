//! Settlement: moving a placed order to the customer's wallet, behind the `Settlement`
//! trait, with the bundled sandbox settlement driven by a Cloudflare Queue.
//!
//! Every step is a queue message delivered after a short delay: the handler reads the
//! order, asks the core's state machine for the next status, applies it with a guarded
//! update (`store::orders::transition`), enqueues the webhook delivery, and enqueues the
//! next step until the order is final. A message is acked or retried by itself; the
//! handler never returns an error (that would reset the instance and retry the batch).

use serde::{Deserialize, Serialize};
use worker::d1::serde_wasm_bindgen;
use worker::{
    console_error, console_log, Env, MessageBatch, MessageBuilder, MessageExt,
    QueueRetryOptionsBuilder, RawMessage,
};

use crate::body::sha256_hex;
use crate::ids;
use crate::mode::SettlementMode;
use crate::problem::ApiError;
use crate::store::{self, orders::OrderRow};
use crate::webhook;
use cryptoexchange_core::api::{OrderResponse, QuoteBreakdown};
use cryptoexchange_core::money::format_amount;
use cryptoexchange_core::order::{transition, OrderStatus};

mod esplora;
mod onchain;

pub const QUEUE_BINDING: &str = "SETTLEMENT";

/// Seconds between two sandbox steps; short so a demo order completes in seconds.
const STEP_DELAY_SECONDS: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Job {
    /// Take the next settlement step of an order.
    Advance { order_id: String },
    /// POST one webhook event to the client.
    Deliver { event_id: String },
}

/// A transfer the settlement made for an order: a transaction id for a live order, a
/// sandbox reference for a sandbox one (stored in the same column).
pub struct SentTransfer {
    pub tx_id: String,
}

/// The wire fields `(tx_id, sandbox_reference)` of a stored transfer: a sandbox
/// reference is never shown as a transaction id.
pub fn split_transfer(livemode: bool, transfer: Option<&str>) -> (Option<String>, Option<String>) {
    let transfer = transfer.map(str::to_owned);
    if livemode {
        (transfer, None)
    } else {
        (None, transfer)
    }
}

/// Where the coins of an order come from. The sandbox fakes the transfer; a real
/// implementation would call a custody or exchange API here.
#[allow(async_fn_in_trait)] // futures are !Send on Workers
pub trait Settlement {
    async fn send(&self, order: &OrderRow) -> Result<SentTransfer, ApiError>;
}

pub struct SandboxSettlement;

impl Settlement for SandboxSettlement {
    async fn send(&self, order: &OrderRow) -> Result<SentTransfer, ApiError> {
        // Deterministic per order, so a retried step records the same reference; its
        // `sandbox_` prefix and length keep it from passing for a transaction id.
        let digest = sha256_hex(format!("sandbox:{}", order.order_id).as_bytes());
        Ok(SentTransfer {
            tx_id: format!("sandbox_{}", &digest[..24]),
        })
    }
}

pub async fn enqueue(env: &Env, job: Job, delay_seconds: u32) -> Result<(), ApiError> {
    env.queue(QUEUE_BINDING)?
        .send(
            MessageBuilder::new(job)
                .delay_seconds(delay_seconds)
                .build(),
        )
        .await?;
    Ok(())
}

/// Queues the first settlement step of a new order and, when the client has a webhook
/// URL, the delivery of its first event, in one send.
pub async fn start(
    env: &Env,
    order_id: &str,
    first_event_id: Option<&str>,
) -> Result<(), ApiError> {
    let advance = Job::Advance {
        order_id: order_id.to_owned(),
    };
    let mut messages = vec![MessageBuilder::new(advance)
        .delay_seconds(STEP_DELAY_SECONDS)
        .build()];
    if let Some(event_id) = first_event_id {
        let deliver = Job::Deliver {
            event_id: event_id.to_owned(),
        };
        messages.push(MessageBuilder::new(deliver).delay_seconds(0).build());
    }
    env.queue(QUEUE_BINDING)?.send_batch(messages).await?;
    Ok(())
}

/// An order whose settlement has not moved for this long is assumed to have lost its
/// queue message (e.g. the enqueue after the insert failed, and the client retried).
const STALLED_AFTER_MS: i64 = 30_000;

/// Re-enqueues the next step of a stalled, unfinished order. Harmless if the original
/// message still exists: each message applies the next allowed step through a guarded
/// update, so a duplicate only speeds the order along; it never skips or repeats a state.
pub async fn resume_if_stalled(env: &Env, order: &OrderResponse) -> Result<(), ApiError> {
    let unfinished = !order.status.is_final();
    if unfinished && ids::now_ms() - order.updated_at.unix_millis() > STALLED_AFTER_MS {
        enqueue(
            env,
            Job::Advance {
                order_id: order.id.clone(),
            },
            0,
        )
        .await?;
    }
    Ok(())
}

pub async fn handle_batch(batch: MessageBatch<Job>, env: &Env) {
    // Each message is decoded alone: one unreadable message (an old format after a
    // deploy) is dropped with a log line instead of blocking the whole batch.
    for message in batch.raw_iter() {
        match serde_wasm_bindgen::from_value::<Job>(message.body()) {
            Ok(job) => handle_message(&message, &job, env).await,
            Err(e) => {
                console_error!("queue message {} unreadable, dropped: {e}", message.id());
                message.ack();
            }
        }
    }
}

async fn handle_message(message: &RawMessage, job: &Job, env: &Env) {
    let outcome = match job {
        Job::Advance { order_id } => advance(env, order_id).await,
        Job::Deliver { event_id } => deliver(env, event_id).await,
    };
    let retry_in = |seconds| {
        QueueRetryOptionsBuilder::new()
            .with_delay_seconds(seconds)
            .build()
    };
    match outcome {
        Ok(Next::Done) => message.ack(),
        Ok(Next::RetryIn(seconds)) => message.retry_with_options(&retry_in(seconds)),
        Err(e) => {
            console_error!("queue job {job:?} failed: {e}");
            message.retry_with_options(&retry_in(2));
        }
    }
}

pub(crate) enum Next {
    Done,
    RetryIn(u32),
}

/// The sandbox's script: every order goes through to completion. A real settlement
/// would fail orders here (`failed` with a `FailureReason`).
fn sandbox_next(status: OrderStatus) -> Option<OrderStatus> {
    match status {
        OrderStatus::Pending => Some(OrderStatus::Processing),
        OrderStatus::Processing => Some(OrderStatus::Sent),
        OrderStatus::Sent => Some(OrderStatus::Completed),
        _ => None,
    }
}

async fn advance(env: &Env, order_id: &str) -> Result<Next, ApiError> {
    let db = env.d1("DB")?;
    let Some(order) = store::orders::get_for_settlement(&db, order_id).await? else {
        console_error!("settlement: order {order_id} does not exist");
        return Ok(Next::Done);
    };
    // An order is settled only by the mode it was placed in: a sandbox order is never
    // paid on-chain, a live order is never faked by the sandbox.
    match (SettlementMode::from_env(env)?, order.is_live()) {
        (SettlementMode::Sandbox, false) => {}
        (SettlementMode::Onchain, true) => return onchain::advance(env, &order).await,
        (mode, _) => {
            console_log!(
                "settlement: order {order_id} belongs to the other mode than {mode:?}; left alone"
            );
            return Ok(Next::Done);
        }
    }
    let from = order.status;
    let Some(to) = sandbox_next(from) else {
        return Ok(Next::Done); // final already
    };
    // The core's state machine has the last word on every change.
    transition(from, to)?;
    let transfer = match to {
        OrderStatus::Sent => Some(SandboxSettlement.send(&order).await?),
        _ => None,
    };
    let ledger_amount = match &transfer {
        Some(_) => {
            let pricing: QuoteBreakdown = serde_json::from_str(&order.quote_json)
                .map_err(|e| ApiError::internal(format!("order {order_id} pricing: {e}")))?;
            Some(format_amount(
                pricing.crypto_amount,
                pricing.crypto.decimals(),
            ))
        }
        None => None,
    };
    let now = ids::now_ms();
    let event_id = ids::new_id("evt")?;
    let tx_id = transfer
        .as_ref()
        .map(|t| t.tx_id.as_str())
        .or(order.tx_id.as_deref());
    let sequence = order.event_sequence + 1;
    let body = webhook::order_event(
        &event_id,
        order_id,
        &order.customer_id,
        sequence,
        to,
        false,
        tx_id,
        None,
        now,
    );
    let applied = store::orders::transition(
        &db,
        &store::orders::Transition {
            order_id,
            client_id: &order.client_id,
            from_status: from.as_str(),
            from_sequence: order.event_sequence,
            to_status: to.as_str(),
            tx_id,
            failure_reason: None,
            now_ms: now,
            event: store::orders::FirstEvent {
                event_id: &event_id,
                body: &body,
            },
            ledger: match (&transfer, &ledger_amount) {
                (Some(t), Some(amount)) => Some(store::orders::LedgerEntry {
                    tx_id: &t.tx_id,
                    amount,
                }),
                _ => None,
            },
        },
    )
    .await?;
    if !applied {
        console_log!("settlement: order {order_id} moved concurrently; step skipped");
        return Ok(Next::Done);
    }
    enqueue(env, Job::Deliver { event_id }, 0).await?;
    if !to.is_final() {
        enqueue(
            env,
            Job::Advance {
                order_id: order_id.to_owned(),
            },
            STEP_DELAY_SECONDS,
        )
        .await?;
    }
    Ok(Next::Done)
}

async fn deliver(env: &Env, event_id: &str) -> Result<Next, ApiError> {
    let db = env.d1("DB")?;
    let Some(event) = store::webhooks::get(&db, event_id).await? else {
        return Ok(Next::Done);
    };
    if event.delivered_at.is_some() {
        return Ok(Next::Done);
    }
    let Some(client) = store::clients::by_id(&db, &event.client_id).await? else {
        return Ok(Next::Done);
    };
    let Some(url) = crate::routes::config::webhook_url(&client)? else {
        return Ok(Next::Done); // no webhook configured: the event stays in the table only
    };
    let now = ids::now_ms();
    let keys = crate::secrets::MasterKeys::from_env(env)?;
    let secrets = store::webhook_secrets::signing_secrets(
        &db,
        &keys,
        &client.client_id,
        &client.webhook_secret,
        now,
    )
    .await?;
    // The newest secret; Standard Webhooks signing (one signature per secret) replaces this.
    let secret = secrets.first().map_or("", String::as_str);
    let result = webhook::deliver(&url, secret, now / 1000, &event.body).await;
    store::webhooks::record_attempt(
        &db,
        event_id,
        now,
        result.as_ref().err().map(String::as_str),
    )
    .await?;
    match result {
        Ok(()) => Ok(Next::Done),
        Err(e) if event.attempts + 1 >= webhook::MAX_ATTEMPTS => {
            console_error!(
                "webhook {event_id} given up after {} attempts: {e}",
                event.attempts + 1
            );
            Ok(Next::Done)
        }
        Err(_) => Ok(Next::RetryIn(webhook::retry_delay_seconds(
            event.attempts + 1,
        ))),
    }
}
