//! The client's webhook events: `GET /v1/events` (filters, cursor), `POST
//! /v1/events/{event_id}/redeliver`, and `GET /v1/webhook-endpoint` (is the endpoint
//! enabled, or disabled by a 410 Gone).

use cryptoexchange_core::api::{
    AnyWebhookEvent, DeliveryState, EventDelivery, EventResponse, EventsPage,
    WebhookEndpointResponse, EVENT_TYPES,
};
use worker::{Env, Request, Response, Url};

use super::config::stored_config;
use crate::auth::require_client;
use crate::ids;
use crate::problem::ApiError;
use crate::settlement::{enqueue, Job};
use crate::store::webhooks::{self, EventFilter, EventRow};
use cryptoexchange_core::api::ApiScope;

const DEFAULT_PAGE: u32 = 20;
const MAX_PAGE: u32 = 100;
const PARAMETERS: &str = "limit, cursor, order_id, type, delivery_state";

fn invalid(name: &'static str, detail: impl Into<String>) -> ApiError {
    ApiError::InvalidParameter {
        name,
        detail: detail.into(),
    }
}

fn view(row: EventRow) -> Result<EventResponse, ApiError> {
    let payload: AnyWebhookEvent = serde_json::from_str(&row.body)
        .map_err(|e| ApiError::internal(format!("event {} body: {e}", row.event_id)))?;
    let state = DeliveryState::ALL
        .into_iter()
        .find(|s| s.as_str() == row.state)
        .ok_or_else(|| ApiError::internal(format!("event {} state {}", row.event_id, row.state)))?;
    Ok(EventResponse {
        id: row.event_id,
        kind: payload.kind().to_owned(),
        order_id: row.order_id,
        sequence: row.sequence,
        created_at: ids::time_of(row.created_at),
        delivery: EventDelivery {
            state,
            attempts: row.attempts,
            last_attempt_at: row.last_attempt_at.map(ids::time_of),
            // Only a pending event has a next attempt; a new one is due when created.
            next_attempt_at: (state == DeliveryState::Pending)
                .then(|| ids::time_of(row.next_attempt_at.unwrap_or(row.created_at))),
            delivered_at: row.delivered_at.map(ids::time_of),
            last_error: row.last_error,
        },
        payload,
    })
}

struct ListQuery {
    limit: u32,
    cursor: Option<(i64, String)>,
    filter: EventFilter,
}

fn parse_query(url: &Url) -> Result<ListQuery, ApiError> {
    let mut q = ListQuery {
        limit: DEFAULT_PAGE,
        cursor: None,
        filter: EventFilter::default(),
    };
    for (name, value) in url.query_pairs() {
        match name.as_ref() {
            "limit" => {
                q.limit = value
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=MAX_PAGE).contains(n))
                    .ok_or_else(|| {
                        invalid("limit", format!("a whole number from 1 to {MAX_PAGE}"))
                    })?;
            }
            "order_id" => {
                if !is_order_id(&value) {
                    return Err(invalid("order_id", "an order id (a version 4 UUID)"));
                }
                q.filter.order_id = Some(value.into_owned());
            }
            "type" => {
                if !EVENT_TYPES.contains(&value.as_ref()) {
                    return Err(invalid("type", EVENT_TYPES.join(" or ")));
                }
                q.filter.kind = Some(value.into_owned());
            }
            "delivery_state" => {
                let state = DeliveryState::ALL
                    .into_iter()
                    .find(|s| s.as_str() == value)
                    .ok_or_else(|| {
                        invalid(
                            "delivery_state",
                            "one of pending, delivered, failed, no_endpoint",
                        )
                    })?;
                q.filter.state = Some(state.as_str().to_owned());
            }
            "cursor" => {
                q.cursor = Some(decode_cursor(&value).ok_or_else(|| {
                    invalid(
                        "cursor",
                        "pass back the next_cursor of the previous page unchanged",
                    )
                })?);
            }
            _ => {
                return Err(invalid(
                    "query",
                    format!("unknown parameter `{name}` ({PARAMETERS})"),
                ))
            }
        }
    }
    Ok(q)
}

/// An order id as orders are identified: a lower-case version 4 UUID.
fn is_order_id(s: &str) -> bool {
    let b = s.as_bytes();
    let hex = |i: usize| b[i].is_ascii_digit() || (b'a'..=b'f').contains(&b[i]);
    b.len() == 36
        && (0..36).all(|i| match i {
            8 | 13 | 18 | 23 => b[i] == b'-',
            14 => b[i] == b'4',
            19 => matches!(b[i], b'8' | b'9' | b'a' | b'b'),
            _ => hex(i),
        })
}

/// Opaque to callers: hex of `{created_at}:{event_id}` of the last event returned.
fn encode_cursor(created_at: i64, event_id: &str) -> String {
    hex::encode(format!("{created_at}:{event_id}"))
}

fn decode_cursor(s: &str) -> Option<(i64, String)> {
    let text = String::from_utf8(hex::decode(s).ok()?).ok()?;
    let (at, id) = text.split_once(':')?;
    Some((at.parse().ok()?, id.to_owned()))
}

/// `GET /v1/events`: the client's events, newest first.
pub async fn list(req: &Request, env: &Env) -> Result<Response, ApiError> {
    let client = require_client(req, env, ApiScope::Read).await?;
    let q = parse_query(&req.url()?)?;
    let mut rows = webhooks::list(
        &env.d1("DB")?,
        &client.client_id,
        &q.filter,
        q.cursor,
        q.limit + 1,
    )
    .await?;
    let next_cursor = if rows.len() > q.limit as usize {
        rows.truncate(q.limit as usize);
        rows.last()
            .map(|r| encode_cursor(r.created_at, &r.event_id))
    } else {
        None
    };
    let events = rows.into_iter().map(view).collect::<Result<_, _>>()?;
    super::json(
        200,
        &EventsPage {
            events,
            next_cursor,
        },
    )
}

/// `POST /v1/events/{event_id}/redeliver`: a fresh schedule starting now (202); the
/// receiver gets the same `webhook-id` again.
pub async fn redeliver(req: &Request, env: &Env, event_id: &str) -> Result<Response, ApiError> {
    let client = require_client(req, env, ApiScope::Trade).await?;
    let db = env.d1("DB")?;
    let row = webhooks::redeliver(&db, &client.client_id, event_id, ids::now_ms())
        .await?
        .ok_or(ApiError::NotFound { what: "event" })?;
    let job = Job::Deliver {
        event_id: row.event_id.clone(),
    };
    if let Err(e) = enqueue(env, job, 0).await {
        // The event is pending and due: the sweeper sends it.
        worker::console_error!(
            "event {event_id}: redelivery not enqueued ({e:?}); the sweeper will"
        );
    }
    super::json(202, &view(row)?)
}

/// `GET /v1/webhook-endpoint`.
pub async fn endpoint(req: &Request, env: &Env) -> Result<Response, ApiError> {
    let client = require_client(req, env, ApiScope::Read).await?;
    let url = stored_config(&client)?.webhook_url;
    let disabled = webhooks::endpoint_disabled(&env.d1("DB")?, &client.client_id).await?;
    super::json(
        200,
        &WebhookEndpointResponse {
            enabled: url.is_some() && disabled.is_none(),
            url,
            disabled_at: disabled.as_ref().map(|(at, _)| ids::time_of(*at)),
            disabled_reason: disabled.map(|(_, reason)| reason),
            signature_scheme: "v1".to_owned(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_garbage_is_refused() {
        let c = decode_cursor(&encode_cursor(1_795_622_977_414, "evt_ab12")).unwrap();
        assert_eq!(c, (1_795_622_977_414, "evt_ab12".to_owned()));
        assert!(decode_cursor("zz").is_none());
    }

    #[test]
    fn only_version_4_uuids_are_order_ids() {
        assert!(is_order_id("3f8a2c1e-5b7d-4e9f-a1c3-0d2e4f6a8b9c"));
        assert!(!is_order_id("3f8a2c1e-5b7d-3e9f-a1c3-0d2e4f6a8b9c"));
        assert!(!is_order_id("3F8A2C1E-5B7D-4E9F-A1C3-0D2E4F6A8B9C"));
        assert!(!is_order_id("abc"));
    }
}
