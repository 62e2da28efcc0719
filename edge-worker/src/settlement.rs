//! Settlement: moving a placed order to the customer's wallet, behind the `Settlement`
//! trait, with the bundled sandbox settlement driven by a Cloudflare Queue.
//!
//! Every step is a message on the `SETTLEMENT` queue: the handler reads the order, asks
//! the core's state machine for the next status, applies it with a guarded update
//! (`store::orders::transition`, which also writes the step's webhook event), enqueues
//! the event's delivery on the `WEBHOOKS` queue (`delivery.rs`) and the next step. The
//! sandbox steps of one queue batch do this together: one read, one D1 batch, one send. The
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
    enqueue_delayed(env, jobs.into_iter().map(|job| (job, 0)).collect()).await
}

/// [`enqueue_all`] with a delay in seconds for each job.
async fn enqueue_delayed(env: &Env, jobs: Vec<(Job, u32)>) -> Result<usize, ApiError> {
    faults::check(env, "fail_enqueue")?;
    let mut sent = 0;
    for binding in [QUEUE_BINDING, WEBHOOK_QUEUE_BINDING] {
        let mine: Vec<&(Job, u32)> = jobs
            .iter()
            .filter(|(j, _)| binding_of(j) == binding)
            .collect();
        for chunk in mine.chunks(100) {
            let messages = chunk
                .iter()
                .map(|(job, delay)| {
                    MessageBuilder::new(job.clone())
                        .delay_seconds(*delay)
                        .build()
                })
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
/// steps together ([`advance_batch`]); webhook deliveries all at once (one endpoint's slow answer
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
        advance_batch(&jobs, env).await;
    }
}

async fn handle_message(message: &RawMessage, job: &Job, env: &Env) {
    let outcome = match job {
        Job::Advance { order_id } => advance(env, order_id).await,
        Job::Deliver { event_id } => crate::delivery::deliver(env, event_id).await,
    };
    match outcome {
        Ok(Next::Done) => message.ack(),
        Err(e) => {
            console_error!("queue job {job:?} failed: {e:?}");
            message.retry_with_options(&retry_in(RETRY_SECONDS));
        }
    }
}

/// Seconds before a failed job's message comes back.
const RETRY_SECONDS: u32 = 2;

fn retry_in(seconds: u32) -> worker::QueueRetryOptions {
    QueueRetryOptionsBuilder::new()
        .with_delay_seconds(seconds)
        .build()
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
    let Some(step) = SandboxStep::decide(&order).await? else {
        return Ok(Next::Done); // final already
    };
    faults::before_batch(env, "transition")?;
    let applied = store::orders::transition(&db, &step.transition()).await?;
    if applied == store::orders::Transitioned::Skipped {
        console_log!("settlement: order {order_id} moved concurrently; step skipped");
        return Ok(Next::Done);
    }
    faults::after_batch(env, "transition")?;
    // A send that fails leaves the event pending and the next step due: the sweeper
    // sends both.
    for (job, delay) in step.follow_ups(applied) {
        if let Err(e) = enqueue(env, job, delay).await {
            console_error!("order {order_id}: follow-up not enqueued ({e:?}); the sweeper will");
        }
    }
    Ok(Next::Done)
}

/// The settlement steps of one queue batch. The sandbox steps are read in one query,
/// written in one D1 batch (each order's statements guarded as if alone) and followed by
/// one send per queue: under load a batch holds ten orders, and each step had cost two
/// D1 round trips and two sends of its own. On-chain orders, and the sandbox orders of a
/// batch D1 refused as a whole, go one message at a time.
async fn advance_batch(jobs: &[(RawMessage, Job)], env: &Env) {
    let mut alone: Vec<&(RawMessage, Job)> = Vec::new();
    let mut steps: Vec<&(RawMessage, Job)> = Vec::new();
    for entry in jobs {
        match &entry.1 {
            Job::Advance { .. } => steps.push(entry),
            Job::Deliver { .. } => alone.push(entry),
        }
    }
    let sandbox = matches!(SettlementMode::from_env(env), Ok(SettlementMode::Sandbox));
    if sandbox && steps.len() > 1 {
        match advance_sandbox_together(&steps, env).await {
            Ok(Together::Done { left }) => alone.extend(left),
            Ok(Together::Retry) => {
                for (message, _) in steps {
                    message.retry_with_options(&retry_in(RETRY_SECONDS));
                }
            }
            Err(e) => {
                console_error!("settlement batch not written together ({e:?}); one by one");
                alone.extend(steps);
            }
        }
    } else {
        alone.extend(steps);
    }
    for (message, job) in alone {
        handle_message(message, job, env).await;
    }
}

/// How [`advance_sandbox_together`] ended when it wrote.
enum Together<'a> {
    /// The steps written are acked; `left` go one by one (on-chain or unknown orders).
    Done { left: Vec<&'a (RawMessage, Job)> },
    /// Written, then a fault after the write: every message is retried, as one would be.
    Retry,
}

async fn advance_sandbox_together<'a>(
    steps: &[&'a (RawMessage, Job)],
    env: &Env,
) -> Result<Together<'a>, ApiError> {
    let db = env.d1("DB")?;
    let ids: Vec<&str> = steps
        .iter()
        .filter_map(|(_, job)| match job {
            Job::Advance { order_id } => Some(order_id.as_str()),
            Job::Deliver { .. } => None,
        })
        .collect();
    let orders = store::orders::get_all_for_settlement(&db, &ids).await?;
    let mut decided: Vec<SandboxStep> = Vec::new();
    let mut settled: Vec<&str> = Vec::new(); // ids this batch answers for
    for order in orders.iter().filter(|o| !o.is_live()) {
        if settled.contains(&order.order_id.as_str()) {
            continue;
        }
        settled.push(&order.order_id);
        if let Some(step) = SandboxStep::decide(order).await? {
            decided.push(step);
        }
    }
    faults::before_batch(env, "transition")?;
    let transitions: Vec<_> = decided.iter().map(SandboxStep::transition).collect();
    let outcomes = store::orders::transition_all(&db, &transitions)
        .await
        .map_err(|e| match e {
            store::orders::TransitionsError::Raced => {
                ApiError::internal("an order of the batch moved concurrently")
            }
            store::orders::TransitionsError::Store(e) => e.into(),
        })?;
    if faults::after_batch(env, "transition").is_err() {
        return Ok(Together::Retry);
    }
    let follow_ups: Vec<(Job, u32)> = decided
        .iter()
        .zip(outcomes)
        .flat_map(|(step, applied)| step.follow_ups(applied))
        .collect();
    // A send that fails leaves the events pending and the next steps due: the sweeper
    // sends them.
    if let Err(e) = enqueue_delayed(env, follow_ups).await {
        console_error!("settlement batch: follow-ups not enqueued ({e:?}); the sweeper will");
    }
    let mut left = Vec::new();
    for entry in steps {
        let (message, Job::Advance { order_id }) = entry else {
            continue;
        };
        if settled.contains(&order_id.as_str()) {
            message.ack();
        } else {
            left.push(*entry);
        }
    }
    Ok(Together::Done { left })
}

/// The next sandbox step of an order, decided and ready to write.
struct SandboxStep {
    order_id: String,
    client_id: String,
    from: OrderStatus,
    from_sequence: u32,
    to: OrderStatus,
    /// The order's transfer: made by this step (`sent`) or an earlier one.
    tx_id: Option<String>,
    /// The crypto amount the transfer made by this step records in the sandbox ledger.
    ledger_amount: Option<String>,
    event_id: String,
    event_body: String,
    now_ms: i64,
}

impl SandboxStep {
    /// The sandbox's next step for `order`; None when the order is final.
    async fn decide(order: &OrderRow) -> Result<Option<SandboxStep>, ApiError> {
        let from = order.status;
        let Some(to) = sandbox_next(from) else {
            return Ok(None);
        };
        // The core's state machine has the last word on every change.
        transition(from, to)?;
        let (tx_id, ledger_amount) = match to {
            OrderStatus::Sent => {
                let transfer = SandboxSettlement.send(order).await?;
                let pricing: QuoteBreakdown =
                    serde_json::from_str(&order.quote_json).map_err(|e| {
                        ApiError::internal(format!("order {} pricing: {e}", order.order_id))
                    })?;
                let amount = format_amount(pricing.crypto_amount, pricing.crypto.decimals());
                (Some(transfer.tx_id), Some(amount))
            }
            _ => (order.tx_id.clone(), None),
        };
        let now_ms = ids::now_ms();
        let event_id = ids::new_id("evt")?;
        let sequence = order.event_sequence + 1;
        let event_body = webhook::order_event(
            &event_id,
            &order.order_id,
            &order.customer_id,
            sequence,
            to,
            false,
            tx_id.as_deref(),
            None,
            now_ms,
        );
        Ok(Some(SandboxStep {
            order_id: order.order_id.clone(),
            client_id: order.client_id.clone(),
            from,
            from_sequence: order.event_sequence,
            to,
            tx_id,
            ledger_amount,
            event_id,
            event_body,
            now_ms,
        }))
    }

    fn transition(&self) -> store::orders::Transition<'_> {
        store::orders::Transition {
            order_id: &self.order_id,
            client_id: &self.client_id,
            from_status: self.from.as_str(),
            from_sequence: self.from_sequence,
            to_status: self.to.as_str(),
            tx_id: self.tx_id.as_deref(),
            failure_reason: None,
            now_ms: self.now_ms,
            event: store::orders::FirstEvent {
                event_id: &self.event_id,
                body: &self.event_body,
            },
            ledger: match (&self.tx_id, &self.ledger_amount) {
                (Some(tx_id), Some(amount)) => Some(store::orders::LedgerEntry { tx_id, amount }),
                _ => None,
            },
        }
    }

    /// The messages a written step sends, with their delays: its event's delivery (unless
    /// written `no_endpoint`) and the next step (unless final). None when skipped.
    fn follow_ups(&self, applied: store::orders::Transitioned) -> Vec<(Job, u32)> {
        let store::orders::Transitioned::Applied { event_pending } = applied else {
            return Vec::new();
        };
        let mut jobs = Vec::new();
        if event_pending {
            let event_id = self.event_id.clone();
            jobs.push((Job::Deliver { event_id }, 0));
        }
        if !self.to.is_final() {
            let order_id = self.order_id.clone();
            jobs.push((Job::Advance { order_id }, STEP_DELAY_SECONDS));
        }
        jobs
    }
}
