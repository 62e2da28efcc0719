//! Per-key rate limiting (issue 10) with the IETF draft's headers
//! (draft-ietf-httpapi-ratelimit-headers): every answer to a request made with an API
//! key carries `RateLimit-Policy: "default";q=<limit>;w=<window>` and
//! `RateLimit: "default";r=<remaining>;t=<seconds to reset>`; past the limit the answer
//! is 429 `rate_limited` with `Retry-After`, and the handler does not run.
//!
//! The counter is a Durable Object per key digest ([`RateLimiter`], a fixed window that
//! starts at the key's first request): the Workers rate-limiting binding only answers
//! allowed or not, with no remaining count or reset time. The object keeps its counter in
//! memory only: it stays in memory while requests arrive, and an object idle long enough
//! to be evicted (over a minute) has outlived its window anyway; a restart of the runtime
//! starts a new window. It also tells the caller when the key's `last_used_at` is due
//! (once a minute), so that write happens at most once a minute per key, after the answer.
//!
//! Limits come from the variables `RATE_LIMIT` (requests per window, default 100) and
//! `RATE_LIMIT_WINDOW_SECONDS` (default 60); the same for every key. `RATE_LIMIT = "off"`
//! turns the limiter off (a deployment behind another limiter; measuring its cost).

use std::cell::RefCell;

use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Request, Response, State};

use crate::access::AccessError;
use crate::problem::ApiError;

pub const BINDING: &str = "RATE_LIMITER";
const DEFAULT_LIMIT: u32 = 100;
const DEFAULT_WINDOW_SECONDS: u32 = 60;
/// How often the object asks for the key's `last_used_at` to be written.
const TOUCH_EVERY_MS: i64 = 60_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub limit: u32,
    pub window_seconds: u32,
}

impl Policy {
    /// None when `RATE_LIMIT` is `off`.
    pub fn from_env(env: &Env) -> Option<Policy> {
        if env
            .var("RATE_LIMIT")
            .is_ok_and(|v| v.to_string().trim() == "off")
        {
            return None;
        }
        let number = |name: &str, default: u32| {
            env.var(name)
                .ok()
                .and_then(|v| v.to_string().trim().parse::<u32>().ok())
                .filter(|n| *n > 0)
                .unwrap_or(default)
        };
        Some(Policy {
            limit: number("RATE_LIMIT", DEFAULT_LIMIT),
            window_seconds: number("RATE_LIMIT_WINDOW_SECONDS", DEFAULT_WINDOW_SECONDS),
        })
    }
}

/// The counter's answer for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub allowed: bool,
    pub remaining: u32,
    /// Seconds until the window ends (at least 1).
    pub reset_seconds: u32,
    /// Whether the key's `last_used_at` should be written now.
    pub touch: bool,
}

/// A fixed window's state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    pub start_ms: i64,
    pub count: u32,
    pub touched_ms: Option<i64>,
}

impl Window {
    /// Counts one request at `now_ms`.
    pub fn count(&mut self, policy: Policy, now_ms: i64) -> Verdict {
        let window_ms = i64::from(policy.window_seconds) * 1000;
        if self.count == 0 || now_ms >= self.start_ms + window_ms || now_ms < self.start_ms {
            self.start_ms = now_ms;
            self.count = 0;
        }
        self.count = self.count.saturating_add(1);
        let touch = self
            .touched_ms
            .is_none_or(|at| now_ms - at >= TOUCH_EVERY_MS || now_ms < at);
        if touch {
            self.touched_ms = Some(now_ms);
        }
        let left_ms = (self.start_ms + window_ms - now_ms).max(1);
        Verdict {
            allowed: self.count <= policy.limit,
            remaining: policy.limit.saturating_sub(self.count),
            reset_seconds: u32::try_from((left_ms + 999) / 1000).unwrap_or(u32::MAX),
            touch,
        }
    }
}

/// One per key digest (`id_from_name`); see the module comment.
#[durable_object(fetch)]
pub struct RateLimiter {
    window: RefCell<Window>,
}

impl DurableObject for RateLimiter {
    fn new(_state: State, _env: Env) -> Self {
        RateLimiter {
            window: RefCell::new(Window::default()),
        }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        let url = req.url()?;
        let mut policy = Policy {
            limit: DEFAULT_LIMIT,
            window_seconds: DEFAULT_WINDOW_SECONDS,
        };
        for (name, value) in url.query_pairs() {
            match name.as_ref() {
                "limit" => policy.limit = value.parse().unwrap_or(DEFAULT_LIMIT),
                "window" => policy.window_seconds = value.parse().unwrap_or(DEFAULT_WINDOW_SECONDS),
                _ => {}
            }
        }
        let now_ms = worker::Date::now().as_millis() as i64;
        // No borrow is held across an await.
        let verdict = self.window.borrow_mut().count(policy, now_ms);
        Response::from_json(&verdict)
    }
}

/// A request counted against its key.
pub struct Admission {
    pub policy: Policy,
    pub verdict: Verdict,
    /// The key's digest, for the `last_used_at` write.
    pub digest: String,
}

/// Whether the path is one an API key is sent to (every `/v1/` path but the operator's).
fn counted_path(path: &str) -> bool {
    path.starts_with("/v1/") && !path.starts_with("/v1/admin/")
}

/// Counts a request made with an API key (None for other requests, and when the key
/// cannot even be read: the handler answers those). A failing counter lets the request
/// through, logged: rate limiting protects the service, it must not take it down.
pub async fn admit(req: &Request, env: &Env) -> Option<Admission> {
    if !counted_path(&req.path()) {
        return None;
    }
    let policy = Policy::from_env(env)?;
    let digest = crate::auth::key_digest(req, env).ok()?;
    match ask(env, &digest, policy).await {
        Ok(verdict) => Some(Admission {
            policy,
            verdict,
            digest,
        }),
        Err(e) => {
            worker::console_error!("rate limiter unavailable, request let through: {e}");
            None
        }
    }
}

async fn ask(env: &Env, digest: &str, policy: Policy) -> worker::Result<Verdict> {
    let stub = env
        .durable_object(BINDING)?
        .id_from_name(digest)?
        .get_stub()?;
    let url = format!(
        "https://rate-limiter/?limit={}&window={}",
        policy.limit, policy.window_seconds
    );
    stub.fetch_with_str(&url).await?.json::<Verdict>().await
}

impl Admission {
    /// The 429 of a request over the limit.
    pub fn refusal(&self) -> Option<ApiError> {
        (!self.verdict.allowed).then_some(ApiError::Access(AccessError::RateLimited {
            limit: self.policy.limit,
            window_seconds: self.policy.window_seconds,
            retry_after_seconds: self.verdict.reset_seconds,
        }))
    }

    /// Adds the draft's headers (and `Retry-After` to a 429). An answer saying the key
    /// is unknown (401) gets none: nothing was authenticated.
    pub fn decorate(&self, response: &mut Response) {
        if response.status_code() == 401 {
            return;
        }
        let headers = response.headers_mut();
        let _ = headers.set(
            "ratelimit-policy",
            &format!(
                "\"default\";q={};w={}",
                self.policy.limit, self.policy.window_seconds
            ),
        );
        let _ = headers.set(
            "ratelimit",
            &format!(
                "\"default\";r={};t={}",
                self.verdict.remaining, self.verdict.reset_seconds
            ),
        );
        if !self.verdict.allowed {
            let _ = headers.set("retry-after", &self.verdict.reset_seconds.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: Policy = Policy {
        limit: 3,
        window_seconds: 60,
    };

    #[test]
    fn a_window_allows_its_limit_then_refuses_until_it_ends() {
        let mut w = Window::default();
        let first = w.count(POLICY, 1_000);
        assert_eq!(
            (first.allowed, first.remaining, first.reset_seconds),
            (true, 2, 60)
        );
        w.count(POLICY, 2_000);
        let third = w.count(POLICY, 30_500);
        assert_eq!(
            (third.allowed, third.remaining, third.reset_seconds),
            (true, 0, 31)
        );
        let fourth = w.count(POLICY, 40_000);
        assert_eq!(
            (fourth.allowed, fourth.remaining, fourth.reset_seconds),
            (false, 0, 21)
        );
        let next = w.count(POLICY, 61_000);
        assert_eq!(
            (next.allowed, next.remaining, next.reset_seconds),
            (true, 2, 60)
        );
    }

    #[test]
    fn last_used_is_due_once_a_minute() {
        let mut w = Window::default();
        assert!(w.count(POLICY, 0).touch);
        assert!(!w.count(POLICY, 59_999).touch);
        assert!(w.count(POLICY, 60_000).touch);
    }

    #[test]
    fn only_client_paths_are_counted() {
        assert!(counted_path("/v1/customers/a/orders"));
        assert!(counted_path("/v1/api-keys"));
        assert!(!counted_path("/v1/admin/clients"));
        assert!(!counted_path("/healthz"));
    }
}
