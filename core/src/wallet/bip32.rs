//! BIP-32 hierarchical deterministic keys on the pure-Rust `k256`, built without its
//! precomputed tables: derivation does a handful of multiplications per call, and the
//! C libsecp256k1 (with its 32 KB table) was a tenth of the npm package.
//! https://github.com/bitcoin/bips/blob/master/bip-0032.mediawiki

use bitcoin_hashes::{hash160, sha256, sha512, Hash, HashEngine, Hmac, HmacEngine};
use k256::elliptic_curve::sec1::ToEncodedPoint;
use k256::elliptic_curve::PrimeField;
use k256::{FieldBytes, ProjectivePoint, PublicKey, Scalar};

/// Child numbers at or above this are hardened.
pub(crate) const HARDENED: u32 = 1 << 31;

/// The one failure of derivation: a hash fell outside the curve order or gave the
/// point at infinity (probability below 2^-127 per step; BIP-32 says skip the index).
#[derive(Debug)]
pub(crate) struct InvalidKey;

/// An extended private key: what derivation needs, no serialization (never leaves).
pub(crate) struct Xpriv {
    key: Scalar,
    chain_code: [u8; 32],
    depth: u8,
    /// Fingerprint of the parent's public key.
    parent_fingerprint: [u8; 4],
    child_number: u32,
}

/// An extended public key.
#[derive(Debug, Clone)]
pub(crate) struct Xpub {
    pub(crate) depth: u8,
    pub(crate) parent_fingerprint: [u8; 4],
    pub(crate) child_number: u32,
    pub(crate) chain_code: [u8; 32],
    pub(crate) public_key: PublicKey,
}

fn hmac_sha512(key: &[u8], parts: &[&[u8]]) -> ([u8; 32], [u8; 32]) {
    let mut engine = HmacEngine::<sha512::Hash>::new(key);
    for part in parts {
        engine.input(part);
    }
    let out = Hmac::<sha512::Hash>::from_engine(engine).to_byte_array();
    let mut left = [0u8; 32];
    let mut right = [0u8; 32];
    left.copy_from_slice(&out[..32]);
    right.copy_from_slice(&out[32..]);
    (left, right)
}

/// A 32-byte big-endian number as a scalar, refused when not below the curve order.
fn scalar(bytes: [u8; 32]) -> Result<Scalar, InvalidKey> {
    Option::from(Scalar::from_repr(FieldBytes::from(bytes))).ok_or(InvalidKey)
}

/// The 33-byte compressed SEC1 encoding.
pub(crate) fn serialize(key: &PublicKey) -> [u8; 33] {
    let mut out = [0u8; 33];
    out.copy_from_slice(key.to_encoded_point(true).as_bytes());
    out
}

/// The 64 bytes x || y of the uncompressed encoding, without its 0x04 tag.
pub(crate) fn serialize_xy(key: &PublicKey) -> [u8; 64] {
    let mut out = [0u8; 64];
    out.copy_from_slice(&key.to_encoded_point(false).as_bytes()[1..]);
    out
}

fn point(p: ProjectivePoint) -> Result<PublicKey, InvalidKey> {
    PublicKey::from_affine(p.to_affine()).map_err(|_| InvalidKey)
}

pub(crate) fn fingerprint(key: &PublicKey) -> [u8; 4] {
    let hash = hash160::Hash::hash(&serialize(key)).to_byte_array();
    [hash[0], hash[1], hash[2], hash[3]]
}

impl Xpriv {
    /// The master key of a BIP-39 seed.
    pub(crate) fn new_master(seed: &[u8]) -> Result<Xpriv, InvalidKey> {
        let (key, chain_code) = hmac_sha512(b"Bitcoin seed", &[seed]);
        let key = scalar(key)?;
        if bool::from(key.is_zero()) {
            return Err(InvalidKey);
        }
        Ok(Xpriv {
            key,
            chain_code,
            depth: 0,
            parent_fingerprint: [0; 4],
            child_number: 0,
        })
    }

    pub(crate) fn public_key(&self) -> Result<PublicKey, InvalidKey> {
        point(ProjectivePoint::GENERATOR * self.key)
    }

    /// The 32-byte secret, for signing (callers keep it no longer than a signature).
    #[cfg(feature = "signing")]
    pub(crate) fn secret_bytes(&self) -> [u8; 32] {
        self.key.to_repr().into()
    }

    /// Depth in the tree (3 for a BIP-84 account key).
    #[cfg(feature = "signing")]
    pub(crate) fn depth(&self) -> u8 {
        self.depth
    }

    /// Reads the 78-byte serialization of a private key, whatever its version bytes:
    /// a zero byte, then a secret below the curve order and not zero.
    #[cfg(feature = "signing")]
    pub(crate) fn decode(data: &[u8; 78]) -> Result<Xpriv, InvalidKey> {
        if data[45] != 0 {
            return Err(InvalidKey);
        }
        let mut secret = [0u8; 32];
        secret.copy_from_slice(&data[46..]);
        let key = scalar(secret)?;
        if bool::from(key.is_zero()) {
            return Err(InvalidKey);
        }
        let mut parent_fingerprint = [0u8; 4];
        parent_fingerprint.copy_from_slice(&data[5..9]);
        let mut chain_code = [0u8; 32];
        chain_code.copy_from_slice(&data[13..45]);
        Ok(Xpriv {
            key,
            chain_code,
            depth: data[4],
            parent_fingerprint,
            child_number: u32::from_be_bytes([data[9], data[10], data[11], data[12]]),
        })
    }

    /// CKDpriv; `child` at or above [`HARDENED`] is a hardened child.
    pub(crate) fn derive(&self, child: u32) -> Result<Xpriv, InvalidKey> {
        let public = self.public_key()?;
        let index = child.to_be_bytes();
        let (tweak, chain_code) = if child >= HARDENED {
            let secret: [u8; 32] = self.key.to_repr().into();
            hmac_sha512(&self.chain_code, &[&[0], &secret, &index])
        } else {
            hmac_sha512(&self.chain_code, &[&serialize(&public), &index])
        };
        let key = scalar(tweak)? + self.key;
        if bool::from(key.is_zero()) {
            return Err(InvalidKey);
        }
        Ok(Xpriv {
            key,
            chain_code,
            depth: self.depth.checked_add(1).ok_or(InvalidKey)?,
            parent_fingerprint: fingerprint(&public),
            child_number: child,
        })
    }

    /// The matching extended public key.
    pub(crate) fn to_xpub(&self) -> Result<Xpub, InvalidKey> {
        Ok(Xpub {
            depth: self.depth,
            parent_fingerprint: self.parent_fingerprint,
            child_number: self.child_number,
            chain_code: self.chain_code,
            public_key: self.public_key()?,
        })
    }
}

impl Xpub {
    /// CKDpub of a normal (non-hardened) child.
    pub(crate) fn derive(&self, child: u32) -> Result<Xpub, InvalidKey> {
        if child >= HARDENED {
            return Err(InvalidKey);
        }
        let (tweak, chain_code) = hmac_sha512(
            &self.chain_code,
            &[&serialize(&self.public_key), &child.to_be_bytes()],
        );
        let tweak = scalar(tweak)?;
        let public_key =
            point(ProjectivePoint::GENERATOR * tweak + self.public_key.to_projective())?;
        Ok(Xpub {
            depth: self.depth.checked_add(1).ok_or(InvalidKey)?,
            parent_fingerprint: fingerprint(&self.public_key),
            child_number: child,
            chain_code,
            public_key,
        })
    }

    /// The 78-byte serialization, with the version bytes given.
    pub(crate) fn encode(&self, version: [u8; 4]) -> [u8; 78] {
        let mut out = [0u8; 78];
        out[..4].copy_from_slice(&version);
        out[4] = self.depth;
        out[5..9].copy_from_slice(&self.parent_fingerprint);
        out[9..13].copy_from_slice(&self.child_number.to_be_bytes());
        out[13..45].copy_from_slice(&self.chain_code);
        out[45..].copy_from_slice(&serialize(&self.public_key));
        out
    }

    /// Reads the 78-byte serialization, whatever its version bytes; the key must be a
    /// valid compressed point.
    pub(crate) fn decode(data: &[u8; 78]) -> Result<Xpub, InvalidKey> {
        let mut parent_fingerprint = [0u8; 4];
        parent_fingerprint.copy_from_slice(&data[5..9]);
        let mut chain_code = [0u8; 32];
        chain_code.copy_from_slice(&data[13..45]);
        Ok(Xpub {
            depth: data[4],
            parent_fingerprint,
            child_number: u32::from_be_bytes([data[9], data[10], data[11], data[12]]),
            chain_code,
            public_key: PublicKey::from_sec1_bytes(&data[45..]).map_err(|_| InvalidKey)?,
        })
    }
}

/// BIP-341 output key of a key-path-only taproot output (BIP-86): the x coordinate
/// of `P + H_TapTweak(x(P)) * G`, with `P` taken with an even y.
pub(crate) fn taproot_output_key(internal: &PublicKey) -> Result<[u8; 32], InvalidKey> {
    let compressed = serialize(internal);
    let x = &compressed[1..];
    let tag = sha256::Hash::hash(b"TapTweak").to_byte_array();
    let mut engine = sha256::Hash::engine();
    engine.input(&tag);
    engine.input(&tag);
    engine.input(x);
    let tweak = scalar(sha256::Hash::from_engine(engine).to_byte_array())?;
    let even = if compressed[0] == 0x03 {
        -internal.to_projective()
    } else {
        internal.to_projective()
    };
    let output = serialize(&point(even + ProjectivePoint::GENERATOR * tweak)?);
    let mut out = [0u8; 32];
    out.copy_from_slice(&output[1..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cryptoexchange_address::base58check;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct File {
        seed: String,
        chain: Vec<Step>,
    }

    #[derive(Deserialize)]
    struct Step {
        path: String,
        xpub: String,
    }

    const XPUB: [u8; 4] = [0x04, 0x88, 0xb2, 0x1e];

    fn child(step: &str) -> u32 {
        match step.strip_suffix('\'') {
            Some(index) => index.parse::<u32>().expect("index") | HARDENED,
            None => step.parse().expect("index"),
        }
    }

    fn to_string(xpub: &Xpub) -> String {
        base58check::encode(&xpub.encode(XPUB))
    }

    fn parse(s: &str) -> Xpub {
        let data: [u8; 78] = base58check::decode(s)
            .expect("base58check")
            .try_into()
            .expect("78 bytes");
        Xpub::decode(&data).expect("valid xpub")
    }

    /// BIP-32 test vector 1: private derivation along every path, and public
    /// derivation of the last (normal) step from its parent's xpub.
    #[test]
    fn bip32_vector_1() {
        let file: File = serde_json::from_str(include_str!("../../tests/vectors/bip32.json"))
            .expect("vector file parses");
        let seed = hex::decode(&file.seed).expect("hex seed");
        let mut failures = Vec::new();
        for step in &file.chain {
            let key = step
                .path
                .split('/')
                .skip(1)
                .map(child)
                .try_fold(Xpriv::new_master(&seed).expect("master"), |key, c| {
                    key.derive(c)
                })
                .expect("derives");
            let got = to_string(&key.to_xpub().expect("public key"));
            if got != step.xpub {
                failures.push(format!("{}: got {got}", step.path));
            }
            if to_string(&parse(&step.xpub)) != step.xpub {
                failures.push(format!("{}: decode/encode differs", step.path));
            }
        }
        let parent = parse(&file.chain[4].xpub);
        let got = to_string(&parent.derive(1_000_000_000).expect("derives"));
        if got != file.chain[5].xpub {
            failures.push(format!("public derivation: got {got}"));
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn public_derivation_refuses_hardened_children() {
        let file: File = serde_json::from_str(include_str!("../../tests/vectors/bip32.json"))
            .expect("vector file parses");
        assert!(parse(&file.chain[0].xpub).derive(HARDENED).is_err());
    }
}
