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
mod rates_sources;
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
    match (method.clone(), segments.as_slice()) {
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

        (_, segs) if is_api_path(segs) => Err(known_path_or_404(segs)),
        _ => serve_asset(req, env).await,
    }
}

fn is_api_path(segments: &[&str]) -> bool {
    matches!(
        segments.first(),
        Some(&"v1") | Some(&"healthz") | Some(&"openapi.json")
    )
}

/// 405 for a known path with another method, 404 for anything else under the API.
fn known_path_or_404(segments: &[&str]) -> ApiError {
    let known = matches!(
        segments,
        ["healthz"]
            | ["openapi.json"]
            | ["v1", "admin", "clients"]
            | ["v1", "admin", "clients", _, "config"]
            | ["v1", "admin", "rates"]
            | ["v1", "admin", "rates", "refresh"]
            | ["v1", "config"]
            | ["v1", "rates"]
            | ["v1", "quotes"]
            | ["v1", "customers", _, "addresses"]
            | ["v1", "addresses", "validate"]
            | ["v1", "addresses", _, _, "balance"]
            | ["v1", "customers", _, "orders"]
            | ["v1", "orders", _]
    );
    if known {
        ApiError::MethodNotAllowed
    } else {
        ApiError::NotFound { what: "endpoint" }
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
    if let Err(e) = rates::refresh_from_sources(&env).await {
        worker::console_error!("scheduled rates refresh failed: {e}");
    }
}
