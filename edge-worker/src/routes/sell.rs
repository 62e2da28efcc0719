//! Selling crypto for fiat (the off-ramp): sell quotes and orders in the buy endpoints'
//! family (`side: "sell"`), the sandbox's simulated deposits, the client's fiat payout
//! and refund reports, and the deposit watch. Every decision is `core::sell`'s; this
//! module reads, calls the core, writes the change with its signed webhook events.

use cryptoexchange_core::api::{
    ExcessRefundSentRequest, FiatPayoutRequest, PlaceSellOrderRequest, RefundSentRequest,
    SandboxDepositRequest, SellOrderResponse, SellQuoteRequest, SellQuoteResponse,
    SellWebhookEvent,
};
use cryptoexchange_core::config::ClientConfig;
use cryptoexchange_core::limits::window_starts;
use cryptoexchange_core::money::parse_positive_amount;
use cryptoexchange_core::sell::deposit::{
    choose_deposit_index, window_over, DepositChoice, DepositPool,
};
use cryptoexchange_core::sell::lifecycle::{
    apply_deposits, report_excess_refund, report_payout, report_refund,
};
use cryptoexchange_core::sell::placement::{
    plan_sell_order, SellPlacementFacts, SellPlan, SellPricing,
};
use cryptoexchange_core::sell::watch::Deposit;
use cryptoexchange_core::sell::{estimate_sell, SellPolicy, SellStatus};
use cryptoexchange_core::time::Timestamp;
use serde_json::Value;
use worker::{Env, Request, Response};

use super::config::{derive_address, stored_config};
use super::rates::{latest, latest_response};
use crate::auth::{authorize, client_of_digest, key_digest, require_client};
use crate::body::{parse_json, read_bytes, sha256_hex};
use crate::ids;
use crate::problem::ApiError;
use crate::settlement;
use crate::store::{
    self,
    addresses::AddressRow,
    sell::{ChangeEvent, DepositClaim, SellPlacement, StoredSell},
};
use cryptoexchange_core::api::ApiScope;

/// The operator's amount policy: `SELL_POLICY_JSON` (any subset of the fields of
/// docs/pricing.md, "Selling"), the defaults without it.
pub fn policy(env: &Env) -> Result<SellPolicy, ApiError> {
    match env.var("SELL_POLICY_JSON") {
        Ok(v) => SellPolicy::from_json(&v.to_string()).map_err(|detail| ApiError::Misconfigured {
            variable: "SELL_POLICY_JSON",
            detail,
        }),
        Err(_) => Ok(SellPolicy::default()),
    }
}

/// Whether a JSON body asks for the sell side.
pub fn is_sell(body: &Value) -> bool {
    body.get("side").and_then(Value::as_str) == Some("sell")
}

/// `POST /v1/quotes` with `side: "sell"`.
pub async fn create_quote(req: &Request, env: &Env, body: Value) -> Result<Response, ApiError> {
    let client = require_client(req, env, ApiScope::Read).await?;
    let request: SellQuoteRequest = serde_json::from_value(body)
        .map_err(|e| ApiError::malformed(format!("invalid sell quote request: {e}")))?;
    let config = stored_config(&client)?;
    let (now, rates) = latest(env, config.max_rate_age_seconds).await?;
    let quote = estimate_sell(&request, &rates, &config, now)?;
    let expires_at = now
        .checked_add_seconds(i64::from(config.quote_validity_seconds))
        .ok_or_else(|| ApiError::internal("quote expiry out of range"))?;
    let response = SellQuoteResponse {
        id: ids::new_id("quo")?,
        expires_at,
        livemode: crate::mode::SettlementMode::from_env(env)?.livemode(),
        quote,
    };
    store::sell::insert_quote(
        &env.d1("DB")?,
        &client.client_id,
        &response,
        now.unix_millis(),
    )
    .await?;
    super::json(201, &response)
}

/// `POST /v1/customers/{customer_id}/orders` with `side: "sell"`; `body` has the
/// path's customer id filled in, `key` is the Idempotency-Key.
pub async fn place(env: &Env, digest: &str, key: &str, body: Value) -> Result<Response, ApiError> {
    let fingerprint = sha256_hex(body.to_string().as_bytes());
    let request: PlaceSellOrderRequest = match serde_json::from_value(body) {
        Ok(r) => r,
        Err(e) => {
            client_of_digest(env, digest).await?;
            return Err(ApiError::malformed(format!("invalid sell order: {e}")));
        }
    };
    let db = env.d1("DB")?;
    let now = ids::now();
    let policy = policy(env)?;
    let read = read_facts(&db, digest, key, &request, now).await?;
    let client = read.client.clone().ok_or(ApiError::Unauthorized)?;
    let config = stored_config(&client)?;
    let rates = if request.quote_id.is_none() {
        Some(latest_response(env, now, config.max_rate_age_seconds).await?)
    } else {
        None
    };
    let order_id = ids::new_uuid()?;
    let livemode = crate::mode::SettlementMode::from_env(env)?.livemode();
    // The plan from a read of the facts (made again when the guarded write refuses).
    let plan = |read: &'_ store::sell::SellPlacementRead| {
        let owned = SellPlacementFactsOwned {
            config: config.clone(),
            prior: read.prior.clone(),
            quote: read.quote.clone(),
            spent: (read.spent_today_minor, read.spent_this_month_minor),
        };
        plan_sell_order(
            &request,
            &owned.facts(
                &policy,
                now,
                &order_id,
                &fingerprint,
                rates.as_ref(),
                livemode,
            ),
        )
    };
    let mut new = match plan(&read)? {
        SellPlan::Replay(order) => return super::json(200, &*order),
        SellPlan::Place(new) => new,
    };
    // The deposit address, chosen only once the plan holds (a refused request takes
    // none): the core picks a released index or a new one within the gap limit, and the
    // placement's batch claims it, guarded; a lost race reads the pool again. Each lost
    // round means another placement took an address, so within gap-limit rounds this one
    // wins or finds the gap full.
    let crypto = new.order.pricing.quote.crypto;
    let network = new.order.pricing.quote.network;
    let xpub = config
        .xpubs
        .get(&crypto)
        .filter(|x| x.network == network)
        .ok_or_else(|| ApiError::NoXpubRegistered {
            currency: format!("{crypto} {network}"),
        })?;
    let gap_limit = super::addresses::gap_limit(env);
    let mut pool = read.pool;
    for _ in 0..gap_limit.min(50) + 3 {
        let choice = choose_deposit_index(&DepositPool {
            crypto,
            gap_limit,
            next_index: pool.next_index,
            unused_receive: pool.unused_receive,
            unfunded: &pool.unfunded,
            now,
            policy: &policy,
        })?;
        let index = match choice {
            DepositChoice::Reuse { index, .. } | DepositChoice::Derive { index } => index,
        };
        let derived = derive_address(crypto, xpub, index)?;
        let row = AddressRow {
            customer_id: request.customer_id.clone(),
            crypto: crypto.ticker().to_owned(),
            network: network.as_str().to_owned(),
            derivation_index: derived.index,
            derivation_path: derived.path.clone(),
            address: derived.address.clone(),
            created_at: now.unix_millis(),
        };
        new.deposit(derived.address, derived.path);
        let event_id = ids::new_id("evt")?;
        let body = event_body(&event_id, 1, &new.order, now)?;
        let token = ids::random_hex(16)?;
        let placed = store::sell::place(
            &db,
            &client.client_id,
            &new,
            key,
            &fingerprint,
            &event_id,
            &body,
            &token,
            &DepositClaim {
                choice: &choice,
                row: &row,
                gap_limit,
            },
        )
        .await?;
        match placed {
            SellPlacement::Placed => {
                deliver(env, &[event_id]).await;
                return super::json(201, &new.order);
            }
            SellPlacement::AddressTaken => {
                pool = store::sell::deposit_pool(&db, digest, crypto.ticker()).await?;
            }
            SellPlacement::DuplicateKey | SellPlacement::LimitReached => {
                let again = read_facts(&db, digest, key, &request, now).await?;
                return match plan(&again)? {
                    SellPlan::Replay(order) => super::json(200, &*order),
                    SellPlan::Place(_) => Err(
                        cryptoexchange_core::placement::PlacementError::LimitsChangedRetry.into(),
                    ),
                };
            }
        }
    }
    Err(ApiError::internal(
        "deposit address allocation kept losing races",
    ))
}

/// The facts read for a placement, owned so that the plan can be made twice.
struct SellPlacementFactsOwned {
    config: ClientConfig,
    prior: Option<cryptoexchange_core::sell::placement::SellPriorUse>,
    quote: Option<SellQuoteResponse>,
    spent: (i64, i64),
}

impl SellPlacementFactsOwned {
    fn facts<'a>(
        &'a self,
        policy: &'a SellPolicy,
        now: Timestamp,
        order_id: &'a str,
        fingerprint: &'a str,
        rates: Option<&'a cryptoexchange_core::api::RatesResponse>,
        livemode: bool,
    ) -> SellPlacementFacts<'a> {
        SellPlacementFacts {
            config: &self.config,
            policy,
            now,
            new_order_id: order_id,
            fingerprint,
            prior: self.prior.as_ref(),
            pricing: match rates {
                Some(r) => SellPricing::Rates(r),
                None => SellPricing::Quote(self.quote.as_ref()),
            },
            spent_today_minor: self.spent.0,
            spent_this_month_minor: self.spent.1,
            livemode,
        }
    }
}

async fn read_facts(
    db: &worker::D1Database,
    digest: &str,
    key: &str,
    request: &PlaceSellOrderRequest,
    now: Timestamp,
) -> Result<store::sell::SellPlacementRead, ApiError> {
    let (day_start, month_start) = window_starts(now);
    Ok(store::sell::placement_read(
        db,
        digest,
        key,
        &request.customer_id,
        &request.fiat,
        day_start.unix_millis(),
        month_start.unix_millis(),
        request.quote_id.as_deref(),
        // The pool of the crypto as stored (a ticker the core would refuse reads none).
        request
            .crypto
            .parse::<cryptoexchange_core::Crypto>()
            .map_or(request.crypto.as_str(), |c| c.ticker()),
    )
    .await?)
}

/// `GET /v1/orders/{order_id}` for a sell order (None: no such sell order). A look at
/// the deposits as of now runs first, so a passed deadline shows.
pub async fn get(env: &Env, digest: &str, order_id: &str) -> Result<Option<Response>, ApiError> {
    let db = env.d1("DB")?;
    let (client, stored) = store::sell::get_for_key(&db, digest, order_id).await?;
    let client = client.ok_or(ApiError::Unauthorized)?;
    let Some(stored) = stored else {
        return Ok(None);
    };
    stored_config(&client)?;
    let now = ids::now();
    let deposits = live_deposits(env, &stored, now).await?;
    let order = look(env, stored, deposits, now).await?;
    Ok(Some(super::json(200, &order)?))
}

/// A live order's deposits as the chain shows them now (None: a sandbox order, or one
/// the watcher is done with: its stored deposits stand).
async fn live_deposits(
    env: &Env,
    stored: &StoredSell,
    now: Timestamp,
) -> Result<Option<Vec<Deposit>>, ApiError> {
    // Past an expired order's watch window the address may serve another order: what
    // arrives there is no longer this order's.
    let policy = policy(env)?;
    let done = stored.order.status == SellStatus::Expired
        && window_over(stored.order.deadline, now, &policy);
    if !stored.order.livemode || !stored.order.status.is_watched() || done {
        return Ok(None);
    }
    Ok(Some(
        crate::sell_watch::chain_deposits(env, &stored.order, now).await?,
    ))
}

/// The cron's look at every live sell order still watched (oldest first, a bounded
/// batch per run); a failure of one order is logged and the others go on.
pub async fn watch_all(env: &Env) -> Result<(), ApiError> {
    if !crate::mode::SettlementMode::from_env(env)?.livemode() {
        return Ok(());
    }
    let db = env.d1("DB")?;
    let policy = policy(env)?;
    for stored in store::sell::watched(&db, 50).await? {
        let id = stored.order.id.clone();
        let now = ids::now();
        let last_look = stored.order.status == SellStatus::Expired
            && window_over(stored.order.deadline, now, &policy);
        let result = if last_look {
            // The watch window is over: one last look shows anything ever sent to the
            // address on the order (which marks the address funded), and only then does
            // the watcher let go, releasing an address that never received anything.
            match crate::sell_watch::chain_deposits(env, &stored.order, now).await {
                Ok(deposits) => match look(env, stored, Some(deposits), now).await {
                    Ok(_) => store::sell::unwatch(&db, &id).await.map_err(ApiError::from),
                    Err(e) => Err(e),
                },
                Err(e) => Err(e),
            }
        } else {
            match live_deposits(env, &stored, now).await {
                Ok(deposits) => look(env, stored, deposits, now).await.map(|_| ()),
                Err(e) => Err(e),
            }
        };
        if let Err(e) = result {
            worker::console_error!("sell deposit watch of {id}: {e}");
        }
    }
    Ok(())
}

/// Applies the deposits (the stored ones, or `deposits`) as of `now` (or the order's
/// sandbox clock when later) and writes the change, if any. Returns the order as it is.
async fn look(
    env: &Env,
    stored: StoredSell,
    deposits: Option<Vec<Deposit>>,
    now: Timestamp,
) -> Result<SellOrderResponse, ApiError> {
    let clock_ms = stored.clock_ms.max(now.unix_millis());
    let at = ids::time_of(clock_ms);
    let deposits = deposits.unwrap_or_else(|| stored_deposits(&stored.order));
    let Some(next) = apply_deposits(&stored.order, &deposits, at, &policy(env)?) else {
        return Ok(stored.order);
    };
    write_change(env, &stored, next, clock_ms).await
}

fn stored_deposits(order: &SellOrderResponse) -> Vec<Deposit> {
    order
        .deposits
        .iter()
        .map(|d| Deposit {
            txid: d.tx_id.clone(),
            amount: d.amount,
            confirmations: d.confirmations,
            first_seen: d.first_seen_at,
        })
        .collect()
}

/// Writes `next` over `stored` with one event per new status (at least one), and queues
/// their delivery. A lost race answers the order as the winner wrote it.
async fn write_change(
    env: &Env,
    stored: &StoredSell,
    next: SellOrderResponse,
    clock_ms: i64,
) -> Result<SellOrderResponse, ApiError> {
    let new_steps = next
        .status_history
        .len()
        .saturating_sub(stored.order.status_history.len())
        .max(1);
    let mut events = Vec::new();
    let mut ids_out = Vec::new();
    for i in 0..new_steps {
        let event_id = ids::new_id("evt")?;
        let mut snapshot = next.clone();
        let steps = &next.status_history[stored
            .order
            .status_history
            .len()
            .min(next.status_history.len())..];
        if let Some(step) = steps.get(i) {
            snapshot.status = step.status;
        }
        let body = event_body(
            &event_id,
            stored.version + 1 + i as u32,
            &snapshot,
            next.updated_at,
        )?;
        ids_out.push(event_id.clone());
        events.push(ChangeEvent { event_id, body });
    }
    let token = ids::random_hex(16)?;
    let db = env.d1("DB")?;
    if store::sell::update(&db, stored, &next, clock_ms, &events, &token).await? {
        deliver(env, &ids_out).await;
        Ok(next)
    } else {
        // Another change won: answer what it wrote.
        let digestless = store::sell::by_id(&db, &next.id).await?;
        Ok(digestless.map_or(next, |s| s.order))
    }
}

fn event_body(
    event_id: &str,
    sequence: u32,
    order: &SellOrderResponse,
    at: Timestamp,
) -> Result<String, ApiError> {
    serde_json::to_string(&SellWebhookEvent {
        event_id: event_id.to_owned(),
        kind: "sell_order.status_changed".to_owned(),
        sequence,
        created_at: at,
        livemode: order.livemode,
        data: order.clone(),
    })
    .map_err(ApiError::internal)
}

/// Queues the signed delivery of each event, the buy events' way
/// (`settlement::deliver_events`), a failed send only logged. An event of a client
/// without a webhook URL was written `no_endpoint`: its message finds nothing to claim.
async fn deliver(env: &Env, event_ids: &[String]) {
    settlement::deliver_events(env, event_ids).await;
}

/// Reads the caller's sell order or answers 404.
async fn stored_for(req: &Request, env: &Env, order_id: &str) -> Result<StoredSell, ApiError> {
    let digest = key_digest(req, env)?;
    let (client, stored) = store::sell::get_for_key(&env.d1("DB")?, &digest, order_id).await?;
    let client = client.ok_or(ApiError::Unauthorized)?;
    authorize(&client, req, ApiScope::Trade)?;
    let stored = stored.ok_or(ApiError::NotFound { what: "sell order" })?;
    Ok(stored)
}

/// `POST /v1/sandbox/orders/{order_id}/deposit` (sandbox mode only).
pub async fn sandbox_deposit(
    mut req: Request,
    env: &Env,
    order_id: &str,
) -> Result<Response, ApiError> {
    let stored = stored_for(&req, env, order_id).await?;
    if crate::mode::SettlementMode::from_env(env)?.livemode() || stored.order.livemode {
        return Err(ApiError::NotFound { what: "endpoint" });
    }
    let request: SandboxDepositRequest = parse_json(&read_bytes(&mut req).await?)?;
    let now = ids::now();
    let mut clock_ms = stored.clock_ms.max(now.unix_millis());
    if let Some(late) = request.late_seconds {
        let late_ms = stored.order.deadline.unix_millis() + i64::from(late) * 1000;
        clock_ms = clock_ms.max(late_ms);
    }
    let at = ids::time_of(clock_ms);
    let mut deposits = stored_deposits(&stored.order);
    let decimals = stored.order.pricing.quote.crypto.decimals();
    match (&request.amount, &request.tx_id) {
        (Some(amount), _) => {
            let amount = parse_positive_amount(amount, decimals)?;
            let txid = match &request.tx_id {
                Some(t) => t.clone(),
                None => format!("sandbox_{}", ids::random_hex(16)?),
            };
            if deposits.iter().any(|d| d.txid == txid) {
                return Err(ApiError::InvalidParameter {
                    name: "tx_id",
                    detail: "a deposit with this tx_id was already made; omit amount to change its confirmations".into(),
                });
            }
            deposits.push(Deposit {
                txid,
                amount,
                confirmations: request.confirmations.unwrap_or(0),
                first_seen: at,
            });
        }
        (None, Some(txid)) => {
            let d = deposits
                .iter_mut()
                .find(|d| d.txid == *txid)
                .ok_or(ApiError::NotFound { what: "deposit" })?;
            if let Some(c) = request.confirmations {
                d.confirmations = c;
            }
        }
        // late_seconds alone moves the clock; an empty body looks at the order as of now.
        (None, None) => {}
    }
    let order = look_at(env, stored, deposits, clock_ms).await?;
    super::json(200, &order)
}

async fn look_at(
    env: &Env,
    stored: StoredSell,
    deposits: Vec<Deposit>,
    clock_ms: i64,
) -> Result<SellOrderResponse, ApiError> {
    let at = ids::time_of(clock_ms);
    match apply_deposits(&stored.order, &deposits, at, &policy(env)?) {
        Some(next) => write_change(env, &stored, next, clock_ms).await,
        None => Ok(stored.order),
    }
}

/// `POST /v1/orders/{order_id}/fiat-payout`.
pub async fn fiat_payout(
    mut req: Request,
    env: &Env,
    order_id: &str,
) -> Result<Response, ApiError> {
    let stored = stored_for(&req, env, order_id).await?;
    let request: FiatPayoutRequest = parse_json(&read_bytes(&mut req).await?)?;
    // The deposit as of now first: a payout needs a confirmed deposit.
    let stored = refreshed(env, stored).await?;
    let next = report_payout(
        &stored.order,
        request.outcome,
        request.reference.as_deref(),
        request.reason.as_deref(),
        ids::now(),
    )?;
    answer_change(env, stored, next).await
}

/// `POST /v1/orders/{order_id}/refund`.
pub async fn refund(mut req: Request, env: &Env, order_id: &str) -> Result<Response, ApiError> {
    let stored = stored_for(&req, env, order_id).await?;
    let request: RefundSentRequest = parse_json(&read_bytes(&mut req).await?)?;
    let next = report_refund(&stored.order, &request.tx_id, ids::now())?;
    answer_change(env, stored, next).await
}

/// `POST /v1/orders/{order_id}/excess-refund`: the client's wallet sent an overpaid
/// order's excess back (the order answers its txid; a signed event tells the webhook).
pub async fn excess_refund(
    mut req: Request,
    env: &Env,
    order_id: &str,
) -> Result<Response, ApiError> {
    let stored = stored_for(&req, env, order_id).await?;
    let request: ExcessRefundSentRequest = parse_json(&read_bytes(&mut req).await?)?;
    let next = report_excess_refund(&stored.order, &request.tx_id, ids::now())?;
    answer_change(env, stored, next).await
}

async fn refreshed(env: &Env, stored: StoredSell) -> Result<StoredSell, ApiError> {
    let now = ids::now();
    let clock_ms = stored.clock_ms.max(now.unix_millis());
    let deposits = match live_deposits(env, &stored, now).await? {
        Some(d) => d,
        None => stored_deposits(&stored.order),
    };
    match apply_deposits(
        &stored.order,
        &deposits,
        ids::time_of(clock_ms),
        &policy(env)?,
    ) {
        None => Ok(stored),
        Some(next) => {
            write_change(env, &stored, next, clock_ms).await?;
            store::sell::by_id(&env.d1("DB")?, &stored.order.id)
                .await?
                .ok_or(ApiError::NotFound { what: "sell order" })
        }
    }
}

async fn answer_change(
    env: &Env,
    stored: StoredSell,
    next: Option<SellOrderResponse>,
) -> Result<Response, ApiError> {
    match next {
        None => super::json(200, &stored.order),
        Some(next) => {
            let clock = stored.clock_ms;
            let order = write_change(env, &stored, next, clock).await?;
            super::json(200, &order)
        }
    }
}
