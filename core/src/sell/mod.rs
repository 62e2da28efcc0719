//! Selling crypto for fiat (the off-ramp), on the same core as buying.
//!
//! - [`pricing`]: sell quotes (mid minus spread, fees deducted from the payout).
//! - [`status`]: the sell order's statuses, exception and state machine.
//! - [`policy`]: the amount policy (tolerance, deadline, watch window, depths).
//! - [`watch`]: what the deposits seen mean for the order (one pure decision).
//! - [`placement`]: placing a sell order from every fact read for it.
//! - [`deposit`]: which derivation index its deposit address takes (gap-limit safe).
//! - [`lifecycle`]: every later change: deposits seen, payout and refund reports.
//!
//! Buys and sells are rows of the same orders table and count together against the
//! same limits, by the same guarded insert (docs/pricing.md, "Selling").

use std::fmt;

use serde::Serialize;

use crate::currency::Crypto;
use crate::error::{DomainError, ErrorKind};
use crate::limits::LimitError;
use crate::quote::QuoteError;

pub mod deposit;
pub mod lifecycle;
pub mod placement;
pub mod policy;
pub mod pricing;
pub mod status;
pub mod watch;

pub use policy::SellPolicy;
pub use pricing::{estimate_sell, price_sell, reprice_at_locked_rate};
pub use status::{SellException, SellStatus};

/// Why a sell quote, order or order change is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
#[non_exhaustive]
pub enum SellError {
    /// Deposits of this crypto are not watched (ETH today).
    SellNotSupported { crypto: Crypto },
    /// The refund address is not an address of the crypto on the order's network.
    InvalidRefundAddress {
        address: String,
        #[serde(rename = "reason_code", serialize_with = "address_error_code")]
        error: crate::address::AddressError,
    },
    /// The order is not in a status this request applies to.
    SellStatusConflict {
        status: status::SellStatus,
        expected: Vec<status::SellStatus>,
    },
    /// A reference, reason or txid missing, empty or too long.
    InvalidReport {
        field: &'static str,
        max_chars: usize,
    },
    /// The payout was already confirmed with another reference.
    PayoutReferenceMismatch { reference: String },
    /// An excess refund was reported for an order that has none to send back (no
    /// overpayment, or one below the refund floor, kept).
    NoExcessRefundDue {
        exception: Option<status::SellException>,
    },
    /// The excess refund was already reported with another transaction.
    ExcessRefundTxMismatch { tx_id: String },
    /// The xpub already has `gap_limit` unused addresses (allocated, never funded) and
    /// none is released: a wallet restored from it would stop looking before a new one.
    /// `next_release_at`: the earliest an address now held could be released.
    DepositAddressGapLimit {
        crypto: Crypto,
        gap_limit: u32,
        unused: u32,
        next_release_at: Option<crate::time::Timestamp>,
    },
    // The wrapped errors keep their own code and facts (serde wants these last).
    #[serde(untagged)]
    Quote(QuoteError),
    #[serde(untagged)]
    Limit(LimitError),
    #[serde(untagged)]
    Placement(crate::placement::PlacementError),
}

fn address_error_code<S: serde::Serializer>(
    error: &crate::address::AddressError,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(error.code())
}

impl DomainError for SellError {
    fn kind(&self) -> ErrorKind {
        match self {
            SellError::Quote(e) => e.kind(),
            SellError::Limit(e) => e.kind(),
            SellError::Placement(e) => e.kind(),
            SellError::SellStatusConflict { .. }
            | SellError::PayoutReferenceMismatch { .. }
            | SellError::DepositAddressGapLimit { .. }
            | SellError::NoExcessRefundDue { .. }
            | SellError::ExcessRefundTxMismatch { .. } => ErrorKind::Conflict,
            _ => ErrorKind::Invalid,
        }
    }
}

impl fmt::Display for SellError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SellError::SellNotSupported { crypto } => {
                write!(
                    f,
                    "selling {crypto} is not supported: its deposits are not watched"
                )
            }
            SellError::InvalidRefundAddress { address, error } => {
                write!(f, "invalid refund address {address:?}: {error}")
            }
            SellError::SellStatusConflict { status, expected } => {
                let names: Vec<&str> = expected.iter().map(|s| s.as_str()).collect();
                write!(
                    f,
                    "the sell order is {status}; this needs it {}",
                    names.join(" or ")
                )
            }
            SellError::InvalidReport { field, max_chars } => {
                write!(f, "{field} must be given, with 1 to {max_chars} characters")
            }
            SellError::PayoutReferenceMismatch { reference } => write!(
                f,
                "the payout was already confirmed with reference {reference:?}"
            ),
            SellError::NoExcessRefundDue { .. } => f.write_str(
                "the sell order has no excess to refund (not paid over, or an excess below the refund floor)",
            ),
            SellError::ExcessRefundTxMismatch { tx_id } => write!(
                f,
                "the excess refund was already reported with transaction {tx_id:?}"
            ),
            SellError::DepositAddressGapLimit {
                crypto,
                gap_limit,
                unused,
                next_release_at,
            } => {
                write!(
                    f,
                    "the {crypto} xpub has {unused} unused addresses, its gap limit of {gap_limit}; \
                     a new sell order's deposit address waits for an unpaid order's watch window to end"
                )?;
                match next_release_at {
                    Some(at) => write!(f, " (the next at {at})"),
                    None => Ok(()),
                }
            }
            SellError::Quote(e) => e.fmt(f),
            SellError::Limit(e) => e.fmt(f),
            SellError::Placement(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for SellError {}

impl From<QuoteError> for SellError {
    fn from(e: QuoteError) -> Self {
        SellError::Quote(e)
    }
}

impl From<LimitError> for SellError {
    fn from(e: LimitError) -> Self {
        SellError::Limit(e)
    }
}

impl From<crate::placement::PlacementError> for SellError {
    fn from(e: crate::placement::PlacementError) -> Self {
        SellError::Placement(e)
    }
}
