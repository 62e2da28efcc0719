//! What a quote or an order asks to trade — a crypto on a network, a fiat, and an amount
//! in one of the two — checked against the client's configuration. Quotes and orders
//! share these rules, so they share this check and its error.

use std::fmt;

use serde::Serialize;

use crate::config::ClientConfig;
use crate::currency::{Crypto, Fiat, Network};
use crate::money::{parse_positive_amount, AmountError};

/// Which side of the trade the customer fixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderAmount {
    /// "I spend this much fiat".
    Fiat(rust_decimal::Decimal),
    /// "I want to receive this much crypto".
    Crypto(rust_decimal::Decimal),
}

/// A trade whose currencies, network and amount the client allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trade {
    pub crypto: Crypto,
    pub network: Network,
    pub fiat: Fiat,
    pub amount: OrderAmount,
}

/// Why the requested trade is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
#[non_exhaustive]
pub enum TradeError {
    UnknownCurrency {
        currency: String,
    },
    UnknownNetwork {
        network: String,
    },
    /// `amount_currency` is neither the trade's crypto nor its fiat.
    AmountCurrencyMismatch {
        amount_currency: String,
    },
    CurrencyNotEnabled {
        currency: String,
    },
    NetworkNotEnabled {
        crypto: Crypto,
        network: Network,
    },
    #[serde(untagged)]
    Amount(AmountError),
}

/// The request fields of a trade, as they arrive on the wire.
pub struct TradeRequest<'a> {
    pub crypto: &'a str,
    pub network: &'a str,
    pub fiat: &'a str,
    pub amount: &'a str,
    pub amount_currency: &'a str,
}

/// Parses the currencies, network and amount, and checks the client enabled them.
pub fn check_trade(request: &TradeRequest<'_>, config: &ClientConfig) -> Result<Trade, TradeError> {
    let crypto: Crypto = request
        .crypto
        .parse()
        .map_err(|_| TradeError::UnknownCurrency {
            currency: request.crypto.to_owned(),
        })?;
    let fiat: Fiat = request
        .fiat
        .parse()
        .map_err(|_| TradeError::UnknownCurrency {
            currency: request.fiat.to_owned(),
        })?;
    let network: Network = request
        .network
        .parse()
        .map_err(|_| TradeError::UnknownNetwork {
            network: request.network.to_owned(),
        })?;
    let settings =
        config
            .crypto_settings(crypto)
            .ok_or_else(|| TradeError::CurrencyNotEnabled {
                currency: crypto.ticker().to_owned(),
            })?;
    if config.fiat_settings(fiat).is_none() {
        return Err(TradeError::CurrencyNotEnabled {
            currency: fiat.ticker().to_owned(),
        });
    }
    if !settings.networks.contains(&network) {
        return Err(TradeError::NetworkNotEnabled { crypto, network });
    }
    let amount = if request.amount_currency == crypto.ticker() {
        OrderAmount::Crypto(parse_positive_amount(request.amount, crypto.decimals())?)
    } else if request.amount_currency == fiat.ticker() {
        OrderAmount::Fiat(parse_positive_amount(request.amount, fiat.minor_units())?)
    } else {
        return Err(TradeError::AmountCurrencyMismatch {
            amount_currency: request.amount_currency.to_owned(),
        });
    };
    Ok(Trade {
        crypto,
        network,
        fiat,
        amount,
    })
}

crate::error::always!(Invalid: TradeError);

impl fmt::Display for TradeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TradeError::UnknownCurrency { currency } => write!(f, "unknown currency {currency:?}"),
            TradeError::UnknownNetwork { network } => write!(f, "unknown network {network:?}"),
            TradeError::AmountCurrencyMismatch { amount_currency } => write!(
                f,
                "amount_currency {amount_currency:?} must be the crypto or the fiat currency traded"
            ),
            TradeError::CurrencyNotEnabled { currency } => {
                write!(f, "currency {currency} is not enabled for this client")
            }
            TradeError::NetworkNotEnabled { crypto, network } => {
                write!(f, "network {network} is not enabled for {crypto}")
            }
            TradeError::Amount(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for TradeError {}

impl From<AmountError> for TradeError {
    fn from(e: AmountError) -> Self {
        TradeError::Amount(e)
    }
}
