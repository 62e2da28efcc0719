//! The Esplora endpoints of the payout run: the hot wallet's coins, fee estimates,
//! broadcasting, and confirmations. What the answers mean is the core's call
//! (`payout::esplora`); this file only moves bytes, each request with a deadline.

use std::time::Duration;

use cryptoexchange_core::Crypto;
use serde::Deserialize;
use worker::{Env, Fetch, Method, Request, RequestInit, Url};

use crate::outbound;
use crate::problem::ApiError;

const TIMEOUT: Duration = Duration::from_secs(8);

pub struct EsploraPayout {
    base_url: String,
}

#[derive(Debug, Deserialize)]
pub struct Utxo {
    pub txid: String,
    pub vout: u32,
    /// Base units; a JSON integer, read without floats.
    pub value: u64,
    pub status: UtxoStatus,
}

#[derive(Debug, Deserialize)]
pub struct UtxoStatus {
    pub confirmed: bool,
}

#[derive(Debug, Deserialize)]
struct TxStatus {
    confirmed: bool,
    #[serde(default)]
    block_height: Option<u32>,
}

fn unavailable(detail: impl std::fmt::Display) -> ApiError {
    ApiError::ChainUnavailable {
        detail: detail.to_string(),
    }
}

impl EsploraPayout {
    pub fn for_currency(env: &Env, crypto: Crypto) -> Result<Self, ApiError> {
        Ok(EsploraPayout {
            base_url: crate::chain::esplora_base_url(env, crypto)?,
        })
    }

    async fn get(&self, path: &str) -> Result<(u16, String), ApiError> {
        let url = Url::parse(&format!("{}{path}", self.base_url)).map_err(unavailable)?;
        let mut response = outbound::send(Fetch::Url(url), TIMEOUT)
            .await
            .map_err(unavailable)?;
        let text = response.text().await.map_err(unavailable)?;
        Ok((response.status_code(), text))
    }

    async fn get_ok(&self, path: &str) -> Result<String, ApiError> {
        match self.get(path).await? {
            (200, text) => Ok(text),
            (status, _) => Err(unavailable(format!(
                "Esplora {path} answered HTTP {status}"
            ))),
        }
    }

    pub async fn utxos(&self, address: &str) -> Result<Vec<Utxo>, ApiError> {
        let text = self.get_ok(&format!("/address/{address}/utxo")).await?;
        serde_json::from_str(&text).map_err(unavailable)
    }

    /// The raw body of `/fee-estimates` (read by `payout::esplora::choose_fee_rate`).
    pub async fn fee_estimates(&self) -> Result<String, ApiError> {
        self.get_ok("/fee-estimates").await
    }

    /// `POST /tx`: `Err` is no answer at all (timeout, connection), to retry.
    pub async fn broadcast(&self, raw_hex: &str) -> Result<(u16, String), String> {
        let url = format!("{}/tx", self.base_url);
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_body(Some(raw_hex.into()));
        let request = Request::new_with_init(&url, &init).map_err(|e| e.to_string())?;
        let mut response = outbound::send(Fetch::Request(request), TIMEOUT).await?;
        let text = response.text().await.map_err(|e| e.to_string())?;
        Ok((response.status_code(), text))
    }

    /// Whether the server knows the transaction: only `GET /tx/{txid}` says 404 for an
    /// unknown one (`/status` answers unconfirmed for anything).
    pub async fn knows_tx(&self, txid: &str) -> Result<bool, ApiError> {
        match self.get(&format!("/tx/{txid}")).await? {
            (200, _) => Ok(true),
            (404, _) => Ok(false),
            (status, _) => Err(unavailable(format!("Esplora /tx answered HTTP {status}"))),
        }
    }

    /// The height of the block holding `txid`, if confirmed.
    pub async fn confirmed_height(&self, txid: &str) -> Result<Option<u32>, ApiError> {
        let text = self.get_ok(&format!("/tx/{txid}/status")).await?;
        let status: TxStatus = serde_json::from_str(&text).map_err(unavailable)?;
        Ok(status.block_height.filter(|_| status.confirmed))
    }

    pub async fn tip_height(&self) -> Result<u32, ApiError> {
        let text = self.get_ok("/blocks/tip/height").await?;
        text.trim().parse().map_err(unavailable)
    }
}
