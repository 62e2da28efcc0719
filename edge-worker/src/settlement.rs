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
    QueueRetryOptionsBuilder, RawMessage, SendMessage,
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

pub(crate) use onchain::decide_held;

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
    /// Take the next sandbox step of an order the sender saw in state `seen`: written
    /// without reading the order first (one D1 batch); read only when it had moved.
    AdvanceFrom { order_id: String, seen: Seen },
}

/// A sandbox order as the step before left it: what the next step writes from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Seen {
    pub client_id: String,
    pub customer_id: String,
    pub status: OrderStatus,
    pub sequence: u32,
    pub tx_id: Option<String>,
    /// The order's crypto amount as the ledger records it (`sent` step).
    pub crypto_amount: String,
}

impl Seen {
    /// The state of a new sandbox order, as placed.
    pub fn placed(client_id: &str, order: &OrderResponse) -> Self {
        Seen {
            client_id: client_id.to_owned(),
            customer_id: order.customer_id.clone(),
            status: order.status,
            sequence: order.status_history.len() as u32,
            tx_id: None,
            crypto_amount: ledger_amount(&order.pricing),
        }
    }

    fn of(order: &OrderRow) -> Result<Self, ApiError> {
        let pricing: QuoteBreakdown = serde_json::from_str(&order.quote_json)
            .map_err(|e| ApiError::internal(format!("order {} pricing: {e}", order.order_id)))?;
        Ok(Seen {
            client_id: order.client_id.clone(),
            customer_id: order.customer_id.clone(),
            status: order.status,
            sequence: order.event_sequence,
            tx_id: order.tx_id.clone(),
            crypto_amount: ledger_amount(&pricing),
        })
    }
}

fn ledger_amount(pricing: &QuoteBreakdown) -> String {
    format_amount(pricing.crypto_amount, pricing.crypto.decimals())
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
    async fn send(&self, order_id: &str) -> Result<SentTransfer, ApiError>;
}

pub struct SandboxSettlement;

impl Settlement for SandboxSettlement {
    async fn send(&self, order_id: &str) -> Result<SentTransfer, ApiError> {
        // Deterministic per order, so a retried step records the same reference; its
        // `sandbox_` prefix and length keep it from passing for a transaction id.
        let digest = sha256_hex(format!("sandbox:{order_id}").as_bytes());
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
    client_id: &str,
    order: &OrderResponse,
    first_event_id: Option<&str>,
) -> Result<(), ApiError> {
    // A sandbox order's next step writes from the state it was placed in; a live one
    // reads the order (the on-chain settlement runs its own checks).
    let advance = if order.livemode {
        Job::Advance {
            order_id: order.id.clone(),
        }
    } else {
        Job::AdvanceFrom {
            order_id: order.id.clone(),
            seen: Seen::placed(client_id, order),
        }
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
    let sandbox = matches!(SettlementMode::from_env(env), Ok(SettlementMode::Sandbox));
    let mut steps = Vec::new();
    for message in batch.raw_iter() {
        match serde_wasm_bindgen::from_value::<Job>(message.body()) {
            Ok(job @ Job::AdvanceFrom { .. }) if sandbox => steps.push((message, job)),
            Ok(job) => handle_message(&message, &job, env).await,
            Err(e) => {
                console_error!("queue message {} unreadable, dropped: {e}", message.id());
                message.ack();
            }
        }
    }
    if !steps.is_empty() {
        sandbox_steps(env, steps).await;
    }
}

async fn handle_message(message: &RawMessage, job: &Job, env: &Env) {
    let outcome = match job {
        Job::Advance { order_id } => advance(env, order_id).await,
        Job::AdvanceFrom { order_id, seen } => advance_from(env, order_id, seen).await,
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
    if sandbox_step(env, &db, order_id, &Seen::of(&order)?).await? == Step::Moved {
        console_log!("settlement: order {order_id} moved concurrently; step skipped");
    }
    Ok(Next::Done)
}

/// The step of an [`Job::AdvanceFrom`] message: one D1 batch when the order is still as
/// the sender saw it; otherwise (a duplicate or late message) the order is read and the
/// step taken from where it is, as [`advance`] does.
async fn advance_from(env: &Env, order_id: &str, seen: &Seen) -> Result<Next, ApiError> {
    if SettlementMode::from_env(env)? != SettlementMode::Sandbox {
        return advance(env, order_id).await;
    }
    let db = env.d1("DB")?;
    match sandbox_step(env, &db, order_id, seen).await? {
        Step::Applied | Step::Final => Ok(Next::Done),
        Step::Moved => advance(env, order_id).await,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Applied,
    /// The order is final already: nothing to do.
    Final,
    /// The order was not in the state seen: nothing written.
    Moved,
}

/// A sandbox step computed from `seen`, before it is written.
struct PreparedStep {
    order_id: String,
    seen: Seen,
    to: OrderStatus,
    event_id: String,
    body: String,
    /// The order's transfer after the step.
    tx_id: Option<String>,
    /// Made by this step (`sent`): recorded in the sandbox ledger.
    new_transfer: bool,
    now_ms: i64,
}

impl PreparedStep {
    /// None when the order is final already.
    async fn new(order_id: &str, seen: &Seen) -> Result<Option<Self>, ApiError> {
        let from = seen.status;
        let Some(to) = sandbox_next(from) else {
            return Ok(None);
        };
        // The core's state machine has the last word on every change.
        transition(from, to)?;
        let transfer = match to {
            OrderStatus::Sent => Some(SandboxSettlement.send(order_id).await?.tx_id),
            _ => None,
        };
        let new_transfer = transfer.is_some();
        let tx_id = transfer.or_else(|| seen.tx_id.clone());
        let now_ms = ids::now_ms();
        let event_id = ids::new_id("evt")?;
        let body = webhook::order_event(
            &event_id,
            order_id,
            &seen.customer_id,
            seen.sequence + 1,
            to,
            false,
            tx_id.as_deref(),
            None,
            now_ms,
        );
        Ok(Some(PreparedStep {
            order_id: order_id.to_owned(),
            seen: seen.clone(),
            to,
            event_id,
            body,
            tx_id,
            new_transfer,
            now_ms,
        }))
    }

    fn transition(&self) -> store::orders::Transition<'_> {
        store::orders::Transition {
            order_id: &self.order_id,
            client_id: &self.seen.client_id,
            from_status: self.seen.status.as_str(),
            from_sequence: self.seen.sequence,
            to_status: self.to.as_str(),
            tx_id: self.tx_id.as_deref(),
            failure_reason: None,
            now_ms: self.now_ms,
            event: store::orders::FirstEvent {
                event_id: &self.event_id,
                body: &self.body,
            },
            ledger: match (&self.tx_id, self.new_transfer) {
                (Some(tx_id), true) => Some(store::orders::LedgerEntry {
                    tx_id,
                    amount: &self.seen.crypto_amount,
                }),
                _ => None,
            },
        }
    }

    /// The messages after a written step: the delivery (only when the client has a
    /// webhook URL) and the next step, written from the state this one left.
    fn follow_ups(self, applied: store::orders::Applied) -> Vec<SendMessage<Job>> {
        let mut messages = Vec::new();
        if applied.webhook {
            let deliver = Job::Deliver {
                event_id: self.event_id,
            };
            messages.push(MessageBuilder::new(deliver).build());
        }
        if !self.to.is_final() {
            let next = Job::AdvanceFrom {
                order_id: self.order_id,
                seen: Seen {
                    status: self.to,
                    sequence: self.seen.sequence + 1,
                    tx_id: self.tx_id,
                    ..self.seen
                },
            };
            messages.push(
                MessageBuilder::new(next)
                    .delay_seconds(STEP_DELAY_SECONDS)
                    .build(),
            );
        }
        messages
    }
}

/// One sandbox step from `seen`: the guarded transition, its history row, event and
/// ledger entry, and the client's webhook setting, in one D1 batch; then one queue send
/// with the delivery and the next step.
async fn sandbox_step(
    env: &Env,
    db: &worker::D1Database,
    order_id: &str,
    seen: &Seen,
) -> Result<Step, ApiError> {
    let Some(step) = PreparedStep::new(order_id, seen).await? else {
        return Ok(Step::Final);
    };
    let Some(applied) = store::orders::transition_step(db, &step.transition()).await? else {
        return Ok(Step::Moved);
    };
    let messages = step.follow_ups(applied);
    if !messages.is_empty() {
        env.queue(QUEUE_BINDING)?.send_batch(messages).await?;
    }
    Ok(Step::Applied)
}

/// The [`Job::AdvanceFrom`] messages of one queue batch: every step in one D1 batch and
/// their follow-ups in one queue send, so a busy queue costs two round trips per batch
/// rather than per order. A message whose order had moved is taken alone from a read
/// ([`advance`]); when the batch fails as a whole (nothing written), each message is
/// taken alone.
async fn sandbox_steps(env: &Env, steps: Vec<(RawMessage, Job)>) {
    let outcome: Result<Vec<Option<PreparedStep>>, ApiError> = async {
        let mut prepared = Vec::with_capacity(steps.len());
        for (_, job) in &steps {
            prepared.push(match job {
                Job::AdvanceFrom { order_id, seen } => PreparedStep::new(order_id, seen).await?,
                _ => None,
            });
        }
        Ok(prepared)
    }
    .await;
    let written = match outcome {
        Ok(prepared) => write_steps(env, prepared).await,
        Err(e) => Err(e),
    };
    let outcomes = match written {
        Ok(outcomes) => outcomes,
        Err(e) => {
            console_log!(
                "settlement: batch of {} steps taken one by one: {e}",
                steps.len()
            );
            for (message, job) in &steps {
                handle_message(message, job, env).await;
            }
            return;
        }
    };
    for ((message, job), step) in steps.iter().zip(outcomes) {
        match step {
            Step::Applied | Step::Final => message.ack(),
            Step::Moved => handle_message(message, job, env).await,
        }
    }
}

/// Writes the prepared steps (None: final already) in one D1 batch and sends the
/// follow-ups of those written in one queue send.
async fn write_steps(
    env: &Env,
    prepared: Vec<Option<PreparedStep>>,
) -> Result<Vec<Step>, ApiError> {
    let db = env.d1("DB")?;
    let live: Vec<&PreparedStep> = prepared.iter().flatten().collect();
    let transitions: Vec<_> = live.iter().map(|step| step.transition()).collect();
    let mut applied = if transitions.is_empty() {
        Vec::new()
    } else {
        store::orders::transitions(&db, &transitions).await?
    }
    .into_iter();
    drop(transitions);
    let mut outcomes = Vec::with_capacity(prepared.len());
    let mut messages = Vec::new();
    for step in prepared {
        let Some(step) = step else {
            outcomes.push(Step::Final);
            continue;
        };
        match applied.next().flatten() {
            Some(applied) => {
                messages.extend(step.follow_ups(applied));
                outcomes.push(Step::Applied);
            }
            None => outcomes.push(Step::Moved),
        }
    }
    if !messages.is_empty() {
        // A failed send fails the batch's messages: retried, each finds its order moved
        // and takes the next step from a read.
        env.queue(QUEUE_BINDING)?.send_batch(messages).await?;
    }
    Ok(outcomes)
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
