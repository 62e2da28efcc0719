//! What can go wrong while planning, signing or bumping a payout.

use serde::Serialize;

use crate::{Crypto, Network};

/// A payout error; the variant is the stable code, its fields the facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
#[non_exhaustive]
pub enum PayoutError {
    /// We do not pay out in this currency on this network.
    UnsupportedChain { currency: Crypto, network: Network },
    /// The spendable coins (confirmed, or our own change) are worth less than needed.
    InsufficientFunds { needed: u64, available: u64 },
    /// Enough funds, but not within the cap on inputs per transaction.
    InputCapReached { max_inputs: usize },
    /// The amount is below the destination's dust threshold: nodes would not relay it.
    AmountBelowDust { amount: u64, dust: u64 },
    /// The destination is not an output script we can pay.
    UnusableDestination { reason: &'static str },
    /// The hot wallet secret is not a usable BIP-84 account private key.
    InvalidHotWallet { reason: &'static str },
    /// A coin's script is not the one our key derives for its path.
    KeyMismatch { input: usize },
    /// A fee bump needs a change output to take the fee from.
    NoChangeToBump,
    /// The change output cannot pay the bumped fee.
    BumpExceedsChange { needed: u64, available: u64 },
    /// The new fee rate does not raise the fee.
    BumpNotHigher { old_fee: u64, new_fee: u64 },
    /// An amount or count does not fit the transaction format.
    Overflow,
}

impl std::fmt::Display for PayoutError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PayoutError::UnsupportedChain { currency, network } => {
                write!(
                    f,
                    "no on-chain payouts for {currency} on {}",
                    network.as_str()
                )
            }
            PayoutError::InsufficientFunds { needed, available } => write!(
                f,
                "hot wallet has {available} spendable base units, {needed} needed"
            ),
            PayoutError::InputCapReached { max_inputs } => {
                write!(f, "the payout needs more than {max_inputs} inputs")
            }
            PayoutError::AmountBelowDust { amount, dust } => {
                write!(f, "amount {amount} is below the dust threshold {dust}")
            }
            PayoutError::UnusableDestination { reason } => {
                write!(f, "destination cannot be paid: {reason}")
            }
            PayoutError::InvalidHotWallet { reason } => write!(f, "invalid hot wallet: {reason}"),
            PayoutError::KeyMismatch { input } => {
                write!(f, "input {input} is not ours at its derivation path")
            }
            PayoutError::NoChangeToBump => f.write_str("the transaction has no change output"),
            PayoutError::BumpExceedsChange { needed, available } => write!(
                f,
                "fee bump needs {needed} base units, the change has {available}"
            ),
            PayoutError::BumpNotHigher { old_fee, new_fee } => {
                write!(f, "new fee {new_fee} does not exceed the old fee {old_fee}")
            }
            PayoutError::Overflow => f.write_str("amount out of range"),
        }
    }
}

impl std::error::Error for PayoutError {}

impl PayoutError {
    /// The stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            PayoutError::UnsupportedChain { .. } => "unsupported_chain",
            PayoutError::InsufficientFunds { .. } => "insufficient_funds",
            PayoutError::InputCapReached { .. } => "input_cap_reached",
            PayoutError::AmountBelowDust { .. } => "amount_below_dust",
            PayoutError::UnusableDestination { .. } => "unusable_destination",
            PayoutError::InvalidHotWallet { .. } => "invalid_hot_wallet",
            PayoutError::KeyMismatch { .. } => "key_mismatch",
            PayoutError::NoChangeToBump => "no_change_to_bump",
            PayoutError::BumpExceedsChange { .. } => "bump_exceeds_change",
            PayoutError::BumpNotHigher { .. } => "bump_not_higher",
            PayoutError::Overflow => "overflow",
        }
    }
}
