//! Bitcoin Cash CashAddr (prefix:payload, 40-bit BCH checksum).
//! Spec: https://github.com/bitcoincashorg/bitcoincash.org/blob/master/spec/cashaddr.md

use super::segwit::CHARSET_REV;
use super::AddressError;

const CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const CHECKSUM_LEN: usize = 8;
/// Payload of a 32-byte hash: 1 version byte + 32 bytes = 264 bits = 53 groups.
const MAX_GROUPS: usize = 53 + CHECKSUM_LEN;

/// Address type (bits 3..6 of the version byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CashKind {
    PubKeyHash,
    ScriptHash,
}

/// A decoded CashAddr payload: 20-byte hash, or 32-byte hash for P2SH32.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CashPayload {
    pub(crate) kind: CashKind,
    hash: [u8; 32],
    len: usize,
}

impl CashPayload {
    pub(crate) fn hash(&self) -> &[u8] {
        &self.hash[..self.len]
    }
}

/// Whether `s` looks like a cashaddr payload without prefix (q/p + charset, single case).
pub(crate) fn looks_unprefixed(s: &str) -> bool {
    matches!(s.as_bytes().first(), Some(b'q' | b'p' | b'Q' | b'P'))
        && (s.len() == 42 || s.len() == 61)
        && s.bytes()
            .all(|b| b < 128 && CHARSET_REV[b as usize] != 0xff)
}

/// Decodes `payload` (the part after the colon) under `prefix` (lower case).
/// `offset` is the character position of the payload in the original input.
pub(crate) fn decode(
    prefix: &str,
    payload: &str,
    offset: usize,
) -> Result<CashPayload, AddressError> {
    let count = payload.len();
    if count > MAX_GROUPS {
        return Err(AddressError::TooLong {
            max: prefix.len() + 1 + MAX_GROUPS,
            found: offset + count,
        });
    }
    let mut values = [0u8; MAX_GROUPS];
    for (i, b) in payload.bytes().enumerate() {
        let v = if b < 128 {
            CHARSET_REV[b as usize]
        } else {
            0xff
        };
        if v == 0xff {
            return Err(AddressError::BadCharacter {
                position: offset + i,
                character: char::from(b),
            });
        }
        values[i] = v;
    }
    let values = &values[..count];
    if count <= CHECKSUM_LEN {
        return Err(AddressError::TooShort {
            min: offset + 42,
            found: offset + count,
        });
    }
    if polymod(prefix, values) != 0 {
        return Err(AddressError::BadChecksum);
    }

    let groups = &values[..count - CHECKSUM_LEN];
    let mut bytes = [0u8; 33];
    let mut acc: u32 = 0;
    let mut acc_bits = 0u32;
    let mut out = 0usize;
    for &g in groups {
        acc = (acc << 5) | u32::from(g);
        acc_bits += 5;
        if acc_bits >= 8 {
            acc_bits -= 8;
            if out >= bytes.len() {
                return Err(AddressError::BadLength {
                    expected: 21,
                    found: groups.len() * 5 / 8,
                });
            }
            bytes[out] = (acc >> acc_bits) as u8;
            out += 1;
        }
    }
    if acc_bits > 4 || acc & ((1 << acc_bits) - 1) != 0 {
        return Err(AddressError::BadPadding);
    }
    let version = bytes[0];
    let hash_len = match version & 0x07 {
        0 => 20,
        3 => 32,
        _ => return Err(AddressError::UnknownPrefix),
    };
    if out != 1 + hash_len {
        return Err(AddressError::BadLength {
            expected: 1 + hash_len,
            found: out,
        });
    }
    // High bit reserved; types 0 (P2PKH) and 1 (P2SH) only; P2PKH is 20 bytes.
    let kind = match (version >> 3, hash_len) {
        (0, 20) => CashKind::PubKeyHash,
        (1, _) => CashKind::ScriptHash,
        _ => return Err(AddressError::UnknownPrefix),
    };
    let mut hash = [0u8; 32];
    hash[..hash_len].copy_from_slice(&bytes[1..out]);
    Ok(CashPayload {
        kind,
        hash,
        len: hash_len,
    })
}

/// Encodes `prefix:payload` in lower case; `hash` is 20 bytes (or 32 for P2SH32).
pub(crate) fn encode(prefix: &str, kind: CashKind, hash: &[u8]) -> String {
    let size_bits = if hash.len() == 32 { 3 } else { 0 };
    let type_bits = match kind {
        CashKind::PubKeyHash => 0,
        CashKind::ScriptHash => 1,
    };
    let mut bytes = Vec::with_capacity(1 + hash.len());
    bytes.push((type_bits << 3) | size_bits);
    bytes.extend_from_slice(hash);

    let mut values = Vec::with_capacity(MAX_GROUPS);
    let mut acc: u32 = 0;
    let mut acc_bits = 0u32;
    for &b in &bytes {
        acc = (acc << 8) | u32::from(b);
        acc_bits += 8;
        while acc_bits >= 5 {
            acc_bits -= 5;
            values.push(((acc >> acc_bits) & 31) as u8);
        }
    }
    if acc_bits > 0 {
        values.push(((acc << (5 - acc_bits)) & 31) as u8);
    }
    let data_len = values.len();
    values.extend_from_slice(&[0; CHECKSUM_LEN]);
    let checksum = polymod(prefix, &values);
    for (i, v) in values[data_len..].iter_mut().enumerate() {
        *v = ((checksum >> (5 * (7 - i))) & 31) as u8;
    }

    let mut s = String::with_capacity(prefix.len() + 1 + values.len());
    s.push_str(prefix);
    s.push(':');
    s.extend(values.iter().map(|&v| char::from(CHARSET[v as usize])));
    s
}

/// The spec's PolyMod over lower 5 bits of the prefix, a zero separator and the payload.
fn polymod(prefix: &str, values: &[u8]) -> u64 {
    let mut c: u64 = 1;
    let step = |c: u64, d: u8| -> u64 {
        let c0 = (c >> 35) as u8;
        let mut c = ((c & 0x07_ffff_ffff) << 5) ^ u64::from(d);
        if c0 & 0x01 != 0 {
            c ^= 0x98_f2bc_8e61;
        }
        if c0 & 0x02 != 0 {
            c ^= 0x79_b76d_99e2;
        }
        if c0 & 0x04 != 0 {
            c ^= 0xf3_3e5f_b3c4;
        }
        if c0 & 0x08 != 0 {
            c ^= 0xae_2eab_e2a8;
        }
        if c0 & 0x10 != 0 {
            c ^= 0x1e_4f43_e470;
        }
        c
    };
    for b in prefix.bytes() {
        c = step(c, b & 0x1f);
    }
    c = step(c, 0);
    for &v in values {
        c = step(c, v);
    }
    c ^ 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_then_decode_round_trips() {
        for (kind, len) in [
            (CashKind::PubKeyHash, 20),
            (CashKind::ScriptHash, 20),
            (CashKind::ScriptHash, 32),
        ] {
            let hash: Vec<u8> = (0..len as u8).map(|b| b.wrapping_mul(37)).collect();
            let s = encode("bchtest", kind, &hash);
            let payload = s.strip_prefix("bchtest:").unwrap();
            let decoded = decode("bchtest", payload, 8).unwrap();
            assert_eq!(decoded.kind, kind);
            assert_eq!(decoded.hash(), hash.as_slice());
        }
    }
}
