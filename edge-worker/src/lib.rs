//! The CryptoExchange API as a Cloudflare Worker: routing, authentication, storage and
//! scheduling around `cryptoexchange-core`, which makes every business decision.
//!
//! - `fetch`: the route table below; every handler returns `Result<Response, ApiError>`
//!   and `problem.rs` turns each error into one problem+json response, so this entry
//!   point never returns `Err`.
//! - `queue`: the sandbox settlement steps and webhook deliveries (`settlement.rs`).
//! - `scheduled`: the rates refresh from the configured source (`routes/rates.rs`).
//!
//! Architecture invariants: only `store/` touches D1 and KV; every query of client data
//! filters by `client_id`; money is `Decimal` or a decimal string, never a float.

use worker::{
    event, Context, Env, MessageBatch, Method, Request, Response, ScheduleContext, ScheduledEvent,
};

mod auth;
mod body;
mod chain;
mod ids;
mod outbound;
mod problem;
mod routes;
mod settlement;
mod store;
mod webhook;

use problem::ApiError;
use routes::{addresses, admin, config, health, openapi, orders, quotes, rates};

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    Ok(match route(req, &env).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    })
}

async fn route(req: Request, env: &Env) -> Result<Response, ApiError> {
    use Method::{Get, Post, Put};

    let path = req.path();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let method = req.method();
    // workers-rs reads a method it does not know (QUERY, ...) as GET: refuse those instead.
    let known_method = req.inner().method().eq_ignore_ascii_case(method.as_ref());
    match (method.clone(), segments.as_slice()) {
        (_, segs) if !known_method && is_api_path(segs) => refuse(segs),
        (Get, ["healthz"]) => health::get(env).await,
        (Get, ["openapi.json"]) => openapi::get(),

        (Post, ["v1", "admin", "clients"]) => admin::create_client(req, env).await,
        (Get, ["v1", "admin", "clients", id, "config"]) => admin::get_config(&req, env, id).await,
        (Put, ["v1", "admin", "clients", id, "config"]) => {
            let id = id.to_string();
            admin::put_config(req, env, &id).await
        }
        (Put, ["v1", "admin", "rates"]) => admin::put_rates(req, env).await,
        (Post, ["v1", "admin", "rates", "refresh"]) => admin::refresh_rates(&req, env).await,

        (Get, ["v1", "config"]) => config::get(&req, env).await,
        (Get, ["v1", "rates"]) => rates::get(&req, env).await,
        (Post, ["v1", "quotes"]) => quotes::create(req, env).await,

        (Get, ["v1", "customers", customer, "addresses"]) => {
            addresses::list(&req, env, customer).await
        }
        (Post, ["v1", "customers", customer, "addresses"]) => {
            let customer = customer.to_string();
            addresses::create(req, env, &customer).await
        }
        (Post, ["v1", "addresses", "validate"]) => addresses::validate(req, env).await,
        (Get, ["v1", "addresses", currency, address, "balance"]) => {
            addresses::balance(&req, env, currency, address).await
        }

        (Post, ["v1", "customers", customer, "orders"]) => {
            let customer = customer.to_string();
            orders::create(req, env, &customer).await
        }
        (Get, ["v1", "customers", customer, "orders"]) => orders::list(&req, env, customer).await,
        (Get, ["v1", "orders", id]) => orders::get(&req, env, id).await,

        (_, segs) if is_api_path(segs) => refuse(segs),
        _ => serve_asset(req, env).await,
    }
}

fn is_api_path(segments: &[&str]) -> bool {
    matches!(
        segments.first(),
        Some(&"v1") | Some(&"healthz") | Some(&"openapi.json")
    )
}

/// 405 with `Allow` for a known path called with another method, 404 for any other path.
fn refuse(segments: &[&str]) -> Result<Response, ApiError> {
    match allowed_methods(segments) {
        Some(allow) => Ok(method_not_allowed(allow)),
        None => Err(ApiError::NotFound { what: "endpoint" }),
    }
}

/// The methods a known API path takes (405's `Allow` header); None for an unknown path.
fn allowed_methods(segments: &[&str]) -> Option<&'static str> {
    Some(match segments {
        ["healthz"] | ["openapi.json"] => "GET",
        ["v1", "admin", "clients"] => "POST",
        ["v1", "admin", "clients", _, "config"] => "GET, PUT",
        ["v1", "admin", "rates"] => "PUT",
        ["v1", "admin", "rates", "refresh"] => "POST",
        ["v1", "config"] | ["v1", "rates"] => "GET",
        ["v1", "quotes"] => "POST",
        ["v1", "customers", _, "addresses"] => "GET, POST",
        ["v1", "addresses", "validate"] => "POST",
        ["v1", "addresses", _, _, "balance"] => "GET",
        ["v1", "customers", _, "orders"] => "GET, POST",
        ["v1", "orders", _] => "GET",
        _ => return None,
    })
}

/// 405 `method_not_allowed` with the `Allow` header RFC 9110 asks for.
fn method_not_allowed(allow: &str) -> Response {
    let mut response = ApiError::MethodNotAllowed.into_response();
    // Setting a constant header on a fresh response cannot fail in practice.
    let _ = response.headers_mut().set("allow", allow);
    response
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
    if let Err(e) = rates::refresh_from_source(&env).await {
        worker::console_error!("scheduled rates refresh failed: {e}");
    }
}
