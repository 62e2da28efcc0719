//! Reading balances from a blockchain: a `ChainSource` trait and its Esplora adapter.
//!
//! Esplora (`GET {base}/address/{address}`) reports sums in the chain's base unit
//! (satoshi); confirmed = chain_stats funded - spent, unconfirmed = the same over
//! mempool_stats. One base URL per currency from the `ESPLORA_URL_<TICKER>` variable.

use std::time::Duration;

use cryptoexchange_core::Crypto;
use rust_decimal::Decimal;
use serde::Deserialize;
use worker::{Env, Fetch, Url};

use crate::outbound;

pub mod eth;
use crate::problem::ApiError;

/// Esplora answers an address lookup in well under a second when healthy.
const ESPLORA_TIMEOUT: Duration = Duration::from_secs(5);

/// What a chain says about one address, in whole coins.
#[derive(Debug, Clone, PartialEq)]
pub struct ChainBalance {
    pub confirmed: Decimal,
    pub unconfirmed: Decimal,
}

#[allow(async_fn_in_trait)] // futures are !Send on Workers; nobody needs Send here
pub trait ChainSource {
    async fn balance(&self, crypto: Crypto, address: &str) -> Result<ChainBalance, ApiError>;
}

pub struct Esplora {
    base_url: String,
}

impl Esplora {
    /// The Esplora instance configured for `crypto`, if any.
    pub fn for_currency(env: &Env, crypto: Crypto) -> Result<Self, ApiError> {
        Ok(Esplora {
            base_url: esplora_base_url(env, crypto)?,
        })
    }
}

/// `ESPLORA_URL_<TICKER>` without a trailing slash: the Esplora server of `crypto`, for
/// balances here and for payouts (`settlement/esplora.rs`).
pub fn esplora_base_url(env: &Env, crypto: Crypto) -> Result<String, ApiError> {
    let var = format!("ESPLORA_URL_{}", crypto.ticker());
    let base_url = env
        .var(&var)
        .map(|v| v.to_string())
        .ok()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::ChainUnavailable {
            detail: format!("no Esplora server is configured for {crypto} ({var})"),
        })?;
    Ok(base_url.trim_end_matches('/').to_owned())
}

#[derive(Deserialize)]
struct EsploraAddress {
    chain_stats: EsploraStats,
    mempool_stats: EsploraStats,
}

#[derive(Deserialize)]
struct EsploraStats {
    funded_txo_sum: i64,
    spent_txo_sum: i64,
}

impl EsploraStats {
    fn net(&self, decimals: u32) -> Decimal {
        Decimal::new(self.funded_txo_sum - self.spent_txo_sum, decimals)
    }
}

fn unavailable(detail: impl std::fmt::Display) -> ApiError {
    ApiError::ChainUnavailable {
        detail: detail.to_string(),
    }
}

impl ChainSource for Esplora {
    async fn balance(&self, crypto: Crypto, address: &str) -> Result<ChainBalance, ApiError> {
        // The address was validated by the caller, so it is safe in a path segment.
        let url =
            Url::parse(&format!("{}/address/{address}", self.base_url)).map_err(unavailable)?;
        let mut response = outbound::send(Fetch::Url(url), ESPLORA_TIMEOUT)
            .await
            .map_err(unavailable)?;
        if response.status_code() != 200 {
            return Err(unavailable(format!(
                "Esplora answered HTTP {}",
                response.status_code()
            )));
        }
        let body: EsploraAddress = response.json().await.map_err(unavailable)?;
        let decimals = crypto.decimals();
        Ok(ChainBalance {
            confirmed: body.chain_stats.net(decimals),
            unconfirmed: body.mempool_stats.net(decimals),
        })
    }
}
