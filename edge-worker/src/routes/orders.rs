//! Orders: placing one (idempotent, limits enforced atomically), reading one, and
//! listing a customer's orders.
//!
//! Placing is: authenticate → parse → the core's plan → one guarded write → respond.
//! The happy path is one D1 round trip: the plan is made with this isolate's copy of the
//! client (`client_cache`) before anything is read (`plan_unread`), and the write holds
//! to the key and configuration it was planned with. Without a copy, or when the core
//! needs the facts (a quote) or the write refused, every fact is read in one batch and
//! the core's `plan_order` decides (two round trips); after a refused write of that
//! plan the facts are read again and the core says why (a replay, a limit, a used quote).

use cryptoexchange_core::aggregate::RateBook;
use cryptoexchange_core::api::{OrderResponse, OrdersPage, PlaceOrderRequest, RatesResponse};
use cryptoexchange_core::config::ClientConfig;
use cryptoexchange_core::limits::window_starts;
use cryptoexchange_core::order::OrderStatus;
use cryptoexchange_core::placement::{
    explain_refused_write, plan_order, plan_unread, NewOrder, PlacementFacts, Plan, Pricing,
    UnreadFacts,
};
use cryptoexchange_core::time::Timestamp;
use cryptoexchange_core::Crypto;
use serde_json::Value;
use worker::{Env, Request, Response, Url};

use super::config::stored_config;
use super::rates::current_book;
use crate::auth::{authorize, client_of_digest, key_digest, require_client};
use crate::body::{read_bytes, sha256_hex};
use crate::client_cache;
use crate::ids;
use crate::problem::ApiError;
use crate::settlement;
use crate::store::{
    self,
    clients::ClientRow,
    orders::{Cursor, FirstEvent, OrderFilter, Placement, PlacementRead, PlannedWith},
};
use crate::webhook;
use cryptoexchange_core::api::ApiScope;

const DEFAULT_PAGE: u32 = 20;
const MAX_PAGE: u32 = 100;
/// Longest destination address filter (the longest address we validate is shorter).
const MAX_ADDRESS_FILTER: usize = 128;

/// A placement request as parsed, with the fingerprint of its body.
struct Parsed {
    key: String,
    fingerprint: String,
    request: PlaceOrderRequest,
}

/// A sell placement's Idempotency-Key and body (with the path's customer id), or None
/// for a buy.
fn sell_body(
    req: &Request,
    bytes: &[u8],
    customer: &str,
) -> Option<Result<(String, Value), ApiError>> {
    let peek: Value = serde_json::from_slice(bytes).ok()?;
    if !super::sell::is_sell(&peek) {
        return None;
    }
    Some((|| {
        let customer_id = super::customer_id(customer)?;
        let key = idempotency_key(req)?;
        Ok((key, request_body(bytes, &customer_id)?))
    })())
}

fn parse_placement(req: &Request, bytes: &[u8], customer: &str) -> Result<Parsed, ApiError> {
    let customer_id = super::customer_id(customer)?;
    let key = idempotency_key(req)?;
    let body = request_body(bytes, &customer_id)?;
    // The fingerprint covers the whole request as parsed (keys sorted), so a retry
    // that only reorders or re-spaces the JSON is still the same request.
    let fingerprint = sha256_hex(body.to_string().as_bytes());
    let request: PlaceOrderRequest = serde_json::from_value(body)
        .map_err(|e| ApiError::malformed(format!("invalid order: {e}")))?;
    Ok(Parsed {
        key,
        fingerprint,
        request,
    })
}

pub async fn create(mut req: Request, env: &Env, customer: &str) -> Result<Response, ApiError> {
    let digest = key_digest(&req, env)?;
    let bytes = read_bytes(&mut req).await;
    // `side: "sell"`: the sell placement (routes/sell.rs), same key and customer rules.
    if let Ok(bytes) = &bytes {
        if let Some(sell) = sell_body(&req, bytes, customer) {
            let client = client_of_digest(env, &digest).await?;
            authorize(&client, &req, ApiScope::Trade)?;
            let (key, body) = match sell {
                Ok(parts) => parts,
                Err(e) => return Err(e),
            };
            return super::sell::place(env, &digest, &key, body).await;
        }
    }
    let parsed = match bytes {
        Ok(bytes) => parse_placement(&req, &bytes, customer),
        Err(e) => Err(e),
    };
    let parsed = match parsed {
        Ok(parsed) => parsed,
        // An unknown key is told so before anything about its request.
        Err(e) => {
            authorize(
                &client_of_digest(env, &digest).await?,
                &req,
                ApiScope::Trade,
            )?;
            return Err(e);
        }
    };
    let db = env.d1("DB")?;
    let now = ids::now();
    let livemode = crate::mode::SettlementMode::from_env(env)?.livemode();
    if let Some(placed) = place_unread(env, &db, &req, &digest, &parsed, now, livemode).await? {
        return Ok(placed);
    }
    let (read, rates) = futures_util::join!(
        read_facts(&db, &digest, &parsed, now),
        latest_rates(env, now, parsed.request.quote_id.is_none())
    );
    let read = read?;
    let client = read.client.as_ref().ok_or(ApiError::Unauthorized)?;
    authorize(client, &req, ApiScope::Trade)?;
    client_cache::remember(&digest, client, now.unix_millis());
    let config = stored_config(client)?;
    let rates = rates?.publish(now, config.max_rate_age_seconds);
    let order_id = ids::new_uuid()?;
    let facts = Facts {
        parsed: &parsed,
        config: &config,
        rates: &rates,
        order_id: &order_id,
        now,
        livemode,
    };
    let new = match plan_order(&parsed.request, &facts.of(&read))? {
        Plan::Replay(order) => return replay(env, &order).await,
        Plan::Place(new) => new,
    };
    match write(env, &db, client, &digest, &parsed, &new).await? {
        Written::Placed(answer) => Ok(answer),
        Written::Refused => {
            // A concurrent request with the same key won, or the limits, the key or the
            // configuration moved: the facts as they are now decide which.
            client_cache::forget(&digest);
            let again = read_facts(&db, &digest, &parsed, now).await?;
            if again.client.is_none() {
                return Err(ApiError::Unauthorized);
            }
            let order = explain_refused_write(&parsed.request, &facts.of(&again))?;
            replay(env, &order).await
        }
    }
}

/// The happy path, one D1 round trip: planned with this isolate's copy of the client
/// (`client_cache`) and the rate table, before anything is read, and written with the
/// key and configuration it was planned with in the guard. None when there is no copy,
/// when the core needs the facts to decide ([`plan_unread`]), or when the write refused
/// (a used Idempotency-Key, a limit, a revoked key, a new configuration): the copy is
/// then forgotten and the read path decides, with no trace of this attempt.
async fn place_unread(
    env: &Env,
    db: &worker::D1Database,
    req: &Request,
    digest: &str,
    parsed: &Parsed,
    now: Timestamp,
    livemode: bool,
) -> Result<Option<Response>, ApiError> {
    if parsed.request.quote_id.is_some() {
        return Ok(None);
    }
    let Some(client) = client_cache::recall(digest, now.unix_millis()) else {
        return Ok(None);
    };
    // A refusal here stands: a key's scopes and allowlist never change, its revocation
    // and expiry only come sooner, so the stored key refuses too.
    authorize(&client, req, ApiScope::Trade)?;
    let config = stored_config(&client)?;
    let rates = latest_rates(env, now, true)
        .await?
        .publish(now, config.max_rate_age_seconds);
    let order_id = ids::new_uuid()?;
    let facts = UnreadFacts {
        config: &config,
        rates: &rates,
        now,
        new_order_id: &order_id,
        fingerprint: &parsed.fingerprint,
        livemode,
    };
    let Some(new) = plan_unread(&parsed.request, &facts) else {
        return Ok(None);
    };
    match write(env, db, &client, digest, parsed, &new).await? {
        Written::Placed(answer) => Ok(Some(answer)),
        Written::Refused => {
            client_cache::forget(digest);
            Ok(None)
        }
    }
}

/// How the guarded write of a plan ended.
enum Written {
    /// Committed, its pipeline started: the 201 answer.
    Placed(Response),
    /// Nothing written: a used Idempotency-Key or the guard (see [`Placement`]).
    Refused,
}

/// Writes a planned order with its first event in one guarded batch; placed, it starts
/// the order's pipeline and is answered 201.
async fn write(
    env: &Env,
    db: &worker::D1Database,
    client: &ClientRow,
    digest: &str,
    parsed: &Parsed,
    new: &NewOrder,
) -> Result<Written, ApiError> {
    let event_id = ids::new_id("evt")?;
    let event = webhook::order_event(
        &event_id,
        &new.order.id,
        &new.order.customer_id,
        1,
        OrderStatus::Pending,
        new.order.livemode,
        None,
        None,
        new.order.created_at.unix_millis(),
    );
    crate::faults::before_batch(env, "place")?;
    let planned_with = PlannedWith {
        client_id: &client.client_id,
        key_digest: digest,
        config_json: &client.config_json,
    };
    let placement = store::orders::place(
        db,
        &planned_with,
        new,
        &parsed.key,
        &parsed.fingerprint,
        &FirstEvent {
            event_id: &event_id,
            body: &event,
        },
    )
    .await?;
    Ok(match placement {
        Placement::Placed {
            order,
            event_pending,
        } => {
            crate::faults::after_batch(env, "place")?;
            // The order is committed: it is 201 even if the sends fail (the sweeper sends).
            // An event of a client without a webhook URL was written `no_endpoint`.
            settlement::start(env, &order.id, event_pending.then_some(event_id.as_str())).await;
            Written::Placed(super::json(201, &*order)?)
        }
        Placement::DuplicateKey | Placement::Refused => Written::Refused,
    })
}

/// What the handler holds for the plan besides what it read.
struct Facts<'a> {
    parsed: &'a Parsed,
    config: &'a ClientConfig,
    rates: &'a RatesResponse,
    order_id: &'a str,
    now: Timestamp,
    /// The settlement mode's: a live order is paid on-chain.
    livemode: bool,
}

impl<'a> Facts<'a> {
    fn of<'r>(&self, read: &'r PlacementRead) -> PlacementFacts<'r>
    where
        'a: 'r,
    {
        PlacementFacts {
            config: self.config,
            now: self.now,
            new_order_id: self.order_id,
            fingerprint: &self.parsed.fingerprint,
            prior: read.prior.as_ref(),
            pricing: if self.parsed.request.quote_id.is_some() {
                Pricing::Quote(read.quote.as_ref())
            } else {
                Pricing::Rates(self.rates)
            },
            quote_used: read.quote_used,
            spent_today_minor: read.spent_today_minor,
            spent_this_month_minor: read.spent_this_month_minor,
            livemode: self.livemode,
        }
    }
}

async fn read_facts(
    db: &worker::D1Database,
    digest: &str,
    parsed: &Parsed,
    now: Timestamp,
) -> Result<PlacementRead, ApiError> {
    let (day_start, month_start) = window_starts(now);
    Ok(store::orders::placement_read(
        db,
        digest,
        &parsed.key,
        &parsed.request.customer_id,
        &parsed.request.fiat,
        day_start.unix_millis(),
        month_start.unix_millis(),
        parsed.request.quote_id.as_deref(),
    )
    .await?)
}

/// The latest rate table as `GET /v1/rates` shows it (the core checks each rate it
/// uses); empty when none was ever stored or when `needed` is false.
async fn latest_rates(env: &Env, now: Timestamp, needed: bool) -> Result<RateBook, ApiError> {
    if !needed {
        return Ok(RateBook::default());
    }
    current_book(env, now).await
}

/// The original order of a retried request (200).
async fn replay(env: &Env, order: &OrderResponse) -> Result<Response, ApiError> {
    settlement::resume_if_stalled(env, order).await?;
    super::json(200, order)
}

fn idempotency_key(req: &Request) -> Result<String, ApiError> {
    let key = req
        .headers()
        .get("idempotency-key")?
        .ok_or(ApiError::IdempotencyKeyMissing)?;
    let ok = (1..=128).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic());
    if ok {
        Ok(key)
    } else {
        Err(ApiError::IdempotencyKeyMissing)
    }
}

/// The JSON body with the path's customer id: the wire type carries `customer_id`,
/// the path names the customer, and the two must agree.
fn request_body(bytes: &[u8], customer_id: &str) -> Result<Value, ApiError> {
    let mut value: Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::malformed(format!("invalid JSON body: {e}")))?;
    let Value::Object(map) = &mut value else {
        return Err(ApiError::malformed("the body must be a JSON object"));
    };
    match map.get("customer_id") {
        None => {
            map.insert("customer_id".into(), Value::String(customer_id.to_owned()));
        }
        Some(Value::String(s)) if s == customer_id => {}
        Some(_) => {
            return Err(ApiError::InvalidParameter {
                name: "customer_id",
                detail: "the body's customer_id differs from the one in the path".into(),
            })
        }
    }
    Ok(value)
}

pub async fn get(req: &Request, env: &Env, order_id: &str) -> Result<Response, ApiError> {
    let digest = key_digest(req, env)?;
    let (client, order) = store::orders::get_for_key(&env.d1("DB")?, &digest, order_id).await?;
    authorize(&client.ok_or(ApiError::Unauthorized)?, req, ApiScope::Read)?;
    match order {
        Some(order) => super::json(200, &order),
        // Not a buy: perhaps a sell order (routes/sell.rs).
        None => super::sell::get(env, &digest, order_id)
            .await?
            .ok_or(ApiError::NotFound { what: "order" }),
    }
}

pub async fn list(req: &Request, env: &Env, customer: &str) -> Result<Response, ApiError> {
    let client = require_client(req, env, ApiScope::Read).await?;
    let customer_id = super::customer_id(customer)?;
    let query = ListQuery::from_url(&req.url()?)?;
    let mut rows = store::orders::list(
        &env.d1("DB")?,
        &client.client_id,
        &customer_id,
        &query.filter,
        query.cursor.as_ref(),
        query.limit + 1,
    )
    .await?;
    let next_cursor = if rows.len() > query.limit as usize {
        rows.truncate(query.limit as usize);
        rows.last()
            .map(|(last, _)| encode_cursor(last.created_at, &last.order_id))
    } else {
        None
    };
    super::json(
        200,
        &OrdersPage {
            orders: rows.into_iter().map(|(_, order)| order).collect(),
            next_cursor,
        },
    )
}

#[derive(Debug)]
struct ListQuery {
    limit: u32,
    cursor: Option<Cursor>,
    filter: OrderFilter,
}

const LIST_PARAMETERS: &str =
    "limit, cursor, status, crypto, created_from, created_to, destination_address";

fn invalid(name: &'static str, detail: impl Into<String>) -> ApiError {
    ApiError::InvalidParameter {
        name,
        detail: detail.into(),
    }
}

fn parse_time(name: &'static str, value: &str) -> Result<i64, ApiError> {
    Timestamp::parse_rfc3339(value)
        .map(Timestamp::unix_millis)
        .map_err(|e| {
            invalid(
                name,
                format!("an RFC 3339 time such as 2026-03-15T00:00:00Z: {e}"),
            )
        })
}

impl ListQuery {
    fn from_url(url: &Url) -> Result<Self, ApiError> {
        let mut query = ListQuery {
            limit: DEFAULT_PAGE,
            cursor: None,
            filter: OrderFilter::default(),
        };
        for (name, value) in url.query_pairs() {
            match name.as_ref() {
                "limit" => {
                    query.limit = value
                        .parse::<u32>()
                        .ok()
                        .filter(|n| (1..=MAX_PAGE).contains(n))
                        .ok_or_else(|| {
                            invalid("limit", format!("give a whole number from 1 to {MAX_PAGE}"))
                        })?;
                }
                "status" => {
                    query.filter.status = Some(parse_status(&value).ok_or_else(|| {
                        invalid(
                            "status",
                            "one of pending, processing, sent, completed, failed, expired",
                        )
                    })?);
                }
                "crypto" => {
                    query.filter.crypto = Some(
                        value
                            .parse::<Crypto>()
                            .map_err(|_| invalid("crypto", "one of BTC, LTC, DOGE, BCH, ETH"))?,
                    );
                }
                "created_from" => {
                    query.filter.created_from_ms = Some(parse_time("created_from", &value)?)
                }
                "created_to" => {
                    query.filter.created_to_ms = Some(parse_time("created_to", &value)?)
                }
                "destination_address" => {
                    let charset = value
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b':');
                    if value.is_empty() || value.len() > MAX_ADDRESS_FILTER || !charset {
                        return Err(invalid(
                            "destination_address",
                            format!("1 to {MAX_ADDRESS_FILTER} characters, the address as orders show it"),
                        ));
                    }
                    query.filter.destination_address = Some(value.into_owned());
                }
                "cursor" => {
                    query.cursor = Some(decode_cursor(&value).ok_or_else(|| {
                        invalid(
                            "cursor",
                            "pass back the next_cursor of the previous page unchanged",
                        )
                    })?);
                }
                _ => {
                    return Err(invalid(
                        "query",
                        format!("unknown parameter `{name}` ({LIST_PARAMETERS})"),
                    ))
                }
            }
        }
        // created_to before created_from is an empty range, not an error: it lists nothing.
        Ok(query)
    }
}

fn parse_status(s: &str) -> Option<OrderStatus> {
    OrderStatus::ALL
        .into_iter()
        .find(|status| status.as_str() == s)
}

/// Opaque to callers: hex of `{created_at}:{order_id}` of the last order returned.
fn encode_cursor(created_at: i64, order_id: &str) -> String {
    hex::encode(format!("{created_at}:{order_id}"))
}

fn decode_cursor(s: &str) -> Option<Cursor> {
    let text = String::from_utf8(hex::decode(s).ok()?).ok()?;
    let (created_at, order_id) = text.split_once(':')?;
    Some(Cursor {
        created_at: created_at.parse().ok()?,
        order_id: order_id.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_garbage_is_refused() {
        let c = decode_cursor(&encode_cursor(1_795_622_977_414, "ord_ab12")).unwrap();
        assert_eq!(
            (c.created_at, c.order_id.as_str()),
            (1_795_622_977_414, "ord_ab12")
        );
        assert!(decode_cursor("zz").is_none());
        assert!(decode_cursor(&hex::encode("no-colon")).is_none());
    }

    #[test]
    fn the_path_customer_fills_or_must_match_the_body() {
        let filled = request_body(br#"{"amount":"1.00"}"#, "alice").unwrap();
        assert_eq!(filled["customer_id"], "alice");
        assert!(request_body(br#"{"customer_id":"alice"}"#, "alice").is_ok());
        let other = request_body(br#"{"customer_id":"bob"}"#, "alice").unwrap_err();
        assert_eq!(other.code(), "invalid_parameter");
        assert_eq!(
            request_body(b"[1]", "alice").unwrap_err().code(),
            "malformed_body"
        );
    }

    #[test]
    fn statuses_parse_from_their_wire_names_only() {
        assert_eq!(parse_status("completed"), Some(OrderStatus::Completed));
        assert_eq!(parse_status("Completed"), None);
    }
}
