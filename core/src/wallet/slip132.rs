//! Extended public key versions (SLIP-132): xpub/ypub/zpub and tpub/upub/vpub.
//! https://github.com/satoshilabs/slips/blob/master/slip-0132.md
//!
//! Litecoin uses the same Bitcoin-style versions (as Electrum-LTC, Trezor and
//! Ledger do), so one table serves every currency; the `Ltub`/`Mtub` variants
//! are not produced nor accepted.

use super::{Scheme, WalletError, Xpub};
use cryptoexchange_address::base58check::{
    decode as base58check_decode, encode as base58check_encode,
};

const VERSIONS: [(&str, [u8; 4]); 6] = [
    ("xpub", [0x04, 0x88, 0xb2, 0x1e]),
    ("ypub", [0x04, 0x9d, 0x7c, 0xb2]),
    ("zpub", [0x04, 0xb2, 0x47, 0x46]),
    ("tpub", [0x04, 0x35, 0x87, 0xcf]),
    ("upub", [0x04, 0x4a, 0x52, 0x62]),
    ("vpub", [0x04, 0x5f, 0x1c, 0xf6]),
];

/// Private versions, recognised only to refuse them with a clear reason.
const PRIVATE_VERSIONS: [[u8; 4]; 6] = [
    [0x04, 0x88, 0xad, 0xe4],
    [0x04, 0x9d, 0x78, 0x78],
    [0x04, 0xb2, 0x43, 0x0c],
    [0x04, 0x35, 0x83, 0x94],
    [0x04, 0x4a, 0x4e, 0x28],
    [0x04, 0x5f, 0x18, 0xbc],
];

/// The version name matching a scheme on a main or test network.
pub(crate) fn version_name(scheme: Scheme, test_network: bool) -> &'static str {
    match (scheme, test_network) {
        (Scheme::Bip44 | Scheme::Bip86, false) => "xpub",
        (Scheme::Bip49, false) => "ypub",
        (Scheme::Bip84, false) => "zpub",
        (Scheme::Bip44 | Scheme::Bip86, true) => "tpub",
        (Scheme::Bip49, true) => "upub",
        (Scheme::Bip84, true) => "vpub",
    }
}

fn version_bytes(name: &str) -> [u8; 4] {
    VERSIONS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, bytes)| *bytes)
        .unwrap_or(VERSIONS[0].1)
}

/// Serializes `xpub` under the named version.
pub(crate) fn encode(xpub: &Xpub, name: &str) -> String {
    base58check_encode(&xpub.encode(version_bytes(name)))
}

/// Parses any of the six public versions; returns the key and its version name.
pub(crate) fn decode(s: &str) -> Result<(Xpub, &'static str), WalletError> {
    let data = base58check_decode(s.trim()).map_err(|_| WalletError::InvalidXpub {
        reason: "not a base58check string",
    })?;
    let data: [u8; 78] = data.try_into().map_err(|_| WalletError::InvalidXpub {
        reason: "payload is not 78 bytes",
    })?;
    let version: [u8; 4] = [data[0], data[1], data[2], data[3]];
    if PRIVATE_VERSIONS.contains(&version) {
        return Err(WalletError::InvalidXpub {
            reason: "this is a private key; give the extended public key",
        });
    }
    let name = VERSIONS
        .iter()
        .find(|(_, bytes)| *bytes == version)
        .map(|(name, _)| *name)
        .ok_or(WalletError::InvalidXpub {
            reason: "unknown version bytes",
        })?;
    let xpub = Xpub::decode(&data).map_err(|_| WalletError::InvalidXpub {
        reason: "invalid key data",
    })?;
    Ok((xpub, name))
}
