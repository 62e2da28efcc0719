//! JS bindings (feature `wasm`): translate between JS values and core types, never decide.
//!
//! Conventions of the npm package:
//! - function names are camelCase, JSON fields snake_case (the HTTP API's names);
//! - amounts are decimal strings, never numbers;
//! - an invalid address is an answer (`{ valid: false, code, message }`), not an exception;
//! - every other failure throws a `CoreError`: an `Error` with `name = "CoreError"`, a stable
//!   `code` and, where the core has them, the error's facts in `details`.
//!
//! Nothing here may panic on input: a panic aborts and poisons the whole instance.

mod scratch;

use std::fmt::Display;

use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::address::{self, AddressError};
use crate::aggregate::{self, AggregationPolicy, RateBook, RefreshInput};
use crate::api::{QuoteRequest, RatesResponse};
use crate::config::ClientConfig;
use crate::error::DomainError;
use crate::limits::{self, SpentEntry};
use crate::order::{self, OrderStatus};
use crate::time::Timestamp;
use crate::wallet::{self, DeriveRequest, XpubDeriveRequest};
use crate::{quote, Crypto, Fiat, Network};

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = include_str!("wasm_types.d.ts");

/// The package version, to check which build a page loaded.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

#[wasm_bindgen(inline_js = "
export function valid_address_object(currency, network, kind, normalized, script_pubkey, witness_version) {
  return {
    valid: true, currency, network, kind, normalized,
    script_pubkey: script_pubkey ?? null,
    witness_version: witness_version ?? null,
  };
}
export function invalid_address_object(code, message) {
  return { valid: false, code, message };
}")]
extern "C" {
    fn valid_address_object(
        currency: JsValue,
        network: JsValue,
        kind: JsValue,
        normalized: &str,
        script_pubkey: Option<&str>,
        witness_version: Option<u8>,
    ) -> JsValue;
    fn invalid_address_object(code: JsValue, message: &str) -> JsValue;
}

/// Checks `address` for `currency` (and `network`, when given). Never throws.
#[wasm_bindgen(js_name = validateAddress, unchecked_return_type = "AddressCheck")]
pub fn validate_address(
    #[wasm_bindgen(unchecked_param_type = "Currency")] currency: &str,
    address: &str,
    #[wasm_bindgen(unchecked_optional_param_type = "Network | null")] network: Option<String>,
) -> JsValue {
    let checked = parse_currency_and_network(currency, network.as_deref())
        .map_err(Refusal::Currency)
        .and_then(|(currency, network)| {
            address::validate_address(currency, address, network).map_err(Refusal::Address)
        });
    // One call into JS builds the object: this is the hot path of bulk validation, where
    // a property-by-property build cost more than the validation itself. Enum values
    // are interned, so they cross without decoding.
    let constant = |text: &'static str| JsValue::from_str(wasm_bindgen::intern(text));
    match &checked {
        Ok(a) => valid_address_object(
            constant(a.currency.ticker()),
            constant(a.network.as_str()),
            constant(a.kind.as_str()),
            &a.normalized,
            a.script_pubkey.as_deref(),
            a.witness_version,
        ),
        Err(Refusal::Address(e)) => invalid_address_object(constant(e.code()), &e.to_string()),
        Err(Refusal::Currency(e)) => {
            invalid_address_object(JsValue::from_str(&e.code()), &e.to_string())
        }
    }
}

/// Why `validateAddress` says no.
enum Refusal {
    Currency(crate::CurrencyError),
    Address(AddressError),
}

/// Checks many addresses in one call: `null` for a valid one, else its error code.
/// For bulk imports, where crossing into wasm once per address would dominate.
#[wasm_bindgen(js_name = validateAddresses, unchecked_return_type = "Array<string | null>")]
pub fn validate_addresses(
    #[wasm_bindgen(unchecked_param_type = "Currency")] currency: &str,
    addresses: Vec<String>,
    #[wasm_bindgen(unchecked_optional_param_type = "Network | null")] network: Option<String>,
) -> Result<Vec<JsValue>, JsValue> {
    let (currency, network) =
        parse_currency_and_network(currency, network.as_deref()).map_err(|e| throw_error(&e))?;
    Ok(addresses
        .iter()
        .map(|a| match address::check_address(currency, a, network) {
            Ok(_) => JsValue::NULL,
            // Interned: a code crosses once, not once per address.
            Err(e) => JsValue::from_str(wasm_bindgen::intern(e.code())),
        })
        .collect())
}

/// A new BIP-39 mnemonic of 12 or 24 words from the platform's CSPRNG.
#[wasm_bindgen(js_name = generateMnemonic)]
pub fn generate_mnemonic(
    #[wasm_bindgen(unchecked_optional_param_type = "12 | 24")] words: Option<u32>,
) -> Result<String, JsValue> {
    let bytes = match words.unwrap_or(12) {
        12 => 16,
        24 => 32,
        other => {
            return Err(coded(
                "bad_word_count",
                format!("a new mnemonic has 12 or 24 words, not {other}"),
            ))
        }
    };
    let mut entropy = [0u8; 32];
    getrandom::getrandom(&mut entropy[..bytes]).map_err(|e| {
        coded(
            "no_randomness",
            format!("the platform gave no random bytes: {e}"),
        )
    })?;
    wallet::mnemonic_from_entropy(&entropy[..bytes]).map_err(|e| throw_error(&e))
}

/// Addresses and the account xpub from a mnemonic, on the device.
#[wasm_bindgen(js_name = deriveAddresses, unchecked_return_type = "Derivation")]
pub fn derive_addresses(
    #[wasm_bindgen(unchecked_param_type = "DeriveRequest")] request: JsValue,
) -> Result<JsValue, JsValue> {
    let mut request: DeriveRequest = from_js(request, "derive request")?;
    // BIP-39 wants the NFKD passphrase; JS normalizes, so the wasm carries no Unicode tables.
    request.passphrase = js_sys::JsString::from(request.passphrase.as_str())
        .normalize("NFKD")
        .into();
    let derivation = wallet::derive_addresses(&request).map_err(|e| throw_error(&e))?;
    to_js(&derivation)
}

/// One receive address from an account xpub: what a server can do without private keys.
#[wasm_bindgen(js_name = deriveFromXpub, unchecked_return_type = "DerivedAddress")]
pub fn derive_from_xpub(
    #[wasm_bindgen(unchecked_param_type = "XpubDeriveRequest")] request: JsValue,
) -> Result<JsValue, JsValue> {
    let request: XpubDeriveRequest = from_js(request, "xpub derive request")?;
    let derived = wallet::derive_from_xpub(&request).map_err(|e| throw_error(&e))?;
    to_js(&derived)
}

/// The quote `POST /v1/quotes` would give, from the JSON of the quote request, of
/// `GET /v1/rates` and of `GET /v1/config`. `now` (RFC 3339) defaults to the clock.
#[wasm_bindgen(unchecked_return_type = "QuoteBreakdown")]
pub fn estimate(
    #[wasm_bindgen(unchecked_param_type = "QuoteRequest | SellQuoteRequest")] request: JsValue,
    #[wasm_bindgen(unchecked_param_type = "RatesResponse")] rates: JsValue,
    #[wasm_bindgen(unchecked_param_type = "ClientConfig")] config: JsValue,
    now: Option<String>,
) -> Result<JsValue, JsValue> {
    let request: serde_json::Value = from_js(request, "quote request")?;
    let rates: RatesResponse = from_js(rates, "rates")?;
    let config: ClientConfig = from_js(config, "client configuration")?;
    let now = parse_now(now.as_deref())?;
    // `side: "sell"` prices a sale (core::sell), as `POST /v1/quotes` does.
    if request.get("side").and_then(|s| s.as_str()) == Some("sell") {
        let request: crate::api::SellQuoteRequest = serde_json::from_value(request)
            .map_err(|e| coded("invalid_input", format!("quote request: {e}")))?;
        let breakdown = crate::sell::estimate_sell(&request, &rates, &config, now)
            .map_err(|e| throw_error(&e))?;
        return to_js(&breakdown);
    }
    let request: QuoteRequest = serde_json::from_value(request)
        .map_err(|e| coded("invalid_input", format!("quote request: {e}")))?;
    let breakdown = quote::estimate(&request, &rates, &config, now).map_err(|e| throw_error(&e))?;
    to_js(&breakdown)
}

/// One rates refresh as the worker runs it: `previous` book (or null), what the sources
/// said (`input`), the policy (null for the defaults of docs/rates.md). Returns the new
/// book; `publishRates` turns a book into the body of `GET /v1/rates`.
#[wasm_bindgen(js_name = aggregateRates, unchecked_return_type = "RateBook")]
pub fn aggregate_rates(
    #[wasm_bindgen(unchecked_param_type = "RateBook | null")] previous: JsValue,
    #[wasm_bindgen(unchecked_param_type = "RefreshInput")] input: JsValue,
    #[wasm_bindgen(unchecked_param_type = "AggregationPolicy | null")] policy: JsValue,
    now: Option<String>,
) -> Result<JsValue, JsValue> {
    let previous: RateBook = if previous.is_null() || previous.is_undefined() {
        RateBook::default()
    } else {
        from_js(previous, "rate book")?
    };
    let input: RefreshInput = from_js(input, "refresh input")?;
    let policy: AggregationPolicy = if policy.is_null() || policy.is_undefined() {
        AggregationPolicy::default()
    } else {
        from_js(policy, "aggregation policy")?
    };
    let now = parse_now(now.as_deref())?;
    to_js(&aggregate::refresh(&previous, &input, &policy, now))
}

/// The body of `GET /v1/rates` from a rate book, for a client accepting rates up to
/// `maxAgeSeconds` old.
#[wasm_bindgen(js_name = publishRates, unchecked_return_type = "RatesResponse")]
pub fn publish_rates(
    #[wasm_bindgen(unchecked_param_type = "RateBook")] book: JsValue,
    max_age_seconds: u32,
    now: Option<String>,
) -> Result<JsValue, JsValue> {
    let book: RateBook = from_js(book, "rate book")?;
    let now = parse_now(now.as_deref())?;
    to_js(&book.publish(now, max_age_seconds))
}

/// Throws the limit an order of `amount` `fiat` would break, given the customer's
/// earlier orders; returns nothing when it fits.
#[wasm_bindgen(js_name = checkLimits)]
pub fn check_limits(
    #[wasm_bindgen(unchecked_param_type = "ClientConfig")] config: JsValue,
    #[wasm_bindgen(unchecked_param_type = "SpentEntry[]")] history: JsValue,
    #[wasm_bindgen(unchecked_param_type = "FiatCurrency")] fiat: &str,
    amount: &str,
    now: Option<String>,
) -> Result<(), JsValue> {
    let config: ClientConfig = from_js(config, "client configuration")?;
    let history: Vec<SpentEntry> = from_js(history, "order history")?;
    let fiat: Fiat = fiat
        .parse()
        .map_err(|e: crate::CurrencyError| throw_error(&e))?;
    let amount = crate::money::parse_positive_amount(amount, fiat.minor_units())
        .map_err(|e| throw_error(&e))?;
    let now = parse_now(now.as_deref())?;
    limits::check_limits(&config, &history, fiat, amount, now).map_err(|e| throw_error(&e))
}

/// Whether the order state machine allows `from` → `to`.
#[wasm_bindgen(js_name = canTransition)]
pub fn can_transition(
    #[wasm_bindgen(unchecked_param_type = "OrderStatus")] from: &str,
    #[wasm_bindgen(unchecked_param_type = "OrderStatus")] to: &str,
) -> Result<bool, JsValue> {
    Ok(order::transition(parse_status(from)?, parse_status(to)?).is_ok())
}

/// The statuses an order in `status` may move to next (none once final).
#[wasm_bindgen(js_name = nextStatuses, unchecked_return_type = "(OrderStatus | SellStatus)[]")]
pub fn next_statuses(
    #[wasm_bindgen(unchecked_param_type = "OrderStatus | SellStatus")] status: &str,
    #[wasm_bindgen(unchecked_param_type = "Side | undefined")] side: JsValue,
) -> Result<JsValue, JsValue> {
    if is_sell(&side)? {
        return to_js(&crate::sell::status::next_sell_statuses(parse_sell_status(
            status,
        )?));
    }
    let from = parse_status(status)?;
    let next: Vec<OrderStatus> = order::ALLOWED
        .iter()
        .filter(|(f, _)| *f == from)
        .map(|(_, to)| *to)
        .collect();
    to_js(&next)
}

/// Whether an order in `status` will never change again (`side`: "buy", the default,
/// or "sell").
#[wasm_bindgen(js_name = isFinalStatus)]
pub fn is_final_status(
    #[wasm_bindgen(unchecked_param_type = "OrderStatus | SellStatus")] status: &str,
    #[wasm_bindgen(unchecked_param_type = "Side | undefined")] side: JsValue,
) -> Result<bool, JsValue> {
    if is_sell(&side)? {
        return Ok(parse_sell_status(status)?.is_final());
    }
    Ok(parse_status(status)?.is_final())
}

/// `side` as a JS value: only a string names a side, so that `statuses.filter(isFinalStatus)`
/// (which passes an index second) keeps asking about buys.
fn is_sell(side: &JsValue) -> Result<bool, JsValue> {
    match side.as_string().as_deref() {
        None | Some("buy") => Ok(false),
        Some("sell") => Ok(true),
        Some(other) => Err(coded("invalid_input", format!("unknown side {other:?}"))),
    }
}

fn parse_sell_status(status: &str) -> Result<crate::sell::SellStatus, JsValue> {
    crate::sell::SellStatus::parse(status).ok_or_else(|| {
        coded(
            "unknown_status",
            format!("unknown sell order status {status:?}"),
        )
    })
}

fn parse_status(status: &str) -> Result<OrderStatus, JsValue> {
    OrderStatus::ALL
        .into_iter()
        .find(|s| s.as_str() == status)
        .ok_or_else(|| coded("unknown_status", format!("unknown order status {status:?}")))
}

fn parse_currency_and_network(
    currency: &str,
    network: Option<&str>,
) -> Result<(Crypto, Option<Network>), crate::CurrencyError> {
    let currency: Crypto = currency.parse()?;
    let network = network.map(str::parse::<Network>).transpose()?;
    Ok((currency, network))
}

fn parse_now(now: Option<&str>) -> Result<Timestamp, JsValue> {
    match now {
        Some(text) => Timestamp::parse_rfc3339(text)
            .map_err(|e| coded("bad_time", format!("now {text:?} is not RFC 3339: {e}"))),
        None => Timestamp::from_unix_millis(js_sys::Date::now() as i64)
            .ok_or_else(|| coded("bad_time", "the platform clock is out of range")),
    }
}

// Values cross as JSON text, read and written by serde_json exactly as the HTTP API
// does: the same refusals (unknown fields, numbers for amounts) in the browser as at
// the edge — serde-wasm-bindgen silently ignores unknown fields — and one crossing
// each way instead of one per field.
fn from_js<T: DeserializeOwned>(value: JsValue, what: &str) -> Result<T, JsValue> {
    // `JSON.stringify(undefined)` is not a string: a missing argument lands here too.
    let text = js_sys::JSON::stringify(&value)
        .ok()
        .and_then(|text| JsValue::from(text).as_string())
        .ok_or_else(|| coded("invalid_input", format!("{what}: missing or not JSON")))?;
    serde_json::from_str(&text).map_err(|e| coded("invalid_input", format!("{what}: {e}")))
}

fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    let text = serde_json::to_string(value).map_err(|e| coded("internal_error", e))?;
    js_sys::JSON::parse(&text).map_err(|_| coded("internal_error", "unparsable output"))
}

fn coded(code: &str, message: impl Display) -> JsValue {
    throw(code, &message.to_string(), &serde_json::Map::new())
}

/// The one mapping of a core error to the JS `CoreError`: its serialized form is its
/// `code` and its facts (`details`).
fn throw_error<E: DomainError>(error: &E) -> JsValue {
    let mut facts = match serde_json::to_value(error) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    let code = match facts.remove("code") {
        Some(serde_json::Value::String(code)) => code,
        _ => "internal_error".to_owned(),
    };
    throw(&code, &error.to_string(), &facts)
}

fn throw(code: &str, message: &str, facts: &serde_json::Map<String, serde_json::Value>) -> JsValue {
    let error = js_sys::Error::new(message);
    error.set_name("CoreError");
    let _ = js_sys::Reflect::set(&error, &"code".into(), &code.into());
    if let Ok(details) = to_js(facts) {
        let _ = js_sys::Reflect::set(&error, &"details".into(), &details);
    }
    error.into()
}
