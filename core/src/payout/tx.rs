//! Transactions as the consensus encodes them (BIP-141/144), their txid and weight, and
//! the BIP-143 signature hash of a P2WPKH input.

use bitcoin_hashes::{sha256d, Hash};
use serde::{Deserialize, Serialize};

use super::chain::compact_size_len;

/// A transaction id. Stored in the internal byte order; hex is the reversed (display)
/// order that block explorers and Esplora use.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Txid(pub [u8; 32]);

impl Txid {
    pub fn from_hex(s: &str) -> Option<Txid> {
        let mut bytes: [u8; 32] = hex::decode(s).ok()?.try_into().ok()?;
        bytes.reverse();
        Some(Txid(bytes))
    }

    pub fn to_hex(&self) -> String {
        let mut bytes = self.0;
        bytes.reverse();
        hex::encode(bytes)
    }
}

impl std::fmt::Debug for Txid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl Serialize for Txid {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Txid {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Txid, D::Error> {
        let s = String::deserialize(d)?;
        Txid::from_hex(&s).ok_or_else(|| serde::de::Error::custom("expected a 64-digit hex txid"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct OutPoint {
    pub txid: Txid,
    pub vout: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxIn {
    pub previous_output: OutPoint,
    pub sequence: u32,
    /// Witness stack; empty until signed.
    #[serde(default)]
    pub witness: Vec<Vec<u8>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxOut {
    /// Base units (satoshi, litoshi).
    pub value: u64,
    #[serde(with = "hex_bytes")]
    pub script_pubkey: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction {
    pub version: i32,
    pub inputs: Vec<TxIn>,
    pub outputs: Vec<TxOut>,
    pub lock_time: u32,
}

/// BIP-125: any input sequence below 0xfffffffe signals replaceability.
pub const SEQUENCE_RBF: u32 = 0xffff_fffd;
pub const SIGHASH_ALL: u8 = 0x01;

pub(crate) fn write_compact_size(out: &mut Vec<u8>, n: u64) {
    match n {
        0..=0xfc => out.push(n as u8),
        0xfd..=0xffff => {
            out.push(0xfd);
            out.extend_from_slice(&(n as u16).to_le_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(0xfe);
            out.extend_from_slice(&(n as u32).to_le_bytes());
        }
        _ => {
            out.push(0xff);
            out.extend_from_slice(&n.to_le_bytes());
        }
    }
}

pub(crate) fn write_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    write_compact_size(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

impl TxOut {
    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.value.to_le_bytes());
        write_bytes(out, &self.script_pubkey);
    }

    /// Serialized size in bytes (all non-witness: four weight units each).
    pub fn size(&self) -> u64 {
        8 + compact_size_len(self.script_pubkey.len() as u64) + self.script_pubkey.len() as u64
    }
}

impl OutPoint {
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.txid.0);
        out.extend_from_slice(&self.vout.to_le_bytes());
    }
}

impl Transaction {
    fn has_witness(&self) -> bool {
        self.inputs.iter().any(|i| !i.witness.is_empty())
    }

    fn serialize(&self, with_witness: bool) -> Vec<u8> {
        let witness = with_witness && self.has_witness();
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(&self.version.to_le_bytes());
        if witness {
            out.extend_from_slice(&[0x00, 0x01]);
        }
        write_compact_size(&mut out, self.inputs.len() as u64);
        for input in &self.inputs {
            input.previous_output.write(&mut out);
            write_bytes(&mut out, &[]); // empty scriptSig: native segwit only
            out.extend_from_slice(&input.sequence.to_le_bytes());
        }
        write_compact_size(&mut out, self.outputs.len() as u64);
        for output in &self.outputs {
            output.write(&mut out);
        }
        if witness {
            for input in &self.inputs {
                write_compact_size(&mut out, input.witness.len() as u64);
                for item in &input.witness {
                    write_bytes(&mut out, item);
                }
            }
        }
        out.extend_from_slice(&self.lock_time.to_le_bytes());
        out
    }

    /// The network serialization (with witnesses when any input has one).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.serialize(true)
    }

    /// The serialization without witnesses (what the txid commits to, and a PSBT holds).
    pub fn to_bytes_without_witness(&self) -> Vec<u8> {
        self.serialize(false)
    }

    pub fn txid(&self) -> Txid {
        Txid(sha256d::Hash::hash(&self.serialize(false)).to_byte_array())
    }

    /// BIP-141 weight: non-witness bytes count four times, witness bytes once.
    pub fn weight(&self) -> u64 {
        let base = self.serialize(false).len() as u64;
        let total = self.serialize(true).len() as u64;
        base * 3 + total
    }

    pub fn vsize(&self) -> u64 {
        self.weight().div_ceil(4)
    }

    /// BIP-143 signature hash (SIGHASH_ALL) of input `index` spending a P2WPKH output of
    /// `value` locked to `pubkey_hash`.
    pub fn p2wpkh_sighash(&self, index: usize, pubkey_hash: &[u8; 20], value: u64) -> [u8; 32] {
        let mut prevouts = Vec::with_capacity(36 * self.inputs.len());
        let mut sequences = Vec::with_capacity(4 * self.inputs.len());
        for input in &self.inputs {
            input.previous_output.write(&mut prevouts);
            sequences.extend_from_slice(&input.sequence.to_le_bytes());
        }
        let mut outputs = Vec::new();
        for output in &self.outputs {
            output.write(&mut outputs);
        }
        let input = &self.inputs[index];
        let mut preimage = Vec::with_capacity(200);
        preimage.extend_from_slice(&self.version.to_le_bytes());
        preimage.extend_from_slice(&sha256d::Hash::hash(&prevouts).to_byte_array());
        preimage.extend_from_slice(&sha256d::Hash::hash(&sequences).to_byte_array());
        input.previous_output.write(&mut preimage);
        // scriptCode of P2WPKH: the P2PKH script of the same key hash.
        preimage.extend_from_slice(&[0x19, 0x76, 0xa9, 0x14]);
        preimage.extend_from_slice(pubkey_hash);
        preimage.extend_from_slice(&[0x88, 0xac]);
        preimage.extend_from_slice(&value.to_le_bytes());
        preimage.extend_from_slice(&input.sequence.to_le_bytes());
        preimage.extend_from_slice(&sha256d::Hash::hash(&outputs).to_byte_array());
        preimage.extend_from_slice(&self.lock_time.to_le_bytes());
        preimage.extend_from_slice(&u32::from(SIGHASH_ALL).to_le_bytes());
        sha256d::Hash::hash(&preimage).to_byte_array()
    }
}

/// Weight of one P2WPKH input with the largest low-S signature (72 bytes with its
/// sighash byte), as Bitcoin Core estimates it: 41 bytes x 4 + witness 108.
pub const P2WPKH_INPUT_WEIGHT: u64 = 41 * 4 + (1 + 1 + 72 + 1 + 33);

/// Weight of a segwit transaction's fixed part with `inputs` and `outputs` counted:
/// version, locktime, the two counts (x4) and the marker and flag (x1).
pub fn overhead_weight(inputs: usize, outputs: usize) -> u64 {
    (4 + 4 + compact_size_len(inputs as u64) + compact_size_len(outputs as u64)) * 4 + 2
}

pub(crate) mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        hex::decode(s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// BIP-143's native P2WPKH example: the sighash of input 1.
    /// https://github.com/bitcoin/bips/blob/master/bip-0143.mediawiki#native-p2wpkh
    #[test]
    fn bip143_native_p2wpkh_sighash() {
        let unsigned = "0100000002fff7f7881a8099afa6940d42d1e7f6362bec38171ea3edf433541db4e4ad969f0000000000eeffffffef51e1b804cc89d182d279655c3aa89e815b1b309fe287d9b2b55d57b90ec68a0100000000ffffffff02202cb206000000001976a9148280b37df378db99f66f85c95a783a76ac7a6d5988ac9093510d000000001976a9143bde42dbee7e4dbe6a21b2d50ce2f0167faa815988ac11000000";
        let bytes = hex::decode(unsigned).unwrap();
        let tx = parse_unsigned(&bytes);
        assert_eq!(tx.to_bytes(), bytes);
        let hash: [u8; 20] = hex::decode("1d0f172a0ecb48aee1be1f2687d2963ae33f71a1")
            .unwrap()
            .try_into()
            .unwrap();
        let sighash = tx.p2wpkh_sighash(1, &hash, 600_000_000);
        assert_eq!(
            hex::encode(sighash),
            "c37af31116d1b27caf68aae9e3ac82f1477929014d5b917657d0eb49478cb670"
        );
    }

    /// A minimal parser of a legacy-serialized transaction with empty scriptSigs.
    fn parse_unsigned(b: &[u8]) -> Transaction {
        let u32_at = |i: usize| u32::from_le_bytes(b[i..i + 4].try_into().unwrap());
        let mut i = 4;
        let n_in = b[i] as usize;
        i += 1;
        let mut inputs = Vec::new();
        for _ in 0..n_in {
            let txid = Txid(b[i..i + 32].try_into().unwrap());
            let vout = u32_at(i + 32);
            assert_eq!(b[i + 36], 0);
            inputs.push(TxIn {
                previous_output: OutPoint { txid, vout },
                sequence: u32_at(i + 37),
                witness: vec![],
            });
            i += 41;
        }
        let n_out = b[i] as usize;
        i += 1;
        let mut outputs = Vec::new();
        for _ in 0..n_out {
            let value = u64::from_le_bytes(b[i..i + 8].try_into().unwrap());
            let len = b[i + 8] as usize;
            outputs.push(TxOut {
                value,
                script_pubkey: b[i + 9..i + 9 + len].to_vec(),
            });
            i += 9 + len;
        }
        Transaction {
            version: u32_at(0) as i32,
            inputs,
            outputs,
            lock_time: u32_at(i),
        }
    }

    #[test]
    fn txid_hex_is_reversed() {
        let hex = "00000000000000000000000000000000000000000000000000000000000000ff";
        let txid = Txid::from_hex(hex).unwrap();
        assert_eq!(txid.0[0], 0xff);
        assert_eq!(txid.to_hex(), hex);
    }

    #[test]
    fn p2wpkh_input_is_68_vbytes() {
        assert_eq!(P2WPKH_INPUT_WEIGHT, 272);
        // One input, two P2WPKH outputs: 10.5 + 68 + 62 = 140.5 vB.
        assert_eq!(
            overhead_weight(1, 2) + P2WPKH_INPUT_WEIGHT + 2 * 31 * 4,
            562
        );
    }
}
