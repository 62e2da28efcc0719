//! Customer deposit addresses (watch-only derivation from the client's xpubs),
//! address validation, and balances from the chain (plus the sandbox ledger).

use cryptoexchange_core::address::validate_address;
use cryptoexchange_core::api::{
    AddressBalance, AddressList, CreateAddressRequest, CustomerAddress, ValidateAddressRequest,
};
use cryptoexchange_core::error::ErrorBody;
use cryptoexchange_core::money::format_amount;
use cryptoexchange_core::{Crypto, Network};
use serde_json::Value;
use worker::{Env, Request, Response};

use super::config::{derive_address, stored_config};
use crate::auth::require_client;
use crate::body::read_json;
use crate::chain::{ChainSource, Esplora};
use crate::ids;
use crate::problem::ApiError;
use crate::store::{
    self,
    addresses::{AddressRow, Allocation},
};
use cryptoexchange_core::api::ApiScope;

/// A stored address as the API shows it.
fn to_wire(row: AddressRow) -> Result<CustomerAddress, ApiError> {
    Ok(CustomerAddress {
        crypto: row.crypto.parse()?,
        network: row.network.parse()?,
        customer_id: row.customer_id,
        derivation_index: row.derivation_index,
        derivation_path: row.derivation_path,
        address: row.address,
        created_at: ids::time_of(row.created_at),
    })
}

pub async fn list(req: &Request, env: &Env, customer: &str) -> Result<Response, ApiError> {
    let client = require_client(req, env, ApiScope::Read).await?;
    let customer_id = super::customer_id(customer)?;
    let addresses =
        store::addresses::list_for_customer(&env.d1("DB")?, &client.client_id, &customer_id)
            .await?
            .into_iter()
            .map(to_wire)
            .collect::<Result<Vec<_>, _>>()?;
    super::json(
        200,
        &AddressList {
            customer_id,
            addresses,
        },
    )
}

pub async fn create(mut req: Request, env: &Env, customer: &str) -> Result<Response, ApiError> {
    let client = require_client(&req, env, ApiScope::Trade).await?;
    let customer_id = super::customer_id(customer)?;
    let request: CreateAddressRequest = read_json(&mut req).await?;
    let crypto: Crypto = request.currency.parse()?;
    let config = stored_config(&client)?;
    let xpub = config
        .xpubs
        .get(&crypto)
        .ok_or_else(|| ApiError::NoXpubRegistered {
            currency: crypto.to_string(),
        })?;
    let db = env.d1("DB")?;
    let gap_limit = gap_limit(env);
    // A lost race (another request took the index or gave this customer an address)
    // reads the facts again. Each lost round means another request took an address, so
    // within gap-limit rounds this one wins or finds the gap full.
    for _ in 0..gap_limit.min(50) + 3 {
        let facts = store::addresses::allocation_facts(
            &db,
            &client.client_id,
            &customer_id,
            crypto.ticker(),
        )
        .await?;
        if let Some(unused) = facts.unused_of_customer {
            // Idempotent: the customer's unused address again, rather than a new one.
            return super::json(200, &to_wire(unused)?);
        }
        if facts.unused_of_xpub >= gap_limit {
            return Err(ApiError::AddressGapLimit {
                currency: crypto.to_string(),
                gap_limit,
                unused: facts.unused_of_xpub,
            });
        }
        let derived = derive_address(crypto, xpub, facts.next_index)?;
        let row = AddressRow {
            customer_id: customer_id.clone(),
            crypto: crypto.ticker().to_owned(),
            network: xpub.network.as_str().to_owned(),
            derivation_index: derived.index,
            derivation_path: derived.path,
            address: derived.address,
            created_at: ids::now_ms(),
        };
        match store::addresses::insert_allocated(&db, &client.client_id, &row, gap_limit).await? {
            Allocation::Inserted => return super::json(201, &to_wire(row)?),
            Allocation::Refused => continue,
        }
    }
    Err(ApiError::internal("address allocation kept losing races"))
}

/// The wallet gap limit (`ADDRESS_GAP_LIMIT`, default 20 as BIP-44 says): the most
/// unused addresses an xpub may have.
pub fn gap_limit(env: &Env) -> u32 {
    env.var("ADDRESS_GAP_LIMIT")
        .ok()
        .and_then(|v| v.to_string().trim().parse::<u32>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(DEFAULT_GAP_LIMIT)
}

pub const DEFAULT_GAP_LIMIT: u32 = 20;

/// `POST /v1/addresses/validate`: 200 with `{"valid": true, ...what the address is}`
/// or 200 with `{"valid": false, "code", "message", ...facts}` for an address the core
/// refuses. An unknown currency or network is a bad request (422), not an invalid address.
pub async fn validate(mut req: Request, env: &Env) -> Result<Response, ApiError> {
    let _client = require_client(&req, env, ApiScope::Read).await?;
    let request: ValidateAddressRequest = read_json(&mut req).await?;
    let crypto: Crypto = request.currency.parse()?;
    let network = request
        .network
        .as_deref()
        .map(str::parse::<Network>)
        .transpose()?;
    let answer = match validate_address(crypto, &request.address, network) {
        Ok(valid) => with_valid(serde_json::to_value(valid), true)?,
        Err(invalid) => with_valid(serde_json::to_value(ErrorBody::of(&invalid)), false)?,
    };
    super::json(200, &answer)
}

fn with_valid(value: serde_json::Result<Value>, valid: bool) -> Result<Value, ApiError> {
    let mut value = value.map_err(ApiError::internal)?;
    if let Value::Object(map) = &mut value {
        map.insert("valid".into(), Value::Bool(valid));
    }
    Ok(value)
}

/// `GET /v1/addresses/{currency}/{address}/balance`: on-chain mode asks the chain
/// (Esplora); sandbox mode answers from the sandbox ledger alone, with no outbound
/// call, so a local run works offline and never mixes made-up and real coins.
pub async fn balance(
    req: &Request,
    env: &Env,
    currency: &str,
    address: &str,
) -> Result<Response, ApiError> {
    let client = require_client(req, env, ApiScope::Read).await?;
    let crypto: Crypto = currency.parse()?;
    let valid = validate_address(crypto, address, None)?;
    let sandbox = sandbox_mode(env)?;
    let (chain, ledger) = if sandbox {
        let received = store::ledger::received(
            &env.d1("DB")?,
            &client.client_id,
            crypto.ticker(),
            &valid.normalized,
        )
        .await?;
        (
            crate::chain::ChainBalance {
                confirmed: received,
                unconfirmed: Default::default(),
            },
            received,
        )
    } else {
        let chain = if crypto == Crypto::Eth {
            crate::chain::eth::EthRpc::from_env(env)?
                .balance(crypto, &valid.normalized)
                .await?
        } else {
            Esplora::for_currency(env, crypto)?
                .balance(crypto, &valid.normalized)
                .await?
        };
        (chain, Default::default())
    };
    let places = crypto.decimals();
    super::json(
        200,
        &AddressBalance {
            currency: crypto,
            network: valid.network,
            address: valid.normalized,
            confirmed: format_amount(chain.confirmed, places),
            unconfirmed: format_amount(chain.unconfirmed, places),
            sandbox_received: sandbox.then(|| format_amount(ledger, places)),
            livemode: !sandbox,
            total: format_amount(chain.confirmed + chain.unconfirmed, places),
        },
    )
}

pub fn sandbox_mode(env: &Env) -> Result<bool, ApiError> {
    Ok(crate::mode::SettlementMode::from_env(env)? == crate::mode::SettlementMode::Sandbox)
}
