//! The BIP-174 (version 0) PSBT the planner creates and the signer fills: the unsigned
//! transaction, each input's witness UTXO and key origin, the change output's key
//! origin; then partial signatures, and after finalizing, the final witnesses.
//! https://github.com/bitcoin/bips/blob/master/bip-0174.mediawiki

use super::tx::{write_bytes, write_compact_size, Transaction, TxOut, SIGHASH_ALL};

const MAGIC: &[u8; 5] = b"psbt\xff";
const GLOBAL_UNSIGNED_TX: u8 = 0x00;
const IN_WITNESS_UTXO: u8 = 0x01;
const IN_PARTIAL_SIG: u8 = 0x02;
const IN_SIGHASH_TYPE: u8 = 0x03;
const IN_BIP32_DERIVATION: u8 = 0x06;
const IN_FINAL_SCRIPTWITNESS: u8 = 0x08;
const OUT_BIP32_DERIVATION: u8 = 0x02;

/// Fingerprint of the key the path starts from, then the path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyOrigin {
    pub fingerprint: [u8; 4],
    pub path: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PsbtInput {
    pub witness_utxo: TxOut,
    pub derivation: Option<([u8; 33], KeyOrigin)>,
    pub partial_sig: Option<([u8; 33], Vec<u8>)>,
    pub final_witness: Option<Vec<Vec<u8>>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PsbtOutput {
    pub derivation: Option<([u8; 33], KeyOrigin)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Psbt {
    pub unsigned_tx: Transaction,
    pub inputs: Vec<PsbtInput>,
    pub outputs: Vec<PsbtOutput>,
}

fn pair(out: &mut Vec<u8>, key_type: u8, key_data: &[u8], value: &[u8]) {
    write_compact_size(out, 1 + key_data.len() as u64);
    out.push(key_type);
    out.extend_from_slice(key_data);
    write_bytes(out, value);
}

fn origin_bytes(origin: &KeyOrigin) -> Vec<u8> {
    let mut value = origin.fingerprint.to_vec();
    for step in &origin.path {
        value.extend_from_slice(&step.to_le_bytes());
    }
    value
}

impl Psbt {
    pub fn serialize(&self) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        pair(
            &mut out,
            GLOBAL_UNSIGNED_TX,
            &[],
            &self.unsigned_tx.to_bytes_without_witness(),
        );
        out.push(0x00);
        for input in &self.inputs {
            let mut utxo = Vec::new();
            input.witness_utxo.write(&mut utxo);
            pair(&mut out, IN_WITNESS_UTXO, &[], &utxo);
            if let Some((key, sig)) = &input.partial_sig {
                pair(&mut out, IN_PARTIAL_SIG, key, sig);
            }
            if input.final_witness.is_none() {
                pair(
                    &mut out,
                    IN_SIGHASH_TYPE,
                    &[],
                    &u32::from(SIGHASH_ALL).to_le_bytes(),
                );
                if let Some((key, origin)) = &input.derivation {
                    pair(&mut out, IN_BIP32_DERIVATION, key, &origin_bytes(origin));
                }
            }
            if let Some(witness) = &input.final_witness {
                let mut value = Vec::new();
                write_compact_size(&mut value, witness.len() as u64);
                for item in witness {
                    write_bytes(&mut value, item);
                }
                pair(&mut out, IN_FINAL_SCRIPTWITNESS, &[], &value);
            }
            out.push(0x00);
        }
        for output in &self.outputs {
            if let Some((key, origin)) = &output.derivation {
                pair(&mut out, OUT_BIP32_DERIVATION, key, &origin_bytes(origin));
            }
            out.push(0x00);
        }
        out
    }

    /// BIP-174 finalizer for P2WPKH: the witness is the signature and the key; the
    /// partial signature, sighash type and derivation are dropped.
    pub fn finalize(&mut self) -> bool {
        let mut all = true;
        for input in &mut self.inputs {
            match input.partial_sig.take() {
                Some((key, sig)) => {
                    input.final_witness = Some(vec![sig, key.to_vec()]);
                    input.derivation = None;
                }
                None => all &= input.final_witness.is_some(),
            }
        }
        all
    }

    /// The network transaction of a finalized PSBT.
    pub fn extract(&self) -> Option<Transaction> {
        let mut tx = self.unsigned_tx.clone();
        for (txin, input) in tx.inputs.iter_mut().zip(&self.inputs) {
            txin.witness = input.final_witness.clone()?;
        }
        Some(tx)
    }
}
