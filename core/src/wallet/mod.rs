//! BIP-39 mnemonics and BIP-32/44/49/84/86 address derivation.
//!
//! Two entry points for two places:
//! - on the customer's device, [`mnemonic_from_entropy`] (entropy comes from the
//!   platform CSPRNG through the wasm layer) and [`derive_addresses`] from the mnemonic;
//! - on the server, [`derive_from_xpub`]: watch-only derivation from an account
//!   extended public key, so the service never holds private keys.
//!
//! Paths are `m/purpose'/coin_type'/account'/change/index`. Coin types (SLIP-44):
//! BTC 0, LTC 2, DOGE 3, BCH 145, ETH 60; every test network uses 1, except ETH
//! which uses 60 everywhere (its addresses do not depend on the network).
//! Schemes: BTC and LTC support all four; DOGE, BCH and ETH only BIP-44.

pub(crate) mod bip32;
mod error;
mod slip132;

use bip39::{Language, Mnemonic};
use bitcoin_hashes::{hash160, Hash};
use k256::PublicKey;
use serde::{Deserialize, Serialize};

use crate::address;
use crate::{Crypto, Network};
use bip32::{Xpriv, Xpub, HARDENED};

pub use error::WalletError;

/// Most addresses one request may derive (keeps a wasm call short).
pub const MAX_COUNT: u32 = 100;

/// Which BIP-43 purpose, hence which address type.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scheme {
    /// P2PKH (ETH: account address).
    Bip44,
    /// P2SH-wrapped P2WPKH.
    Bip49,
    /// Native P2WPKH.
    Bip84,
    /// Single-key P2TR.
    Bip86,
}

impl Scheme {
    pub fn purpose(self) -> u32 {
        match self {
            Scheme::Bip44 => 44,
            Scheme::Bip49 => 49,
            Scheme::Bip84 => 84,
            Scheme::Bip86 => 86,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Bip44 => "bip44",
            Scheme::Bip49 => "bip49",
            Scheme::Bip84 => "bip84",
            Scheme::Bip86 => "bip86",
        }
    }
}

/// Derive addresses from a mnemonic (on the customer's device).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeriveRequest {
    pub mnemonic: String,
    #[serde(default)]
    pub passphrase: String,
    pub currency: Crypto,
    pub network: Network,
    pub scheme: Scheme,
    #[serde(default)]
    pub account: u32,
    #[serde(default)]
    pub change: u32,
    #[serde(default)]
    pub start: u32,
    pub count: u32,
}

/// Derive one address from an account extended public key (on the server).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct XpubDeriveRequest {
    pub xpub: String,
    pub currency: Crypto,
    pub network: Network,
    pub scheme: Scheme,
    #[serde(default)]
    pub change: u32,
    pub index: u32,
}

/// The account key and the addresses derived under it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Derivation {
    /// e.g. `m/84'/0'/0'`.
    pub account_path: String,
    /// Account-level extended public key, SLIP-132 version matching the scheme.
    pub account_xpub: String,
    pub addresses: Vec<DerivedAddress>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DerivedAddress {
    /// e.g. `m/84'/0'/0'/0/5`.
    pub path: String,
    pub index: u32,
    pub address: String,
    /// Compressed SEC1 public key, hex.
    pub public_key: String,
}

/// BIP-39 English mnemonic of `entropy` (16 bytes: 12 words ... 32 bytes: 24 words).
/// BIP-39 salts the seed with the NFKD form of the passphrase.
#[cfg(feature = "nfkd")]
fn nfkd(passphrase: &str) -> std::borrow::Cow<'_, str> {
    use unicode_normalization::UnicodeNormalization;
    if passphrase.is_ascii() {
        passphrase.into()
    } else {
        passphrase.nfkd().collect::<String>().into()
    }
}

/// Without the `nfkd` feature the caller normalizes: the npm package does it with
/// JavaScript's own `String.prototype.normalize("NFKD")`, which saves shipping
/// Unicode tables (a third of the package) in the wasm.
#[cfg(not(feature = "nfkd"))]
fn nfkd(passphrase: &str) -> std::borrow::Cow<'_, str> {
    passphrase.into()
}

pub fn mnemonic_from_entropy(entropy: &[u8]) -> Result<String, WalletError> {
    if !matches!(entropy.len(), 16 | 20 | 24 | 28 | 32) {
        return Err(WalletError::BadEntropyLength {
            found: entropy.len(),
        });
    }
    Mnemonic::from_entropy_in(Language::English, entropy)
        .map(|m| m.to_string())
        .map_err(|_| WalletError::BadEntropyLength {
            found: entropy.len(),
        })
}

/// Parses a mnemonic; ASCII case and extra whitespace are forgiven.
pub fn parse_mnemonic(mnemonic: &str) -> Result<Mnemonic, WalletError> {
    let normalized = mnemonic
        .split_whitespace()
        .map(str::to_ascii_lowercase)
        .collect::<Vec<_>>();
    Mnemonic::parse_in_normalized(Language::English, &normalized.join(" ")).map_err(|e| match e {
        bip39::Error::BadWordCount(found) => WalletError::InvalidMnemonicWordCount { found },
        bip39::Error::UnknownWord(index) => WalletError::InvalidMnemonicWord {
            index,
            word: normalized.get(index).cloned().unwrap_or_default(),
        },
        bip39::Error::BadEntropyBitCount(_) => WalletError::InvalidMnemonicWordCount {
            found: normalized.len(),
        },
        _ => WalletError::InvalidMnemonicChecksum,
    })
}

/// Derives `count` addresses from `start` under `m/purpose'/coin'/account'/change`.
pub fn derive_addresses(req: &DeriveRequest) -> Result<Derivation, WalletError> {
    check_supported(req.currency, req.network, req.scheme)?;
    check_normal(u64::from(req.account))?;
    check_change(req.change)?;
    if !(1..=MAX_COUNT).contains(&req.count) {
        return Err(WalletError::CountOutOfRange {
            found: req.count,
            max: MAX_COUNT,
        });
    }
    check_normal(u64::from(req.start) + u64::from(req.count) - 1)?;

    let mnemonic = parse_mnemonic(&req.mnemonic)?;
    let seed = mnemonic.to_seed_normalized(&nfkd(&req.passphrase));
    let test = req.network != Network::Mainnet;
    let coin = coin_type(req.currency, req.network);
    let account_path = [
        hardened(req.scheme.purpose())?,
        hardened(coin)?,
        hardened(req.account)?,
    ];
    let master = Xpriv::new_master(&seed).map_err(|_| WalletError::Derivation)?;
    let account = account_path
        .iter()
        .try_fold(master, |key, &child| key.derive(child))
        .map_err(|_| WalletError::Derivation)?;
    let account_xpub = account.to_xpub().map_err(|_| WalletError::Derivation)?;
    let branch = account_xpub
        .derive(normal(req.change)?)
        .map_err(|_| WalletError::Derivation)?;
    let prefix = format!(
        "m/{}'/{coin}'/{}'/{}",
        req.scheme.purpose(),
        req.account,
        req.change
    );
    let addresses = (req.start..req.start + req.count)
        .map(|index| {
            derive_one(
                &branch,
                req.currency,
                req.network,
                req.scheme,
                &prefix,
                index,
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Derivation {
        account_path: format!("m/{}'/{coin}'/{}'", req.scheme.purpose(), req.account),
        account_xpub: slip132::encode(&account_xpub, slip132::version_name(req.scheme, test)),
        addresses,
    })
}

/// Derives the address at `change/index` below an account extended public key.
pub fn derive_from_xpub(req: &XpubDeriveRequest) -> Result<DerivedAddress, WalletError> {
    check_supported(req.currency, req.network, req.scheme)?;
    check_change(req.change)?;
    check_normal(u64::from(req.index))?;
    let (xpub, found) = slip132::decode(&req.xpub)?;
    let expected = slip132::version_name(req.scheme, req.network != Network::Mainnet);
    if found != expected {
        return Err(WalletError::XpubVersionMismatch { expected, found });
    }
    if xpub.depth != 3 {
        return Err(WalletError::XpubNotAccountLevel { depth: xpub.depth });
    }
    let account = match xpub.child_number.checked_sub(HARDENED) {
        Some(index) => index.to_string() + "'",
        None => xpub.child_number.to_string(),
    };
    let branch = xpub
        .derive(normal(req.change)?)
        .map_err(|_| WalletError::Derivation)?;
    let prefix = format!(
        "m/{}'/{}'/{account}/{}",
        req.scheme.purpose(),
        coin_type(req.currency, req.network),
        req.change
    );
    derive_one(
        &branch,
        req.currency,
        req.network,
        req.scheme,
        &prefix,
        req.index,
    )
}

fn derive_one(
    branch: &Xpub,
    currency: Crypto,
    network: Network,
    scheme: Scheme,
    prefix: &str,
    index: u32,
) -> Result<DerivedAddress, WalletError> {
    let child = branch
        .derive(normal(index)?)
        .map_err(|_| WalletError::Derivation)?;
    let key = child.public_key;
    let address = encode_address(&key, currency, network, scheme)?;
    Ok(DerivedAddress {
        path: format!("{prefix}/{index}"),
        index,
        address,
        public_key: hex::encode(bip32::serialize(&key)),
    })
}

fn encode_address(
    key: &PublicKey,
    currency: Crypto,
    network: Network,
    scheme: Scheme,
) -> Result<String, WalletError> {
    let unsupported = |_| WalletError::UnsupportedCurrencyNetwork { currency, network };
    if currency == Crypto::Eth {
        let xy = bip32::serialize_xy(key);
        return Ok(address::encode_eth(&address::eth_address_from_key(&xy)));
    }
    let key_hash = hash160::Hash::hash(&bip32::serialize(key)).to_byte_array();
    match scheme {
        Scheme::Bip44 => address::encode_p2pkh(currency, network, &key_hash).map_err(unsupported),
        Scheme::Bip49 => {
            // BIP-49: the redeem script is `0 <keyhash>` (P2WPKH), wrapped in P2SH.
            let mut redeem = [0u8; 22];
            redeem[1] = 20;
            redeem[2..].copy_from_slice(&key_hash);
            let script_hash = hash160::Hash::hash(&redeem).to_byte_array();
            address::encode_p2sh(currency, network, &script_hash).map_err(unsupported)
        }
        Scheme::Bip84 => {
            address::encode_segwit(currency, network, 0, &key_hash).map_err(unsupported)
        }
        Scheme::Bip86 => {
            // BIP-86: key-path only, tweaked with an empty script tree (BIP-341).
            let output = bip32::taproot_output_key(key).map_err(|_| WalletError::Derivation)?;
            address::encode_segwit(currency, network, 1, &output).map_err(unsupported)
        }
    }
}

fn check_supported(currency: Crypto, network: Network, scheme: Scheme) -> Result<(), WalletError> {
    if !address::supports(currency, network) {
        return Err(WalletError::UnsupportedCurrencyNetwork { currency, network });
    }
    let all_schemes = matches!(currency, Crypto::Btc | Crypto::Ltc);
    if !all_schemes && scheme != Scheme::Bip44 {
        return Err(WalletError::UnsupportedScheme { currency, scheme });
    }
    Ok(())
}

fn coin_type(currency: Crypto, network: Network) -> u32 {
    match (currency, network) {
        (Crypto::Eth, _) => 60,
        (_, Network::Testnet | Network::Signet | Network::Regtest) => 1,
        (Crypto::Btc, Network::Mainnet) => 0,
        (Crypto::Ltc, Network::Mainnet) => 2,
        (Crypto::Doge, Network::Mainnet) => 3,
        (Crypto::Bch, Network::Mainnet) => 145,
    }
}

fn check_normal(index: u64) -> Result<(), WalletError> {
    if index >= u64::from(HARDENED) {
        return Err(WalletError::HardenedIndex { index });
    }
    Ok(())
}

fn check_change(change: u32) -> Result<(), WalletError> {
    if change > 1 {
        return Err(WalletError::InvalidChange { found: change });
    }
    Ok(())
}

fn normal(index: u32) -> Result<u32, WalletError> {
    check_normal(u64::from(index))?;
    Ok(index)
}

fn hardened(index: u32) -> Result<u32, WalletError> {
    check_normal(u64::from(index))?;
    Ok(index | HARDENED)
}

#[cfg(test)]
mod tests;
