//! JSON Schemas of the wire's string formats (feature `schema`, build and test time only).
//!
//! The wire types in [`crate::api`] keep plain `String`s where the core wants to answer a
//! malformed value with its own precise error code; these types tell the generated OpenAPI
//! document (`core/openapi/`) what a valid value looks like, so clients and property-based
//! testers send values the API accepts.

use std::borrow::Cow;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};

use crate::time::Timestamp;

/// A string schema named `name` with a pattern, a maximum length and an example.
macro_rules! string_format {
    ($(#[doc = $doc:literal])* $name:ident, $pattern:expr, $max:expr, $example:expr) => {
        $(#[doc = $doc])*
        pub struct $name;

        impl JsonSchema for $name {
            fn schema_name() -> Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                let description = [$($doc.trim()),*].join(" ");
                json_schema!({
                    "type": "string",
                    "pattern": $pattern,
                    "maxLength": $max,
                    "description": description,
                    "examples": [$example],
                })
            }
        }
    };
}

// At most 10 significant integer digits (money::MAX_INTEGER_DIGITS) and 18 significant decimals
// (money::MAX_WIRE_DECIMALS); leading zeros before and trailing zeros after are free.
string_format!(
    /// A non-negative decimal amount as a string ("100.00"): at most 10 integer digits, and
    /// at most the decimals of its currency, which the core checks with a precise code.
    DecimalString,
    r"^0*[0-9]{1,10}(\.[0-9]{1,18}0*)?$",
    64,
    "100.00"
);

string_format!(
    /// A decimal amount as a string that may be negative (a balance in the mempool).
    SignedDecimalString,
    r"^-?0*[0-9]{1,10}(\.[0-9]{1,18}0*)?$",
    64,
    "0.00125000"
);

string_format!(
    /// A client's own id of its end user: 1 to 64 characters among A-Z a-z 0-9 _ - .
    CustomerId,
    r"^[A-Za-z0-9_.-]{1,64}$",
    64,
    "alice"
);

string_format!(
    /// Any 1 to 128 visible ASCII characters, unique per order (a UUID is a good choice).
    IdempotencyKey,
    r"^[!-~]{1,128}$",
    128,
    "9b2e8f4a-6c1d-4e0b-8a57-3f2d1c0b9a87"
);

string_format!(
    /// An address as its currency writes it (base58, bech32, cashaddr or 0x hex); which
    /// encodings and prefixes are valid depends on the currency and network.
    AddressString,
    r"^[A-Za-z0-9:]{1,128}$",
    128,
    "bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g"
);

string_format!(
    /// An order id: a random (version 4) UUID.
    OrderId,
    r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$",
    36,
    "3f8a2c1e-5b7d-4e9f-a1c3-0d2e4f6a8b9c"
);

string_format!(
    /// A quote id: `quo_` and 32 hex digits.
    QuoteId,
    r"^quo_[0-9a-f]{32}$",
    36,
    "quo_5e0c9d1b2a3f4e5d6c7b8a9f0e1d2c3b"
);

string_format!(
    /// An API client id: `cli_` and 32 hex digits.
    ClientId,
    r"^cli_[0-9a-f]{32}$",
    36,
    "cli_0a1b2c3d4e5f60718293a4b5c6d7e8f9"
);

string_format!(
    /// A name shown to people: 1 to 100 characters, not only white space.
    DisplayName,
    r"\S",
    100,
    "Demo shop"
);

string_format!(
    /// `next_cursor` of the previous page, passed back unchanged.
    PageCursor,
    r"^(2d)?(3[0-9]){1,18}3a([2-7][0-9a-f])*$",
    200,
    "313736343833383430303030303a33663861326331652d356237642d346539662d613163332d306432653466366138623963"
);

/// The ticker an amount is given in: a fiat (what the customer spends) or a crypto
/// (what the customer receives).
pub struct AmountCurrency;

impl JsonSchema for AmountCurrency {
    fn schema_name() -> Cow<'static, str> {
        "AmountCurrency".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "The ticker the amount is given in: the fiat (what the customer spends) or the crypto (what the customer receives).",
            "anyOf": [
                generator.subschema_for::<crate::Fiat>(),
                generator.subschema_for::<crate::Crypto>(),
            ],
        })
    }
}

impl JsonSchema for Timestamp {
    fn schema_name() -> Cow<'static, str> {
        "Timestamp".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "format": "date-time",
            "description": "An RFC 3339 UTC time in whole seconds.",
            "examples": ["2026-01-15T09:30:00Z"],
        })
    }
}

string_format!(
    /// A webhook event id: `evt_` and 32 hex digits (also its `webhook-id` header).
    EventId,
    r"^evt_[0-9a-f]{32}$",
    36,
    "evt_7c1e0a9b8d2f4c3e5a6b7d8e9f0a1b2c"
);

string_format!(
    /// A dead letter's id: the id of the queue message that was dead-lettered.
    DeadLetterId,
    r"^[A-Za-z0-9_-]{1,128}$",
    128,
    "3f2a9c0d7b8e41f5a6c2d1e0b9a8f7c6"
);
