//! Address validation and encoding for every currency we sell.
//!
//! [`validate_address`] dispatches on the shape of the input to one family:
//! [`base58`] (P2PKH/P2SH), [`segwit`] (bech32/bech32m), [`cashaddr`] (BCH)
//! and [`eip55`] (ETH). The version bytes, human-readable parts and prefixes
//! of each currency and network live in one table, `CHAINS`, so that a
//! mismatch can be named precisely: wrong network, or another currency.
//!
//! Decisions:
//! - Input is trimmed of surrounding whitespace; inner whitespace is a bad character.
//! - Testnet and signet share `tb` and the testnet base58 versions; with no network
//!   asked such an address is reported as `testnet`, with `signet` asked it is accepted
//!   as signet. Regtest base58 versions equal testnet ones (same rule).
//! - Signet exists only for BTC: other currencies asked with signet get
//!   `unsupported_currency_network`. ETH addresses are the same on every other network,
//!   and the network asked (default mainnet) is reported.
//! - `wrong_currency` is reported when the address is valid for another currency and
//!   not for the one asked: an `ltc1` address as BTC, a `D...` address as LTC, a
//!   cashaddr as BTC, a `0x` address as anything but ETH. Prefixes shared between
//!   currencies (`1`/`3` for BTC and BCH legacy, `3` for LTC legacy P2SH) are accepted
//!   for each of them, as their owners' wallets do.

// Also the crate root's hidden `base58check` (extended keys in the core's wallet).
pub(crate) mod base58;
mod cashaddr;
mod eip55;
mod error;
mod segwit;
mod sha256;

use serde::Serialize;

use crate::{Crypto, Network};

pub use error::{AddressError, Bech32Variant};

/// No address of ours is longer (bech32: 90, cashaddr: 12 + 61).
pub const MAX_ADDRESS_LEN: usize = 128;

/// What kind of output an address pays to.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AddressKind {
    P2pkh,
    P2sh,
    P2wpkh,
    P2wsh,
    P2tr,
    /// A segwit version or program length not defined yet (BIP-350 makes them valid).
    WitnessUnknown,
    /// An Ethereum account.
    Account,
}

impl AddressKind {
    /// The wire name, as serde writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            AddressKind::P2pkh => "p2pkh",
            AddressKind::P2sh => "p2sh",
            AddressKind::P2wpkh => "p2wpkh",
            AddressKind::P2wsh => "p2wsh",
            AddressKind::P2tr => "p2tr",
            AddressKind::WitnessUnknown => "witness_unknown",
            AddressKind::Account => "account",
        }
    }
}

/// An accepted address with what we learned from it.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidAddress {
    pub currency: Crypto,
    pub network: Network,
    pub kind: AddressKind,
    /// Lower-case bech32, prefixed lower-case cashaddr (also for BCH legacy input),
    /// EIP-55 for ETH, base58 as given.
    pub normalized: String,
    /// Hex of the output script (BTC, LTC, DOGE, BCH); `None` for ETH.
    pub script_pubkey: Option<String>,
    pub witness_version: Option<u8>,
}

/// The longest output script we produce: segwit v1+ with a 40-byte program.
pub const MAX_SCRIPT_LEN: usize = 2 + segwit::MAX_PROGRAM_LEN;

/// An output script as bytes, without allocating (its hex is the wire form).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Script {
    bytes: [u8; MAX_SCRIPT_LEN],
    len: usize,
}

impl Script {
    /// `prefix || body || suffix`; the caller keeps the total within `MAX_SCRIPT_LEN`.
    fn new(prefix: &[u8], body: &[u8], suffix: &[u8]) -> Script {
        let mut script = Script {
            bytes: [0; MAX_SCRIPT_LEN],
            len: 0,
        };
        for part in [prefix, body, suffix] {
            let end = (script.len + part.len()).min(MAX_SCRIPT_LEN);
            let taken = end - script.len;
            script.bytes[script.len..end].copy_from_slice(&part[..taken]);
            script.len = end;
        }
        script
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// Writes the lower-case hex into the first `2 * len` bytes of `out`; `None` when
    /// `out` is shorter.
    pub fn write_hex(&self, out: &mut [u8]) -> Option<usize> {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let hex_len = 2 * self.len;
        let out = out.get_mut(..hex_len)?;
        for (pair, &b) in out.chunks_exact_mut(2).zip(self.as_bytes()) {
            pair[0] = DIGITS[usize::from(b >> 4)];
            pair[1] = DIGITS[usize::from(b & 0x0f)];
        }
        Some(hex_len)
    }

    pub fn to_hex(&self) -> String {
        let mut out = [0u8; 2 * MAX_SCRIPT_LEN];
        let len = self.write_hex(&mut out).unwrap_or(0);
        out[..len].iter().map(|&b| char::from(b)).collect()
    }
}

/// The normalized form of an accepted address, in terms of the input where it can be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Normalized<'a> {
    /// The input without surrounding whitespace, as it is (base58, checksummed ETH).
    Trimmed(&'a str),
    /// The input without surrounding whitespace, in lower case (bech32).
    Lowercase(&'a str),
    /// Built from the decoded address (cashaddr for BCH, EIP-55 for ETH).
    Owned(String),
}

impl Normalized<'_> {
    pub fn into_string(self) -> String {
        match self {
            Normalized::Trimmed(s) => s.to_owned(),
            Normalized::Lowercase(s) => s.to_ascii_lowercase(),
            Normalized::Owned(s) => s,
        }
    }
}

/// What [`check_address`] learns about an accepted address, before anything is
/// allocated: [`ValidAddress`] with the normalized form and the script not yet written
/// out. The npm package's one-call path writes them straight into wasm memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedAddress<'a> {
    pub currency: Crypto,
    pub network: Network,
    pub kind: AddressKind,
    pub normalized: Normalized<'a>,
    pub script_pubkey: Option<Script>,
    pub witness_version: Option<u8>,
}

impl CheckedAddress<'_> {
    pub fn into_valid(self) -> ValidAddress {
        ValidAddress {
            currency: self.currency,
            network: self.network,
            kind: self.kind,
            normalized: self.normalized.into_string(),
            script_pubkey: self.script_pubkey.map(|s| s.to_hex()),
            witness_version: self.witness_version,
        }
    }
}

/// Version bytes and prefixes of one currency on one network.
struct Chain {
    currency: Crypto,
    network: Network,
    /// The first one is used for encoding.
    p2pkh: &'static [u8],
    /// The first one is used for encoding; LTC also accepts the legacy `3`/`2` P2SH.
    p2sh: &'static [u8],
    hrp: Option<&'static str>,
    cash_prefix: Option<&'static str>,
}

impl Chain {
    fn has_version(&self, version: u8) -> bool {
        self.p2pkh.contains(&version) || self.p2sh.contains(&version)
    }
}

const fn chain(
    currency: Crypto,
    network: Network,
    p2pkh: &'static [u8],
    p2sh: &'static [u8],
    hrp: Option<&'static str>,
    cash_prefix: Option<&'static str>,
) -> Chain {
    Chain {
        currency,
        network,
        p2pkh,
        p2sh,
        hrp,
        cash_prefix,
    }
}

use Crypto::{Bch, Btc, Doge, Ltc};
use Network::{Mainnet, Regtest, Signet, Testnet};

/// Order matters: with no network asked the first match wins (testnet before signet).
/// Sources: Bitcoin Core, Litecoin Core, Dogecoin Core and BCHN `chainparams.cpp`.
const CHAINS: [Chain; 13] = [
    chain(Btc, Mainnet, &[0x00], &[0x05], Some("bc"), None),
    chain(Btc, Testnet, &[0x6f], &[0xc4], Some("tb"), None),
    chain(Btc, Signet, &[0x6f], &[0xc4], Some("tb"), None),
    chain(Btc, Regtest, &[0x6f], &[0xc4], Some("bcrt"), None),
    chain(Ltc, Mainnet, &[0x30], &[0x32, 0x05], Some("ltc"), None),
    chain(Ltc, Testnet, &[0x6f], &[0x3a, 0xc4], Some("tltc"), None),
    chain(Ltc, Regtest, &[0x6f], &[0x3a, 0xc4], Some("rltc"), None),
    chain(Doge, Mainnet, &[0x1e], &[0x16], None, None),
    chain(Doge, Testnet, &[0x71], &[0xc4], None, None),
    chain(Doge, Regtest, &[0x6f], &[0xc4], None, None),
    chain(Bch, Mainnet, &[0x00], &[0x05], None, Some("bitcoincash")),
    chain(Bch, Testnet, &[0x6f], &[0xc4], None, Some("bchtest")),
    chain(Bch, Regtest, &[0x6f], &[0xc4], None, Some("bchreg")),
];

fn chain_for(currency: Crypto, network: Network) -> Option<&'static Chain> {
    CHAINS
        .iter()
        .find(|c| c.currency == currency && c.network == network)
}

/// Whether we handle `currency` on `network` (addresses and wallets).
pub fn supports(currency: Crypto, network: Network) -> bool {
    match currency {
        Crypto::Eth => network != Signet,
        _ => chain_for(currency, network).is_some(),
    }
}

/// Validates `address` as an address of `currency`, on `network` if given
/// (otherwise on whichever network the address belongs to).
pub fn validate_address(
    currency: Crypto,
    address: &str,
    network: Option<Network>,
) -> Result<ValidAddress, AddressError> {
    check_address(currency, address, network).map(CheckedAddress::into_valid)
}

/// [`validate_address`] without allocating for the answer: the same decisions, the
/// normalized form and script left for the caller to write out.
pub fn check_address(
    currency: Crypto,
    address: &str,
    network: Option<Network>,
) -> Result<CheckedAddress<'_>, AddressError> {
    let s = address.trim();
    if s.is_empty() {
        return Err(AddressError::Empty);
    }
    // A character is at least one byte: only a long input needs counting.
    if s.len() > MAX_ADDRESS_LEN {
        let length = s.chars().count();
        if length > MAX_ADDRESS_LEN {
            return Err(AddressError::TooLong {
                max: MAX_ADDRESS_LEN,
                found: length,
            });
        }
    }
    if let Some(n) = network {
        if !supports(currency, n) {
            return Err(AddressError::UnsupportedCurrencyNetwork {
                currency,
                network: n,
            });
        }
    }
    match currency {
        Crypto::Eth => validate_eth(s, network),
        _ => validate_utxo(currency, s, network),
    }
}

fn validate_eth(s: &str, network: Option<Network>) -> Result<CheckedAddress<'_>, AddressError> {
    if !s.starts_with("0x") {
        return Err(other_currency(s, Crypto::Eth)
            .map(|found| AddressError::WrongCurrency {
                expected: Crypto::Eth,
                found,
            })
            .unwrap_or(AddressError::UnknownPrefix));
    }
    let (_, normalized) = eip55::parse(s)?;
    Ok(CheckedAddress {
        currency: Crypto::Eth,
        network: network.unwrap_or(Mainnet),
        kind: AddressKind::Account,
        normalized: Normalized::Owned(normalized),
        script_pubkey: None,
        witness_version: None,
    })
}

fn validate_utxo(
    currency: Crypto,
    s: &str,
    network: Option<Network>,
) -> Result<CheckedAddress<'_>, AddressError> {
    let wrong_currency = |found| AddressError::WrongCurrency {
        expected: currency,
        found,
    };
    if s.starts_with("0x") && eip55::parse(s).is_ok() {
        return Err(wrong_currency(Crypto::Eth));
    }
    if let Some(colon) = s.find(':') {
        let prefix = &s[..colon];
        let is_cash_prefix = CHAINS.iter().any(|c| {
            c.cash_prefix
                .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
        });
        return match (currency, is_cash_prefix) {
            (Bch, _) => validate_cash(s, Some(prefix), &s[colon + 1..], colon + 1, network),
            (_, true) => Err(wrong_currency(Bch)),
            _ => Err(AddressError::UnknownPrefix),
        };
    }
    if currency == Bch && cashaddr::looks_unprefixed(s) {
        return validate_cash(s, None, s, 0, network);
    }
    if let Some(split) = segwit::split(s) {
        if CHAINS
            .iter()
            .any(|c| c.hrp.is_some_and(|h| h.eq_ignore_ascii_case(split.hrp)))
        {
            return validate_segwit(currency, s, &split, network);
        }
        // Bech32-shaped (single case) with an unknown hrp: base58 only if it really
        // is base58. Base58 addresses are almost always mixed case, bech32 never.
        if split.check_case().is_err() {
            return validate_base58(currency, s, network);
        }
        return validate_base58(currency, s, network).map_err(|e| match e {
            AddressError::BadCharacter { .. }
            | AddressError::BadChecksum
            | AddressError::BadLength { .. } => AddressError::UnknownPrefix,
            other => other,
        });
    }
    match validate_base58(currency, s, network) {
        Err(_) if currency != Bch && cashaddr::looks_unprefixed(s) && decodes_as_cashaddr(s) => {
            Err(wrong_currency(Bch))
        }
        other => other,
    }
}

/// Picks the network of a match: the asked one if it matches, else the first match.
fn resolve_network<'a>(
    currency: Crypto,
    network: Option<Network>,
    mut matches: impl Iterator<Item = &'a Chain>,
) -> Result<&'a Chain, Option<Network>> {
    let mut first = None;
    for chain in matches.by_ref() {
        if chain.currency != currency {
            continue;
        }
        match network {
            Some(n) if chain.network == n => return Ok(chain),
            Some(_) => first = first.or(Some(chain.network)),
            None => return Ok(chain),
        }
    }
    Err(first)
}

fn validate_segwit<'a>(
    currency: Crypto,
    s: &'a str,
    split: &segwit::Split,
    network: Option<Network>,
) -> Result<CheckedAddress<'a>, AddressError> {
    let (hrp, data) = (split.hrp, split.data);
    let matches = CHAINS
        .iter()
        .filter(|c| c.hrp.is_some_and(|h| h.eq_ignore_ascii_case(hrp)));
    let chain = match resolve_network(currency, network, matches.clone()) {
        Ok(chain) => chain,
        Err(found_network) => {
            split.check_case()?;
            segwit::decode(hrp, data)?;
            return Err(network_or_currency_error(
                currency,
                network,
                found_network,
                matches.map(|c| c.currency),
            ));
        }
    };
    split.check_case()?;
    let program = segwit::decode(hrp, data)?;
    let kind = match (program.version, program.program().len()) {
        (0, 20) => AddressKind::P2wpkh,
        (0, 32) => AddressKind::P2wsh,
        (1, 32) => AddressKind::P2tr,
        _ => AddressKind::WitnessUnknown,
    };
    Ok(CheckedAddress {
        currency,
        network: chain.network,
        kind,
        normalized: Normalized::Lowercase(s),
        script_pubkey: Some(program.script_pubkey()),
        witness_version: Some(program.version),
    })
}

fn network_or_currency_error(
    currency: Crypto,
    asked: Option<Network>,
    found_network: Option<Network>,
    mut currencies: impl Iterator<Item = Crypto>,
) -> AddressError {
    match (asked, found_network) {
        (Some(expected), Some(found)) => AddressError::WrongNetwork { expected, found },
        _ => currencies
            .find(|&c| c != currency)
            .map(|found| AddressError::WrongCurrency {
                expected: currency,
                found,
            })
            .unwrap_or(AddressError::UnknownPrefix),
    }
}

fn validate_base58(
    currency: Crypto,
    s: &str,
    network: Option<Network>,
) -> Result<CheckedAddress<'_>, AddressError> {
    let decoded = base58::decode(s)?;
    let version = decoded.version();
    let matches = CHAINS.iter().filter(|c| c.has_version(version));
    let chain = match resolve_network(currency, network, matches.clone()) {
        Ok(chain) => chain,
        Err(found_network) => {
            // A typo matters more than the prefix: report the checksum first.
            decoded.verify()?;
            return Err(network_or_currency_error(
                currency,
                network,
                found_network,
                matches.map(|c| c.currency),
            ));
        }
    };
    let hash = decoded.verify()?;
    let (kind, script) = if chain.p2pkh.contains(&version) {
        (AddressKind::P2pkh, p2pkh_script(&hash))
    } else {
        (AddressKind::P2sh, p2sh_script(&hash))
    };
    let normalized = match chain.cash_prefix {
        Some(prefix) => {
            let cash_kind = match kind {
                AddressKind::P2pkh => cashaddr::CashKind::PubKeyHash,
                _ => cashaddr::CashKind::ScriptHash,
            };
            Normalized::Owned(cashaddr::encode(prefix, cash_kind, &hash))
        }
        None => Normalized::Trimmed(s),
    };
    Ok(CheckedAddress {
        currency,
        network: chain.network,
        kind,
        normalized,
        script_pubkey: Some(script),
        witness_version: None,
    })
}

fn validate_cash<'a>(
    s: &str,
    prefix: Option<&str>,
    payload: &str,
    offset: usize,
    network: Option<Network>,
) -> Result<CheckedAddress<'a>, AddressError> {
    segwit::check_case_and_range(s)?;
    let bch_chains = || CHAINS.iter().filter(|c| c.currency == Bch);
    let (chain, decoded) = match prefix {
        Some(prefix) => {
            let matches = bch_chains().filter(|c| {
                c.cash_prefix
                    .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
            });
            let chain = match resolve_network(Bch, network, matches) {
                Ok(chain) => chain,
                Err(Some(found)) => {
                    return Err(AddressError::WrongNetwork {
                        expected: network.unwrap_or(Mainnet),
                        found,
                    })
                }
                Err(None) => return Err(AddressError::UnknownPrefix),
            };
            let cash_prefix = chain.cash_prefix.unwrap_or_default();
            (chain, cashaddr::decode(cash_prefix, payload, offset)?)
        }
        None => decode_unprefixed(payload, network)?,
    };
    let prefix = chain.cash_prefix.unwrap_or_default();
    let script = match (decoded.kind, decoded.hash().len()) {
        (cashaddr::CashKind::PubKeyHash, _) => {
            Script::new(&[0x76, 0xa9, 0x14], decoded.hash(), &[0x88, 0xac])
        }
        (cashaddr::CashKind::ScriptHash, 20) => Script::new(&[0xa9, 0x14], decoded.hash(), &[0x87]),
        (cashaddr::CashKind::ScriptHash, _) => Script::new(&[0xaa, 0x20], decoded.hash(), &[0x87]),
    };
    let kind = match decoded.kind {
        cashaddr::CashKind::PubKeyHash => AddressKind::P2pkh,
        cashaddr::CashKind::ScriptHash => AddressKind::P2sh,
    };
    let mut normalized = String::with_capacity(prefix.len() + 1 + payload.len());
    normalized.push_str(prefix);
    normalized.push(':');
    normalized.push_str(&payload.to_ascii_lowercase());
    Ok(CheckedAddress {
        currency: Bch,
        network: chain.network,
        kind,
        normalized: Normalized::Owned(normalized),
        script_pubkey: Some(script),
        witness_version: None,
    })
}

/// A cashaddr without prefix: the checksum covers the prefix, so it tells the network.
fn decode_unprefixed(
    payload: &str,
    network: Option<Network>,
) -> Result<(&'static Chain, cashaddr::CashPayload), AddressError> {
    let mut first_error = None;
    let asked_first = CHAINS
        .iter()
        .filter(|c| c.currency == Bch && Some(c.network) == network)
        .chain(
            CHAINS
                .iter()
                .filter(|c| c.currency == Bch && Some(c.network) != network),
        );
    for chain in asked_first {
        let prefix = chain.cash_prefix.unwrap_or_default();
        match cashaddr::decode(prefix, payload, 0) {
            Ok(decoded) => {
                return match network {
                    Some(n) if n != chain.network => Err(AddressError::WrongNetwork {
                        expected: n,
                        found: chain.network,
                    }),
                    _ => Ok((chain, decoded)),
                }
            }
            Err(e) => first_error = first_error.or(Some(e)),
        }
    }
    Err(first_error.unwrap_or(AddressError::BadChecksum))
}

fn decodes_as_cashaddr(s: &str) -> bool {
    decode_unprefixed(s, None).is_ok()
}

/// The currency `s` is an address of, other than `asked`, when it is clearly one.
fn other_currency(s: &str, asked: Crypto) -> Option<Crypto> {
    Crypto::ALL
        .into_iter()
        .filter(|&c| c != asked)
        .find(|&c| check_address(c, s, None).is_ok())
}

/// `OP_DUP OP_HASH160 <20> OP_EQUALVERIFY OP_CHECKSIG`.
fn p2pkh_script(hash: &[u8; 20]) -> Script {
    Script::new(&[0x76, 0xa9, 0x14], hash, &[0x88, 0xac])
}

/// `OP_HASH160 <20> OP_EQUAL`.
fn p2sh_script(hash: &[u8; 20]) -> Script {
    Script::new(&[0xa9, 0x14], hash, &[0x87])
}

fn chain_or_unsupported(
    currency: Crypto,
    network: Network,
) -> Result<&'static Chain, AddressError> {
    chain_for(currency, network)
        .ok_or(AddressError::UnsupportedCurrencyNetwork { currency, network })
}

/// P2PKH address of a HASH160: base58 for BTC/LTC/DOGE, prefixed cashaddr for BCH.
/// ETH (no P2PKH) gives `unsupported_currency_network`.
pub fn encode_p2pkh(
    currency: Crypto,
    network: Network,
    hash: &[u8; 20],
) -> Result<String, AddressError> {
    encode_hash(currency, network, cashaddr::CashKind::PubKeyHash, hash)
}

/// P2SH address of a script HASH160: base58 for BTC/LTC/DOGE (LTC uses `M`/`Q`),
/// prefixed cashaddr for BCH.
pub fn encode_p2sh(
    currency: Crypto,
    network: Network,
    hash: &[u8; 20],
) -> Result<String, AddressError> {
    encode_hash(currency, network, cashaddr::CashKind::ScriptHash, hash)
}

/// A HASH160 in the chain's legacy form: cashaddr where the chain has a prefix,
/// else base58 with the chain's first version byte of that kind.
fn encode_hash(
    currency: Crypto,
    network: Network,
    kind: cashaddr::CashKind,
    hash: &[u8; 20],
) -> Result<String, AddressError> {
    let chain = chain_or_unsupported(currency, network)?;
    Ok(match chain.cash_prefix {
        Some(prefix) => cashaddr::encode(prefix, kind, hash),
        None => {
            let version = match kind {
                cashaddr::CashKind::PubKeyHash => chain.p2pkh[0],
                cashaddr::CashKind::ScriptHash => chain.p2sh[0],
            };
            base58::encode(version, hash)
        }
    })
}

/// Native segwit address (bech32 for v0, bech32m for v1+), BTC and LTC only.
pub fn encode_segwit(
    currency: Crypto,
    network: Network,
    version: u8,
    program: &[u8],
) -> Result<String, AddressError> {
    let hrp = chain_or_unsupported(currency, network)?
        .hrp
        .ok_or(AddressError::UnsupportedCurrencyNetwork { currency, network })?;
    segwit::encode(hrp, version, program)
}

/// EIP-55 checksummed form of a 20-byte Ethereum address.
pub fn encode_eth(address: &[u8; 20]) -> String {
    eip55::checksum_encode(address)
}

/// Ethereum address of a public key given uncompressed without the 0x04 tag:
/// the last 20 bytes of its keccak256.
pub fn eth_address_from_key(key_xy: &[u8; 64]) -> [u8; 20] {
    eip55::from_uncompressed_key(key_xy)
}

#[cfg(test)]
mod tests;
