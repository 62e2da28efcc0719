//! Orders: placing one (idempotent, limits enforced atomically), reading one, and
//! listing a customer's orders.

use cryptoexchange_core::address::validate_address;
use cryptoexchange_core::api::{
    OrderResponse, OrdersPage, PlaceOrderRequest, QuoteBreakdown, QuoteRequest, StatusChange,
};
use cryptoexchange_core::config::ClientConfig;
use cryptoexchange_core::limits::{check_limits, limit_window, to_minor_units, SpentEntry};
use cryptoexchange_core::order::{
    honour_quote, validate_place_order, OrderError, OrderStatus, ValidOrderRequest,
};
use cryptoexchange_core::quote::estimate;
use serde_json::Value;
use worker::{Env, Request, Response, Url};

use super::config::stored_config;
use super::quotes::stored_quote;
use super::rates::latest_response;
use crate::auth::require_client;
use crate::body::{read_bytes, sha256_hex};
use crate::ids;
use crate::problem::ApiError;
use crate::settlement;
use crate::store::{
    self,
    orders::{Cursor, HistoryRow, OrderRow, Placement},
};
use crate::webhook;

const DEFAULT_PAGE: u32 = 20;
const MAX_PAGE: u32 = 100;

pub async fn create(mut req: Request, env: &Env, customer: &str) -> Result<Response, ApiError> {
    let client = require_client(&req, env).await?;
    let customer_id = super::customer_id(customer)?;
    let key = idempotency_key(&req)?;
    let body = request_body(&read_bytes(&mut req).await?, &customer_id)?;
    // The fingerprint covers the whole request as parsed (keys sorted), so a retry
    // that only reorders or re-spaces the JSON is still the same request.
    let fingerprint = sha256_hex(body.to_string().as_bytes());
    let db = env.d1("DB")?;
    if let Some(response) = replay(env, &client.client_id, &key, &fingerprint).await? {
        return Ok(response);
    }
    let request: PlaceOrderRequest = serde_json::from_value(body)
        .map_err(|e| ApiError::malformed(format!("invalid order: {e}")))?;
    let config = stored_config(&client)?;
    let order = validate_place_order(&request, &config)?;
    // validate_place_order checked the address; this gives its normalized form
    // (lower-case bech32...), under which the sandbox ledger and balances find it.
    let destination = validate_address(
        order.crypto,
        &order.destination_address,
        Some(order.network),
    )
    .map_err(|error| OrderError::InvalidAddress {
        address: order.destination_address.clone(),
        error,
    })?
    .normalized;
    let now = ids::now();
    let pricing = price_order(env, &client.client_id, &order, &request, &config, now).await?;

    let window = limit_window(&config, pricing.fiat, now)?;
    let minor = |amount| {
        to_minor_units(amount, pricing.fiat).ok_or_else(|| {
            ApiError::internal(format!(
                "{amount} {} has no exact minor units",
                pricing.fiat
            ))
        })
    };
    let fiat_total_minor = minor(pricing.fiat_amount)?;
    let fiat = pricing.fiat.ticker();
    let day_start = window.day_start.unix_millis();
    let month_start = window.month_start.unix_millis();
    // Refuse early with the core's precise error (which limit, how much is used);
    // the guarded insert below is what enforces it against concurrent orders.
    let spent = spent_entries(
        &db,
        &client.client_id,
        &customer_id,
        &pricing,
        day_start,
        month_start,
    )
    .await?;
    check_limits(&config, &spent, pricing.fiat, pricing.fiat_amount, now)?;

    let order_id = ids::new_uuid()?;
    let event_id = ids::new_id("evt")?;
    let now_ms = now.unix_millis();
    let status = OrderStatus::Pending.as_str();
    let event = webhook::order_event(
        &event_id,
        &order_id,
        &customer_id,
        1,
        OrderStatus::Pending,
        None,
        None,
        now_ms,
    );
    let quote_json = serde_json::to_string(&pricing).map_err(ApiError::internal)?;
    let placement = store::orders::place(
        &db,
        &store::orders::NewOrder {
            order_id: &order_id,
            client_id: &client.client_id,
            customer_id: &customer_id,
            crypto: order.crypto.ticker(),
            network: order.network.as_str(),
            fiat,
            fiat_total_minor,
            quote_json: &quote_json,
            quote_id: order.quote_id.as_deref(),
            destination_address: &destination,
            initial_status: status,
            now_ms,
        },
        &[
            store::orders::LimitWindow {
                since_ms: day_start,
                max_minor: Some(minor(window.daily_limit)?),
            },
            store::orders::LimitWindow {
                since_ms: month_start,
                max_minor: Some(minor(window.monthly_limit)?),
            },
        ],
        &key,
        &fingerprint,
        &store::orders::FirstEvent {
            event_id: &event_id,
            body: &event,
        },
    )
    .await?;
    match placement {
        Placement::Placed => {}
        Placement::DuplicateKey | Placement::LimitReached => {
            // A concurrent request with the same key may have won: answer as its retry.
            if let Some(response) = replay(env, &client.client_id, &key, &fingerprint).await? {
                return Ok(response);
            }
            let spent = spent_entries(
                &db,
                &client.client_id,
                &customer_id,
                &pricing,
                day_start,
                month_start,
            )
            .await?;
            check_limits(&config, &spent, pricing.fiat, pricing.fiat_amount, now)?;
            // The guard saw orders that have since failed or expired: nothing was
            // written, and a retry with the same key decides again.
            return Err(ApiError::Domain {
                code: "limits_changed_retry".into(),
                detail: "the customer's limits changed while this order was placed; nothing was \
                         written: retry with the same Idempotency-Key"
                    .into(),
                facts: Default::default(),
            });
        }
    }
    settlement::start(env, &order_id, &event_id).await?;
    let row = store::orders::get(&db, &client.client_id, &order_id)
        .await?
        .ok_or_else(|| ApiError::internal("order vanished after insert"))?;
    let history = store::orders::history(&db, &order_id).await?;
    super::json(201, &order_response(&row, &history)?)
}

/// The original order when this Idempotency-Key was used before with the same request
/// (200); `idempotency_key_reused` when with another one; None for a new key.
async fn replay(
    env: &Env,
    client_id: &str,
    key: &str,
    fingerprint: &str,
) -> Result<Option<Response>, ApiError> {
    let db = env.d1("DB")?;
    let Some(previous) = store::orders::idempotency_key(&db, client_id, key).await? else {
        return Ok(None);
    };
    if previous.request_hash != fingerprint {
        return Err(ApiError::IdempotencyKeyReused);
    }
    let row = store::orders::get(&db, client_id, &previous.order_id)
        .await?
        .ok_or_else(|| ApiError::internal("idempotency key points to a missing order"))?;
    settlement::resume_if_stalled(env, &row).await?;
    let history = store::orders::history(&db, &row.order_id).await?;
    Ok(Some(super::json(200, &order_response(&row, &history)?)?))
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

/// The pricing of the order: the quote named by `quote_id` if it is this client's,
/// unexpired and for the same trade; otherwise a fresh estimate at the latest rates.
async fn price_order(
    env: &Env,
    client_id: &str,
    order: &ValidOrderRequest,
    request: &PlaceOrderRequest,
    config: &ClientConfig,
    now: cryptoexchange_core::time::Timestamp,
) -> Result<QuoteBreakdown, ApiError> {
    let quote_request = QuoteRequest {
        crypto: request.crypto.clone(),
        network: request.network.clone(),
        fiat: request.fiat.clone(),
        amount: request.amount.clone(),
        amount_currency: request.amount_currency.clone(),
    };
    match &order.quote_id {
        Some(quote_id) => {
            let quote = stored_quote(env, client_id, quote_id).await?;
            Ok(honour_quote(&quote, order, now)?)
        }
        None => {
            let rates = latest_response(env, now, config.max_rate_age_seconds).await?;
            Ok(estimate(&quote_request, &rates, config, now)?)
        }
    }
}

/// The customer's counted spending as the core's history: one entry for today and one
/// for the rest of the month, from two exact SQL sums.
async fn spent_entries(
    db: &worker::D1Database,
    client_id: &str,
    customer_id: &str,
    pricing: &QuoteBreakdown,
    day_start_ms: i64,
    month_start_ms: i64,
) -> Result<Vec<SpentEntry>, ApiError> {
    let fiat = pricing.fiat;
    let today =
        store::orders::spent_since(db, client_id, customer_id, fiat.ticker(), day_start_ms).await?;
    let month =
        store::orders::spent_since(db, client_id, customer_id, fiat.ticker(), month_start_ms)
            .await?;
    let amount = |minor: i64| rust_decimal::Decimal::new(minor, fiat.minor_units());
    Ok(vec![
        SpentEntry {
            at: ids::time_of(day_start_ms),
            fiat,
            amount: amount(today),
        },
        SpentEntry {
            at: ids::time_of(month_start_ms),
            fiat,
            amount: amount(month - today),
        },
    ])
}

pub async fn get(req: &Request, env: &Env, order_id: &str) -> Result<Response, ApiError> {
    let client = require_client(req, env).await?;
    let db = env.d1("DB")?;
    let row = store::orders::get(&db, &client.client_id, order_id)
        .await?
        .ok_or(ApiError::NotFound { what: "order" })?;
    let history = store::orders::history(&db, order_id).await?;
    super::json(200, &order_response(&row, &history)?)
}

pub async fn list(req: &Request, env: &Env, customer: &str) -> Result<Response, ApiError> {
    let client = require_client(req, env).await?;
    let customer_id = super::customer_id(customer)?;
    let query = ListQuery::from_url(&req.url()?)?;
    let db = env.d1("DB")?;
    let mut rows = store::orders::list(
        &db,
        &client.client_id,
        &customer_id,
        query.status.map(OrderStatus::as_str),
        query.cursor.as_ref(),
        query.limit + 1,
    )
    .await?;
    let next_cursor = if rows.len() > query.limit as usize {
        rows.truncate(query.limit as usize);
        rows.last()
            .map(|last| encode_cursor(last.created_at, &last.order_id))
    } else {
        None
    };
    let ids: Vec<&str> = rows.iter().map(|r| r.order_id.as_str()).collect();
    let histories = store::orders::histories(&db, &ids).await?;
    let orders = rows
        .iter()
        .map(|row| {
            let history: Vec<HistoryRow> = histories
                .iter()
                .filter(|h| h.order_id == row.order_id)
                .map(|h| HistoryRow {
                    sequence: h.sequence,
                    status: h.status.clone(),
                    failure_reason: h.failure_reason.clone(),
                    tx_id: h.tx_id.clone(),
                    at: h.at,
                })
                .collect();
            order_response(row, &history)
        })
        .collect::<Result<Vec<_>, _>>()?;
    super::json(
        200,
        &OrdersPage {
            orders,
            next_cursor,
        },
    )
}

struct ListQuery {
    limit: u32,
    status: Option<OrderStatus>,
    cursor: Option<Cursor>,
}

impl ListQuery {
    fn from_url(url: &Url) -> Result<Self, ApiError> {
        let mut query = ListQuery {
            limit: DEFAULT_PAGE,
            status: None,
            cursor: None,
        };
        for (name, value) in url.query_pairs() {
            match name.as_ref() {
                "limit" => {
                    query.limit = value
                        .parse::<u32>()
                        .ok()
                        .filter(|n| (1..=MAX_PAGE).contains(n))
                        .ok_or_else(|| ApiError::InvalidParameter {
                            name: "limit",
                            detail: format!("give a whole number from 1 to {MAX_PAGE}"),
                        })?;
                }
                "status" => {
                    query.status = Some(parse_status(&value).ok_or_else(|| {
                        ApiError::InvalidParameter {
                            name: "status",
                            detail: "one of pending, processing, sent, completed, failed, expired"
                                .into(),
                        }
                    })?);
                }
                "cursor" => {
                    query.cursor =
                        Some(
                            decode_cursor(&value).ok_or_else(|| ApiError::InvalidParameter {
                                name: "cursor",
                                detail: "pass back the next_cursor of the previous page unchanged"
                                    .into(),
                            })?,
                        );
                }
                _ => {
                    return Err(ApiError::InvalidParameter {
                        name: "query",
                        detail: format!("unknown parameter `{name}` (limit, cursor, status)"),
                    })
                }
            }
        }
        Ok(query)
    }
}

fn parse_status(s: &str) -> Option<OrderStatus> {
    serde_json::from_value(Value::String(s.to_owned())).ok()
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

/// An order in the core's wire shape.
pub fn order_response(row: &OrderRow, history: &[HistoryRow]) -> Result<OrderResponse, ApiError> {
    let stored = |what: &str, e: &dyn std::fmt::Display| {
        ApiError::internal(format!("order {} {what}: {e}", row.order_id))
    };
    let pricing: QuoteBreakdown =
        serde_json::from_str(&row.quote_json).map_err(|e| stored("pricing", &e))?;
    let status = parse_status(&row.status).ok_or_else(|| stored("status", &row.status))?;
    let status_history = history
        .iter()
        .map(|h| {
            Ok(StatusChange {
                status: parse_status(&h.status)
                    .ok_or_else(|| stored("history status", &h.status))?,
                at: ids::time_of(h.at),
                failure_reason: h
                    .failure_reason
                    .as_ref()
                    .map(|r| serde_json::from_value(Value::String(r.clone())))
                    .transpose()
                    .map_err(|e| stored("failure reason", &e))?,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(OrderResponse {
        id: row.order_id.clone(),
        customer_id: row.customer_id.clone(),
        status,
        destination_address: row.destination_address.clone(),
        quote_id: row.quote_id.clone(),
        pricing,
        status_history,
        tx_id: row.tx_id.clone(),
        created_at: ids::time_of(row.created_at),
        updated_at: ids::time_of(row.updated_at),
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
