//! Why an address was refused, with the facts a caller needs to explain it.

use std::fmt;

use serde::Serialize;

use crate::{Crypto, Network};

/// The two checksum constants of bech32 strings (BIP-173 and BIP-350).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Bech32Variant {
    Bech32,
    Bech32m,
}

impl Bech32Variant {
    pub fn as_str(self) -> &'static str {
        match self {
            Bech32Variant::Bech32 => "bech32",
            Bech32Variant::Bech32m => "bech32m",
        }
    }
}

/// An address refused by [`validate_address`](super::validate_address).
///
/// Lengths in [`AddressError::BadLength`] count decoded bytes: for base58 the
/// whole payload (version, hash and checksum: 25), for cashaddr the version
/// byte and hash; for Ethereum they count hex digits after `0x`. Lengths in
/// `TooLong`/`TooShort` and positions in `BadCharacter` count characters of
/// the input after surrounding whitespace is trimmed.
///
/// Serialized as its `code` (the variant) and its facts (the fields); the message
/// is `Display`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
#[non_exhaustive]
pub enum AddressError {
    /// Nothing (or only whitespace) was given.
    Empty,
    /// Longer than any address of the family.
    TooLong { max: usize, found: usize },
    /// Shorter than the smallest address of the family.
    TooShort { min: usize, found: usize },
    /// A character outside the family's alphabet; `position` counts characters from 0.
    BadCharacter { position: usize, character: char },
    /// The checksum does not match: usually a typo.
    BadChecksum,
    /// A valid address of the currency, but for another network.
    WrongNetwork { expected: Network, found: Network },
    /// A valid address of another currency.
    WrongCurrency { expected: Crypto, found: Crypto },
    /// The prefix (version byte, human-readable part, cashaddr prefix) is not one we know.
    UnknownPrefix,
    /// The decoded payload has the wrong size.
    BadLength { expected: usize, found: usize },
    /// Upper and lower case mixed where the encoding forbids it.
    MixedCase,
    /// A segwit address whose checksum constant does not match its witness version (BIP-350).
    WrongBech32Variant {
        witness_version: u8,
        expected: Bech32Variant,
        found: Bech32Variant,
    },
    /// A witness version above 16, or none at all.
    BadWitnessVersion { version: Option<u8> },
    /// A witness program outside 2..=40 bytes, or a v0 program that is not 20 or 32 bytes.
    BadWitnessProgramLength { witness_version: u8, length: usize },
    /// Non-zero or over-long padding in the 5-bit to 8-bit conversion.
    BadPadding,
    /// The currency has no such network here (e.g. ETH on signet).
    UnsupportedCurrencyNetwork { currency: Crypto, network: Network },
}

impl AddressError {
    /// The `code` of the serialized form as a constant, for the hot path of bulk
    /// validation (a test checks both agree for every variant).
    pub fn code(&self) -> &'static str {
        match self {
            AddressError::Empty => "empty",
            AddressError::TooLong { .. } => "too_long",
            AddressError::TooShort { .. } => "too_short",
            AddressError::BadCharacter { .. } => "bad_character",
            AddressError::BadChecksum => "bad_checksum",
            AddressError::WrongNetwork { .. } => "wrong_network",
            AddressError::WrongCurrency { .. } => "wrong_currency",
            AddressError::UnknownPrefix => "unknown_prefix",
            AddressError::BadLength { .. } => "bad_length",
            AddressError::MixedCase => "mixed_case",
            AddressError::WrongBech32Variant { .. } => "wrong_bech32_variant",
            AddressError::BadWitnessVersion { .. } => "bad_witness_version",
            AddressError::BadWitnessProgramLength { .. } => "bad_witness_program_length",
            AddressError::BadPadding => "bad_padding",
            AddressError::UnsupportedCurrencyNetwork { .. } => "unsupported_currency_network",
        }
    }
}

impl fmt::Display for AddressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AddressError::Empty => f.write_str("address is empty"),
            AddressError::TooLong { max, found } => {
                write!(
                    f,
                    "address too long: {found} characters, at most {max} expected"
                )
            }
            AddressError::TooShort { min, found } => {
                write!(
                    f,
                    "address too short: {found} characters, at least {min} expected"
                )
            }
            AddressError::BadCharacter {
                position,
                character,
            } => {
                write!(f, "invalid character {character:?} at position {position}")
            }
            AddressError::BadChecksum => f.write_str("checksum mismatch (is there a typo?)"),
            AddressError::WrongNetwork { expected, found } => {
                write!(f, "address is for {found}, expected {expected}")
            }
            AddressError::WrongCurrency { expected, found } => {
                write!(f, "address is a {found} address, expected {expected}")
            }
            AddressError::UnknownPrefix => f.write_str("unknown address prefix"),
            AddressError::BadLength { expected, found } => {
                write!(f, "payload length {found}, expected {expected}")
            }
            AddressError::MixedCase => f.write_str("address mixes upper and lower case"),
            AddressError::WrongBech32Variant {
                witness_version,
                expected,
                found,
            } => write!(
                f,
                "witness version {witness_version} needs a {} checksum, found {}",
                expected.as_str(),
                found.as_str()
            ),
            AddressError::BadWitnessVersion { version: Some(v) } => {
                write!(f, "witness version {v} is above 16")
            }
            AddressError::BadWitnessVersion { version: None } => {
                f.write_str("witness version missing (empty data part)")
            }
            AddressError::BadWitnessProgramLength {
                witness_version,
                length,
            } => write!(
                f,
                "witness program of {length} bytes is invalid for witness version {witness_version}"
            ),
            AddressError::BadPadding => f.write_str("invalid padding in the data part"),
            AddressError::UnsupportedCurrencyNetwork { currency, network } => {
                write!(f, "currency {currency} is not supported on {network}")
            }
        }
    }
}

impl std::error::Error for AddressError {}
