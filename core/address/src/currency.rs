//! The currencies and networks the service knows, with their precision.
//!
//! Tickers are the wire form (`"BTC"`, `"EUR"`); networks are lower case.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A crypto currency a customer can buy.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Crypto {
    #[serde(rename = "BTC")]
    Btc,
    #[serde(rename = "LTC")]
    Ltc,
    #[serde(rename = "DOGE")]
    Doge,
    #[serde(rename = "BCH")]
    Bch,
    #[serde(rename = "ETH")]
    Eth,
}

impl Crypto {
    pub const ALL: [Crypto; 5] = [
        Crypto::Btc,
        Crypto::Ltc,
        Crypto::Doge,
        Crypto::Bch,
        Crypto::Eth,
    ];

    pub fn ticker(self) -> &'static str {
        match self {
            Crypto::Btc => "BTC",
            Crypto::Ltc => "LTC",
            Crypto::Doge => "DOGE",
            Crypto::Bch => "BCH",
            Crypto::Eth => "ETH",
        }
    }

    /// Decimal places of the smallest on-chain unit (satoshi, litoshi, wei...).
    pub fn decimals(self) -> u32 {
        match self {
            Crypto::Eth => 18,
            _ => 8,
        }
    }
}

impl fmt::Display for Crypto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.ticker())
    }
}

impl FromStr for Crypto {
    type Err = CurrencyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Crypto::ALL
            .into_iter()
            .find(|c| c.ticker() == s)
            .ok_or_else(|| CurrencyError::UnknownCrypto {
                currency: s.to_owned(),
            })
    }
}

/// A fiat currency a customer pays with.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Fiat {
    #[serde(rename = "EUR")]
    Eur,
    #[serde(rename = "USD")]
    Usd,
    #[serde(rename = "GBP")]
    Gbp,
    #[serde(rename = "CHF")]
    Chf,
    #[serde(rename = "JPY")]
    Jpy,
}

impl Fiat {
    pub const ALL: [Fiat; 5] = [Fiat::Eur, Fiat::Usd, Fiat::Gbp, Fiat::Chf, Fiat::Jpy];

    pub fn ticker(self) -> &'static str {
        match self {
            Fiat::Eur => "EUR",
            Fiat::Usd => "USD",
            Fiat::Gbp => "GBP",
            Fiat::Chf => "CHF",
            Fiat::Jpy => "JPY",
        }
    }

    /// Decimal places of the minor unit (ISO 4217 exponent).
    pub fn minor_units(self) -> u32 {
        match self {
            Fiat::Jpy => 0,
            _ => 2,
        }
    }
}

impl fmt::Display for Fiat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.ticker())
    }
}

impl FromStr for Fiat {
    type Err = CurrencyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Fiat::ALL
            .into_iter()
            .find(|c| c.ticker() == s)
            .ok_or_else(|| CurrencyError::UnknownFiat {
                currency: s.to_owned(),
            })
    }
}

/// Which chain of a currency: the real one or a test chain.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Network {
    Mainnet,
    Testnet,
    Signet,
    Regtest,
}

impl Network {
    pub const ALL: [Network; 4] = [
        Network::Mainnet,
        Network::Testnet,
        Network::Signet,
        Network::Regtest,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Network::Mainnet => "mainnet",
            Network::Testnet => "testnet",
            Network::Signet => "signet",
            Network::Regtest => "regtest",
        }
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Network {
    type Err = CurrencyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Network::ALL
            .into_iter()
            .find(|n| n.as_str() == s)
            .ok_or_else(|| CurrencyError::UnknownNetwork {
                network: s.to_owned(),
            })
    }
}

/// A currency or network name that is not one of ours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
#[non_exhaustive]
pub enum CurrencyError {
    #[serde(rename = "unknown_currency")]
    UnknownCrypto {
        currency: String,
    },
    #[serde(rename = "unknown_fiat_currency")]
    UnknownFiat {
        currency: String,
    },
    UnknownNetwork {
        network: String,
    },
}

impl fmt::Display for CurrencyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CurrencyError::UnknownCrypto { currency: s } => {
                write!(
                    f,
                    "unknown crypto currency {s:?} (expected one of BTC, LTC, DOGE, BCH, ETH)"
                )
            }
            CurrencyError::UnknownFiat { currency: s } => {
                write!(
                    f,
                    "unknown fiat currency {s:?} (expected one of EUR, USD, GBP, CHF, JPY)"
                )
            }
            CurrencyError::UnknownNetwork { network: s } => {
                write!(
                    f,
                    "unknown network {s:?} (expected mainnet, testnet, signet or regtest)"
                )
            }
        }
    }
}

impl std::error::Error for CurrencyError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tickers_round_trip_through_from_str() {
        for c in Crypto::ALL {
            assert_eq!(c.ticker().parse::<Crypto>().unwrap(), c);
        }
        for f in Fiat::ALL {
            assert_eq!(f.ticker().parse::<Fiat>().unwrap(), f);
        }
        for n in Network::ALL {
            assert_eq!(n.as_str().parse::<Network>().unwrap(), n);
        }
    }

    #[test]
    fn lower_case_ticker_is_unknown() {
        assert_eq!(
            "btc".parse::<Crypto>(),
            Err(CurrencyError::UnknownCrypto {
                currency: "btc".into()
            })
        );
    }

    #[test]
    fn serde_uses_tickers_and_snake_case_networks() {
        assert_eq!(serde_json::to_string(&Crypto::Doge).unwrap(), "\"DOGE\"");
        assert_eq!(
            serde_json::to_string(&Network::Signet).unwrap(),
            "\"signet\""
        );
        assert_eq!(serde_json::from_str::<Fiat>("\"JPY\"").unwrap(), Fiat::Jpy);
    }
}
