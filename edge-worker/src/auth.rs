//! Bearer authentication: the admin token (a secret) and per-client API keys, each
//! with its scopes, IP allowlist, expiry and revocation (`access.rs`).

use cryptoexchange_core::api::ApiScope;
use worker::{Env, Request};

use crate::body::sha256_hex;
use crate::mode::{SettlementMode, LIVE_KEY_PREFIX, TEST_KEY_PREFIX};
use crate::problem::ApiError;
use crate::store::clients::{self, ClientRow};

fn bearer(req: &Request) -> Result<Option<String>, ApiError> {
    let header = req.headers().get("authorization")?;
    Ok(header.and_then(|h| {
        let (scheme, token) = h.split_once(' ')?;
        let token = token.trim();
        (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
    }))
}

/// Constant-time comparison, so the admin token cannot be guessed byte by byte from timings.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub fn require_admin(req: &Request, env: &Env) -> Result<(), ApiError> {
    let expected = env
        .secret("ADMIN_TOKEN")
        .map_err(|_| ApiError::internal("the ADMIN_TOKEN secret is not set"))?
        .to_string();
    match bearer(req)? {
        Some(token)
            if !expected.is_empty() && same_secret(token.as_bytes(), expected.as_bytes()) =>
        {
            Ok(())
        }
        _ => Err(ApiError::Unauthorized),
    }
}

/// The SHA-256 (hex) of the bearer key, under which clients are stored: reads scoped
/// by it find the client in the same round trip as the data.
pub fn key_digest(req: &Request, env: &Env) -> Result<String, ApiError> {
    let token = bearer(req)?.ok_or(ApiError::Unauthorized)?;
    // A key of the other settlement mode is refused by name, before any lookup.
    let other = match SettlementMode::from_env(env)? {
        SettlementMode::Sandbox => LIVE_KEY_PREFIX,
        SettlementMode::Onchain => TEST_KEY_PREFIX,
    };
    if token.starts_with(other) {
        return Err(ApiError::KeyModeMismatch {
            key_is_live: other == LIVE_KEY_PREFIX,
        });
    }
    Ok(sha256_hex(token.as_bytes()))
}

/// The API client of a key digest; unauthorized when there is none.
pub async fn client_of_digest(env: &Env, digest: &str) -> Result<ClientRow, ApiError> {
    clients::by_key_digest(&env.d1("DB")?, digest)
        .await?
        .ok_or(ApiError::Unauthorized)
}

/// The API client owning the bearer key, if the key may be used for an endpoint needing
/// `scope` from this request's address. Only the key's SHA-256 is stored and looked up;
/// the key's rules come in the same statement as the client.
pub async fn require_client(
    req: &Request,
    env: &Env,
    scope: ApiScope,
) -> Result<ClientRow, ApiError> {
    let client = client_of_digest(env, &key_digest(req, env)?).await?;
    authorize(&client, req, scope)?;
    Ok(client)
}

/// The header Cloudflare sets to the address the request came from.
pub const CLIENT_IP_HEADER: &str = "cf-connecting-ip";

/// Whether the key the client was found by may be used for `scope` from this request's
/// address, now.
pub fn authorize(client: &ClientRow, req: &Request, scope: ApiScope) -> Result<(), ApiError> {
    let key = client.key.as_ref().ok_or(ApiError::Unauthorized)?;
    let ip = req.headers().get(CLIENT_IP_HEADER)?;
    crate::access::check(&key.policy()?, scope, ip.as_deref(), crate::ids::now_ms())?;
    Ok(())
}
