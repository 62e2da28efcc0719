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
//! An isolate does not ask the object for every request of a busy key: it takes a lease
//! of several requests at once ([`Leases`]) and admits the next ones from it for up to a
//! second. The object grants at most a tenth of what is left in the window (at least one),
//! so near the limit every request asks again and the count is exact; a lease not used up
//! within its second stays counted, so a key can be refused a little before its limit,
//! never after it. Under load this takes the object's round trip (a remote location in
//! production, and a quarter of the throughput of `POST .../orders` under `wrangler dev`)
//! off most requests.
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

/// The object's answer to a request for `asked` requests at once: how many it counted for
/// the caller (0 when refused) and the verdict of the first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub granted: u32,
    /// `remaining` is what is left after all `granted` requests.
    pub verdict: Verdict,
}

/// Most requests one lease holds.
const MAX_LEASE: u32 = 16;
/// How long an isolate admits requests from a lease.
const LEASE_MS: i64 = 1_000;

/// A fixed window's state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    pub start_ms: i64,
    pub count: u32,
    pub touched_ms: Option<i64>,
}

impl Window {
    /// Counts up to `asked` requests at `now_ms` for one caller's lease: at most a tenth
    /// of what is left in the window, at least one; none once the limit is reached (the
    /// refused request is counted, as every request is).
    pub fn take(&mut self, policy: Policy, now_ms: i64, asked: u32) -> Grant {
        let window_ms = i64::from(policy.window_seconds) * 1000;
        if self.count == 0 || now_ms >= self.start_ms + window_ms || now_ms < self.start_ms {
            self.start_ms = now_ms;
            self.count = 0;
        }
        let left = policy.limit.saturating_sub(self.count);
        let granted = asked.clamp(1, MAX_LEASE).min((left / 10).max(1)).min(left);
        self.count = self.count.saturating_add(granted.max(1));
        let touch = self
            .touched_ms
            .is_none_or(|at| now_ms - at >= TOUCH_EVERY_MS || now_ms < at);
        if touch {
            self.touched_ms = Some(now_ms);
        }
        let left_ms = (self.start_ms + window_ms - now_ms).max(1);
        Grant {
            granted,
            verdict: Verdict {
                allowed: granted > 0,
                remaining: policy.limit.saturating_sub(self.count),
                reset_seconds: u32::try_from((left_ms + 999) / 1000).unwrap_or(u32::MAX),
                touch,
            },
        }
    }
}

/// Requests an isolate may admit for a key without asking its object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Lease {
    left: u32,
    until_ms: i64,
    /// What the object had left after granting this lease.
    remaining: u32,
    reset_at_ms: i64,
    /// The size asked for when it was taken.
    asked: u32,
}

/// This isolate's leases, by key digest.
#[derive(Debug, Default)]
pub struct Leases {
    by_key: std::collections::HashMap<String, Lease>,
}

/// What [`Leases::admit`] decided without the object, or how much to ask it for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Local {
    Admitted(Verdict),
    Ask(u32),
}

impl Leases {
    /// Admits a request from the key's lease, or says how many requests to ask the object
    /// for: one for a key that is not busy, twice the last lease (up to [`MAX_LEASE`])
    /// for one whose lease ran out before its second did.
    pub fn admit(&mut self, digest: &str, now_ms: i64) -> Local {
        let Some(lease) = self.by_key.get_mut(digest) else {
            return Local::Ask(1);
        };
        let live = now_ms < lease.until_ms && now_ms >= lease.until_ms - LEASE_MS;
        if live && lease.left > 0 {
            lease.left -= 1;
            return Local::Admitted(Verdict {
                allowed: true,
                remaining: lease.remaining + lease.left,
                reset_seconds: u32::try_from(((lease.reset_at_ms - now_ms).max(1) + 999) / 1000)
                    .unwrap_or(u32::MAX),
                touch: false,
            });
        }
        Local::Ask(if live {
            lease.asked.saturating_mul(2).min(MAX_LEASE)
        } else {
            1
        })
    }

    /// Keeps what the object granted beyond the request that asked, and returns that
    /// request's verdict (its `remaining` counts the lease as still available).
    pub fn keep(&mut self, digest: &str, asked: u32, grant: Grant, now_ms: i64) -> Verdict {
        let extra = grant.granted.saturating_sub(1);
        let reset_at_ms = now_ms + i64::from(grant.verdict.reset_seconds) * 1000;
        // A lease ends with its window (`reset_seconds` is rounded up), so no request of
        // a new window is admitted uncounted.
        let fresh = Lease {
            left: extra,
            until_ms: (now_ms + LEASE_MS).min(reset_at_ms - 1000),
            remaining: grant.verdict.remaining,
            reset_at_ms,
            asked,
        };
        let lease = self.by_key.entry(digest.to_owned()).or_insert(fresh);
        if *lease != fresh {
            // Another request of this isolate took a lease meanwhile: both are counted.
            let live = now_ms < lease.until_ms;
            *lease = Lease {
                left: if live { lease.left + extra } else { extra },
                remaining: grant.verdict.remaining.min(lease.remaining),
                ..fresh
            };
        }
        if self.by_key.len() > MAX_KEYS {
            self.by_key.retain(|_, l| now_ms < l.until_ms);
        }
        let left = self.by_key.get(digest).map_or(0, |l| l.left);
        Verdict {
            remaining: grant.verdict.remaining + left,
            ..grant.verdict
        }
    }
}

/// Keys with a lease an isolate remembers before it forgets the expired ones.
const MAX_KEYS: usize = 1_000;

thread_local! {
    static LEASES: RefCell<Leases> = RefCell::new(Leases::default());
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
        let asked = url
            .query_pairs()
            .find(|(name, _)| name == "take")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(1);
        let now_ms = worker::Date::now().as_millis() as i64;
        // No borrow is held across an await.
        let grant = self.window.borrow_mut().take(policy, now_ms, asked);
        Response::from_json(&grant)
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
    let now_ms = crate::ids::now_ms();
    let asked = match LEASES.with(|l| l.borrow_mut().admit(&digest, now_ms)) {
        Local::Admitted(verdict) => {
            return Some(Admission {
                policy,
                verdict,
                digest,
            })
        }
        Local::Ask(asked) => asked,
    };
    match ask(env, &digest, policy, asked).await {
        Ok(grant) => {
            let now_ms = crate::ids::now_ms();
            let verdict = LEASES.with(|l| l.borrow_mut().keep(&digest, asked, grant, now_ms));
            Some(Admission {
                policy,
                verdict,
                digest,
            })
        }
        Err(e) => {
            worker::console_error!("rate limiter unavailable, request let through: {e}");
            None
        }
    }
}

async fn ask(env: &Env, digest: &str, policy: Policy, asked: u32) -> worker::Result<Grant> {
    let stub = env
        .durable_object(BINDING)?
        .id_from_name(digest)?
        .get_stub()?;
    let url = format!(
        "https://rate-limiter/?limit={}&window={}&take={asked}",
        policy.limit, policy.window_seconds
    );
    stub.fetch_with_str(&url).await?.json::<Grant>().await
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

    impl Window {
        fn count(&mut self, policy: Policy, now_ms: i64) -> Verdict {
            self.take(policy, now_ms, 1).verdict
        }
    }

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
    fn a_lease_is_at_most_a_tenth_of_what_is_left_and_exact_near_the_limit() {
        let policy = Policy {
            limit: 100,
            window_seconds: 60,
        };
        let mut w = Window::default();
        let first = w.take(policy, 0, 64);
        assert_eq!((first.granted, first.verdict.remaining), (10, 90));
        let second = w.take(policy, 10, 16);
        assert_eq!((second.granted, second.verdict.remaining), (9, 81));
        // One at a time once fewer than 20 are left, down to the last.
        w.count = 95;
        let granted: Vec<u32> = (0..6).map(|i| w.take(policy, 20 + i, 16).granted).collect();
        assert_eq!(granted, [1, 1, 1, 1, 1, 0]);
        assert!(!w.take(policy, 30, 1).verdict.allowed);
        // A large limit: at most MAX_LEASE.
        let roomy = Policy {
            limit: 1_000_000,
            window_seconds: 60,
        };
        assert_eq!(Window::default().take(roomy, 0, 64).granted, MAX_LEASE);
        // A small limit is counted one by one.
        let mut small = Window::default();
        let granted: Vec<u32> = (0..4).map(|i| small.take(POLICY, i, 16).granted).collect();
        assert_eq!(granted, [1, 1, 1, 0]);
    }

    fn grant(granted: u32, remaining: u32, reset_seconds: u32) -> Grant {
        Grant {
            granted,
            verdict: Verdict {
                allowed: granted > 0,
                remaining,
                reset_seconds,
                touch: true,
            },
        }
    }

    #[test]
    fn a_busy_key_is_admitted_from_its_lease_and_asks_for_more_as_it_runs_out() {
        let mut leases = Leases::default();
        assert_eq!(leases.admit("k", 0), Local::Ask(1));
        let v = leases.keep("k", 1, grant(1, 99, 60), 0);
        assert_eq!((v.allowed, v.remaining), (true, 99));
        // The lease of one was used by the request that asked: within its second the key
        // is busy, so it asks for twice as many.
        assert_eq!(leases.admit("k", 100), Local::Ask(2));
        let v = leases.keep("k", 2, grant(2, 97, 60), 100);
        assert_eq!(
            v.remaining, 98,
            "one of the two is still the isolate's to use"
        );
        let Local::Admitted(local) = leases.admit("k", 200) else {
            panic!("admitted from the lease");
        };
        assert_eq!(
            (local.allowed, local.remaining, local.touch),
            (true, 97, false)
        );
        assert_eq!(leases.admit("k", 300), Local::Ask(4));
        // A lease left unused for its second is gone; the key asks for one again.
        leases.keep("k", 4, grant(4, 93, 60), 300);
        assert_eq!(leases.admit("k", 1_300), Local::Ask(1));
        // Another key has its own.
        assert_eq!(leases.admit("other", 1_300), Local::Ask(1));
    }

    #[test]
    fn a_lease_ends_with_its_window() {
        let mut leases = Leases::default();
        leases.keep("k", 16, grant(16, 50, 1), 0);
        // The window ends within a second (rounded up to 1 s): nothing is admitted from
        // the lease, so the next window counts every request.
        assert_eq!(leases.admit("k", 10), Local::Ask(1));
    }

    #[test]
    fn a_refusal_leaves_no_lease() {
        let mut leases = Leases::default();
        let v = leases.keep("k", 1, grant(0, 0, 30), 0);
        assert!(!v.allowed);
        assert!(matches!(leases.admit("k", 10), Local::Ask(_)));
    }

    #[test]
    fn only_client_paths_are_counted() {
        assert!(counted_path("/v1/customers/a/orders"));
        assert!(counted_path("/v1/api-keys"));
        assert!(!counted_path("/v1/admin/clients"));
        assert!(!counted_path("/healthz"));
    }
}
