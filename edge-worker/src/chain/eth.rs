//! Ethereum balances over JSON-RPC (`eth_getBalance`), from the node at `ETH_RPC_URL`.
//!
//! One batch request asks the balance at the `latest` block and with the `pending`
//! transactions; the answer is a hex quantity of wei (EIP-1474), read as an integer and
//! turned into a decimal with 18 places: confirmed = latest, unconfirmed = pending −
//! latest.

use std::time::Duration;

use cryptoexchange_core::Crypto;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::json;
use worker::{Env, Fetch, Headers, Method, Request, RequestInit};

use crate::chain::{ChainBalance, ChainSource};
use crate::outbound;
use crate::problem::ApiError;

const TIMEOUT: Duration = Duration::from_secs(5);

pub struct EthRpc {
    url: String,
}

fn unavailable(detail: impl std::fmt::Display) -> ApiError {
    ApiError::ChainUnavailable {
        detail: detail.to_string(),
    }
}

#[derive(Deserialize)]
struct RpcAnswer {
    id: u32,
    result: Option<String>,
    error: Option<RpcError>,
}

#[derive(Deserialize)]
struct RpcError {
    message: String,
}

impl EthRpc {
    pub fn from_env(env: &Env) -> Result<Self, ApiError> {
        let url = env
            .var("ETH_RPC_URL")
            .map(|v| v.to_string())
            .ok()
            .filter(|v| !v.is_empty())
            .ok_or_else(|| unavailable("no Ethereum JSON-RPC node is configured (ETH_RPC_URL)"))?;
        Ok(EthRpc { url })
    }
}

/// Wei from an EIP-1474 quantity (`0x` and hex digits, no leading zeros required to
/// be absent), as ETH with 18 places. None beyond what a decimal holds (~7.9e10 ETH).
pub fn wei_to_eth(quantity: &str) -> Option<Decimal> {
    let digits = quantity.strip_prefix("0x")?;
    if digits.is_empty() || digits.len() > 32 {
        return None;
    }
    let wei = u128::from_str_radix(digits, 16).ok()?;
    Decimal::try_from_i128_with_scale(i128::try_from(wei).ok()?, 18).ok()
}

impl ChainSource for EthRpc {
    async fn balance(&self, crypto: Crypto, address: &str) -> Result<ChainBalance, ApiError> {
        if crypto != Crypto::Eth {
            return Err(unavailable(format!(
                "{crypto} has no JSON-RPC balance source"
            )));
        }
        let body = json!([
            {"jsonrpc": "2.0", "id": 1, "method": "eth_getBalance", "params": [address, "latest"]},
            {"jsonrpc": "2.0", "id": 2, "method": "eth_getBalance", "params": [address, "pending"]},
        ]);
        let headers = Headers::new();
        headers.set("content-type", "application/json")?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_headers(headers)
            .with_body(Some(body.to_string().into()));
        let request = Request::new_with_init(&self.url, &init)?;
        let mut response = outbound::send(Fetch::Request(request), TIMEOUT)
            .await
            .map_err(unavailable)?;
        if response.status_code() != 200 {
            return Err(unavailable(format!(
                "the Ethereum node answered HTTP {}",
                response.status_code()
            )));
        }
        let answers: Vec<RpcAnswer> = response.json().await.map_err(unavailable)?;
        let balance_of = |id: u32| -> Result<Decimal, ApiError> {
            let answer = answers
                .iter()
                .find(|a| a.id == id)
                .ok_or_else(|| unavailable(format!("no answer {id} in the batch")))?;
            if let Some(e) = &answer.error {
                return Err(unavailable(format!("eth_getBalance: {}", e.message)));
            }
            let quantity = answer.result.as_deref().unwrap_or_default();
            wei_to_eth(quantity)
                .ok_or_else(|| unavailable(format!("unreadable quantity {quantity:?}")))
        };
        let confirmed = balance_of(1)?;
        let pending = balance_of(2)?;
        Ok(ChainBalance {
            confirmed,
            unconfirmed: pending - confirmed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_eip1474_quantities_as_exact_ether() {
        assert_eq!(wei_to_eth("0x0"), Some(Decimal::ZERO));
        // 1.5 ETH = 1_500_000_000_000_000_000 wei.
        assert_eq!(
            wei_to_eth("0x14d1120d7b160000"),
            Some("1.5".parse().unwrap())
        );
        assert_eq!(
            wei_to_eth("0x1"),
            Some("0.000000000000000001".parse().unwrap())
        );
        assert_eq!(wei_to_eth("14d1"), None);
        assert_eq!(wei_to_eth("0x"), None);
        assert_eq!(wei_to_eth("0xzz"), None);
        assert_eq!(wei_to_eth(&format!("0x{}", "f".repeat(33))), None);
    }
}
