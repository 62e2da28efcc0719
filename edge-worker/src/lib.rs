//! The CryptoExchange API as a Cloudflare Worker: routing, authentication, storage and
//! scheduling around `cryptoexchange-core`, which makes every business decision.
//!
//! - `fetch`: the route table below (`ROUTES`: method + path pattern → handler), read
//!   both to dispatch and to answer 405 with `Allow`; every handler returns
//!   `Result<Response, ApiError>` and `problem.rs` turns each error into one
//!   problem+json response, so this entry point never returns `Err`.
//! - `queue`: the settlement steps (`settlement.rs`), the webhook deliveries
//!   (`delivery.rs`) and the two dead-letter queues (`dead_letters.rs`), by queue name.
//! - `scheduled`: the rates refresh from the configured source (`routes/rates.rs`) and
//!   the outbox sweeper (`sweeper.rs`), every minute.
//!   Then the retention of quotes, idempotency keys and webhook secrets (`retention.rs`).
//! - `RateLimiter`: the Durable Object counting each API key's requests (`ratelimit.rs`).
//!
//! Architecture invariants: only `store/` touches D1 and KV; every query of client data
//! filters by `client_id`; money is `Decimal` or a decimal string, never a float.

use futures_util::future::LocalBoxFuture;
use worker::{
    event, Context, Env, MessageBatch, Method, Request, Response, ScheduleContext, ScheduledEvent,
};

mod access;
mod auth;
mod body;
mod chain;
mod client_cache;
mod dead_letters;
mod delivery;
mod faults;
mod ids;
mod mode;
mod outbound;
mod problem;
mod ratelimit;
mod rates_sources;
mod retention;
mod routes;
mod secrets;
mod sell_watch;
mod settlement;
mod store;
mod sweeper;
mod webhook;

use problem::ApiError;
use routes::{
    addresses, admin, config, events, health, held_payouts, keys, openapi, orders, quotes, rates,
    sell, webhook_secrets,
};

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    // A request made with an API key is counted first (ratelimit.rs); over the limit,
    // the handler does not run.
    let admission = ratelimit::admit(&req, &env).await;
    let result = match admission.as_ref().and_then(ratelimit::Admission::refusal) {
        Some(refused) => Err(refused),
        None => route(req, &env).await,
    };
    let mut response = match result {
        Ok(response) => response,
        Err(error) => error.into_response(),
    };
    if let Some(admission) = admission {
        admission.decorate(&mut response);
        if admission.verdict.touch {
            // The key's last_used_at, at most once a minute, after the answer.
            ctx.wait_until(async move {
                let touched = match env.d1("DB") {
                    Ok(db) => store::api_keys::touch(&db, &admission.digest, ids::now_ms())
                        .await
                        .map_err(|e| e.to_string()),
                    Err(e) => Err(e.to_string()),
                };
                if let Err(e) = touched {
                    worker::console_error!("last_used_at not written: {e}");
                }
            });
        }
    }
    Ok(response)
}

/// The path parameters of a route (`{...}` in its pattern), in order.
type Params = Vec<String>;
type Handler =
    for<'a> fn(Request, &'a Env, Params) -> LocalBoxFuture<'a, Result<Response, ApiError>>;

/// One endpoint: a method and a path pattern whose `{name}` segments match any one
/// segment, and its handler.
struct Route {
    method: Method,
    pattern: &'static str,
    handler: Handler,
}

/// The route table: dispatch, and the 405 with `Allow` for a known path with another
/// method, both read it.
static ROUTES: &[Route] = &[
    Route {
        method: Method::Get,
        pattern: "/healthz",
        handler: |_, env, _| Box::pin(health::get(env)),
    },
    Route {
        method: Method::Get,
        pattern: "/openapi.json",
        handler: |_, _, _| Box::pin(async { openapi::get() }),
    },
    Route {
        method: Method::Post,
        pattern: "/v1/admin/clients",
        handler: |req, env, _| Box::pin(admin::create_client(req, env)),
    },
    Route {
        method: Method::Get,
        pattern: "/v1/admin/clients/{client_id}/config",
        handler: |req, env, p| Box::pin(async move { admin::get_config(&req, env, &p[0]).await }),
    },
    Route {
        method: Method::Put,
        pattern: "/v1/admin/clients/{client_id}/config",
        handler: |req, env, p| Box::pin(async move { admin::put_config(req, env, &p[0]).await }),
    },
    Route {
        method: Method::Post,
        pattern: "/v1/admin/clients/{client_id}/api-keys",
        handler: |req, env, p| Box::pin(async move { keys::create(req, env, &p[0]).await }),
    },
    Route {
        method: Method::Get,
        pattern: "/v1/admin/clients/{client_id}/api-keys",
        handler: |req, env, p| Box::pin(async move { keys::admin_list(&req, env, &p[0]).await }),
    },
    Route {
        method: Method::Delete,
        pattern: "/v1/admin/clients/{client_id}/api-keys/{key_id}",
        handler: |req, env, p| Box::pin(async move { keys::revoke(&req, env, &p[0], &p[1]).await }),
    },
    Route {
        method: Method::Post,
        pattern: "/v1/admin/clients/{client_id}/api-keys/{key_id}/rotate",
        handler: |req, env, p| Box::pin(async move { keys::rotate(req, env, &p[0], &p[1]).await }),
    },
    Route {
        method: Method::Get,
        pattern: "/v1/api-keys",
        handler: |req, env, _| Box::pin(async move { keys::own_list(&req, env).await }),
    },
    Route {
        method: Method::Post,
        pattern: "/v1/admin/clients/{client_id}/webhook-secret/rotate",
        handler: |req, env, p| {
            Box::pin(async move { webhook_secrets::rotate(req, env, &p[0]).await })
        },
    },
    Route {
        method: Method::Get,
        pattern: "/v1/webhook-secrets",
        handler: |req, env, _| Box::pin(async move { webhook_secrets::own_list(&req, env).await }),
    },
    Route {
        method: Method::Put,
        pattern: "/v1/admin/rates",
        handler: |req, env, _| Box::pin(admin::put_rates(req, env)),
    },
    Route {
        method: Method::Post,
        pattern: "/v1/admin/rates/refresh",
        handler: |req, env, _| Box::pin(async move { admin::refresh_rates(&req, env).await }),
    },
    Route {
        method: Method::Get,
        pattern: "/v1/admin/payouts/held",
        handler: |req, env, _| Box::pin(async move { held_payouts::list(&req, env).await }),
    },
    Route {
        method: Method::Post,
        pattern: "/v1/admin/payouts/{order_id}/release",
        handler: |req, env, p| {
            Box::pin(async move { held_payouts::release(&req, env, &p[0]).await })
        },
    },
    Route {
        method: Method::Post,
        pattern: "/v1/admin/payouts/{order_id}/fail",
        handler: |req, env, p| Box::pin(async move { held_payouts::fail(&req, env, &p[0]).await }),
    },
    Route {
        method: Method::Get,
        pattern: "/v1/admin/dead-letters",
        handler: |req, env, _| Box::pin(async move { dead_letters::list(&req, env).await }),
    },
    Route {
        method: Method::Post,
        pattern: "/v1/admin/dead-letters/{dead_letter_id}/replay",
        handler: |req, env, p| {
            Box::pin(async move { dead_letters::replay(&req, env, &p[0]).await })
        },
    },
    Route {
        method: Method::Get,
        pattern: "/v1/config",
        handler: |req, env, _| Box::pin(async move { config::get(&req, env).await }),
    },
    Route {
        method: Method::Get,
        pattern: "/v1/rates",
        handler: |req, env, _| Box::pin(async move { rates::get(&req, env).await }),
    },
    Route {
        method: Method::Post,
        pattern: "/v1/quotes",
        handler: |req, env, _| Box::pin(quotes::create(req, env)),
    },
    Route {
        method: Method::Get,
        pattern: "/v1/customers/{customer_id}/addresses",
        handler: |req, env, p| Box::pin(async move { addresses::list(&req, env, &p[0]).await }),
    },
    Route {
        method: Method::Post,
        pattern: "/v1/customers/{customer_id}/addresses",
        handler: |req, env, p| Box::pin(async move { addresses::create(req, env, &p[0]).await }),
    },
    Route {
        method: Method::Post,
        pattern: "/v1/addresses/validate",
        handler: |req, env, _| Box::pin(addresses::validate(req, env)),
    },
    Route {
        method: Method::Get,
        pattern: "/v1/addresses/{currency}/{address}/balance",
        handler: |req, env, p| {
            Box::pin(async move { addresses::balance(&req, env, &p[0], &p[1]).await })
        },
    },
    Route {
        method: Method::Post,
        pattern: "/v1/customers/{customer_id}/orders",
        handler: |req, env, p| Box::pin(async move { orders::create(req, env, &p[0]).await }),
    },
    Route {
        method: Method::Get,
        pattern: "/v1/customers/{customer_id}/orders",
        handler: |req, env, p| Box::pin(async move { orders::list(&req, env, &p[0]).await }),
    },
    Route {
        method: Method::Get,
        pattern: "/v1/orders/{order_id}",
        handler: |req, env, p| Box::pin(async move { orders::get(&req, env, &p[0]).await }),
    },
    // Selling (issue 13, routes/sell.rs); sell quotes and placements share the buy routes.
    Route {
        method: Method::Post,
        pattern: "/v1/sandbox/orders/{order_id}/deposit",
        handler: |req, env, p| {
            Box::pin(async move { sell::sandbox_deposit(req, env, &p[0]).await })
        },
    },
    Route {
        method: Method::Post,
        pattern: "/v1/orders/{order_id}/fiat-payout",
        handler: |req, env, p| Box::pin(async move { sell::fiat_payout(req, env, &p[0]).await }),
    },
    Route {
        method: Method::Post,
        pattern: "/v1/orders/{order_id}/refund",
        handler: |req, env, p| Box::pin(async move { sell::refund(req, env, &p[0]).await }),
    },
    Route {
        method: Method::Post,
        pattern: "/v1/orders/{order_id}/excess-refund",
        handler: |req, env, p| Box::pin(async move { sell::excess_refund(req, env, &p[0]).await }),
    },
    Route {
        method: Method::Get,
        pattern: "/v1/events",
        handler: |req, env, _| Box::pin(async move { events::list(&req, env).await }),
    },
    Route {
        method: Method::Post,
        pattern: "/v1/events/{event_id}/redeliver",
        handler: |req, env, p| Box::pin(async move { events::redeliver(&req, env, &p[0]).await }),
    },
    Route {
        method: Method::Get,
        pattern: "/v1/webhook-endpoint",
        handler: |req, env, _| Box::pin(async move { events::endpoint(&req, env).await }),
    },
];

/// The parameters of `path` under `pattern`, or None when it does not match.
fn match_path(pattern: &str, path: &str) -> Option<Params> {
    let mut params = Vec::new();
    let mut wanted = pattern.trim_matches('/').split('/');
    let mut given = path.trim_matches('/').split('/');
    loop {
        match (wanted.next(), given.next()) {
            (None, None) => return Some(params),
            (Some(w), Some(g)) if w.starts_with('{') && !g.is_empty() => params.push(g.to_owned()),
            (Some(w), Some(g)) if w == g => {}
            _ => return None,
        }
    }
}

async fn route(req: Request, env: &Env) -> Result<Response, ApiError> {
    // An unusable SETTLEMENT_MODE stops every API request.
    mode::SettlementMode::from_env(env)?;
    let path = req.path();
    let method = req.method();
    // workers-rs reads a method it does not know (QUERY, ...) as GET: such a request
    // matches no route and gets the 405 (or 404) below.
    let known_method = req.inner().method().eq_ignore_ascii_case(method.as_ref());
    let mut allow: Vec<&'static str> = Vec::new();
    for route in ROUTES {
        if let Some(params) = match_path(route.pattern, &path) {
            if known_method && route.method == method {
                return (route.handler)(req, env, params).await;
            }
            allow.push(route.method.as_ref());
        }
    }
    if !allow.is_empty() {
        return Err(ApiError::MethodNotAllowed {
            allow: allow.join(", "),
        });
    }
    if is_api_path(&path) {
        return Err(ApiError::NotFound { what: "endpoint" });
    }
    serve_asset(req, env).await
}

fn is_api_path(path: &str) -> bool {
    let first = path.trim_start_matches('/').split('/').next();
    matches!(first, Some("v1") | Some("healthz") | Some("openapi.json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_capture_their_parameters_and_nothing_else() {
        assert_eq!(
            match_path("/v1/orders/{order_id}", "/v1/orders/ord-1"),
            Some(vec!["ord-1".to_owned()])
        );
        assert_eq!(match_path("/v1/orders/{order_id}", "/v1/orders/"), None);
        assert_eq!(match_path("/v1/orders/{order_id}", "/v1/orders/a/b"), None);
        assert_eq!(match_path("/v1/config", "/v1/config"), Some(vec![]));
        assert_eq!(match_path("/v1/config", "/v1/configs"), None);
    }

    #[test]
    fn no_two_routes_share_a_method_and_pattern() {
        for (i, a) in ROUTES.iter().enumerate() {
            for b in &ROUTES[i + 1..] {
                assert!(
                    !(a.method == b.method && a.pattern == b.pattern),
                    "{} {} twice",
                    a.method.as_ref(),
                    a.pattern
                );
            }
        }
    }
}

async fn serve_asset(req: Request, env: &Env) -> Result<Response, ApiError> {
    let url = req.url()?;
    Ok(env.assets("ASSETS")?.fetch(url.to_string(), None).await?)
}

#[event(queue)]
async fn queue(
    batch: MessageBatch<settlement::Job>,
    env: Env,
    _ctx: Context,
) -> worker::Result<()> {
    settlement::handle_batch(batch, &env).await;
    Ok(())
}

#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let (refreshed, swept) =
        futures_util::join!(rates::refresh_from_sources(&env), sweeper::sweep(&env));
    if let Err(e) = refreshed {
        worker::console_error!("scheduled rates refresh failed: {e}");
    }
    if let Err(e) = swept {
        worker::console_error!("scheduled outbox sweep failed: {e:?}");
    }
    if let Err(e) = retention::run(&env).await {
        worker::console_error!("scheduled retention failed: {e}");
    }
    // Live sell orders' deposits (issue 13).
    if let Err(e) = sell::watch_all(&env).await {
        worker::console_error!("scheduled sell deposit watch failed: {e}");
    }
}
