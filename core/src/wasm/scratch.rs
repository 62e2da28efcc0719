//! The one-call path of `validateAddress`: the arguments and the answer cross the JS/wasm
//! boundary as bytes in one static buffer and one number, instead of three allocated
//! strings in and one object built field by field out. The package's JS entry
//! (`core/npm/web.js`) writes the arguments, calls [`cx_validate_address`] and builds the
//! object; anything this path does not take (a non-ASCII or oversized argument, an
//! unknown currency or network) goes through the `#[wasm_bindgen]` `validateAddress`,
//! which gives the same answers.
//!
//! These are plain wasm exports (no wasm-bindgen glue, not in the `.d.ts`): the JS entry
//! is their only caller.
//!
//! Buffer layout (`SCRATCH_LEN` bytes at [`cx_address_scratch`]):
//! - `[0, INPUT_LEN)`: currency, network and address bytes, back to back (ASCII).
//! - `[INPUT_LEN, INPUT_LEN + 2)`: the first output length (u16, little endian), then
//!   the second; outputs start at `INPUT_LEN + 4`.
//!
//! The returned number (`SLOW` = use the bindgen path):
//! - valid: bit 0 set; bits 1-6 currency, 7-12 network, 13-18 kind (name ids, see
//!   [`cx_address_name`]); bits 19-23 witness version + 1 (0: none); bit 24 set when the
//!   normalized address equals the input (nothing written), else it is output 1; bit 25
//!   set when there is a script_pubkey, output 2 (hex).
//! - invalid: bit 0 clear; bits 1-6 the code's name id; the message is output 1.

use std::cell::{RefCell, UnsafeCell};
use std::fmt::Write;

use crate::address::{self, ValidAddress};
use crate::{Crypto, Network};

const INPUT_LEN: usize = 512;
const SCRATCH_LEN: usize = 2048;
const OUTPUT_START: usize = INPUT_LEN + 4;
const SLOW: u32 = u32::MAX;
const NAME_BITS: u32 = 6;

struct Scratch(UnsafeCell<[u8; SCRATCH_LEN]>);
// SAFETY: the npm package's wasm32 build has no threads; JS writes the buffer only
// between calls, never while Rust holds a reference into it.
unsafe impl Sync for Scratch {}
static SCRATCH: Scratch = Scratch(UnsafeCell::new([0; SCRATCH_LEN]));

thread_local! {
    /// Every name (currency, network, kind, error code) that crossed as an id, in the
    /// order first seen; JS asks each one once and keeps it.
    static NAMES: RefCell<Vec<&'static str>> = const { RefCell::new(Vec::new()) };
}

/// Where JS writes the arguments and reads the answer.
#[no_mangle]
pub extern "C" fn cx_address_scratch() -> usize {
    SCRATCH.0.get() as usize
}

/// Writes name `id` as output 1 and returns its length (0 for an unknown id).
#[no_mangle]
pub extern "C" fn cx_address_name(id: u32) -> u32 {
    let name = NAMES.with(|names| names.borrow().get(id as usize).copied());
    let Some(name) = name else { return 0 };
    // SAFETY: see `Scratch`; no other reference into the buffer is alive.
    let buffer = unsafe { &mut *SCRATCH.0.get() };
    let mut out = Output::new(&mut buffer[INPUT_LEN..]);
    if out.put(0, name.as_bytes()).is_none() {
        return 0;
    }
    name.len() as u32
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
    match address::validate_address(currency, text(address_bytes)?, network) {
        Ok(valid) => encode_valid(&valid, address_bytes, out),
        Err(e) => {
            let mut message = out.writer(0);
            write!(message, "{e}").ok()?;
            message.finish()?;
            Some(name_id(e.code())? << 1)
        }
    }
}

fn encode_valid(valid: &ValidAddress, input: &[u8], out: &mut Output) -> Option<u32> {
    let mut code = 1
        | name_id(valid.currency.ticker())? << 1
        | name_id(valid.network.as_str())? << 7
        | name_id(valid.kind.as_str())? << 13;
    if let Some(version) = valid.witness_version {
        code |= (u32::from(version) + 1).min(31) << 19;
    }
    if valid.normalized.as_bytes() == input {
        code |= 1 << 24;
    } else {
        out.put(0, valid.normalized.as_bytes())?;
    }
    if let Some(script) = &valid.script_pubkey {
        out.put(1, script.as_bytes())?;
        code |= 1 << 25;
    }
    Some(code)
}

fn text(bytes: &[u8]) -> Option<&str> {
    std::str::from_utf8(bytes).ok()
}

fn name_id(name: &'static str) -> Option<u32> {
    NAMES.with(|names| {
        let mut names = names.borrow_mut();
        let id = match names.iter().position(|n| *n == name) {
            Some(id) => id,
            None => {
                names.push(name);
                names.len() - 1
            }
        };
        let id = u32::try_from(id).ok()?;
        (id < 1 << NAME_BITS).then_some(id)
    })
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

    fn put(&mut self, slot: usize, bytes: &[u8]) -> Option<()> {
        let mut writer = self.writer(slot);
        writer.push(bytes).ok()?;
        writer.finish()
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
        let end = self.output.at + bytes.len();
        let target = self
            .output
            .buffer
            .get_mut(self.output.at..end)
            .ok_or(std::fmt::Error)?;
        target.copy_from_slice(bytes);
        self.output.at = end;
        Ok(())
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
