//! Settlement: moving a placed order to the customer's wallet, behind the `Settlement`
//! trait, with the bundled sandbox settlement driven by a Cloudflare Queue.
//!
//! Every step is a message on the `SETTLEMENT` queue: the handler reads the order, asks
//! the core's state machine for the next status, applies it with a guarded update
//! (`store::orders::transition`, which also writes the step's webhook event), enqueues
//! the event's delivery on the `WEBHOOKS` queue (`delivery.rs`) and the next step. The
//! order row says when its next step is due (migration 0004): a send that failed, or a message a restart lost, is found overdue by
//! the cron sweeper (`sweeper.rs`) and sent again. Steps are guarded, so a duplicated
//! or re-enqueued message never repeats a status change or an event. A message is acked
//! or retried by itself; the handler never returns an error (that would reset the
//! instance and retry the batch).
use worker::d1::serde_wasm_bindgen;
use worker::{
    console_error, console_log, Env, MessageBatch, MessageBuilder, MessageExt,
    QueueRetryOptionsBuilder, RawMessage,
};

use crate::body::sha256_hex;
use crate::faults;
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

pub(crate) use onchain::decide_held;

pub const QUEUE_BINDING: &str = "SETTLEMENT";
/// The webhook deliveries' own queue: a slow endpoint never holds up settlement.
pub const WEBHOOK_QUEUE_BINDING: &str = "WEBHOOKS";

/// Seconds between two sandbox steps; short so a demo order completes in seconds.
const STEP_DELAY_SECONDS: u32 = 1;

/// A queue message: take the next settlement step of an order (`SETTLEMENT`), or POST
/// one webhook event (`WEBHOOKS`). The wire type, since dead letters show it.
pub use cryptoexchange_core::api::QueueJob as Job;

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

/// The queue binding a job goes to.
fn binding_of(job: &Job) -> &'static str {
    match job {
        Job::Advance { .. } => QUEUE_BINDING,
        Job::Deliver { .. } => WEBHOOK_QUEUE_BINDING,
    }
}

pub async fn enqueue(env: &Env, job: Job, delay_seconds: u32) -> Result<(), ApiError> {
    faults::check(env, "fail_enqueue")?;
    env.queue(binding_of(&job))?
        .send(
            MessageBuilder::new(job)
                .delay_seconds(delay_seconds)
                .build(),
        )
        .await?;
    Ok(())
}

/// Queues the first settlement step of a new order and the delivery of its first
/// event. A failed send is only logged: the order is committed, and the sweeper sends
/// what is overdue.
pub async fn start(env: &Env, order_id: &str, first_event_id: Option<&str>) {
    let advance = async {
        let job = Job::Advance {
            order_id: order_id.to_owned(),
        };
        if let Err(e) = enqueue(env, job, STEP_DELAY_SECONDS).await {
            console_error!("order {order_id}: first step not enqueued ({e:?}); the sweeper will");
        }
    };
    // The two sends go to different queues: neither waits for the other.
    let deliver = async {
        if let Some(event_id) = first_event_id {
            deliver_events(env, &[event_id.to_owned()]).await;
        }
    };
    futures_util::join!(advance, deliver);
}

/// Queues the delivery of each event (buys' and sells'). A failed send is only logged:
/// the event is committed, and the sweeper sends it when due. (An event written
/// `no_endpoint` needs no send; one sent anyway finds nothing to claim.)
pub async fn deliver_events(env: &Env, event_ids: &[String]) {
    for event_id in event_ids {
        let deliver = Job::Deliver {
            event_id: event_id.clone(),
        };
        if let Err(e) = enqueue(env, deliver, 0).await {
            console_error!("event {event_id}: delivery not enqueued ({e:?}); the sweeper will");
        }
    }
}

/// Sends jobs in batches of at most 100 messages (a queue's batch limit), each on its
/// queue; the number sent.
pub async fn enqueue_all(env: &Env, jobs: Vec<Job>) -> Result<usize, ApiError> {
    faults::check(env, "fail_enqueue")?;
    let mut sent = 0;
    for binding in [QUEUE_BINDING, WEBHOOK_QUEUE_BINDING] {
        let mine: Vec<&Job> = jobs.iter().filter(|j| binding_of(j) == binding).collect();
        for chunk in mine.chunks(100) {
            let messages = chunk
                .iter()
                .map(|job| MessageBuilder::new((*job).clone()).delay_seconds(0).build())
                .collect::<Vec<_>>();
            env.queue(binding)?.send_batch(messages).await?;
            sent += chunk.len();
        }
    }
    Ok(sent)
}

/// An order whose settlement has not moved for this long is assumed to have lost its
/// queue message (e.g. the enqueue after the insert failed, and the client retried).
const STALLED_AFTER_MS: i64 = 30_000;

/// Re-enqueues the next step of a stalled, unfinished order. Harmless if the original
/// message still exists: each message applies the next allowed step through a guarded
/// update, so a duplicate only speeds the order along; it never skips or repeats a state.
/// A failed send is only logged (the sweeper finds the order overdue anyway).
pub async fn resume_if_stalled(env: &Env, order: &OrderResponse) -> Result<(), ApiError> {
    let unfinished = !order.status.is_final();
    if unfinished && ids::now_ms() - order.updated_at.unix_millis() > STALLED_AFTER_MS {
        let job = Job::Advance {
            order_id: order.id.clone(),
        };
        if let Err(e) = enqueue(env, job, 0).await {
            console_error!("order {}: resume not enqueued ({e:?})", order.id);
        }
    }
    Ok(())
}

/// One batch of any of the worker's queues, told apart by the queue's name: settlement
/// steps one after another; webhook deliveries all at once (one endpoint's slow answer
/// never delays another's); a dead-letter queue's messages are recorded for the operator.
pub async fn handle_batch(batch: MessageBatch<Job>, env: &Env) {
    let queue = batch.queue();
    if queue.ends_with("-dlq") {
        crate::dead_letters::record_batch(&batch, &queue, env).await;
        return;
    }
    let deliveries = queue.contains("webhook");
    let mut jobs = Vec::new();
    // Each message is decoded alone: one unreadable message (an old format after a
    // deploy) is dropped with a log line instead of blocking the whole batch.
    for message in batch.raw_iter() {
        match serde_wasm_bindgen::from_value::<Job>(message.body()) {
            Ok(job) => jobs.push((message, job)),
            Err(e) => {
                console_error!("queue message {} unreadable, dropped: {e}", message.id());
                message.ack();
            }
        }
    }
    if deliveries {
        let all = jobs.iter().map(|(m, job)| handle_message(m, job, env));
        futures_util::future::join_all(all).await;
    } else {
        for (message, job) in &jobs {
            handle_message(message, job, env).await;
        }
    }
}

async fn handle_message(message: &RawMessage, job: &Job, env: &Env) {
    let outcome = match job {
        Job::Advance { order_id } => advance(env, order_id).await,
        Job::Deliver { event_id } => crate::delivery::deliver(env, event_id).await,
    };
    let retry_in = |seconds| {
        QueueRetryOptionsBuilder::new()
            .with_delay_seconds(seconds)
            .build()
    };
    match outcome {
        Ok(Next::Done) => message.ack(),
        Err(e) => {
            console_error!("queue job {job:?} failed: {e:?}");
            message.retry_with_options(&retry_in(2));
        }
    }
}

pub(crate) enum Next {
    Done,
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
        (SettlementMode::Onchain, true) => {
            let next = onchain::advance(env, &order).await;
            // The payout run polls the chain without a status change: its next look
            // is due then, not overdue for the sweeper.
            let at = ids::now_ms() + i64::from(onchain::STEP_SECONDS) * 1000;
            store::outbox::postpone_step(&db, order_id, at).await?;
            return next;
        }
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
    faults::before_batch(env, "transition")?;
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
    let store::orders::Transitioned::Applied { event_pending } = applied else {
        console_log!("settlement: order {order_id} moved concurrently; step skipped");
        return Ok(Next::Done);
    };
    faults::after_batch(env, "transition")?;
    // A send that fails leaves the event pending and the next step due: the sweeper
    // sends both.
    if event_pending {
        if let Err(e) = enqueue(env, Job::Deliver { event_id }, 0).await {
            console_error!("order {order_id}: delivery not enqueued ({e:?}); the sweeper will");
        }
    }
    if !to.is_final() {
        let next = Job::Advance {
            order_id: order_id.to_owned(),
        };
        if let Err(e) = enqueue(env, next, STEP_DELAY_SECONDS).await {
            console_error!("order {order_id}: next step not enqueued ({e:?}); the sweeper will");
        }
    }
    Ok(Next::Done)
}
