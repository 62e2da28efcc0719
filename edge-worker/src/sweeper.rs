//! The outbox sweeper, run by the cron trigger every minute (beside the rates
//! refresh): re-enqueues every unfinished order whose next step is overdue, and every
//! pending webhook event whose next attempt is overdue (at the head of its order).
//!
//! "Overdue" is due more than `SWEEP_GRACE_SECONDS` (default 30) ago: the queue takes
//! a step on time, so what is that late lost its message (a failed send, a restart of
//! the runtime, a message dead-lettered) or waits longer than a queue delay may be (a
//! webhook retry after 14 h). Sending again is safe: steps are guarded transitions and
//! an attempt is claimed in D1 first.

use serde::Serialize;
use worker::Env;

use crate::ids;
use crate::problem::ApiError;
use crate::settlement::{enqueue_all, Job};
use crate::store;

const DEFAULT_GRACE_SECONDS: i64 = 30;
/// At most this many orders and as many events per run; the next run takes the rest.
const MAX_PER_RUN: u32 = 500;

#[derive(Debug, Default, Serialize)]
pub struct SweepReport {
    pub orders: usize,
    pub events: usize,
}

fn grace_ms(env: &Env) -> i64 {
    let seconds = env
        .var("SWEEP_GRACE_SECONDS")
        .ok()
        .and_then(|v| v.to_string().parse::<i64>().ok())
        .filter(|s| *s >= 0)
        .unwrap_or(DEFAULT_GRACE_SECONDS);
    seconds * 1000
}

pub async fn sweep(env: &Env) -> Result<SweepReport, ApiError> {
    let db = env.d1("DB")?;
    let cutoff = ids::now_ms() - grace_ms(env);
    let orders = store::outbox::overdue_orders(&db, cutoff, MAX_PER_RUN).await?;
    let events = store::webhooks::overdue(&db, cutoff, MAX_PER_RUN).await?;
    let report = SweepReport {
        orders: orders.len(),
        events: events.len(),
    };
    let jobs = orders
        .into_iter()
        .map(|order_id| Job::Advance { order_id })
        .chain(events.into_iter().map(|event_id| Job::Deliver { event_id }))
        .collect::<Vec<_>>();
    if !jobs.is_empty() {
        enqueue_all(env, jobs).await?;
        worker::console_log!(
            "sweeper: re-enqueued {} orders and {} events",
            report.orders,
            report.events
        );
    }
    Ok(report)
}
