//! The hot wallet: a BIP-84 account extended private key (`xprv`/`zprv` on main
//! networks, `tprv`/`vprv` on test networks, at depth 3, e.g. m/84'/0'/0'), optionally
//! wrapped as a `wpkh(KEY/0/*)` output descriptor. Coins sit at
//! `account/chain/index`; chain 0 receives the operator's funding, chain 1 the change.
//!
//! Signing fills a PSBT with one ECDSA signature per input (RFC 6979 nonces, low S,
//! SIGHASH_ALL), finalizes it and extracts the network transaction. The secret never
//! leaves this type: its `Debug` shows nothing of it.

use bitcoin_hashes::{hash160, Hash};
use k256::ecdsa::signature::hazmat::PrehashSigner;
use k256::ecdsa::{Signature, SigningKey};
use serde::Serialize;

use super::chain::ChainParams;
use super::plan::PlannedTx;
use super::psbt::{KeyOrigin, Psbt, PsbtInput, PsbtOutput};
use super::select::KeyPath;
use super::tx::{TxOut, SIGHASH_ALL};
use super::PayoutError;
use crate::address::encode_segwit;
use crate::wallet::bip32::{fingerprint, serialize, Xpriv};
use crate::Network;

/// Private extended key versions: xprv and zprv (main), tprv and vprv (test networks).
const MAIN_VERSIONS: [[u8; 4]; 2] = [[0x04, 0x88, 0xad, 0xe4], [0x04, 0xb2, 0x43, 0x0c]];
const TEST_VERSIONS: [[u8; 4]; 2] = [[0x04, 0x35, 0x83, 0x94], [0x04, 0x5f, 0x18, 0xbc]];

pub struct HotWallet {
    account: Xpriv,
    account_fingerprint: [u8; 4],
    chain: &'static ChainParams,
}

impl std::fmt::Debug for HotWallet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "HotWallet({} {}, key hidden)",
            self.chain.crypto,
            self.chain.network.as_str()
        )
    }
}

/// A signed transaction, ready to broadcast.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignedTx {
    pub raw_tx_hex: String,
    pub txid: String,
    pub fee: u64,
    pub vsize: u64,
    pub weight: u64,
    /// The finalized PSBT (BIP-174), hex.
    pub psbt_hex: String,
}

fn invalid(reason: &'static str) -> PayoutError {
    PayoutError::InvalidHotWallet { reason }
}

/// The key inside `wpkh([origin]KEY/0/*)#checksum`, or the whole string when it is a
/// bare key. Only the receive chain form is accepted; change uses chain 1 of the same key.
fn key_of(secret: &str) -> Result<&str, PayoutError> {
    let Some(inner) = secret.strip_prefix("wpkh(") else {
        return Ok(secret);
    };
    let inner = inner.split('#').next().unwrap_or(inner);
    let inner = inner
        .strip_suffix(')')
        .ok_or(invalid("descriptor does not end with ')'"))?;
    let inner = match inner.strip_prefix('[') {
        Some(rest) => {
            rest.split_once(']')
                .ok_or(invalid("unclosed key origin"))?
                .1
        }
        None => inner,
    };
    inner
        .strip_suffix("/0/*")
        .or_else(|| inner.strip_suffix("/<0;1>/*"))
        .ok_or(invalid("descriptor key must end with /0/* or /<0;1>/*"))
}

impl HotWallet {
    pub fn from_secret(
        secret: &str,
        chain: &'static ChainParams,
    ) -> Result<HotWallet, PayoutError> {
        let key = key_of(secret.trim())?;
        let data = cryptoexchange_address::base58check::decode(key)
            .map_err(|_| invalid("not a base58check extended key"))?;
        let data: [u8; 78] = data
            .try_into()
            .map_err(|_| invalid("extended key payload is not 78 bytes"))?;
        let version = [data[0], data[1], data[2], data[3]];
        let versions = match chain.network {
            Network::Mainnet => &MAIN_VERSIONS,
            _ => &TEST_VERSIONS,
        };
        if !versions.contains(&version) {
            return Err(invalid("not a private extended key of this network"));
        }
        let account = Xpriv::decode(&data).map_err(|_| invalid("invalid private key"))?;
        if account.depth() != 3 {
            return Err(invalid(
                "give the account key (depth 3, m/84'/coin'/account')",
            ));
        }
        let public = account
            .public_key()
            .map_err(|_| invalid("invalid private key"))?;
        Ok(HotWallet {
            account_fingerprint: fingerprint(&public),
            account,
            chain,
        })
    }

    pub fn chain(&self) -> &'static ChainParams {
        self.chain
    }

    fn child(&self, key: KeyPath) -> Result<Xpriv, PayoutError> {
        if key.chain > 1 || key.index >= 1 << 31 {
            return Err(invalid("path outside the receive and change chains"));
        }
        self.account
            .derive(key.chain)
            .and_then(|k| k.derive(key.index))
            .map_err(|_| invalid("derivation hit an invalid key"))
    }

    fn public_key(&self, key: KeyPath) -> Result<[u8; 33], PayoutError> {
        let child = self.child(key)?;
        Ok(serialize(
            &child.public_key().map_err(|_| invalid("invalid key"))?,
        ))
    }

    /// `OP_0 <HASH160(pubkey)>`.
    pub fn script_pubkey(&self, key: KeyPath) -> Result<Vec<u8>, PayoutError> {
        let hash = hash160::Hash::hash(&self.public_key(key)?).to_byte_array();
        let mut script = vec![0x00, 0x14];
        script.extend_from_slice(&hash);
        Ok(script)
    }

    pub fn address(&self, key: KeyPath) -> Result<String, PayoutError> {
        let script = self.script_pubkey(key)?;
        encode_segwit(self.chain.crypto, self.chain.network, 0, &script[2..])
            .map_err(|_| invalid("no segwit addresses on this chain"))
    }

    fn origin(&self, key: KeyPath) -> KeyOrigin {
        KeyOrigin {
            fingerprint: self.account_fingerprint,
            path: vec![key.chain, key.index],
        }
    }

    /// The PSBT of a planned transaction, before signatures.
    pub fn psbt(&self, plan: &PlannedTx) -> Result<Psbt, PayoutError> {
        let inputs = plan
            .spent
            .iter()
            .map(|coin| {
                Ok(PsbtInput {
                    witness_utxo: TxOut {
                        value: coin.value,
                        script_pubkey: coin.script_pubkey.clone(),
                    },
                    derivation: Some((self.public_key(coin.key)?, self.origin(coin.key))),
                    partial_sig: None,
                    final_witness: None,
                })
            })
            .collect::<Result<Vec<_>, PayoutError>>()?;
        let outputs = (0..plan.tx.outputs.len())
            .map(|i| {
                Ok(PsbtOutput {
                    derivation: if plan.change_index == Some(i) {
                        Some((
                            self.public_key(plan.change_key)?,
                            self.origin(plan.change_key),
                        ))
                    } else {
                        None
                    },
                })
            })
            .collect::<Result<Vec<_>, PayoutError>>()?;
        Ok(Psbt {
            unsigned_tx: plan.tx.clone(),
            inputs,
            outputs,
        })
    }

    /// Signs every input (all must be ours), finalizes and extracts.
    pub fn sign(&self, plan: &PlannedTx) -> Result<SignedTx, PayoutError> {
        let mut psbt = self.psbt(plan)?;
        for (index, coin) in plan.spent.iter().enumerate() {
            let child = self.child(coin.key)?;
            let public = self.public_key(coin.key)?;
            let hash = hash160::Hash::hash(&public).to_byte_array();
            if coin.script_pubkey[..] != [&[0x00, 0x14][..], &hash[..]].concat()[..] {
                return Err(PayoutError::KeyMismatch { input: index });
            }
            let sighash = psbt.unsigned_tx.p2wpkh_sighash(index, &hash, coin.value);
            let secret = child.secret_bytes();
            let signing_key =
                SigningKey::from_bytes((&secret).into()).map_err(|_| invalid("invalid key"))?;
            let signature: Signature = signing_key
                .sign_prehash(&sighash)
                .map_err(|_| invalid("signing failed"))?;
            // BIP-146 (standardness): S in the lower half of the order.
            let signature = signature.normalize_s().unwrap_or(signature);
            let mut der = signature.to_der().as_bytes().to_vec();
            der.push(SIGHASH_ALL);
            psbt.inputs[index].partial_sig = Some((public, der));
        }
        psbt.finalize();
        let tx = psbt.extract().ok_or(invalid("an input is not signed"))?;
        let input_value: u64 = plan.spent.iter().map(|c| c.value).sum();
        let output_value: u64 = tx.outputs.iter().map(|o| o.value).sum();
        Ok(SignedTx {
            raw_tx_hex: hex::encode(tx.to_bytes()),
            txid: tx.txid().to_hex(),
            fee: input_value
                .checked_sub(output_value)
                .ok_or(PayoutError::Overflow)?,
            vsize: tx.vsize(),
            weight: tx.weight(),
            psbt_hex: hex::encode(psbt.serialize()),
        })
    }
}
