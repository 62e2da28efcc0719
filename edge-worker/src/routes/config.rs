//! `GET /v1/config`, and reading and checking client configurations.

use cryptoexchange_core::config::{ClientConfig, XpubSettings};
use cryptoexchange_core::wallet::{derive_from_xpub, DerivedAddress, XpubDeriveRequest};
use cryptoexchange_core::Crypto;
use worker::{Env, Request, Response};

use crate::auth::require_client;
use crate::problem::ApiError;
use crate::store::clients::ClientRow;
use cryptoexchange_core::api::ApiScope;

/// Validates a configuration with the core, and derives index 0 of every registered
/// xpub so that a key the wallet cannot use is refused now rather than at the first
/// customer address.
pub fn check_config(config: ClientConfig) -> Result<ClientConfig, ApiError> {
    let config = config.validate()?;
    for (crypto, xpub) in &config.xpubs {
        derive_address(*crypto, xpub, 0)?;
    }
    Ok(config)
}

pub fn stored_config(client: &ClientRow) -> Result<ClientConfig, ApiError> {
    serde_json::from_str(&client.config_json)
        .map_err(|e| ApiError::internal(format!("stored config of {}: {e}", client.client_id)))
}

/// The receive address (change 0) at `index` under a registered account xpub.
pub fn derive_address(
    crypto: Crypto,
    xpub: &XpubSettings,
    index: u32,
) -> Result<DerivedAddress, ApiError> {
    Ok(derive_from_xpub(&XpubDeriveRequest {
        xpub: xpub.xpub.clone(),
        currency: crypto,
        network: xpub.network,
        scheme: xpub.scheme,
        change: 0,
        index,
    })?)
}

pub async fn get(req: &Request, env: &Env) -> Result<Response, ApiError> {
    let client = require_client(req, env, ApiScope::Read).await?;
    super::json(200, &stored_config(&client)?)
}
