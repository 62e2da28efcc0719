//! The one-call path of `validateAddress`: the arguments and the answer cross the JS/wasm
//! boundary as bytes in one static buffer and one number, instead of three allocated
//! strings in and one object built field by field out. The package's JS entry
//! (`core/npm/web.js`) writes the arguments, calls [`cx_validate_address`] and builds the
//! object; anything this path does not take (arguments longer than the buffer, an
//! unknown currency or network) goes through the `#[wasm_bindgen]` `validateAddress`,
//! which gives the same answers. The answer is written from
//! [`check_address`](crate::address::check_address), so nothing is allocated.
//!
//! These are plain wasm exports (no wasm-bindgen glue, not in the `.d.ts`): the JS entry
//! is their only caller.
//!
//! Buffer layout (`SCRATCH_LEN` bytes at [`cx_address_scratch`]):
//! - `[0, INPUT_LEN)`: currency, network and address, back to back, in UTF-8 (as
//!   wasm-bindgen passes strings: `TextEncoder.encodeInto`).
//! - `[INPUT_LEN, INPUT_LEN + 2)`: the first output length (u16, little endian), then
//!   the second; outputs start at `INPUT_LEN + 4`.
//!
//! The returned number (`SLOW` = use the bindgen path):
//! - valid: bit 0 set; bits 1-6 currency, 7-12 network, 13-18 kind (name ids, see
//!   [`cx_address_name`]); bits 19-23 witness version + 1 (0: none); bit 24 set when the
//!   normalized address equals the input (nothing written), else it is output 1; bit 25
//!   set when there is a script_pubkey, output 2 (hex). Both are ASCII (an accepted
//!   address is), so JS decodes them in one call and splits at output 1's length.
//! - invalid: bit 0 clear; bits 1-6 the code's name id; bit 7 set when the message is
//!   the same for every error of its kind, its name id in bits 8-13; otherwise the
//!   message is output 1.
//!
//! Name ids are fixed positions ([`name`]): currencies, networks, kinds, codes and the
//! constant messages. JS asks each one once and keeps it.

use std::cell::UnsafeCell;
use std::fmt::Write;

use crate::address::{self, AddressError, AddressKind, CheckedAddress, Normalized};
use crate::{Crypto, Network};

const INPUT_LEN: usize = 512;
const SCRATCH_LEN: usize = 2048;
const OUTPUT_START: usize = INPUT_LEN + 4;
const SLOW: u32 = u32::MAX;

struct Scratch(UnsafeCell<[u8; SCRATCH_LEN]>);
// SAFETY: the npm package's wasm32 build has no threads; JS writes the buffer only
// between calls, never while Rust holds a reference into it.
unsafe impl Sync for Scratch {}
static SCRATCH: Scratch = Scratch(UnsafeCell::new([0; SCRATCH_LEN]));

const KINDS: [AddressKind; 7] = [
    AddressKind::P2pkh,
    AddressKind::P2sh,
    AddressKind::P2wpkh,
    AddressKind::P2wsh,
    AddressKind::P2tr,
    AddressKind::WitnessUnknown,
    AddressKind::Account,
];

/// Every error code; a code missing here would only send its errors down the slow path.
const CODES: [&str; 15] = crate::api::ADDRESS_ERROR_CODES;

/// Errors whose message has no facts in it: their message crosses as a name id.
const CONSTANT_MESSAGES: [AddressError; 6] = [
    AddressError::Empty,
    AddressError::BadChecksum,
    AddressError::UnknownPrefix,
    AddressError::MixedCase,
    AddressError::BadWitnessVersion { version: None },
    AddressError::BadPadding,
];

// Where each group of names starts among the ids (6 bits: below 64).
const NETWORK_IDS: u32 = Crypto::ALL.len() as u32;
const KIND_IDS: u32 = NETWORK_IDS + Network::ALL.len() as u32;
const CODE_IDS: u32 = KIND_IDS + KINDS.len() as u32;
const MESSAGE_IDS: u32 = CODE_IDS + CODES.len() as u32;
const NAME_COUNT: u32 = MESSAGE_IDS + CONSTANT_MESSAGES.len() as u32;
const _: () = assert!(NAME_COUNT <= 64);

/// What name id `id` stands for.
enum Name {
    Text(&'static str),
    Message(&'static AddressError),
}

fn name(id: u32) -> Option<Name> {
    let at = |first: u32| id.checked_sub(first).map(|i| i as usize);
    Some(if id < NETWORK_IDS {
        Name::Text(Crypto::ALL.get(id as usize)?.ticker())
    } else if id < KIND_IDS {
        Name::Text(Network::ALL.get(at(NETWORK_IDS)?)?.as_str())
    } else if id < CODE_IDS {
        Name::Text(KINDS.get(at(KIND_IDS)?)?.as_str())
    } else if id < MESSAGE_IDS {
        Name::Text(CODES.get(at(CODE_IDS)?)?)
    } else {
        Name::Message(CONSTANT_MESSAGES.get(at(MESSAGE_IDS)?)?)
    })
}

fn currency_id(currency: Crypto) -> Option<u32> {
    Crypto::ALL
        .iter()
        .position(|&c| c == currency)
        .map(|i| i as u32)
}

fn network_id(network: Network) -> Option<u32> {
    let i = Network::ALL.iter().position(|&n| n == network)?;
    Some(NETWORK_IDS + i as u32)
}

fn kind_id(kind: AddressKind) -> Option<u32> {
    let i = KINDS.iter().position(|&k| k == kind)?;
    Some(KIND_IDS + i as u32)
}

fn code_id(error: &AddressError) -> Option<u32> {
    let code = error.code();
    let i = CODES.iter().position(|&c| c == code)?;
    Some(CODE_IDS + i as u32)
}

fn message_id(error: &AddressError) -> Option<u32> {
    let i = CONSTANT_MESSAGES.iter().position(|m| m == error)?;
    Some(MESSAGE_IDS + i as u32)
}

/// Where JS writes the arguments and reads the answer.
#[no_mangle]
pub extern "C" fn cx_address_scratch() -> usize {
    SCRATCH.0.get() as usize
}

/// Writes name `id` as output 1 and returns its length (0 for an unknown id).
#[no_mangle]
pub extern "C" fn cx_address_name(id: u32) -> u32 {
    // SAFETY: see `Scratch`; no other reference into the buffer is alive.
    let buffer = unsafe { &mut *SCRATCH.0.get() };
    let mut out = Output::new(&mut buffer[INPUT_LEN..]);
    let start = out.at;
    let mut writer = out.writer(0);
    let written = match name(id) {
        Some(Name::Text(text)) => writer.write_str(text),
        Some(Name::Message(error)) => write!(writer, "{error}"),
        None => return 0,
    };
    if written.is_err() || writer.finish().is_none() {
        return 0;
    }
    (out.at - start) as u32
}

/// Validates the address in the buffer; see the module documentation for the encoding.
/// `network_len` is the network's length plus one, 0 for none.
#[no_mangle]
pub extern "C" fn cx_validate_address(
    currency_len: u32,
    network_len: u32,
    address_len: u32,
) -> u32 {
    // SAFETY: see `Scratch`; this is the only reference into the buffer during the call.
    let buffer = unsafe { &mut *SCRATCH.0.get() };
    let (input, output) = buffer.split_at_mut(INPUT_LEN);
    let mut out = Output::new(output);
    validate(input, &mut out, [currency_len, network_len, address_len]).unwrap_or(SLOW)
}

fn validate(input: &[u8], out: &mut Output, lens: [u32; 3]) -> Option<u32> {
    let [currency_len, network_len, address_len] = lens.map(|l| l as usize);
    let network_end = currency_len + network_len.saturating_sub(1);
    let currency: Crypto = text(input.get(..currency_len)?)?.parse().ok()?;
    let network = match network_len {
        0 => None,
        _ => Some(
            text(input.get(currency_len..network_end)?)?
                .parse::<Network>()
                .ok()?,
        ),
    };
    let address_bytes = input.get(network_end..network_end + address_len)?;
    match address::check_address(currency, text(address_bytes)?, network) {
        Ok(valid) => encode_valid(&valid, address_bytes, out),
        Err(e) => {
            let code = code_id(&e)? << 1;
            if let Some(message) = message_id(&e) {
                return Some(code | 1 << 7 | message << 8);
            }
            let mut message = out.writer(0);
            write!(message, "{e}").ok()?;
            message.finish()?;
            Some(code)
        }
    }
}

fn encode_valid(valid: &CheckedAddress, input: &[u8], out: &mut Output) -> Option<u32> {
    let mut code = 1
        | currency_id(valid.currency)? << 1
        | network_id(valid.network)? << 7
        | kind_id(valid.kind)? << 13;
    if let Some(version) = valid.witness_version {
        code |= (u32::from(version) + 1).min(31) << 19;
    }
    let same = match &valid.normalized {
        // Sub-slices of the input: equal when nothing was trimmed (or lower-cased).
        Normalized::Trimmed(s) => s.len() == input.len(),
        Normalized::Lowercase(s) => {
            s.len() == input.len() && !s.bytes().any(|b| b.is_ascii_uppercase())
        }
        Normalized::Owned(s) => s.as_bytes() == input,
    };
    if same {
        code |= 1 << 24;
    } else {
        let mut writer = out.writer(0);
        match &valid.normalized {
            Normalized::Trimmed(s) => writer.push(s.as_bytes()).ok()?,
            Normalized::Owned(s) => writer.push(s.as_bytes()).ok()?,
            Normalized::Lowercase(s) => {
                let target = writer.reserve(s.len())?;
                for (t, b) in target.iter_mut().zip(s.bytes()) {
                    *t = b.to_ascii_lowercase();
                }
            }
        }
        writer.finish()?;
    }
    if let Some(script) = &valid.script_pubkey {
        let mut writer = out.writer(1);
        let target = writer.reserve(2 * script.as_bytes().len())?;
        script.write_hex(target)?;
        writer.finish()?;
        code |= 1 << 25;
    }
    Some(code)
}

fn text(bytes: &[u8]) -> Option<&str> {
    std::str::from_utf8(bytes).ok()
}

/// The output half of the buffer: two length slots, then the bytes back to back.
struct Output<'a> {
    buffer: &'a mut [u8],
    at: usize,
}

impl<'a> Output<'a> {
    fn new(buffer: &'a mut [u8]) -> Self {
        Output {
            buffer,
            at: OUTPUT_START - INPUT_LEN,
        }
    }

    fn writer(&mut self, slot: usize) -> SlotWriter<'_, 'a> {
        let start = self.at;
        SlotWriter {
            output: self,
            slot,
            start,
        }
    }
}

struct SlotWriter<'o, 'a> {
    output: &'o mut Output<'a>,
    slot: usize,
    start: usize,
}

impl SlotWriter<'_, '_> {
    fn push(&mut self, bytes: &[u8]) -> std::fmt::Result {
        self.reserve(bytes.len())
            .ok_or(std::fmt::Error)?
            .copy_from_slice(bytes);
        Ok(())
    }

    /// The next `len` bytes of the slot, to be written by the caller.
    fn reserve(&mut self, len: usize) -> Option<&mut [u8]> {
        let start = self.output.at;
        let target = self.output.buffer.get_mut(start..start + len)?;
        self.output.at = start + len;
        Some(target)
    }

    /// Records the length in the slot; `None` when it does not fit a u16.
    fn finish(self) -> Option<()> {
        let len = u16::try_from(self.output.at - self.start).ok()?;
        let at = 2 * self.slot;
        self.output
            .buffer
            .get_mut(at..at + 2)?
            .copy_from_slice(&len.to_le_bytes());
        Some(())
    }
}

impl Write for SlotWriter<'_, '_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.push(s.as_bytes())
    }
}
