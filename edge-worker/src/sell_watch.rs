//! The deposit watch of live sell orders (on-chain mode): the transactions paying each
//! deposit address from Esplora (`/address/{a}/txs`, mempool included) and the tip
//! (`/blocks/tip/height`), turned into the core's deposits; `core::sell::watch` decides
//! what they mean. Runs on each read of a live sell order and from the cron.

use std::time::Duration;

use cryptoexchange_core::api::SellOrderResponse;
use cryptoexchange_core::sell::watch::Deposit;
use cryptoexchange_core::time::Timestamp;
use cryptoexchange_core::Crypto;
use rust_decimal::Decimal;
use serde::Deserialize;
use worker::{Env, Fetch, Url};

use crate::outbound;
use crate::problem::ApiError;

const TIMEOUT: Duration = Duration::from_secs(8);

/// One transaction of `/address/{address}/txs` as electrs serves it (fields we read).
#[derive(Debug, Deserialize)]
struct EsploraTx {
    txid: String,
    vout: Vec<EsploraOutput>,
    status: EsploraStatus,
}

#[derive(Debug, Deserialize)]
struct EsploraOutput {
    #[serde(default)]
    scriptpubkey_address: Option<String>,
    /// Base units, a JSON integer.
    value: u64,
}

#[derive(Debug, Deserialize)]
struct EsploraStatus {
    confirmed: bool,
    #[serde(default)]
    block_height: Option<u64>,
    #[serde(default)]
    block_time: Option<i64>,
}

fn unavailable(detail: impl std::fmt::Display) -> ApiError {
    ApiError::ChainUnavailable {
        detail: detail.to_string(),
    }
}

async fn get(base: &str, path: &str) -> Result<String, ApiError> {
    let url = Url::parse(&format!("{base}{path}")).map_err(unavailable)?;
    let mut response = outbound::send(Fetch::Url(url), TIMEOUT)
        .await
        .map_err(unavailable)?;
    let text = response.text().await.map_err(unavailable)?;
    match response.status_code() {
        200 => Ok(text),
        status => Err(unavailable(format!(
            "Esplora {path} answered HTTP {status}"
        ))),
    }
}

/// The deposits at the order's address as the chain shows them now: per transaction the
/// outputs paying the address, its confirmations (0 in the mempool), and when it was
/// first seen (kept from earlier looks; a block's time when it was found already mined).
pub async fn chain_deposits(
    env: &Env,
    order: &SellOrderResponse,
    now: Timestamp,
) -> Result<Vec<Deposit>, ApiError> {
    let crypto: Crypto = order.pricing.quote.crypto;
    let base = crate::chain::esplora_base_url(env, crypto)?;
    let address = &order.deposit_address;
    let txs_path = format!("/address/{address}/txs");
    let (txs, tip) = futures_util::join!(get(&base, &txs_path), get(&base, "/blocks/tip/height"));
    let txs: Vec<EsploraTx> = serde_json::from_str(&txs?).map_err(unavailable)?;
    let tip: u64 = tip?.trim().parse().map_err(unavailable)?;
    Ok(deposits_of(order, txs, tip, now, crypto.decimals()))
}

fn deposits_of(
    order: &SellOrderResponse,
    txs: Vec<EsploraTx>,
    tip: u64,
    now: Timestamp,
    decimals: u32,
) -> Vec<Deposit> {
    let mut out = Vec::new();
    for tx in txs {
        let sats: u64 = tx
            .vout
            .iter()
            .filter(|o| o.scriptpubkey_address.as_deref() == Some(order.deposit_address.as_str()))
            .map(|o| o.value)
            .sum();
        if sats == 0 {
            continue; // a spend from the address, not a deposit
        }
        let confirmations = match (tx.status.confirmed, tx.status.block_height) {
            (true, Some(h)) if h <= tip => u32::try_from(tip - h + 1).unwrap_or(u32::MAX),
            _ => 0,
        };
        let known = order
            .deposits
            .iter()
            .find(|d| d.tx_id == tx.txid)
            .map(|d| d.first_seen_at);
        let mined = tx
            .status
            .block_time
            .filter(|_| tx.status.confirmed)
            .and_then(Timestamp::from_unix_seconds);
        let first_seen = [Some(now), known, mined]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(now);
        let Ok(amount) = i64::try_from(sats).map(|s| Decimal::new(s, decimals)) else {
            continue;
        };
        out.push(Deposit {
            txid: tx.txid,
            amount,
            confirmations,
            first_seen,
        });
    }
    out
}
