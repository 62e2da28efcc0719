//! On-chain payouts from the operator's hot wallet (BTC, LTC): plan, sign, bump.
//! Pure: the caller brings the wallet's coins, the payouts, a fee rate and a seed, and
//! gets back a signed transaction to broadcast. Behind the `signing` feature, which only
//! the worker enables (the npm package carries no signing code).
//!
//! - [`chain`]: per-chain parameters (dust and relay fee rates, coin type).
//! - [`fee`]: fee rates in sat/kvB, parsed from decimal sat/vB.
//! - [`tx`]: transactions, their serialization, txid, weight and BIP-143 sighash.
//! - [`select`]: coin selection (branch-and-bound, single random draw, waste metric).
//! - [`plan`]: batching payouts oldest first into one unsigned transaction.
//! - [`psbt`]: the BIP-174 PSBT the signer fills in.
//! - [`sign`]: the BIP-84 hot wallet (account xprv) and P2WPKH signing.
//! - [`bump`]: BIP-125 fee bumps paid from change only.
//! - [`esplora`]: the fee rate to pay from `/fee-estimates`; what a broadcast answer means.
//!
//! Every hot wallet coin is P2WPKH (BIP-84); payouts go to any standard output.

pub mod bump;
pub mod chain;
mod error;
pub mod esplora;
pub mod fee;
pub mod plan;
pub mod psbt;
pub mod select;
pub mod sign;
pub mod tx;

pub use bump::bump_fee;
pub use chain::ChainParams;
pub use error::PayoutError;
pub use fee::FeeRate;
pub use plan::{plan_batch, BatchPlan, BatchRequest, Payout, PlannedTx, Skipped};
pub use select::{Coin, KeyPath};
pub use sign::{HotWallet, SignedTx};
pub use tx::{OutPoint, Transaction, TxIn, TxOut, Txid};
