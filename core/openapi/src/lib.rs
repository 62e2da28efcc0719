//! The OpenAPI 3.1 document of CryptoExchange API, generated from the core's wire types.
//!
//! Schemas come from `#[derive(JsonSchema)]` on the types of `cryptoexchange_core::api` (and
//! the types they use), behind the core's `schema` feature; the operations are the table in
//! [`operations`]; one example request and response per operation is read from
//! `docs/examples/<operationId>.json`, the same files the API tests send. The worker serves
//! the committed result, `edge-worker/openapi.json`; `tests/document.rs` fails when the
//! committed file differs from what this crate generates (`UPDATE_OPENAPI=1` rewrites it).
//!
//! Request bodies are described as the core deserializes them, responses as it serializes
//! them: where the two differ (a field with a default is optional in a request, always
//! present in a response), the request's schema is named `<Type>Input`.

pub mod typescript;

use std::path::{Path, PathBuf};

use cryptoexchange_core::api::{self, error_codes};
use cryptoexchange_core::config::ClientConfig;
use cryptoexchange_core::order::OrderStatus;
use cryptoexchange_core::schema::{
    AddressString, CustomerId, DeadLetterId, EventId, IdempotencyKey, OrderId, PageCursor,
};
use cryptoexchange_core::time::Timestamp;
use cryptoexchange_core::{Crypto, Fiat, ValidAddress};
use schemars::generate::{Contract, SchemaSettings};
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_json::{json, Map, Value};

/// A schema of a request or response body, made by the generator of its side.
pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

fn of<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    Public,
    /// `Authorization: Bearer <api key>` of an API client.
    Client,
    /// `Authorization: Bearer <ADMIN_TOKEN>`.
    Admin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum In {
    Path,
    Query,
    Header,
}

pub struct Param {
    pub name: &'static str,
    pub location: In,
    pub required: bool,
    pub description: &'static str,
    pub schema: SchemaFn,
}

/// A success answer: status, description, body schema (None: the whole document).
pub struct Success {
    pub status: u16,
    pub description: &'static str,
    pub body: SchemaFn,
}

pub struct Operation {
    /// operationId, and the name of its example file in `docs/examples/`.
    pub id: &'static str,
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    pub auth: Auth,
    pub params: Vec<Param>,
    pub request: Option<SchemaFn>,
    pub success: Vec<Success>,
    /// Problem answers: status and what they mean here (the codes).
    pub problems: Vec<(u16, &'static str)>,
}

fn path_param(name: &'static str, description: &'static str, schema: SchemaFn) -> Param {
    Param {
        name,
        location: In::Path,
        required: true,
        description,
        schema,
    }
}

fn customer_param() -> Param {
    path_param(
        "customer_id",
        "the client's own id of its end user",
        of::<CustomerId>,
    )
}

fn ok(status: u16, description: &'static str, body: SchemaFn) -> Vec<Success> {
    vec![Success {
        status,
        description,
        body,
    }]
}

fn any_object(_: &mut SchemaGenerator) -> Schema {
    schemars::json_schema!({ "type": "object", "description": "This OpenAPI 3.1 document." })
}

fn client_id_schema(_: &mut SchemaGenerator) -> Schema {
    schemars::json_schema!({ "type": "string", "maxLength": 64, "examples": ["cli_0a1b2c3d4e5f60718293a4b5c6d7e8f9"] })
}

fn key_id_schema(_: &mut SchemaGenerator) -> Schema {
    schemars::json_schema!({ "type": "string", "maxLength": 64, "examples": ["key_0a1b2c3d4e5f60718293a4b5c6d7e8f9"] })
}

fn event_type_schema(_: &mut SchemaGenerator) -> Schema {
    schemars::json_schema!({ "type": "string", "enum": api::EVENT_TYPES })
}

fn all_flag_schema(_: &mut SchemaGenerator) -> Schema {
    schemars::json_schema!({ "type": "string", "enum": ["true", "false"] })
}

fn limit_schema(_: &mut SchemaGenerator) -> Schema {
    schemars::json_schema!({ "type": "integer", "minimum": 1, "maximum": 100, "default": 20 })
}

fn address_validation(generator: &mut SchemaGenerator) -> Schema {
    let valid = generator.subschema_for::<ValidAddress>();
    schemars::json_schema!({
        "description": "`valid: true` with what the address is, or `valid: false` with the \
                        core's code and message (and the facts of the refusal).",
        "oneOf": [
            {
                "allOf": [valid, {
                    "type": "object",
                    "properties": { "valid": { "const": true } },
                    "required": ["valid"],
                }],
            },
            {
                "type": "object",
                "properties": {
                    "valid": { "const": false },
                    "code": { "type": "string", "enum": api::address_error_codes() },
                    "message": { "type": "string" },
                },
                "required": ["valid", "code", "message"],
            },
        ],
    })
}

const BAD_REQUEST: &str = "malformed_body, invalid_parameter";
const UNAUTHORIZED: &str = "unauthorized: no, malformed or unknown bearer key";
const UNAUTHORIZED_CLIENT: &str = "unauthorized: no, malformed or unknown bearer key; \
     live_key_in_sandbox_mode, test_key_in_live_mode: a key of the other settlement mode";
const TOO_LARGE: &str = "body_too_large: over 16 KiB";

/// Every operation of the API, in the order of the worker's route table.
pub fn operations() -> Vec<Operation> {
    use Auth::{Admin, Client, Public};
    vec![
        Operation {
            id: "getHealth",
            method: "get",
            path: "/healthz",
            summary: "Liveness: the worker runs and D1 answers",
            auth: Public,
            params: vec![],
            request: None,
            success: ok(200, "OK", of::<api::Health>),
            problems: vec![(
                500,
                "internal_error: D1 does not answer; misconfigured (every operation): \
                 SETTLEMENT_MODE is neither sandbox nor onchain",
            )],
        },
        Operation {
            id: "getOpenApi",
            method: "get",
            path: "/openapi.json",
            summary: "This document",
            auth: Public,
            params: vec![],
            request: None,
            success: ok(200, "OK", any_object),
            problems: vec![],
        },
        Operation {
            id: "createClient",
            method: "post",
            path: "/v1/admin/clients",
            summary: "Onboard an API client; its API key and webhook secret are shown once",
            auth: Admin,
            params: vec![],
            request: Some(of::<api::CreateClientRequest>),
            success: ok(201, "Created", of::<api::CreateClientResponse>),
            problems: vec![
                (400, BAD_REQUEST),
                (401, UNAUTHORIZED),
                (413, TOO_LARGE),
                (
                    422,
                    "a configuration code (invalid_name, min_above_max, invalid_xpub, ...)",
                ),
            ],
        },
        Operation {
            id: "getClientConfig",
            method: "get",
            path: "/v1/admin/clients/{client_id}/config",
            summary: "A client's configuration",
            auth: Admin,
            params: vec![path_param("client_id", "the client's id", client_id_schema)],
            request: None,
            success: ok(200, "OK", of::<ClientConfig>),
            problems: vec![(401, UNAUTHORIZED), (404, "not_found: no such client")],
        },
        Operation {
            id: "putClientConfig",
            method: "put",
            path: "/v1/admin/clients/{client_id}/config",
            summary: "Replace a client's configuration",
            auth: Admin,
            params: vec![path_param("client_id", "the client's id", client_id_schema)],
            request: Some(of::<ClientConfig>),
            success: ok(200, "The configuration as stored", of::<ClientConfig>),
            problems: vec![
                (400, BAD_REQUEST),
                (401, UNAUTHORIZED),
                (404, "not_found: no such client"),
                (413, TOO_LARGE),
                (
                    422,
                    "a configuration code (invalid_name, min_above_max, invalid_xpub, ...)",
                ),
            ],
        },
        Operation {
            id: "createApiKey",
            method: "post",
            path: "/v1/admin/clients/{client_id}/api-keys",
            summary: "Give a client another API key (scopes, IP allowlist, expiry); the key \
                      is shown once",
            auth: Admin,
            params: vec![path_param("client_id", "the client's id", client_id_schema)],
            request: Some(of::<api::CreateApiKeyRequest>),
            success: ok(201, "Created", of::<api::CreatedApiKey>),
            problems: vec![
                (400, BAD_REQUEST),
                (401, UNAUTHORIZED),
                (404, "not_found: no such client"),
                (413, TOO_LARGE),
                (
                    422,
                    "invalid_key_settings: an allowlist entry that is not an IP address or \
                     CIDR range, an expiry in the past (fact: field)",
                ),
            ],
        },
        Operation {
            id: "listClientApiKeys",
            method: "get",
            path: "/v1/admin/clients/{client_id}/api-keys",
            summary: "A client's API keys, oldest first (never the keys themselves)",
            auth: Admin,
            params: vec![path_param("client_id", "the client's id", client_id_schema)],
            request: None,
            success: ok(200, "OK", of::<api::ApiKeyList>),
            problems: vec![(401, UNAUTHORIZED), (404, "not_found: no such client")],
        },
        Operation {
            id: "revokeApiKey",
            method: "delete",
            path: "/v1/admin/clients/{client_id}/api-keys/{key_id}",
            summary: "Revoke an API key: refused from this instant (api_key_revoked)",
            auth: Admin,
            params: vec![
                path_param("client_id", "the client's id", client_id_schema),
                path_param("key_id", "the key's id", key_id_schema),
            ],
            request: None,
            success: ok(200, "The key, revoked", of::<api::ApiKeyInfo>),
            problems: vec![
                (401, UNAUTHORIZED),
                (404, "not_found: no such key of this client"),
            ],
        },
        Operation {
            id: "rotateApiKey",
            method: "post",
            path: "/v1/admin/clients/{client_id}/api-keys/{key_id}/rotate",
            summary: "A new key with the old one's scopes and allowlist; the old key works \
                      until the end of the overlap (body optional)",
            auth: Admin,
            params: vec![
                path_param("client_id", "the client's id", client_id_schema),
                path_param("key_id", "the key's id", key_id_schema),
            ],
            request: Some(of::<api::RotateApiKeyRequest>),
            success: ok(201, "Created", of::<api::RotatedApiKey>),
            problems: vec![
                (400, BAD_REQUEST),
                (401, UNAUTHORIZED),
                (404, "not_found: no such key of this client"),
                (409, "api_key_inactive: the key is revoked or expired"),
                (413, TOO_LARGE),
            ],
        },
        Operation {
            id: "listApiKeys",
            method: "get",
            path: "/v1/api-keys",
            summary: "The calling client's API keys: scopes, allowlist, created, last used, \
                      expiry, revocation (never the keys themselves)",
            auth: Client,
            params: vec![],
            request: None,
            success: ok(200, "OK", of::<api::ApiKeyList>),
            problems: vec![(401, UNAUTHORIZED_CLIENT)],
        },
        Operation {
            id: "rotateWebhookSecret",
            method: "post",
            path: "/v1/admin/clients/{client_id}/webhook-secret/rotate",
            summary: "A new webhook signing secret (shown once); the previous one keeps signing \
                      beside it until the overlap ends (body optional)",
            auth: Admin,
            params: vec![path_param("client_id", "the client's id", client_id_schema)],
            request: Some(of::<api::RotateWebhookSecretRequest>),
            success: ok(201, "Created", of::<api::RotatedWebhookSecret>),
            problems: vec![
                (
                    400,
                    "malformed_body, invalid_parameter (overlap_seconds over 30 days)",
                ),
                (401, UNAUTHORIZED),
                (404, "not_found: no such client"),
                (413, TOO_LARGE),
                (
                    500,
                    "misconfigured: the SECRETS_MASTER_KEYS secret is missing or unusable",
                ),
            ],
        },
        Operation {
            id: "setRates",
            method: "put",
            path: "/v1/admin/rates",
            summary: "Set rates by hand, observed now; pairs not named keep their rate",
            auth: Admin,
            params: vec![],
            request: Some(of::<api::SetRatesRequest>),
            success: ok(200, "The whole stored table", of::<api::RatesResponse>),
            problems: vec![
                (400, BAD_REQUEST),
                (401, UNAUTHORIZED),
                (413, TOO_LARGE),
                (422, "invalid_price, duplicate_pair"),
            ],
        },
        Operation {
            id: "refreshRates",
            method: "post",
            path: "/v1/admin/rates/refresh",
            summary: "Run the scheduled rates refresh now",
            auth: Admin,
            params: vec![],
            request: None,
            success: ok(200, "The whole stored table", of::<api::RatesResponse>),
            problems: vec![
                (401, UNAUTHORIZED),
                (500, "internal_error: the rates source is not configured"),
            ],
        },
        Operation {
            id: "listHeldPayouts",
            method: "get",
            path: "/v1/admin/payouts/held",
            summary:
                "The on-chain payouts the daily outflow cap holds for a decision, oldest first",
            auth: Admin,
            params: vec![],
            request: None,
            success: ok(200, "At most 100, oldest first", of::<api::HeldPayoutList>),
            problems: vec![(401, UNAUTHORIZED)],
        },
        Operation {
            id: "releaseHeldPayout",
            method: "post",
            path: "/v1/admin/payouts/{order_id}/release",
            summary: "Let a held payout go: the next payout run signs it, above the cap (once)",
            auth: Admin,
            params: vec![path_param("order_id", "the held order's id", of::<OrderId>)],
            request: None,
            success: ok(200, "The payout, released", of::<api::HeldPayout>),
            problems: vec![
                (401, UNAUTHORIZED),
                (404, "not_found: no payout of this order was held"),
                (409, "payout_not_held: the operator failed it already"),
            ],
        },
        Operation {
            id: "failHeldPayout",
            method: "post",
            path: "/v1/admin/payouts/{order_id}/fail",
            summary: "Refuse a held payout: its order fails with rejected_by_operator, \
                      the customer's limit room is given back",
            auth: Admin,
            params: vec![path_param("order_id", "the held order's id", of::<OrderId>)],
            request: None,
            success: ok(200, "The payout, failed", of::<api::HeldPayout>),
            problems: vec![
                (401, UNAUTHORIZED),
                (404, "not_found: no payout of this order was held"),
                (409, "payout_not_held: the operator released it already"),
            ],
        },
        Operation {
            id: "getConfig",
            method: "get",
            path: "/v1/config",
            summary: "The calling client's configuration (input of the npm package's estimate)",
            auth: Client,
            params: vec![],
            request: None,
            success: ok(200, "OK", of::<ClientConfig>),
            problems: vec![(401, UNAUTHORIZED_CLIENT)],
        },
        Operation {
            id: "listWebhookSecrets",
            method: "get",
            path: "/v1/webhook-secrets",
            summary: "The secrets signing the calling client's webhooks now, newest first \
                      (never the secrets themselves)",
            auth: Client,
            params: vec![],
            request: None,
            success: ok(200, "OK", of::<api::WebhookSecretList>),
            problems: vec![(401, UNAUTHORIZED_CLIENT)],
        },
        Operation {
            id: "getRates",
            method: "get",
            path: "/v1/rates",
            summary: "The rates of the pairs this client enabled, each with its status and sources",
            auth: Client,
            params: vec![
                Param {
                    name: "crypto",
                    location: In::Query,
                    required: false,
                    description: "with `fiat`: only this pair, refused with 503 once stale",
                    schema: of::<Crypto>,
                },
                Param {
                    name: "fiat",
                    location: In::Query,
                    required: false,
                    description: "with `crypto`: only this pair",
                    schema: of::<Fiat>,
                },
            ],
            request: None,
            success: ok(200, "OK", of::<api::RatesResponse>),
            problems: vec![
                (401, UNAUTHORIZED_CLIENT),
                (400, "invalid_parameter"),
                (
                    422,
                    "unsupported_pair: no rate for the pair named by crypto and fiat",
                ),
                (503, "no_rates, rate_unavailable, rate_in_future"),
            ],
        },
        Operation {
            id: "createQuote",
            method: "post",
            path: "/v1/quotes",
            summary: "Price a trade at the latest rates; one order (of the customer named, if \
                      any) may use the quote until it expires",
            auth: Client,
            params: vec![],
            request: Some(of::<api::AnyQuoteRequest>),
            success: ok(201, "Created", of::<api::AnyQuoteResponse>),
            problems: vec![
                (400, BAD_REQUEST),
                (401, UNAUTHORIZED_CLIENT),
                (413, TOO_LARGE),
                (
                    422,
                    "currency_not_enabled, network_not_enabled, amount_currency_mismatch, \
                     too_many_decimals, below_minimum, above_maximum, amount_below_fees, ...",
                ),
                (400, "invalid_parameter"),
                (
                    422,
                    "unsupported_pair: no rate for the pair named by crypto and fiat",
                ),
                (503, "no_rates, rate_unavailable, rate_in_future"),
            ],
        },
        Operation {
            id: "listCustomerAddresses",
            method: "get",
            path: "/v1/customers/{customer_id}/addresses",
            summary: "The customer's receive addresses",
            auth: Client,
            params: vec![customer_param()],
            request: None,
            success: ok(200, "OK", of::<api::AddressList>),
            problems: vec![(400, "invalid_parameter"), (401, UNAUTHORIZED_CLIENT)],
        },
        Operation {
            id: "createCustomerAddress",
            method: "post",
            path: "/v1/customers/{customer_id}/addresses",
            summary: "The customer's receive address: its unused one again (200), or the next \
                      one derived from the client's xpub (201), never more unused addresses per \
                      xpub than the gap limit (ADDRESS_GAP_LIMIT, default 20)",
            auth: Client,
            params: vec![customer_param()],
            request: Some(of::<api::CreateAddressRequest>),
            success: vec![
                Success {
                    status: 201,
                    description: "Created: a new address",
                    body: of::<api::CustomerAddress>,
                },
                Success {
                    status: 200,
                    description: "The customer's address of this currency that no order was \
                                  sent to yet, the same on every call until one is",
                    body: of::<api::CustomerAddress>,
                },
            ],
            problems: vec![
                (400, BAD_REQUEST),
                (401, UNAUTHORIZED_CLIENT),
                (
                    409,
                    "no_xpub_registered; address_gap_limit: the xpub has gap_limit unused \
                     addresses (facts: currency, gap_limit, unused)",
                ),
                (413, TOO_LARGE),
                (422, "unknown_currency"),
            ],
        },
        Operation {
            id: "validateAddress",
            method: "post",
            path: "/v1/addresses/validate",
            summary: "Whether an address is valid for a currency (and network)",
            auth: Client,
            params: vec![],
            request: Some(of::<api::ValidateAddressRequest>),
            success: ok(
                200,
                "Valid or not, with what the core found",
                address_validation,
            ),
            problems: vec![
                (400, BAD_REQUEST),
                (401, UNAUTHORIZED_CLIENT),
                (413, TOO_LARGE),
                (422, "unknown_currency, unknown_network"),
            ],
        },
        Operation {
            id: "getAddressBalance",
            method: "get",
            path: "/v1/addresses/{currency}/{address}/balance",
            summary: "An address's balance: from Esplora in on-chain mode; from the sandbox \
                      ledger alone, with no outbound call, in sandbox mode",
            auth: Client,
            params: vec![
                path_param("currency", "the address's currency", of::<Crypto>),
                path_param(
                    "address",
                    "any address of that currency",
                    of::<cryptoexchange_core::schema::AddressString>,
                ),
            ],
            request: None,
            success: ok(200, "OK", of::<api::AddressBalance>),
            problems: vec![
                (401, UNAUTHORIZED_CLIENT),
                (
                    422,
                    "unknown_currency, or an address code (bad_checksum, wrong_network, ...)",
                ),
                (502, "chain_unavailable"),
            ],
        },
        Operation {
            id: "placeOrder",
            method: "post",
            path: "/v1/customers/{customer_id}/orders",
            summary: "Place an order (idempotent; limits enforced atomically)",
            auth: Client,
            params: vec![
                customer_param(),
                Param {
                    name: "Idempotency-Key",
                    location: In::Header,
                    required: true,
                    description: "a retry with the same key and body answers the original \
                                  order (200); with another body, idempotency_key_reused",
                    schema: of::<IdempotencyKey>,
                },
            ],
            request: Some(of::<api::AnyPlaceOrderRequest>),
            success: vec![
                Success {
                    status: 201,
                    description: "Placed",
                    body: of::<api::AnyOrderResponse>,
                },
                Success {
                    status: 200,
                    description: "A retry: the order first placed with this Idempotency-Key",
                    body: of::<api::AnyOrderResponse>,
                },
            ],
            problems: vec![
                (
                    400,
                    "malformed_body, invalid_parameter, idempotency_key_missing",
                ),
                (401, UNAUTHORIZED_CLIENT),
                (404, "not_found: the quote_id is not this client's"),
                (
                    409,
                    "quote_expired, quote_used (the quote priced another order), \
                     limits_changed_retry, deposit_address_gap_limit (a sell: the xpub has \
                     gap_limit unused addresses and none is released; next_release_at)",
                ),
                (413, TOO_LARGE),
                (
                    422,
                    "idempotency_key_reused, invalid_address, quote_mismatch, \
                     quote_customer_mismatch, \
                     daily_limit_exceeded, monthly_limit_exceeded, and the codes of a quote",
                ),
                (400, "invalid_parameter"),
                (
                    422,
                    "unsupported_pair: no rate for the pair named by crypto and fiat",
                ),
                (503, "no_rates, rate_unavailable, rate_in_future"),
            ],
        },
        Operation {
            id: "listCustomerOrders",
            method: "get",
            path: "/v1/customers/{customer_id}/orders",
            summary: "The customer's orders, newest first",
            auth: Client,
            params: vec![
                customer_param(),
                Param {
                    name: "limit",
                    location: In::Query,
                    required: false,
                    description: "page size",
                    schema: limit_schema,
                },
                Param {
                    name: "cursor",
                    location: In::Query,
                    required: false,
                    description: "`next_cursor` of the previous page",
                    schema: of::<PageCursor>,
                },
                Param {
                    name: "status",
                    location: In::Query,
                    required: false,
                    description: "only orders in this status",
                    schema: of::<OrderStatus>,
                },
                Param {
                    name: "crypto",
                    location: In::Query,
                    required: false,
                    description: "only orders of this crypto",
                    schema: of::<Crypto>,
                },
                Param {
                    name: "created_from",
                    location: In::Query,
                    required: false,
                    description: "only orders created at or after this time (RFC 3339)",
                    schema: of::<Timestamp>,
                },
                Param {
                    name: "created_to",
                    location: In::Query,
                    required: false,
                    description: "only orders created before this time (RFC 3339)",
                    schema: of::<Timestamp>,
                },
                Param {
                    name: "destination_address",
                    location: In::Query,
                    required: false,
                    description: "only orders to this address, in the normalized form orders show",
                    schema: of::<AddressString>,
                },
            ],
            request: None,
            success: ok(200, "OK", of::<api::OrdersPage>),
            problems: vec![(400, "invalid_parameter"), (401, UNAUTHORIZED_CLIENT)],
        },
        Operation {
            id: "getOrder",
            method: "get",
            path: "/v1/orders/{order_id}",
            summary: "One order with its status history",
            auth: Client,
            params: vec![path_param("order_id", "the order's id", of::<OrderId>)],
            request: None,
            success: ok(200, "OK", of::<api::AnyOrderResponse>),
            problems: vec![
                (401, UNAUTHORIZED_CLIENT),
                (404, "not_found: no such order of this client"),
            ],
        },
        Operation {
            id: "listEvents",
            method: "get",
            path: "/v1/events",
            summary: "The client's webhook events with their delivery state, newest first",
            auth: Client,
            params: vec![
                Param {
                    name: "limit",
                    location: In::Query,
                    required: false,
                    description: "page size",
                    schema: limit_schema,
                },
                Param {
                    name: "cursor",
                    location: In::Query,
                    required: false,
                    description: "`next_cursor` of the previous page",
                    schema: of::<PageCursor>,
                },
                Param {
                    name: "order_id",
                    location: In::Query,
                    required: false,
                    description: "only the events of this order",
                    schema: of::<OrderId>,
                },
                Param {
                    name: "type",
                    location: In::Query,
                    required: false,
                    description: "only events of this type",
                    schema: event_type_schema,
                },
                Param {
                    name: "delivery_state",
                    location: In::Query,
                    required: false,
                    description: "only events whose delivery is in this state",
                    schema: of::<api::DeliveryState>,
                },
            ],
            request: None,
            success: ok(200, "OK", of::<api::EventsPage>),
            problems: vec![(400, "invalid_parameter"), (401, UNAUTHORIZED_CLIENT)],
        },
        Operation {
            id: "redeliverEvent",
            method: "post",
            path: "/v1/events/{event_id}/redeliver",
            summary: "Deliver an event again, now, with a fresh retry schedule (same webhook-id)",
            auth: Client,
            params: vec![path_param("event_id", "the event's id", of::<EventId>)],
            request: None,
            success: ok(
                202,
                "Accepted: the delivery is queued",
                of::<api::EventResponse>,
            ),
            problems: vec![
                (401, UNAUTHORIZED_CLIENT),
                (404, "not_found: no such event of this client"),
            ],
        },
        Operation {
            id: "getWebhookEndpoint",
            method: "get",
            path: "/v1/webhook-endpoint",
            summary: "The client's webhook endpoint: enabled, or disabled by a 410 Gone",
            auth: Client,
            params: vec![],
            request: None,
            success: ok(200, "OK", of::<api::WebhookEndpointResponse>),
            problems: vec![(401, UNAUTHORIZED_CLIENT)],
        },
        Operation {
            id: "listDeadLetters",
            method: "get",
            path: "/v1/admin/dead-letters",
            summary: "Queue messages that were dead-lettered, newest first (not replayed yet \
                      unless all=true)",
            auth: Admin,
            params: vec![Param {
                name: "all",
                location: In::Query,
                required: false,
                description: "`true`: the replayed ones too",
                schema: all_flag_schema,
            }],
            request: None,
            success: ok(200, "OK", of::<api::DeadLettersPage>),
            problems: vec![(400, "invalid_parameter"), (401, UNAUTHORIZED)],
        },
        Operation {
            id: "replayDeadLetter",
            method: "post",
            path: "/v1/admin/dead-letters/{dead_letter_id}/replay",
            summary: "Send a dead-lettered job again (a webhook event is made due now)",
            auth: Admin,
            params: vec![path_param(
                "dead_letter_id",
                "the dead letter's id",
                of::<DeadLetterId>,
            )],
            request: None,
            success: ok(200, "OK", of::<api::DeadLetterResponse>),
            problems: vec![(401, UNAUTHORIZED), (404, "not_found: no such dead letter")],
        },
        Operation {
            id: "simulateSandboxDeposit",
            method: "post",
            path: "/v1/sandbox/orders/{order_id}/deposit",
            summary: "Sandbox: the customer's transfer to a sell order's deposit address \
                      (amount, confirmations, lateness), or a deposit's new confirmations",
            auth: Client,
            params: vec![path_param("order_id", "a sell order's id", of::<OrderId>)],
            request: Some(of::<api::SandboxDepositRequest>),
            success: ok(
                200,
                "The sell order after the deposit",
                of::<api::SellOrderResponse>,
            ),
            problems: vec![
                (400, BAD_REQUEST),
                (401, UNAUTHORIZED_CLIENT),
                (
                    404,
                    "not_found: no such sell order of this client, or not in sandbox mode",
                ),
                (
                    422,
                    "malformed_amount, too_many_decimals, amount_not_positive",
                ),
            ],
        },
        Operation {
            id: "reportFiatPayout",
            method: "post",
            path: "/v1/orders/{order_id}/fiat-payout",
            summary: "The client paid the customer of a payout_pending sell order (idempotent \
                      by reference: completed), or could not (refund_due)",
            auth: Client,
            params: vec![path_param("order_id", "a sell order's id", of::<OrderId>)],
            request: Some(of::<api::FiatPayoutRequest>),
            success: ok(200, "The sell order", of::<api::SellOrderResponse>),
            problems: vec![
                (400, BAD_REQUEST),
                (401, UNAUTHORIZED_CLIENT),
                (404, "not_found: no such sell order of this client"),
                (
                    409,
                    "sell_status_conflict (not payout_pending), payout_reference_mismatch",
                ),
                (422, "invalid_report"),
            ],
        },
        Operation {
            id: "reportRefund",
            method: "post",
            path: "/v1/orders/{order_id}/refund",
            summary: "The client's wallet sent a refund_due or requote_required sell order's \
                      deposit back to its refund address (failed, with the txid)",
            auth: Client,
            params: vec![path_param("order_id", "a sell order's id", of::<OrderId>)],
            request: Some(of::<api::RefundSentRequest>),
            success: ok(200, "The sell order", of::<api::SellOrderResponse>),
            problems: vec![
                (400, BAD_REQUEST),
                (401, UNAUTHORIZED_CLIENT),
                (404, "not_found: no such sell order of this client"),
                (409, "sell_status_conflict"),
                (422, "invalid_report"),
            ],
        },
        Operation {
            id: "reportExcessRefund",
            method: "post",
            path: "/v1/orders/{order_id}/excess-refund",
            summary: "The client's wallet sent a paid_over sell order's \
                      excess_refund_crypto_amount back to its refund address (idempotent by \
                      txid; the status stays, a sell_order.status_changed event tells the webhook)",
            auth: Client,
            params: vec![path_param("order_id", "a sell order's id", of::<OrderId>)],
            request: Some(of::<api::ExcessRefundSentRequest>),
            success: ok(200, "The sell order", of::<api::SellOrderResponse>),
            problems: vec![
                (400, BAD_REQUEST),
                (401, UNAUTHORIZED_CLIENT),
                (404, "not_found: no such sell order of this client"),
                (
                    409,
                    "no_excess_refund_due (no excess to send back), sell_status_conflict (not \
                     payout_pending or completed), excess_refund_tx_mismatch",
                ),
                (422, "invalid_report"),
            ],
        },
    ]
}

/// `docs/examples/` of this repository.
pub fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/examples")
}

/// The npm package's declarations, `core/src/wasm_types.d.ts`.
pub fn declarations_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../src/wasm_types.d.ts")
}

/// The committed document, `edge-worker/openapi.json`.
pub fn document_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../edge-worker/openapi.json")
}

fn read_example(id: &str) -> Result<Option<Value>, String> {
    let path = examples_dir().join(format!("{id}.json"));
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| format!("{}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

fn generator(contract: Contract) -> SchemaGenerator {
    SchemaSettings::draft2020_12()
        .with(|s| {
            s.definitions_path = "/components/schemas".into();
            s.meta_schema = None;
            s.contract = contract;
        })
        .into_generator()
}

fn problem_schema() -> Value {
    json!({
        "type": "object",
        "description": "RFC 9457 problem details (`application/problem+json`). A refusal by the \
                        core adds its facts (limit, used, requested, ...) as extension members.",
        "required": ["type", "title", "status", "detail", "code"],
        "properties": {
            "type": { "type": "string", "examples": ["/problems/daily_limit_exceeded"] },
            "title": { "type": "string" },
            "status": { "type": "integer", "minimum": 400, "maximum": 599 },
            "detail": { "type": "string" },
            "code": { "$ref": "#/components/schemas/ErrorCode" },
        },
    })
}

/// The scope an API key needs for a client operation: `trade` to create addresses and
/// place orders, `read` for the rest (the worker's `require_client` calls say the same).
pub fn required_scope(operation_id: &str) -> api::ApiScope {
    match operation_id {
        "createCustomerAddress" | "placeOrder" => api::ApiScope::Trade,
        _ => api::ApiScope::Read,
    }
}

/// What every operation called with an API key can also answer: the key's refusals
/// (403 scope or address, 401 expired or revoked, 429 over its rate), and the rate-limit
/// headers of draft-ietf-httpapi-ratelimit-headers on every answer but a 401.
fn add_key_answers(answers: &mut Map<String, Value>, operation_id: &str) {
    let scope = required_scope(operation_id).as_str();
    answers.insert(
        "401".into(),
        problem_response(
            "unauthorized: no, malformed or unknown bearer key; api_key_expired, \
             api_key_revoked; live_key_in_sandbox_mode, test_key_in_live_mode: a key of the \
             other settlement mode",
        ),
    );
    let forbidden = format!(
        "insufficient_scope: the key lacks the `{scope}` scope (facts: required_scope, \
         key_scopes); ip_not_allowed: CF-Connecting-IP is not in the key's allowlist (fact: ip)"
    );
    answers.insert("403".into(), problem_response(&forbidden));
    let mut too_many = problem_response(
        "rate_limited: more requests with this key than the policy allows in its window \
         (facts: limit, window_seconds, retry_after_seconds)",
    );
    too_many["headers"] = json!({
        "Retry-After": { "description": "seconds until the window ends", "schema": { "type": "integer", "minimum": 1 } },
    });
    answers.insert("429".into(), too_many);
    for (status, answer) in answers.iter_mut() {
        if status == "401" {
            continue;
        }
        let headers = answer
            .as_object_mut()
            .map(|a| a.entry("headers").or_insert_with(|| json!({})));
        if let Some(Value::Object(headers)) = headers {
            headers.insert(
                "RateLimit-Policy".into(),
                json!({
                    "description": "draft-ietf-httpapi-ratelimit-headers: the key's quota `q` per window `w` seconds, e.g. `\"default\";q=100;w=60`",
                    "schema": { "type": "string" },
                }),
            );
            headers.insert(
                "RateLimit".into(),
                json!({
                    "description": "draft-ietf-httpapi-ratelimit-headers: requests remaining `r` and seconds `t` until the window ends, e.g. `\"default\";r=50;t=30`",
                    "schema": { "type": "string" },
                }),
            );
        }
    }
}

fn problem_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/problem+json": {
            "schema": { "$ref": "#/components/schemas/Problem" },
        } },
    })
}

/// Gives integers of a sized Rust type (schemars' `format`) their bounds, so values the type
/// cannot hold are outside the document too.
fn bound_integers(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let max = match map.get("format").and_then(Value::as_str) {
                Some("uint8") => Some(u64::from(u8::MAX)),
                Some("uint16") => Some(u64::from(u16::MAX)),
                Some("uint32") => Some(u64::from(u32::MAX)),
                _ => None,
            };
            if let Some(max) = max {
                map.entry("maximum").or_insert(json!(max));
            }
            map.values_mut().for_each(bound_integers);
        }
        Value::Array(items) => items.iter_mut().for_each(bound_integers),
        _ => {}
    }
}

/// Replaces every `$ref` to a renamed schema inside `value`.
fn rename_refs(value: &mut Value, renamed: &[String]) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get_mut("$ref") {
                if let Some(name) = target.strip_prefix("#/components/schemas/") {
                    if renamed.iter().any(|r| r == name) {
                        *target = format!("#/components/schemas/{name}Input");
                    }
                }
            }
            map.values_mut().for_each(|v| rename_refs(v, renamed));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rename_refs(v, renamed)),
        _ => {}
    }
}

/// The whole document.
pub fn document() -> Result<Value, String> {
    let mut requests = generator(Contract::Deserialize);
    let mut responses = generator(Contract::Serialize);
    let mut paths = Map::new();
    let mut with_request: Vec<(&str, &str)> = Vec::new();
    for op in operations() {
        let example = read_example(op.id)?;
        let mut operation = Map::new();
        operation.insert("operationId".into(), json!(op.id));
        operation.insert("summary".into(), json!(op.summary));
        let security = match op.auth {
            Auth::Public => json!([]),
            // OpenAPI 3.1 lets a bearer scheme name the roles required: the key's scope.
            Auth::Client => json!([{ "apiKey": [required_scope(op.id).as_str()] }]),
            Auth::Admin => json!([{ "adminToken": [] }]),
        };
        operation.insert("security".into(), security);
        let params: Vec<Value> = op
            .params
            .iter()
            .map(|p| {
                let location = match p.location {
                    In::Path => "path",
                    In::Query => "query",
                    In::Header => "header",
                };
                let mut param = json!({
                    "name": p.name,
                    "in": location,
                    "required": p.required,
                    "description": p.description,
                    "schema": (p.schema)(&mut requests),
                });
                let key = match p.location {
                    In::Header => "headers",
                    In::Path => "path",
                    In::Query => "query",
                };
                if let Some(v) = example
                    .as_ref()
                    .and_then(|e| e.pointer(&format!("/request/{key}/{}", p.name)))
                {
                    param["example"] = v.clone();
                }
                param
            })
            .collect();
        if !params.is_empty() {
            operation.insert("parameters".into(), Value::Array(params));
        }
        if let Some(body) = op.request {
            let schema = body(&mut requests).to_value();
            let mut content = json!({ "schema": schema });
            if let Some(v) = example.as_ref().and_then(|e| e.pointer("/request/body")) {
                content["example"] = v.clone();
            }
            operation.insert(
                "requestBody".into(),
                json!({ "required": true, "content": { "application/json": content } }),
            );
            with_request.push((op.path, op.method));
        }
        let mut answers = Map::new();
        for success in &op.success {
            let mut content = json!({ "schema": (success.body)(&mut responses) });
            let status = example.as_ref().and_then(|e| e.pointer("/response/status"));
            if status == Some(&json!(success.status)) {
                if let Some(v) = example.as_ref().and_then(|e| e.pointer("/response/body")) {
                    content["example"] = v.clone();
                }
            }
            answers.insert(
                success.status.to_string(),
                json!({ "description": success.description, "content": { "application/json": content } }),
            );
        }
        for (status, description) in &op.problems {
            answers.insert(status.to_string(), problem_response(description));
        }
        if op.auth == Auth::Client {
            add_key_answers(&mut answers, op.id);
        }
        operation.insert("responses".into(), Value::Object(answers));
        let path_item = paths.entry(op.path.to_owned()).or_insert_with(|| json!({}));
        path_item[op.method] = Value::Object(operation);
    }

    let webhook = responses.subschema_for::<api::WebhookEvent>();
    // Flattened into quotes and orders on the wire; the npm package's `estimate` returns it.
    responses.subschema_for::<api::QuoteBreakdown>();
    let request_defs = requests.take_definitions(true);
    let response_defs = responses.take_definitions(true);
    let renamed: Vec<String> = request_defs
        .iter()
        .filter(|(name, schema)| response_defs.get(*name).is_some_and(|r| r != *schema))
        .map(|(name, _)| name.clone())
        .collect();
    let mut schemas = response_defs;
    for (name, mut schema) in request_defs {
        rename_refs(&mut schema, &renamed);
        let name = if renamed.contains(&name) {
            format!("{name}Input")
        } else {
            name
        };
        schemas.insert(name, schema);
    }
    // Request schemas inside the operations point to the renamed definitions too.
    for (path, method) in with_request {
        if let Some(body) = paths
            .get_mut(path)
            .and_then(|p| p.get_mut(method))
            .and_then(|o| o.get_mut("requestBody"))
        {
            rename_refs(body, &renamed);
        }
        if let Some(params) = paths
            .get_mut(path)
            .and_then(|p| p.get_mut(method))
            .and_then(|o| o.get_mut("parameters"))
        {
            rename_refs(params, &renamed);
        }
    }
    schemas.values_mut().for_each(bound_integers);
    schemas.insert("Problem".into(), problem_schema());
    schemas.insert(
        "ErrorCode".into(),
        json!({
            "type": "string",
            "description": "The stable machine code of an error (public API: codes are added, never renamed).",
            "enum": error_codes(),
        }),
    );

    Ok(json!({
        "openapi": "3.1.0",
        "info": {
            "title": "CryptoExchange API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Buy crypto with fiat: quotes, orders, customer addresses and balances. \
                JSON in snake_case; every amount is a decimal string; every error is an RFC 9457 \
                `application/problem+json` with a stable `code` (see the `ErrorCode` schema). \
                Request bodies are limited to 16 KiB and refuse unknown fields. A known path called \
                with a method it does not take answers 405 `method_not_allowed` with an `Allow` \
                header. Generated from the Rust wire types of `cryptoexchange-core` \
                (core/openapi/); a human-readable rendering is at `/docs`.",
        },
        "servers": [{ "url": "/" }],
        "security": [{ "apiKey": [] }],
        "paths": paths,
        "webhooks": {
            "orderStatusChanged": {
                "post": {
                    "summary": "POSTed to the client's `webhook_url` on every order status change, \
                                signed per Standard Webhooks (HMAC-SHA256 with the webhook secret)",
                    "requestBody": {
                        "required": true,
                        "content": { "application/json": { "schema": webhook } },
                    },
                    "responses": { "200": { "description": "Any 2xx acknowledges the event" } },
                },
            },
        },
        "components": {
            "schemas": schemas,
            "responses": {
                "MethodNotAllowed": problem_response(
                    "method_not_allowed: the path exists, the method does not; `Allow` lists the methods",
                ),
            },
            "securitySchemes": {
                "apiKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "the client's API key (cx_test_... in sandbox mode, \
                        cx_live_... on-chain); each key has scopes (`read`, or `read` and \
                        `trade`), which the operations' security requirements name",
                },
                "adminToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "the ADMIN_TOKEN secret",
                },
            },
        },
    }))
}

/// The document as committed: pretty JSON with a final newline.
pub fn document_text() -> Result<String, String> {
    let mut text = serde_json::to_string_pretty(&document()?).map_err(|e| e.to_string())?;
    text.push('\n');
    Ok(text)
}
