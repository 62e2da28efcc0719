//! Client configuration, set by an administrator at onboarding, and its
//! validation.
//!
//! The struct is also the wire type of `GET /v1/config` and of the `config`
//! in `POST /v1/admin/clients`. Limits are per fiat currency (the `fiat` map):
//! each fiat has its own order minimum/maximum, daily and monthly limit and
//! fixed service fee, so no conversion between fiats is ever needed.

use std::collections::BTreeMap;
use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::currency::{Crypto, Fiat, Network};
use crate::money::{at_precision, decimal_string, MAX_INTEGER_DIGITS};

/// Highest service fee or spread percent an administrator may set.
pub const MAX_PERCENT: u32 = 50;
/// Percents have at most this many decimals (0.0001 %).
pub const PERCENT_DECIMALS: u32 = 4;
pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_QUOTE_VALIDITY_SECONDS: u32 = 3600;
pub const MAX_RATE_AGE_SECONDS: u32 = 86_400;

/// Everything that makes one client's service different from another's.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::DisplayName"))]
    pub name: String,
    /// Enabled fiat currencies and their order sizes, limits and fixed fee.
    pub fiat: BTreeMap<Fiat, FiatSettings>,
    /// Enabled crypto currencies, their networks and network fee.
    pub crypto: BTreeMap<Crypto, CryptoSettings>,
    /// Percent of the crypto's cost at the effective price ("1.5" = 1.5 %).
    #[serde(with = "decimal_string")]
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::DecimalString"))]
    pub service_fee_percent: Decimal,
    /// Percent added to the mid price to get the effective price.
    #[serde(with = "decimal_string")]
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::DecimalString"))]
    pub spread_percent: Decimal,
    #[serde(deserialize_with = "whole_seconds")]
    pub quote_validity_seconds: u32,
    /// A rate observed longer ago than this cannot be quoted.
    #[serde(deserialize_with = "whole_seconds")]
    pub max_rate_age_seconds: u32,
    #[serde(default)]
    pub webhook_url: Option<String>,
    /// Watch-only keys receiving customer payments, per crypto.
    #[serde(default)]
    pub xpubs: BTreeMap<Crypto, XpubSettings>,
}

/// A count of seconds as JSON writes whole numbers: `60`, and also `60.0`, which JSON (and
/// JSON Schema's `integer`) holds to be the same number. Never money.
pub(crate) fn whole_seconds<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<u32, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Whole {
        Int(u32),
        Float(f64),
    }
    match Whole::deserialize(deserializer)? {
        Whole::Int(n) => Ok(n),
        Whole::Float(f) if f.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&f) => {
            Ok(f as u32)
        }
        Whole::Float(f) => Err(serde::de::Error::custom(format!(
            "{f} is not a whole number of seconds from 0 to {}",
            u32::MAX
        ))),
    }
}

/// Per fiat currency: all amounts in that currency, at its minor unit.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FiatSettings {
    /// Smallest order, measured on what the customer pays (`fiat_amount`).
    #[serde(with = "decimal_string")]
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::DecimalString"))]
    pub min_order: Decimal,
    /// Largest order, measured on what the customer pays.
    #[serde(with = "decimal_string")]
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::DecimalString"))]
    pub max_order: Decimal,
    /// Per customer, per UTC calendar day.
    #[serde(with = "decimal_string")]
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::DecimalString"))]
    pub daily_limit: Decimal,
    /// Per customer, per UTC calendar month.
    #[serde(with = "decimal_string")]
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::DecimalString"))]
    pub monthly_limit: Decimal,
    /// Added to every order's service fee.
    #[serde(with = "decimal_string")]
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::DecimalString"))]
    pub service_fee_fixed: Decimal,
}

#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CryptoSettings {
    pub networks: Vec<Network>,
    /// Paid on-chain per order, in the crypto, at its precision.
    #[serde(with = "decimal_string")]
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::DecimalString"))]
    pub network_fee: Decimal,
}

#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct XpubSettings {
    pub xpub: String,
    pub scheme: crate::wallet::Scheme,
    pub network: Network,
}

/// A configuration an administrator may not set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ConfigError {
    InvalidName {
        max_chars: usize,
    },
    NoFiatEnabled,
    NoCryptoEnabled,
    PercentOutOfRange {
        field: String,
        #[serde(with = "decimal_string")]
        value: Decimal,
        max: u32,
    },
    TooManyDecimals {
        field: String,
        #[serde(with = "decimal_string")]
        value: Decimal,
        max_decimals: u32,
    },
    AmountTooLarge {
        field: String,
        #[serde(with = "decimal_string")]
        value: Decimal,
    },
    #[serde(rename = "amount_not_positive")]
    NotPositive {
        field: String,
        #[serde(with = "decimal_string")]
        value: Decimal,
    },
    MinAboveMax {
        currency: Fiat,
        #[serde(with = "decimal_string")]
        min: Decimal,
        #[serde(with = "decimal_string")]
        max: Decimal,
    },
    /// max_order <= daily_limit <= monthly_limit must hold.
    LimitsInconsistent {
        currency: Fiat,
        #[serde(with = "decimal_string")]
        max_order: Decimal,
        #[serde(with = "decimal_string")]
        daily_limit: Decimal,
        #[serde(with = "decimal_string")]
        monthly_limit: Decimal,
    },
    NoNetworks {
        #[serde(rename = "currency")]
        crypto: Crypto,
    },
    SecondsOutOfRange {
        field: String,
        value: u32,
        min: u32,
        max: u32,
    },
    InvalidWebhookUrl {
        url: String,
    },
    XpubForDisabledCrypto {
        #[serde(rename = "currency")]
        crypto: Crypto,
    },
    EmptyXpub {
        #[serde(rename = "currency")]
        crypto: Crypto,
    },
    XpubNetworkNotEnabled {
        #[serde(rename = "currency")]
        crypto: Crypto,
        network: Network,
    },
}

crate::error::always!(Invalid: ConfigError);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::InvalidName { max_chars } => {
                write!(f, "name must have 1 to {max_chars} characters")
            }
            ConfigError::NoFiatEnabled => f.write_str("at least one fiat currency must be enabled"),
            ConfigError::NoCryptoEnabled => {
                f.write_str("at least one crypto currency must be enabled")
            }
            ConfigError::PercentOutOfRange { field, value, max } => {
                write!(f, "{field} is {value}, must be between 0 and {max}")
            }
            ConfigError::TooManyDecimals { field, value, max_decimals } => {
                write!(f, "{field} is {value}, has more than {max_decimals} decimal places")
            }
            ConfigError::AmountTooLarge { field, value } => write!(
                f,
                "{field} is {value}, must have at most {MAX_INTEGER_DIGITS} digits before the decimal point"
            ),
            ConfigError::NotPositive { field, value } => {
                write!(f, "{field} is {value}, must be greater than zero")
            }
            ConfigError::MinAboveMax { currency, min, max } => {
                write!(f, "{currency} min_order {min} is above max_order {max}")
            }
            ConfigError::LimitsInconsistent { currency, max_order, daily_limit, monthly_limit } => write!(
                f,
                "{currency} limits must satisfy max_order ({max_order}) <= daily_limit ({daily_limit}) <= monthly_limit ({monthly_limit})"
            ),
            ConfigError::NoNetworks { crypto } => write!(f, "{crypto} has no network enabled"),
            ConfigError::SecondsOutOfRange { field, value, min, max } => {
                write!(f, "{field} is {value}, must be between {min} and {max}")
            }
            ConfigError::InvalidWebhookUrl { url } => write!(
                f,
                "webhook url {url:?} must start with https:// (or http://localhost, http://127.0.0.1)"
            ),
            ConfigError::XpubForDisabledCrypto { crypto } => {
                write!(f, "xpub given for {crypto}, which is not enabled")
            }
            ConfigError::EmptyXpub { crypto } => write!(f, "xpub for {crypto} is empty"),
            ConfigError::XpubNetworkNotEnabled { crypto, network } => {
                write!(f, "xpub for {crypto} is on {network}, which is not enabled for {crypto}")
            }
        }
    }
}

impl std::error::Error for ConfigError {}

impl ClientConfig {
    /// Checks every rule and returns the config with each amount rescaled to
    /// its currency's precision, ready to store and serve.
    pub fn validate(mut self) -> Result<ClientConfig, ConfigError> {
        // The limit counts what was sent (as the OpenAPI maxLength does), blanks included.
        if self.name.trim().is_empty() || self.name.chars().count() > MAX_NAME_CHARS {
            return Err(ConfigError::InvalidName {
                max_chars: MAX_NAME_CHARS,
            });
        }
        if self.fiat.is_empty() {
            return Err(ConfigError::NoFiatEnabled);
        }
        if self.crypto.is_empty() {
            return Err(ConfigError::NoCryptoEnabled);
        }
        check_percent("service_fee_percent", self.service_fee_percent)?;
        check_percent("spread_percent", self.spread_percent)?;
        check_seconds(
            "quote_validity_seconds",
            self.quote_validity_seconds,
            MAX_QUOTE_VALIDITY_SECONDS,
        )?;
        check_seconds(
            "max_rate_age_seconds",
            self.max_rate_age_seconds,
            MAX_RATE_AGE_SECONDS,
        )?;
        for (fiat, settings) in self.fiat.iter_mut() {
            settings.validate(*fiat)?;
        }
        for (crypto, settings) in self.crypto.iter_mut() {
            if settings.networks.is_empty() {
                return Err(ConfigError::NoNetworks { crypto: *crypto });
            }
            settings.networks.sort();
            settings.networks.dedup();
            let field = format!("crypto.{crypto}.network_fee");
            settings.network_fee =
                amount_at(&field, settings.network_fee, crypto.decimals(), false)?;
        }
        if let Some(url) = &self.webhook_url {
            if !is_acceptable_webhook(url) {
                return Err(ConfigError::InvalidWebhookUrl { url: url.clone() });
            }
        }
        for (crypto, xpub) in &self.xpubs {
            let Some(settings) = self.crypto.get(crypto) else {
                return Err(ConfigError::XpubForDisabledCrypto { crypto: *crypto });
            };
            if xpub.xpub.trim().is_empty() {
                return Err(ConfigError::EmptyXpub { crypto: *crypto });
            }
            if !settings.networks.contains(&xpub.network) {
                return Err(ConfigError::XpubNetworkNotEnabled {
                    crypto: *crypto,
                    network: xpub.network,
                });
            }
        }
        Ok(self)
    }

    /// The settings of an enabled fiat currency.
    pub fn fiat_settings(&self, fiat: Fiat) -> Option<&FiatSettings> {
        self.fiat.get(&fiat)
    }

    /// The settings of an enabled crypto currency.
    pub fn crypto_settings(&self, crypto: Crypto) -> Option<&CryptoSettings> {
        self.crypto.get(&crypto)
    }
}

impl FiatSettings {
    fn validate(&mut self, fiat: Fiat) -> Result<(), ConfigError> {
        let places = fiat.minor_units();
        let field = |name: &str| format!("fiat.{fiat}.{name}");
        self.min_order = amount_at(&field("min_order"), self.min_order, places, true)?;
        self.max_order = amount_at(&field("max_order"), self.max_order, places, true)?;
        self.daily_limit = amount_at(&field("daily_limit"), self.daily_limit, places, true)?;
        self.monthly_limit = amount_at(&field("monthly_limit"), self.monthly_limit, places, true)?;
        self.service_fee_fixed = amount_at(
            &field("service_fee_fixed"),
            self.service_fee_fixed,
            places,
            false,
        )?;
        if self.min_order > self.max_order {
            return Err(ConfigError::MinAboveMax {
                currency: fiat,
                min: self.min_order,
                max: self.max_order,
            });
        }
        if self.max_order > self.daily_limit || self.daily_limit > self.monthly_limit {
            return Err(ConfigError::LimitsInconsistent {
                currency: fiat,
                max_order: self.max_order,
                daily_limit: self.daily_limit,
                monthly_limit: self.monthly_limit,
            });
        }
        Ok(())
    }
}

fn amount_at(
    field: &str,
    value: Decimal,
    places: u32,
    positive: bool,
) -> Result<Decimal, ConfigError> {
    if value.is_sign_negative() && !value.is_zero() || positive && value.is_zero() {
        return Err(ConfigError::NotPositive {
            field: field.to_owned(),
            value,
        });
    }
    if value.trunc().abs().to_string().len() > MAX_INTEGER_DIGITS {
        return Err(ConfigError::AmountTooLarge {
            field: field.to_owned(),
            value,
        });
    }
    at_precision(value, places).ok_or_else(|| ConfigError::TooManyDecimals {
        field: field.to_owned(),
        value,
        max_decimals: places,
    })
}

fn check_percent(field: &str, value: Decimal) -> Result<(), ConfigError> {
    if value.is_sign_negative() && !value.is_zero() || value > Decimal::from(MAX_PERCENT) {
        return Err(ConfigError::PercentOutOfRange {
            field: field.to_owned(),
            value,
            max: MAX_PERCENT,
        });
    }
    if value.normalize().scale() > PERCENT_DECIMALS {
        return Err(ConfigError::TooManyDecimals {
            field: field.to_owned(),
            value,
            max_decimals: PERCENT_DECIMALS,
        });
    }
    Ok(())
}

fn check_seconds(field: &str, value: u32, max: u32) -> Result<(), ConfigError> {
    if value == 0 || value > max {
        return Err(ConfigError::SecondsOutOfRange {
            field: field.to_owned(),
            value,
            min: 1,
            max,
        });
    }
    Ok(())
}

/// Webhooks carry order data: TLS only, except to a local test receiver.
fn is_acceptable_webhook(url: &str) -> bool {
    let rest = if let Some(r) = url.strip_prefix("https://") {
        r
    } else if let Some(r) = url.strip_prefix("http://") {
        let host = r.split(['/', ':']).next().unwrap_or("");
        if host != "localhost" && host != "127.0.0.1" {
            return false;
        }
        r
    } else {
        return false;
    };
    let host = rest.split(['/', ':', '?', '#']).next().unwrap_or("");
    !host.is_empty() && url.len() <= 2048 && !url.chars().any(char::is_whitespace)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::error::DomainError;

    /// A valid config the tests of several modules start from.
    pub(crate) fn sample_json() -> &'static str {
        r#"{
            "name": "Acme Wallet",
            "fiat": {
                "EUR": {"min_order": "10", "max_order": "1000", "daily_limit": "2000", "monthly_limit": "10000", "service_fee_fixed": "0.50"},
                "JPY": {"min_order": "1000", "max_order": "150000", "daily_limit": "300000", "monthly_limit": "1500000", "service_fee_fixed": "50"}
            },
            "crypto": {
                "BTC": {"networks": ["mainnet", "testnet"], "network_fee": "0.00005"},
                "ETH": {"networks": ["mainnet"], "network_fee": "0.0004"}
            },
            "service_fee_percent": "1.5",
            "spread_percent": "0.5",
            "quote_validity_seconds": 60,
            "max_rate_age_seconds": 300,
            "webhook_url": "https://acme.example/hooks",
            "xpubs": {"BTC": {"xpub": "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs", "scheme": "bip84", "network": "mainnet"}}
        }"#
    }

    pub(crate) fn sample() -> ClientConfig {
        serde_json::from_str::<ClientConfig>(sample_json())
            .unwrap()
            .validate()
            .unwrap()
    }

    fn with(edit: impl FnOnce(&mut ClientConfig)) -> Result<ClientConfig, ConfigError> {
        let mut c: ClientConfig = serde_json::from_str(sample_json()).unwrap();
        edit(&mut c);
        c.validate()
    }

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn valid_config_is_rescaled_to_currency_precision() {
        let c = sample();
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["fiat"]["EUR"]["min_order"], "10.00");
        assert_eq!(json["fiat"]["JPY"]["service_fee_fixed"], "50");
        assert_eq!(json["crypto"]["BTC"]["network_fee"], "0.00005000");
        assert_eq!(json["crypto"]["ETH"]["network_fee"], "0.000400000000000000");
        assert_eq!(json["service_fee_percent"], "1.5");
    }

    #[test]
    fn rejects_unknown_fields_and_json_numbers() {
        let extra = sample_json().replacen("\"name\"", "\"colour\": \"red\", \"name\"", 1);
        assert!(serde_json::from_str::<ClientConfig>(&extra).is_err());
        let number = sample_json().replace("\"1.5\"", "1.5");
        assert!(serde_json::from_str::<ClientConfig>(&number).is_err());
    }

    #[test]
    fn seconds_are_whole_numbers_however_written() {
        let seconds = |text: &str| {
            let json = sample_json().replacen(
                &format!(
                    "\"quote_validity_seconds\": {}",
                    sample().quote_validity_seconds
                ),
                &format!("\"quote_validity_seconds\": {text}"),
                1,
            );
            serde_json::from_str::<ClientConfig>(&json).map(|c| c.quote_validity_seconds)
        };
        assert_eq!(seconds("90").unwrap(), 90);
        assert_eq!(seconds("90.0").unwrap(), 90);
        for bad in ["90.5", "-1", "4294967296", "\"90\""] {
            assert!(seconds(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn each_rule_has_its_error() {
        let code = |r: Result<ClientConfig, ConfigError>| r.unwrap_err().code();
        assert_eq!(code(with(|c| c.name = " ".into())), "invalid_name");
        assert_eq!(code(with(|c| c.fiat.clear())), "no_fiat_enabled");
        assert_eq!(code(with(|c| c.crypto.clear())), "no_crypto_enabled");
        assert_eq!(
            code(with(|c| c.spread_percent = d("50.01"))),
            "percent_out_of_range"
        );
        assert_eq!(
            code(with(|c| c.service_fee_percent = d("-1"))),
            "percent_out_of_range"
        );
        assert_eq!(
            code(with(|c| c.service_fee_percent = d("1.00001"))),
            "too_many_decimals"
        );
        assert_eq!(
            code(with(|c| c
                .fiat
                .get_mut(&Fiat::Eur)
                .unwrap()
                .service_fee_fixed = d("0.001"))),
            "too_many_decimals"
        );
        assert_eq!(
            code(with(
                |c| c.fiat.get_mut(&Fiat::Jpy).unwrap().min_order = d("0")
            )),
            "amount_not_positive"
        );
        assert_eq!(
            code(with(
                |c| c.fiat.get_mut(&Fiat::Eur).unwrap().min_order = d("1000.01")
            )),
            "min_above_max"
        );
        assert_eq!(
            code(with(
                |c| c.fiat.get_mut(&Fiat::Eur).unwrap().daily_limit = d("999")
            )),
            "limits_inconsistent"
        );
        assert_eq!(
            code(with(|c| c
                .fiat
                .get_mut(&Fiat::Eur)
                .unwrap()
                .monthly_limit = d("100000000000"))),
            "amount_too_large"
        );
        assert_eq!(
            code(with(|c| c
                .crypto
                .get_mut(&Crypto::Btc)
                .unwrap()
                .networks
                .clear())),
            "no_networks"
        );
        assert_eq!(
            code(with(|c| c.quote_validity_seconds = 0)),
            "seconds_out_of_range"
        );
        assert_eq!(
            code(with(|c| c.max_rate_age_seconds = 86_401)),
            "seconds_out_of_range"
        );
        assert_eq!(
            code(with(
                |c| c.webhook_url = Some("http://acme.example/h".into())
            )),
            "invalid_webhook_url"
        );
        assert_eq!(
            code(with(|c| {
                c.crypto.remove(&Crypto::Btc);
            })),
            "xpub_for_disabled_crypto"
        );
        assert_eq!(
            code(with(|c| c
                .xpubs
                .get_mut(&Crypto::Btc)
                .unwrap()
                .xpub
                .clear())),
            "empty_xpub"
        );
        assert_eq!(
            code(with(
                |c| c.xpubs.get_mut(&Crypto::Btc).unwrap().network = Network::Signet
            )),
            "xpub_network_not_enabled"
        );
    }

    #[test]
    fn local_webhooks_are_allowed_for_tests() {
        assert!(with(|c| c.webhook_url = Some("http://127.0.0.1:8787/hook".into())).is_ok());
        assert!(with(|c| c.webhook_url = Some("http://localhost/hook".into())).is_ok());
        assert!(with(|c| c.webhook_url = Some("https://".into())).is_err());
    }
}
