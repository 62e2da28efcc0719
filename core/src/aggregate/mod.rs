//! Many sources, one price: the live rates pipeline, pure.
//!
//! Per refresh and per pair: each source's quote becomes a mid price or a refusal
//! ([`check`]); the mids give a median, quotes too far from it are dropped and the median
//! is taken again, and only a quorum of sources may set a price ([`median`]); a thin
//! pair without a quorum may be derived from the coin's EUR or USD price and an FX
//! reference rate ([`fx`]); a new price too far from the last accepted one is held until
//! later refreshes confirm it ([`guard`]). The result is a [`RateBook`] that the worker
//! stores and publishes, with an operator's override on top ([`book`]).
//!
//! Defaults and the reasons for them: docs/rates.md.

pub mod book;
pub mod check;
pub mod fx;
pub mod guard;
pub mod median;
pub mod policy;

pub use book::{refresh, BookEntry, RateBook, RateOverride, RefreshInput, SourceFailure};
pub use check::{Refusal, SourceQuote};
pub use fx::FxReference;
pub use policy::AggregationPolicy;

/// Serde for decimals that may be negative or malformed on purpose (a source's
/// answer is reported as it came): a JSON string, never a JSON number.
pub mod signed_decimal {
    use std::str::FromStr;

    use rust_decimal::Decimal;
    use serde::{de, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(value)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
        let text = String::deserialize(deserializer)?;
        Decimal::from_str_exact(&text)
            .or_else(|_| Decimal::from_str(&text))
            .map_err(|_| de::Error::custom(format!("not a decimal string: {text:?}")))
    }
}

/// [`signed_decimal`] for an optional value (`null` when absent).
pub mod signed_decimal_opt {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(
        value: &Option<Decimal>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => serializer.collect_str(v),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Decimal>, D::Error> {
        #[derive(Deserialize)]
        struct Wrapped(#[serde(with = "super::signed_decimal")] Decimal);
        Ok(Option::<Wrapped>::deserialize(deserializer)?.map(|Wrapped(d)| d))
    }
}
