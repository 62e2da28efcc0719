//! CryptoExchange core: every business decision of the service, with no I/O.
//!
//! Module map:
//! - [`currency`]: the crypto and fiat currencies and networks, with their precision.
//! - [`address`]: address validation (one file per encoding family) and encoding.
//!   These two live in the crate `cryptoexchange-address` (core/address/), re-exported here.
//! - [`wallet`]: BIP-39 mnemonics, BIP-32 derivation, watch-only derivation from xpubs.
//! - [`money`]: exact amounts and the rounding rules.
//! - [`rates`]: rate tables and their staleness.
//! - [`aggregate`]: many sources' quotes into one price per pair (median, quorum, guards).
//! - [`quote`]: quotes with their fee breakdown.
//! - [`config`], [`limits`]: client configuration and limit checks.
//! - [`trade`]: what a quote or order asks to trade, checked against the configuration.
//! - [`order`]: the order model and its status state machine.
//! - [`placement`]: the decision on placing an order, from every fact read for it.
//! - [`sell`]: selling crypto for fiat: sell quotes, the sell state machine, the amount
//!   policy of deposits, the deposit watch decision and sell placement.
//! - [`time`]: UTC instants in whole seconds, RFC 3339 on the wire.
//! - [`error`]: what every error has: its code and facts as data, a message, a kind.
//! - [`outflow`]: the daily outflow cap of the hot wallet and the operator's decision on
//!   the payouts it holds.
//! - `payout` (feature `signing`): on-chain payouts from the hot wallet: coin selection,
//!   batching, PSBT signing, fee bumps.
//! - [`api`]: the JSON types of the HTTP API, shared by the worker and the npm package.
//! - `schema` (feature `schema`): JSON Schemas of the wire's string formats, for the
//!   generated OpenAPI document (core/openapi/); build and test time only.
//! - `wasm` (feature `wasm`): the JS bindings; they translate, never decide.
//!
//! The core takes time, randomness and stored state as arguments, so every rule
//! is testable natively without mocks.

pub mod aggregate;
pub mod api;
pub mod config;
pub mod error;
pub mod limits;
pub mod money;
pub mod order;
pub mod outflow;
#[cfg(feature = "signing")]
pub mod payout;
pub mod placement;
pub mod quote;
pub mod rates;
#[cfg(feature = "schema")]
pub mod schema;
pub mod sell;
pub mod time;
pub mod trade;
pub mod wallet;

#[cfg(feature = "wasm")]
mod wasm;

// Their own crate, built for speed while the rest is built for size (see the root Cargo.toml).
pub use cryptoexchange_address::{address, currency};

pub use address::{validate_address, AddressError, AddressKind, ValidAddress};
pub use currency::{Crypto, CurrencyError, Fiat, Network};
pub use quote::estimate;
