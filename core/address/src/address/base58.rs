//! Base58Check addresses (P2PKH, P2SH): one version byte and a 20-byte hash.
//!
//! Decoding writes into a fixed buffer and checks the version byte before
//! the double SHA-256, which is the only costly step.

// base58ck comes with `bitcoin` anyway: one base58 encoder in the npm package, not two.
use super::sha256::double_sha256;
use super::AddressError;

/// Version byte + 20-byte hash + 4-byte checksum.
const PAYLOAD_LEN: usize = 25;
/// Enough for any input we accept (128 characters of base58 fit in 94 bytes).
const BUFFER_LEN: usize = 96;

const ALPHABET: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/// Digit value of each ASCII byte, 0xff when not in the alphabet.
const DIGITS: [u8; 128] = {
    let mut table = [0xff_u8; 128];
    let mut i = 0;
    while i < ALPHABET.len() {
        table[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// A decoded base58 payload whose checksum has not been verified yet.
pub(crate) struct Unverified {
    payload: [u8; PAYLOAD_LEN],
}

impl Unverified {
    pub(crate) fn version(&self) -> u8 {
        self.payload[0]
    }

    /// Checks the Base58Check checksum and returns the 20-byte hash.
    pub(crate) fn verify(&self) -> Result<[u8; 20], AddressError> {
        let checksum = double_sha256(&self.payload[..21]);
        if checksum[..4] != self.payload[21..] {
            return Err(AddressError::BadChecksum);
        }
        let mut hash = [0u8; 20];
        hash.copy_from_slice(&self.payload[1..21]);
        Ok(hash)
    }
}

/// Decodes a base58 string that must carry exactly 25 bytes.
pub(crate) fn decode(s: &str) -> Result<Unverified, AddressError> {
    let mut buf = [0u8; BUFFER_LEN];
    let len = decode_into(s, &mut buf)?;
    if len != PAYLOAD_LEN {
        return Err(AddressError::BadLength {
            expected: PAYLOAD_LEN,
            found: len,
        });
    }
    let mut payload = [0u8; PAYLOAD_LEN];
    payload.copy_from_slice(&buf[BUFFER_LEN - len..]);
    Ok(Unverified { payload })
}

/// Base conversion into the end of `buf`; returns the byte length.
///
/// Inputs of at most `BUFFER_LEN` characters (every address) take [`decode_limbs`];
/// longer ones, and any input with a character outside the alphabet (for the error's
/// position), take the byte-at-a-time [`decode_bytes`]. Both give the same answers
/// (a test compares them and `base58ck`).
fn decode_into(s: &str, buf: &mut [u8; BUFFER_LEN]) -> Result<usize, AddressError> {
    if s.len() <= BUFFER_LEN {
        if let Some(len) = decode_limbs(s.as_bytes(), buf) {
            return Ok(len);
        }
    }
    decode_bytes(s, buf)
}

/// 32-bit limbs for `BUFFER_LEN` base58 digits (58^96 < 2^563).
const LIMBS: usize = 18;
/// Digits taken per multiplication: 58^5 < 2^32.
const DIGITS_PER_STEP: usize = 5;
const POW58: [u64; DIGITS_PER_STEP + 1] = [
    1,
    58,
    58 * 58,
    58 * 58 * 58,
    58 * 58 * 58 * 58,
    58 * 58 * 58 * 58 * 58,
];

/// Five digits per multiplication into 32-bit limbs: about a twentieth of the byte
/// loop's steps for an address. `None` when a character is outside the alphabet.
/// With at most `BUFFER_LEN` characters the result always fits (each character adds
/// less than one byte), so `TooLong` cannot arise here.
fn decode_limbs(s: &[u8], buf: &mut [u8; BUFFER_LEN]) -> Option<usize> {
    debug_assert!(s.len() <= BUFFER_LEN);
    let leading_zeros = s.iter().take_while(|&&c| c == b'1').count();
    let mut limbs = [0u32; LIMBS];
    let mut used = 0usize; // limbs in use, least significant first
    for chunk in s[leading_zeros..].chunks(DIGITS_PER_STEP) {
        let mut carry = 0u64;
        for &c in chunk {
            let digit = *DIGITS.get(usize::from(c))?;
            if digit == 0xff {
                return None;
            }
            carry = carry * 58 + u64::from(digit);
        }
        let factor = POW58[chunk.len()];
        for limb in &mut limbs[..used] {
            let product = u64::from(*limb) * factor + carry;
            *limb = product as u32;
            carry = product >> 32;
        }
        if carry > 0 {
            // At most 18 limbs are ever needed (see LIMBS); `get_mut` keeps this panic-free.
            *limbs.get_mut(used)? = carry as u32;
            used += 1;
        }
    }
    // Big-endian bytes of the number without leading zero bytes, after the zeros of
    // the leading '1's (the buffer is zero there).
    let mut len = 0usize;
    for limb in &limbs[..used] {
        for byte in limb.to_le_bytes() {
            len += 1;
            buf[BUFFER_LEN - len] = byte;
        }
    }
    while len > 0 && buf[BUFFER_LEN - len] == 0 {
        len -= 1;
    }
    Some(len + leading_zeros)
}

/// Big-number base conversion, one digit and one byte at a time.
fn decode_bytes(s: &str, buf: &mut [u8; BUFFER_LEN]) -> Result<usize, AddressError> {
    let mut used = 0usize; // bytes of `buf` in use, counted from the end
    let mut leading_zeros = 0usize;
    let mut seen_non_zero = false;
    for (position, character) in s.chars().enumerate() {
        let digit = match u32::from(character) {
            c if c < 128 => DIGITS[c as usize],
            _ => 0xff,
        };
        if digit == 0xff {
            return Err(AddressError::BadCharacter {
                position,
                character,
            });
        }
        if digit == 0 && !seen_non_zero {
            leading_zeros += 1;
            continue;
        }
        seen_non_zero = true;
        let mut carry = u32::from(digit);
        for byte in buf.iter_mut().rev().take(used) {
            carry += u32::from(*byte) * 58;
            *byte = carry as u8;
            carry >>= 8;
        }
        while carry > 0 {
            if used + leading_zeros >= BUFFER_LEN {
                return Err(AddressError::TooLong {
                    max: super::MAX_ADDRESS_LEN,
                    found: s.chars().count(),
                });
            }
            used += 1;
            buf[BUFFER_LEN - used] = carry as u8;
            carry >>= 8;
        }
    }
    let total = used + leading_zeros;
    if total > BUFFER_LEN {
        return Err(AddressError::TooLong {
            max: super::MAX_ADDRESS_LEN,
            found: s.chars().count(),
        });
    }
    // Leading '1's are leading zero bytes; the buffer is still zero there.
    Ok(total)
}

/// Base58Check encoding of `version || hash`.
pub(crate) fn encode(version: u8, hash: &[u8; 20]) -> String {
    let mut payload = [0u8; PAYLOAD_LEN];
    payload[0] = version;
    payload[1..21].copy_from_slice(hash);
    let checksum = double_sha256(&payload[..21]);
    payload[21..].copy_from_slice(&checksum[..4]);
    base58ck::encode(&payload)
}

/// Base58Check encoding of any payload (extended keys are 78 bytes).
pub fn encode_check(data: &[u8]) -> String {
    let mut with_checksum = Vec::with_capacity(data.len() + 4);
    with_checksum.extend_from_slice(data);
    with_checksum.extend_from_slice(&double_sha256(data)[..4]);
    base58ck::encode(&with_checksum)
}

/// Decodes a Base58Check string of any length, checking the checksum.
pub fn decode_check(s: &str) -> Result<Vec<u8>, AddressError> {
    let mut buf = [0u8; BUFFER_LEN];
    let len = decode_into(s, &mut buf)?;
    if len < 4 {
        return Err(AddressError::BadChecksum);
    }
    let data = &buf[BUFFER_LEN - len..];
    let (body, checksum) = data.split_at(len - 4);
    if double_sha256(body)[..4] != *checksum {
        return Err(AddressError::BadChecksum);
    }
    Ok(body.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_genesis_address() {
        let decoded = decode("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa").unwrap();
        assert_eq!(decoded.version(), 0);
        assert_eq!(
            hex::encode(decoded.verify().unwrap()),
            "62e907b15cbf27d5425399ebf6f0fb50ebb88f18"
        );
    }

    #[test]
    fn encode_round_trips() {
        let hash = [7u8; 20];
        let s = encode(0x05, &hash);
        let decoded = decode(&s).unwrap();
        assert_eq!(decoded.version(), 0x05);
        assert_eq!(decoded.verify().unwrap(), hash);
    }

    #[test]
    fn agrees_with_base58ck_on_leading_ones() {
        for s in ["11", "1112", "z", "2NEpo7TZRRrLZSi2U"] {
            let mut buf = [0u8; BUFFER_LEN];
            let len = decode_into(s, &mut buf).unwrap();
            assert_eq!(
                &buf[BUFFER_LEN - len..],
                base58ck::decode(s).unwrap().as_slice(),
                "{s}"
            );
        }
    }

    /// The limb decoder against the byte loop and `base58ck`, on strings of every length
    /// up to the buffer's, with runs of leading '1's, and on a bad character anywhere.
    #[test]
    fn limb_decoder_agrees_with_byte_loop() {
        let mut seed = 0x2545_f491_u32;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed
        };
        for round in 0..4000usize {
            let len = round % (BUFFER_LEN + 1);
            let ones = if round % 3 == 0 {
                next() as usize % 4
            } else {
                0
            };
            let mut s: String = "1".repeat(ones.min(len));
            while s.len() < len {
                s.push(char::from(ALPHABET[next() as usize % 58]));
            }
            let (mut fast, mut slow) = ([0u8; BUFFER_LEN], [0u8; BUFFER_LEN]);
            let fast_len = decode_limbs(s.as_bytes(), &mut fast).expect("alphabet only");
            let slow_len = decode_bytes(&s, &mut slow).unwrap();
            assert_eq!((fast_len, fast), (slow_len, slow), "{s}");
            assert_eq!(
                &fast[BUFFER_LEN - fast_len..],
                base58ck::decode(&s).unwrap().as_slice(),
                "{s}"
            );
            if len > 0 {
                let mut bad = s.into_bytes();
                bad[next() as usize % len] = b"0OIl+ "[next() as usize % 6];
                let bad = String::from_utf8(bad).unwrap();
                assert!(decode_limbs(bad.as_bytes(), &mut [0; BUFFER_LEN]).is_none());
                assert!(matches!(
                    decode_into(&bad, &mut [0; BUFFER_LEN]),
                    Err(AddressError::BadCharacter { .. })
                ));
            }
        }
    }

    #[test]
    fn reports_bad_character_position() {
        assert_eq!(
            decode("1A1zP1eP5QGefi2DMPTfTL5SLmv7Divf0a").err(),
            Some(AddressError::BadCharacter {
                position: 32,
                character: '0'
            })
        );
    }
}
