//! Native segwit addresses: bech32 (BIP-173) for witness v0, bech32m (BIP-350)
//! for v1..=16. Decoding is allocation-free; encoding uses the `bech32` crate.

use bech32::{Fe32, Hrp};

use super::{AddressError, Bech32Variant};

/// BIP-173: an address is at most 90 characters.
pub(crate) const MAX_LEN: usize = 90;
/// Witness version + 6 checksum characters.
const MIN_DATA_LEN: usize = 7;
const CHECKSUM_LEN: usize = 6;
pub(crate) const MAX_PROGRAM_LEN: usize = 40;

const CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";

/// 5-bit value of each ASCII byte (lower or upper case), 0xff when not in the charset.
pub(crate) const CHARSET_REV: [u8; 128] = {
    let mut table = [0xff_u8; 128];
    let mut i = 0;
    while i < CHARSET.len() {
        table[CHARSET[i] as usize] = i as u8;
        table[CHARSET[i].to_ascii_uppercase() as usize] = i as u8;
        i += 1;
    }
    table
};

const BECH32_CONST: u32 = 1;
const BECH32M_CONST: u32 = 0x2bc8_30a3;

/// A decoded witness program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WitnessProgram {
    pub(crate) version: u8,
    program: [u8; MAX_PROGRAM_LEN],
    len: usize,
}

impl WitnessProgram {
    pub(crate) fn program(&self) -> &[u8] {
        &self.program[..self.len]
    }

    /// `OP_n <push len> <program>`.
    pub(crate) fn script_pubkey(&self) -> super::Script {
        let op = if self.version == 0 {
            0
        } else {
            0x50 + self.version
        };
        super::Script::new(&[op, self.len as u8], self.program(), &[])
    }
}

/// A string with the shape of a bech32 string, split at its last '1'.
pub(crate) struct Split<'a> {
    pub(crate) hrp: &'a str,
    pub(crate) data: &'a str,
    /// Upper and lower case letters both occur.
    pub(crate) mixed_case: bool,
}

impl Split<'_> {
    /// [`check_case_and_range`] of the whole string: every character of a split string
    /// is ASCII alphanumeric, so only the case can be wrong.
    pub(crate) fn check_case(&self) -> Result<(), AddressError> {
        match self.mixed_case {
            true => Err(AddressError::MixedCase),
            false => Ok(()),
        }
    }
}

/// Splits `hrp1data` at the last '1' if the string has the shape of a bech32 string.
///
/// The shape test is cheap and lets the caller check the prefix before any checksum work.
pub(crate) fn split(s: &str) -> Option<Split<'_>> {
    let sep = s.rfind('1')?;
    if sep == 0 || s.len() - sep - 1 < CHECKSUM_LEN {
        return None;
    }
    let (hrp, rest) = s.split_at(sep);
    let data = &rest[1..];
    let mut has_lower = false;
    let mut has_upper = false;
    let mut plausible = true;
    for b in hrp.bytes() {
        plausible &= b.is_ascii_alphanumeric();
        has_lower |= b.is_ascii_lowercase();
        has_upper |= b.is_ascii_uppercase();
    }
    for b in data.bytes() {
        plausible &= b < 128 && CHARSET_REV[usize::from(b & 0x7f)] != 0xff;
        has_lower |= b.is_ascii_lowercase();
        has_upper |= b.is_ascii_uppercase();
    }
    plausible.then_some(Split {
        hrp,
        data,
        mixed_case: has_lower && has_upper,
    })
}

/// Rejects mixed case and characters outside US-ASCII 33..=126 (BIP-173).
pub(crate) fn check_case_and_range(s: &str) -> Result<(), AddressError> {
    let mut has_lower = false;
    let mut has_upper = false;
    for (position, &b) in s.as_bytes().iter().enumerate() {
        if !(33..=126).contains(&b) {
            // Every byte before is ASCII, so the byte index is the character index and
            // a character starts here.
            return Err(AddressError::BadCharacter {
                position,
                character: s
                    .get(position..)
                    .and_then(|rest| rest.chars().next())
                    .unwrap_or(char::REPLACEMENT_CHARACTER),
            });
        }
        has_lower |= b.is_ascii_lowercase();
        has_upper |= b.is_ascii_uppercase();
    }
    if has_lower && has_upper {
        return Err(AddressError::MixedCase);
    }
    Ok(())
}

/// Decodes the data part of a segwit address whose hrp has already been accepted.
/// `hrp` and `data` come from a [`Split`] that passed [`Split::check_case`].
pub(crate) fn decode(hrp: &str, data: &str) -> Result<WitnessProgram, AddressError> {
    let total = hrp.len() + 1 + data.len();
    if total > MAX_LEN {
        return Err(AddressError::TooLong {
            max: MAX_LEN,
            found: total,
        });
    }
    let mut values = [0u8; MAX_LEN];
    // The checksum is computed in the same pass that maps the characters.
    let mut chk = polymod_hrp(hrp);
    for (i, b) in data.bytes().enumerate() {
        let v = if b < 128 {
            CHARSET_REV[b as usize]
        } else {
            0xff
        };
        if v == 0xff {
            return Err(AddressError::BadCharacter {
                position: hrp.len() + 1 + i,
                character: char::from(b),
            });
        }
        values[i] = v;
        chk = polymod_step(chk, v);
    }
    let values = &values[..data.len()];

    let found = match chk {
        BECH32_CONST => Bech32Variant::Bech32,
        BECH32M_CONST => Bech32Variant::Bech32m,
        _ => return Err(AddressError::BadChecksum),
    };
    if values.len() < MIN_DATA_LEN {
        return Err(AddressError::BadWitnessVersion { version: None });
    }
    let version = values[0];
    if version > 16 {
        return Err(AddressError::BadWitnessVersion {
            version: Some(version),
        });
    }
    let expected = if version == 0 {
        Bech32Variant::Bech32
    } else {
        Bech32Variant::Bech32m
    };
    if found != expected {
        return Err(AddressError::WrongBech32Variant {
            witness_version: version,
            expected,
            found,
        });
    }

    let groups = &values[1..values.len() - CHECKSUM_LEN];
    let bits = groups.len() * 5;
    let len = bits / 8;
    // BIP-173: at most 4 bits of padding, all zero.
    if bits % 8 > 4 {
        return Err(AddressError::BadPadding);
    }
    if !(2..=MAX_PROGRAM_LEN).contains(&len) || (version == 0 && len != 20 && len != 32) {
        return Err(AddressError::BadWitnessProgramLength {
            witness_version: version,
            length: len,
        });
    }
    let mut program = [0u8; MAX_PROGRAM_LEN];
    let mut acc: u32 = 0;
    let mut acc_bits = 0u32;
    let mut out = 0usize;
    for &g in groups {
        acc = (acc << 5) | u32::from(g);
        acc_bits += 5;
        if acc_bits >= 8 {
            acc_bits -= 8;
            program[out] = (acc >> acc_bits) as u8;
            out += 1;
        }
    }
    if acc & ((1 << acc_bits) - 1) != 0 {
        return Err(AddressError::BadPadding);
    }
    Ok(WitnessProgram {
        version,
        program,
        len,
    })
}

const GEN: [u32; 5] = [
    0x3b6a_57b2,
    0x2650_8e6d,
    0x1ea1_19fa,
    0x3d42_33dd,
    0x2a14_62b3,
];

/// The XOR of the generators selected by each 5-bit value of the checksum's top bits:
/// one lookup per character instead of five tests.
const GEN_TABLE: [u32; 32] = {
    let mut table = [0u32; 32];
    let mut top = 0;
    while top < 32 {
        let mut i = 0;
        while i < GEN.len() {
            if (top >> i) & 1 == 1 {
                table[top] ^= GEN[i];
            }
            i += 1;
        }
        top += 1;
    }
    table
};

fn polymod_step(chk: u32, value: u8) -> u32 {
    // The checksum stays below 2^30, so `top` is a 5-bit value.
    let top = (chk >> 25) as usize & 31;
    ((chk & 0x01ff_ffff) << 5) ^ u32::from(value) ^ GEN_TABLE[top]
}

/// BIP-173 checksum state after the expanded (lower-cased) hrp; the data values follow.
fn polymod_hrp(hrp: &str) -> u32 {
    let mut chk = 1u32;
    for b in hrp.bytes() {
        chk = polymod_step(chk, b.to_ascii_lowercase() >> 5);
    }
    chk = polymod_step(chk, 0);
    for b in hrp.bytes() {
        chk = polymod_step(chk, b.to_ascii_lowercase() & 31);
    }
    chk
}

/// Encodes a witness program (lower case). Fails only on impossible inputs
/// (bad hrp, version > 16, bad program length), reported as address errors.
pub(crate) fn encode(hrp: &str, version: u8, program: &[u8]) -> Result<String, AddressError> {
    let hrp = Hrp::parse(hrp).map_err(|_| AddressError::UnknownPrefix)?;
    let fe = Fe32::try_from(version).map_err(|_| AddressError::BadWitnessVersion {
        version: Some(version),
    })?;
    if version > 16 {
        return Err(AddressError::BadWitnessVersion {
            version: Some(version),
        });
    }
    bech32::segwit::encode(hrp, fe, program).map_err(|_| AddressError::BadWitnessProgramLength {
        witness_version: version,
        length: program.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_what_the_bech32_crate_encodes() {
        for (version, len) in [(0u8, 20usize), (0, 32), (1, 32), (2, 2), (16, 40)] {
            let program: Vec<u8> = (0..len as u8).collect();
            let s = encode("bc", version, &program).unwrap();
            let split = split(&s).unwrap();
            let decoded = decode(split.hrp, split.data).unwrap();
            assert_eq!(decoded.version, version);
            assert_eq!(decoded.program(), program.as_slice());
        }
    }
}
