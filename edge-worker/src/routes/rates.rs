//! `GET /v1/rates`, the scheduled refresh from the configured sources, and the admin
//! override. The core decides every price (`core::aggregate`); this file fetches the
//! sources concurrently, each within its time budget, and stores the rate book in KV.
//!
//! Configuration (wrangler vars): `RATES_SOURCES` (comma-separated: kraken, coinbase,
//! bitstamp, bitfinex, ecb, static), `RATES_URL_<NAME>` (base URLs), `RATES_PAIRS`
//! ("BTC/EUR,..."), `RATES_QUORUM`, `RATES_POLICY_JSON` (an `AggregationPolicy`),
//! `RATES_BUDGET_MS` (each request's time budget), `RATES_MAX_SUBREQUESTS`.

use std::time::Duration;

use cryptoexchange_core::aggregate::book::PairName;
use cryptoexchange_core::aggregate::{
    refresh, AggregationPolicy, RateBook, RefreshInput, SourceFailure,
};
use cryptoexchange_core::api::{RateStatus, RatesResponse, SetRatesRequest};
use cryptoexchange_core::rates::{Pair, RateError};
use cryptoexchange_core::time::Timestamp;
use cryptoexchange_core::{Crypto, Fiat};
use futures_util::future::{join_all, select, Either};
use worker::{
    console_log, AbortController, Delay, Env, Fetch, Headers, Request, RequestInit, Response,
};

use crate::auth::require_client;
use crate::ids;
use crate::problem::ApiError;
use crate::rates_sources::{plan, static_table, Parsed, Source, SourceRequest};
use crate::store;
use cryptoexchange_core::api::ApiScope;

/// Pairs refreshed from live sources when `RATES_PAIRS` is not set.
const DEFAULT_LIVE_PAIRS: &str = "BTC/EUR,BTC/USD,BTC/GBP,BTC/CHF,BTC/JPY,ETH/EUR,ETH/USD,ETH/GBP,\
ETH/CHF,ETH/JPY,LTC/EUR,LTC/USD,LTC/GBP,BCH/EUR,BCH/USD,BCH/GBP,DOGE/EUR,DOGE/USD";
/// Workers Free allows 50 subrequests per invocation; a few stay free for KV.
const DEFAULT_MAX_SUBREQUESTS: usize = 45;
const DEFAULT_BUDGET_MS: u64 = 3_000;
/// A read refreshes first when the last refresh is older than this (two cron periods).
const REFRESH_OVERDUE_SECONDS: i64 = 120;
/// Sent to every source (Coinbase refuses requests without one).
const USER_AGENT: &str = "cryptoexchange-api-rates/0.1";

/// The rates configuration of this deployment.
pub struct RatesSettings {
    pub sources: Vec<Source>,
    pub pairs: Vec<Pair>,
    pub policy: AggregationPolicy,
    pub budget: Duration,
    pub max_subrequests: usize,
}

fn var(env: &Env, name: &str) -> Option<String> {
    env.var(name)
        .ok()
        .map(|v| v.to_string())
        .filter(|v| !v.trim().is_empty())
}

fn config_error(name: &str, detail: impl std::fmt::Display) -> ApiError {
    ApiError::internal(format!("{name}: {detail}"))
}

impl RatesSettings {
    pub fn from_env(env: &Env) -> Result<RatesSettings, ApiError> {
        let sources = var(env, "RATES_SOURCES")
            .unwrap_or_else(|| "static".into())
            .split(',')
            .map(|s| s.trim().parse::<Source>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| config_error("RATES_SOURCES", e))?;
        let mut policy: AggregationPolicy = match var(env, "RATES_POLICY_JSON") {
            Some(json) => {
                serde_json::from_str(&json).map_err(|e| config_error("RATES_POLICY_JSON", e))?
            }
            None => AggregationPolicy::default(),
        };
        if let Some(q) = var(env, "RATES_QUORUM") {
            policy.min_sources = q.parse().map_err(|e| config_error("RATES_QUORUM", e))?;
        }
        let pairs_text = match var(env, "RATES_PAIRS") {
            Some(p) => p,
            None if sources == [Source::Static] => static_pairs(env)?,
            None => DEFAULT_LIVE_PAIRS.into(),
        };
        let pairs = pairs_text
            .split(',')
            .map(|p| PairName::try_from(p.trim().to_owned()).map(|n| n.0))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| config_error("RATES_PAIRS", e))?;
        let number = |name: &str, default: u64| -> Result<u64, ApiError> {
            var(env, name).map_or(Ok(default), |v| {
                v.parse().map_err(|e| config_error(name, e))
            })
        };
        Ok(RatesSettings {
            sources,
            pairs,
            policy,
            budget: Duration::from_millis(number("RATES_BUDGET_MS", DEFAULT_BUDGET_MS)?),
            max_subrequests: number("RATES_MAX_SUBREQUESTS", DEFAULT_MAX_SUBREQUESTS as u64)?
                as usize,
        })
    }
}

fn static_json(env: &Env) -> Result<String, ApiError> {
    var(env, "RATES_SOURCE_JSON").ok_or_else(|| config_error("RATES_SOURCE_JSON", "not set"))
}

fn static_pairs(env: &Env) -> Result<String, ApiError> {
    let quotes = static_table::parse(&static_json(env)?, Timestamp::UNIX_EPOCH)
        .map_err(ApiError::internal)?;
    Ok(quotes
        .iter()
        .map(|q| q.pair().to_string())
        .collect::<Vec<_>>()
        .join(","))
}

/// The stored rate book; empty when nothing was ever stored.
pub async fn load_book(env: &Env) -> Result<RateBook, ApiError> {
    let Some(json) = store::rates::book(&env.kv("RATES")?).await? else {
        return Ok(RateBook::default());
    };
    serde_json::from_str(&json).map_err(|e| ApiError::internal(format!("stored rate book: {e}")))
}

async fn save_book(env: &Env, book: &RateBook) -> Result<(), ApiError> {
    let json = serde_json::to_string(book).map_err(ApiError::internal)?;
    store::rates::put_book(&env.kv("RATES")?, &json).await?;
    remember_book(book.clone());
    Ok(())
}

/// How long an isolate answers reads from the rate book it last loaded or saved. KV
/// itself may serve a value up to 60 s old at other locations, and the core checks each
/// rate's age, so two seconds more change no guarantee; they save a KV read and a JSON
/// parse on most placements and quotes. Writes (refresh, overrides) always load afresh.
const BOOK_CACHE_MS: i64 = 2_000;

thread_local! {
    static BOOK_CACHE: std::cell::RefCell<Option<(i64, RateBook)>> =
        const { std::cell::RefCell::new(None) };
}

fn remember_book(book: RateBook) {
    BOOK_CACHE.with(|cache| *cache.borrow_mut() = Some((crate::ids::now_ms(), book)));
}

/// The rate book for reading: this isolate's copy if younger than [`BOOK_CACHE_MS`],
/// else loaded from KV.
async fn read_book(env: &Env) -> Result<RateBook, ApiError> {
    let now = crate::ids::now_ms();
    let cached = BOOK_CACHE.with(|cache| {
        cache
            .borrow()
            .as_ref()
            .filter(|(at, _)| (0..BOOK_CACHE_MS).contains(&(now - at)))
            .map(|(_, book)| book.clone())
    });
    if let Some(book) = cached {
        return Ok(book);
    }
    let book = load_book(env).await?;
    remember_book(book.clone());
    Ok(book)
}

/// The body of `GET /v1/rates` for a client accepting rates up to `max_age_seconds` old,
/// and the moment it is published at: once the book is current, after any refresh this
/// read ran or waited for. Reads of one book then show its observation times as they are
/// (a moment before a refresh would clamp them to itself, as the core refuses a rate
/// observed after its `now`), so the caller prices at this moment too.
pub async fn latest(
    env: &Env,
    max_age_seconds: u32,
) -> Result<(Timestamp, RatesResponse), ApiError> {
    let book = current_book(env, ids::now()).await?;
    let now = ids::now();
    Ok((now, book.publish(now, max_age_seconds)))
}

/// The body of `GET /v1/rates` published at `now`, for a caller whose moment is already
/// set (a sell placement read its facts at it).
pub async fn latest_response(
    env: &Env,
    now: Timestamp,
    max_age_seconds: u32,
) -> Result<RatesResponse, ApiError> {
    Ok(current_book(env, now).await?.publish(now, max_age_seconds))
}

/// The stored rate book. When no refresh ran for two cron periods (the cron is late, or
/// nothing fires it, as under `wrangler dev`), this read runs one first: the sources, not
/// the trigger, decide whether a price is fresh.
pub async fn current_book(env: &Env, now: Timestamp) -> Result<RateBook, ApiError> {
    let book = read_book(env).await?;
    let overdue = book
        .refreshed_at
        .is_none_or(|at| now.seconds_since(at) > REFRESH_OVERDUE_SECONDS);
    if overdue {
        match refresh_on_read(env).await {
            Ok(refreshed) => return Ok(refreshed),
            Err(e) => worker::console_error!("rates refresh on read failed: {e}"),
        }
    }
    Ok(book)
}

/// How long a read waits for the refresh another read of this isolate is running before
/// it runs its own (the sources' budget is 3 s by default; a refresh cut off by its
/// request's end leaves its mark until then).
const READ_REFRESH_WAIT_MS: i64 = 10_000;

thread_local! {
    /// When a read of this isolate started a refresh of an overdue book, while it runs.
    /// Without it, reads arriving together each ran a refresh and stored its own book
    /// (static prices are observed at the refresh), so two answers of one moment could
    /// name different observation times, and a quote differ from the estimate made from
    /// `GET /v1/rates` just before it. The others wait for the book it stores rather than
    /// for its future: a request cannot await I/O started by another request.
    static READ_REFRESH_SINCE: std::cell::Cell<Option<i64>> = const { std::cell::Cell::new(None) };
}

/// Clears the mark when the refresh ends, also when its request is cancelled mid-way.
struct ReadRefreshMark;

impl Drop for ReadRefreshMark {
    fn drop(&mut self) {
        READ_REFRESH_SINCE.set(None);
    }
}

/// One refresh for all the reads of this isolate that find the book overdue at once: the
/// first runs it, the others wait for the book it stores.
async fn refresh_on_read(env: &Env) -> Result<RateBook, ApiError> {
    let started = ids::now_ms();
    let running = READ_REFRESH_SINCE
        .get()
        .is_some_and(|since| started - since < READ_REFRESH_WAIT_MS);
    if !running {
        READ_REFRESH_SINCE.set(Some(started));
        let _mark = ReadRefreshMark;
        return refresh_from_sources(env).await;
    }
    while READ_REFRESH_SINCE
        .get()
        .is_some_and(|since| ids::now_ms() - since < READ_REFRESH_WAIT_MS)
    {
        Delay::from(Duration::from_millis(20)).await;
    }
    // The refresh stored its book in this isolate's copy (`save_book`), so this is no
    // KV read unless it failed.
    read_book(env).await
}

/// Records an operator's prices (`PUT /v1/admin/rates`).
pub async fn set_overrides(
    env: &Env,
    request: &SetRatesRequest,
    now: Timestamp,
) -> Result<RatesResponse, ApiError> {
    let mut book = load_book(env).await?;
    book.set_overrides(request, now)?;
    save_book(env, &book).await?;
    Ok(book.publish(now, 0))
}

/// `GET /v1/rates[?crypto=BTC&fiat=EUR]`: the pairs this client enabled, each with its
/// status and sources. One pair asked for by name is refused (503 `rate_unavailable`)
/// once older than the client's `max_rate_age_seconds`; the whole list only when every
/// pair is.
pub async fn get(req: &Request, env: &Env) -> Result<Response, ApiError> {
    let client = require_client(req, env, ApiScope::Read).await?;
    let config = super::config::stored_config(&client)?;
    let max_age = config.max_rate_age_seconds;
    let (_, mut response) = latest(env, max_age).await?;
    response
        .rates
        .retain(|r| config.crypto.contains_key(&r.crypto) && config.fiat.contains_key(&r.fiat));
    let url = req.url()?;
    let param = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    if response.rates.is_empty() {
        return Err(ApiError::NoRates {
            pair: "any pair this client enabled".into(),
        });
    }
    // Each filter on its own narrows the list; both name one pair, refused when unknown.
    let crypto = param("crypto")
        .map(|c| c.parse::<Crypto>())
        .transpose()
        .map_err(|_| ApiError::InvalidParameter {
            name: "crypto",
            detail: "one of BTC, LTC, DOGE, BCH, ETH".into(),
        })?;
    let fiat = param("fiat")
        .map(|f| f.parse::<Fiat>())
        .transpose()
        .map_err(|_| ApiError::InvalidParameter {
            name: "fiat",
            detail: "a fiat currency this API prices, such as EUR or USD".into(),
        })?;
    response
        .rates
        .retain(|r| crypto.is_none_or(|c| r.crypto == c) && fiat.is_none_or(|f| r.fiat == f));
    if let (Some(crypto), Some(fiat), true) = (crypto, fiat, response.rates.is_empty()) {
        return Err(RateError::UnsupportedPair {
            pair: Pair { crypto, fiat },
        }
        .into());
    }
    // A filter that matches nothing gives an empty list, not a stale one.
    let all_stale =
        !response.rates.is_empty() && response.rates.iter().all(|r| r.status == RateStatus::Stale);
    if let Some(oldest) = response
        .rates
        .iter()
        .max_by_key(|r| r.age_seconds)
        .filter(|_| all_stale)
    {
        return Err(RateError::Stale {
            pair: Pair {
                crypto: oldest.crypto,
                fiat: oldest.fiat,
            },
            age_seconds: oldest.age_seconds,
            max_age_seconds: max_age,
        }
        .into());
    }
    super::json(200, &response)
}

/// One refresh: every source at once, each request within the budget, then the core
/// decides and the book is stored. The cron trigger runs it every minute;
/// `POST /v1/admin/rates/refresh` runs it on demand.
pub async fn refresh_from_sources(env: &Env) -> Result<RateBook, ApiError> {
    let settings = RatesSettings::from_env(env)?;
    let now = ids::now();
    let mut input = RefreshInput {
        pairs: settings.pairs.iter().map(|p| PairName(*p)).collect(),
        ..RefreshInput::default()
    };
    if settings.sources.contains(&Source::Static) {
        input.quotes = static_table::parse(&static_json(env)?, now).map_err(ApiError::internal)?;
    }
    let base_url = |s: Source| var(env, &s.url_var()).unwrap_or_else(|| s.default_url().into());
    let (requests, left_out) = plan(
        &settings.sources,
        &settings.pairs,
        base_url,
        settings.max_subrequests,
    );
    for r in &left_out {
        input
            .failures
            .push(failure(r, "over the subrequest budget".into()));
    }
    let answers = join_all(requests.iter().map(|r| fetch(r, settings.budget))).await;
    for (request, answer) in requests.iter().zip(answers) {
        match answer {
            Ok(Parsed::Quotes(quotes)) => input.quotes.extend(quotes),
            Ok(Parsed::Fx(fx)) => input.fx = Some(fx),
            Err(detail) => {
                console_log!("rates source {} failed: {detail}", request.source.name());
                input.failures.push(failure(request, detail));
            }
        }
    }
    let book = refresh(&load_book(env).await?, &input, &settings.policy, now);
    save_book(env, &book).await?;
    console_log!(
        "rates refreshed: {} quotes, {} failures, {} of {} pairs priced",
        input.quotes.len(),
        input.failures.len(),
        book.pairs.iter().filter(|e| e.price.is_some()).count(),
        input.pairs.len()
    );
    Ok(book)
}

fn failure(request: &SourceRequest, detail: String) -> SourceFailure {
    SourceFailure {
        source: request.source.name().to_owned(),
        pairs: request.pairs.iter().map(|p| PairName(*p)).collect(),
        detail,
    }
}

/// One request, headers and body, within `budget`; a source slower than that is
/// abandoned (and aborted) so it never delays the others or the publication.
async fn fetch(request: &SourceRequest, budget: Duration) -> Result<Parsed, String> {
    let headers = Headers::new();
    headers
        .set("user-agent", USER_AGENT)
        .and_then(|_| headers.set("accept", "application/json, text/xml"))
        .map_err(|e| e.to_string())?;
    let mut init = RequestInit::new();
    init.with_headers(headers);
    let req = Request::new_with_init(&request.url, &init).map_err(|e| e.to_string())?;
    let controller = AbortController::default();
    let signal = controller.signal();
    let exchange = Box::pin(async move {
        let mut response = Fetch::Request(req)
            .send_with_signal(&signal)
            .await
            .map_err(|e| e.to_string())?;
        let body = response.text().await.map_err(|e| e.to_string())?;
        Ok::<_, String>((response.status_code(), body))
    });
    let (status, body) = match select(exchange, Box::pin(Delay::from(budget))).await {
        Either::Left((answer, _)) => answer?,
        Either::Right(_) => {
            controller.abort();
            return Err(format!("no answer within {} ms", budget.as_millis()));
        }
    };
    request
        .source
        .parse(status, &body, &request.pairs, ids::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_live_refresh_fits_the_free_plan() {
        let pairs: Vec<Pair> = DEFAULT_LIVE_PAIRS
            .split(',')
            .map(|p| PairName::try_from(p.to_owned()).unwrap().0)
            .collect();
        let sources = Source::LIVE;
        let (requests, left_out) = plan(
            &sources,
            &pairs,
            |s| s.default_url().into(),
            DEFAULT_MAX_SUBREQUESTS,
        );
        assert_eq!(pairs.len(), 18);
        assert_eq!(requests.len(), 31);
        assert!(left_out.is_empty());
    }
}
