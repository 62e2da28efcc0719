//! Why a mnemonic, extended key or derivation request was refused.

use std::fmt;

use serde::Serialize;

use super::Scheme;
use crate::{Crypto, Network};

/// A wallet operation refused, with the facts a caller needs to explain it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
#[non_exhaustive]
pub enum WalletError {
    /// Entropy must be 16, 20, 24, 28 or 32 bytes (12 to 24 words).
    BadEntropyLength { found: usize },
    /// A mnemonic must have 12, 15, 18, 21 or 24 words.
    InvalidMnemonicWordCount { found: usize },
    /// A word (0-based `index`) is not in the BIP-39 English list.
    InvalidMnemonicWord { index: usize, word: String },
    /// All words exist but the BIP-39 checksum does not match: a word is wrong or misplaced.
    InvalidMnemonicChecksum,
    /// Not a readable extended public key (base58check, 78 bytes, valid point).
    InvalidXpub { reason: &'static str },
    /// The extended key's version (xpub/ypub/zpub/tpub/upub/vpub) contradicts scheme or network.
    XpubVersionMismatch {
        expected: &'static str,
        found: &'static str,
    },
    /// Addresses are derived from an account-level key (depth 3).
    XpubNotAccountLevel { depth: u8 },
    /// The scheme does not exist for this currency (e.g. bip84 for DOGE).
    UnsupportedScheme { currency: Crypto, scheme: Scheme },
    /// The currency has no such network here (e.g. LTC on signet).
    UnsupportedCurrencyNetwork { currency: Crypto, network: Network },
    /// An index or account at or above 2^31 (hardened range) where a normal one is needed.
    HardenedIndex { index: u64 },
    /// The change level is 0 (receive) or 1 (change).
    InvalidChange { found: u32 },
    /// Between 1 and [`MAX_COUNT`](super::MAX_COUNT) addresses per request.
    CountOutOfRange { found: u32, max: u32 },
    /// Key derivation failed (probability about 2^-127 per step; reported, never panicked).
    #[serde(rename = "derivation_failed")]
    Derivation,
}

crate::error::always!(Invalid: WalletError);

impl fmt::Display for WalletError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WalletError::BadEntropyLength { found } => {
                write!(f, "entropy of {found} bytes, expected 16, 20, 24, 28 or 32")
            }
            WalletError::InvalidMnemonicWordCount { found } => write!(
                f,
                "mnemonic has {found} words, expected 12, 15, 18, 21 or 24"
            ),
            WalletError::InvalidMnemonicWord { index, word } => write!(
                f,
                "mnemonic word {} ({word:?}) is not in the BIP-39 English list",
                index + 1
            ),
            WalletError::InvalidMnemonicChecksum => {
                f.write_str("mnemonic checksum mismatch (a word is wrong or out of order)")
            }
            WalletError::InvalidXpub { reason } => {
                write!(f, "invalid extended public key: {reason}")
            }
            WalletError::XpubVersionMismatch { expected, found } => {
                write!(f, "extended key is a {found}, expected a {expected}")
            }
            WalletError::XpubNotAccountLevel { depth } => write!(
                f,
                "extended key has depth {depth}, expected an account-level key (depth 3)"
            ),
            WalletError::UnsupportedScheme { currency, scheme } => {
                write!(
                    f,
                    "scheme {} is not supported for {currency}",
                    scheme.as_str()
                )
            }
            WalletError::UnsupportedCurrencyNetwork { currency, network } => {
                write!(f, "currency {currency} is not supported on {network}")
            }
            WalletError::HardenedIndex { index } => {
                write!(f, "index {index} is in the hardened range (at least 2^31)")
            }
            WalletError::InvalidChange { found } => {
                write!(f, "change must be 0 (receive) or 1 (change), found {found}")
            }
            WalletError::CountOutOfRange { found, max } => {
                write!(f, "count {found} out of range 1..={max}")
            }
            WalletError::Derivation => f.write_str("key derivation failed"),
        }
    }
}

impl std::error::Error for WalletError {}
