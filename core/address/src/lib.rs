//! Currencies and address validation of CryptoExchange API.
//!
//! Published as part of `cryptoexchange-core`, which re-exports [`currency`] and
//! [`address`] unchanged; use it through the core. It is a crate of its own only so
//! that the release profile can build this hot path for speed and the rest for size.
//!
//! - [`currency`]: the crypto and fiat currencies and networks, with their precision.
//! - [`address`]: address validation (one file per encoding family) and encoding.

pub mod address;
pub mod currency;

pub use address::{validate_address, AddressError, AddressKind, ValidAddress};
pub use currency::{Crypto, CurrencyError, Fiat, Network};

/// Base58Check of any payload, for the core's extended keys; not part of the public API.
#[doc(hidden)]
pub mod base58check {
    pub use crate::address::base58::{decode_check as decode, encode_check as encode};
}
