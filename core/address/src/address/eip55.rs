//! Ethereum addresses: `0x` + 40 hex digits, mixed case checked per EIP-55.

use sha3::{Digest, Keccak256};

use super::AddressError;

pub(crate) const HEX_LEN: usize = 40;

/// Parses `0x` + 40 hex digits; returns the 20 bytes and the EIP-55 form.
///
/// All-lower and all-upper are accepted as "no checksum"; mixed case must be
/// exactly the EIP-55 checksummed form.
pub(crate) fn parse(s: &str) -> Result<([u8; 20], String), AddressError> {
    let digits = s.strip_prefix("0x").ok_or(AddressError::UnknownPrefix)?;
    let mut has_lower = false;
    let mut has_upper = false;
    let mut bytes = [0u8; 20];
    let mut count = 0usize;
    for (i, character) in digits.chars().enumerate() {
        let nibble = character.to_digit(16).ok_or(AddressError::BadCharacter {
            position: 2 + i,
            character,
        })? as u8;
        if count < 2 * bytes.len() {
            bytes[count / 2] |= nibble << if count & 1 == 0 { 4 } else { 0 };
        }
        count += 1;
        has_lower |= character.is_ascii_lowercase();
        has_upper |= character.is_ascii_uppercase();
    }
    if count != HEX_LEN {
        return Err(AddressError::BadLength {
            expected: HEX_LEN,
            found: count,
        });
    }
    let checksummed = checksum_encode(&bytes);
    if has_lower && has_upper && checksummed != s {
        return Err(AddressError::BadChecksum);
    }
    Ok((bytes, checksummed))
}

/// EIP-55: a hex letter is upper case when the matching nibble of
/// keccak256(lower-case hex) is 8 or more.
pub(crate) fn checksum_encode(bytes: &[u8; 20]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut lower = [0u8; HEX_LEN];
    for (i, b) in bytes.iter().enumerate() {
        lower[2 * i] = DIGITS[usize::from(b >> 4)];
        lower[2 * i + 1] = DIGITS[usize::from(b & 0x0f)];
    }
    let hash = Keccak256::digest(lower);
    let mut out = String::with_capacity(2 + HEX_LEN);
    out.push_str("0x");
    for (i, &c) in lower.iter().enumerate() {
        let nibble = (hash[i / 2] >> if i & 1 == 0 { 4 } else { 0 }) & 0x0f;
        out.push(char::from(if nibble >= 8 {
            c.to_ascii_uppercase()
        } else {
            c
        }));
    }
    out
}

/// The address of a secp256k1 public key given uncompressed without its 0x04 tag.
pub(crate) fn from_uncompressed_key(key_xy: &[u8; 64]) -> [u8; 20] {
    let hash = Keccak256::digest(key_xy);
    let mut out = [0u8; 20];
    out.copy_from_slice(&hash[12..]);
    out
}
