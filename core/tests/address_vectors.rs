//! Published address vectors (BIP-173, BIP-350, EIP-55, CashAddr); sources in vectors/README.md.

use cryptoexchange_core::address::{validate_address, AddressKind};
use cryptoexchange_core::{Crypto, Network};
use serde::Deserialize;

#[derive(Deserialize)]
struct SegwitFile {
    valid: Vec<ValidSegwit>,
    invalid: Vec<InvalidEntry>,
}

#[derive(Deserialize)]
struct ValidSegwit {
    address: String,
    script_pubkey: String,
}

#[derive(Deserialize)]
struct InvalidEntry {
    address: String,
    reason: String,
    code: String,
}

fn network_of(address: &str) -> Network {
    if address.to_ascii_lowercase().starts_with("bc1") {
        Network::Mainnet
    } else {
        Network::Testnet
    }
}

fn check_segwit_file(name: &str, json: &str) {
    let file: SegwitFile = serde_json::from_str(json).expect("vector file parses");
    let mut failures = Vec::new();
    for entry in &file.valid {
        match validate_address(Crypto::Btc, &entry.address, None) {
            Ok(v) => {
                if v.script_pubkey.as_deref() != Some(entry.script_pubkey.as_str())
                    || v.network != network_of(&entry.address)
                    || v.normalized != entry.address.to_ascii_lowercase()
                    || v.witness_version.is_none()
                {
                    failures.push(format!("{name}: valid {}: got {v:?}", entry.address));
                }
            }
            Err(e) => failures.push(format!("{name}: valid {} rejected: {e}", entry.address)),
        }
    }
    for entry in &file.invalid {
        match validate_address(Crypto::Btc, &entry.address, None) {
            Ok(v) => failures.push(format!(
                "{name}: invalid {} ({}) accepted as {v:?}",
                entry.address, entry.reason
            )),
            Err(e) if e.code() != entry.code => failures.push(format!(
                "{name}: invalid {} ({}): code {}, expected {} ({e})",
                entry.address,
                entry.reason,
                e.code(),
                entry.code
            )),
            Err(_) => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn bip173_segwit_vectors() {
    check_segwit_file("bip173", include_str!("vectors/bip173_segwit.json"));
}

#[test]
fn bip350_segwit_vectors() {
    check_segwit_file("bip350", include_str!("vectors/bip350_segwit.json"));
}

#[derive(Deserialize)]
struct Eip55File {
    valid: Vec<String>,
}

#[test]
fn eip55_vectors() {
    let file: Eip55File =
        serde_json::from_str(include_str!("vectors/eip55.json")).expect("vector file parses");
    let mut failures = Vec::new();
    for address in &file.valid {
        let lower = format!("0x{}", address[2..].to_ascii_lowercase());
        let upper = format!("0x{}", address[2..].to_ascii_uppercase());
        for input in [address, &lower, &upper] {
            match validate_address(Crypto::Eth, input, None) {
                Ok(v) if v.kind == AddressKind::Account && v.network == Network::Mainnet => {
                    // The published form is the checksummed one unless it has no letters
                    // of one case (all-caps and all-lower examples are also valid EIP-55).
                    let has_mixed = address.chars().any(|c| c.is_ascii_lowercase())
                        && address.chars().any(|c| c.is_ascii_uppercase());
                    if has_mixed && v.normalized != *address {
                        failures.push(format!("{input}: normalized {}", v.normalized));
                    }
                }
                Ok(v) => failures.push(format!("{input}: unexpected {v:?}")),
                Err(e) => failures.push(format!("{input}: rejected: {e}")),
            }
        }
        // Flipping the case of one letter breaks a mixed-case checksum.
        if let Some(pos) = address[2..].find(|c: char| c.is_ascii_alphabetic()) {
            let mut flipped: Vec<char> = address.chars().collect();
            let c = flipped[pos + 2];
            flipped[pos + 2] = if c.is_ascii_lowercase() {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            };
            let flipped: String = flipped.into_iter().collect();
            let mixed = flipped[2..].chars().any(|c| c.is_ascii_lowercase())
                && flipped[2..].chars().any(|c| c.is_ascii_uppercase());
            if mixed {
                match validate_address(Crypto::Eth, &flipped, None) {
                    Err(e) if e.code() == "bad_checksum" => {}
                    other => {
                        failures.push(format!("{flipped}: expected bad_checksum, got {other:?}"))
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[derive(Deserialize)]
struct CashFile {
    pairs: Vec<CashPair>,
}

#[derive(Deserialize)]
struct CashPair {
    legacy: String,
    cashaddr: String,
}

#[test]
fn cashaddr_translation_vectors() {
    let file: CashFile =
        serde_json::from_str(include_str!("vectors/cashaddr.json")).expect("vector file parses");
    let mut failures = Vec::new();
    for pair in &file.pairs {
        let unprefixed = pair.cashaddr.trim_start_matches("bitcoincash:");
        let upper = pair.cashaddr.to_ascii_uppercase();
        let from_legacy = validate_address(Crypto::Bch, &pair.legacy, Some(Network::Mainnet));
        let from_btc = validate_address(Crypto::Btc, &pair.legacy, None);
        for (label, input) in [
            ("cashaddr", pair.cashaddr.as_str()),
            ("unprefixed", unprefixed),
            ("upper", upper.as_str()),
        ] {
            let got = validate_address(Crypto::Bch, input, None);
            match (&got, &from_legacy, &from_btc) {
                (Ok(cash), Ok(legacy), Ok(btc))
                    if cash.normalized == pair.cashaddr
                        && legacy.normalized == pair.cashaddr
                        && cash.script_pubkey == legacy.script_pubkey
                        && cash.script_pubkey == btc.script_pubkey
                        && cash.kind == legacy.kind
                        && cash.network == Network::Mainnet => {}
                _ => failures.push(format!(
                    "{} ({label} {input}): cash {got:?}, legacy {from_legacy:?}, btc {from_btc:?}",
                    pair.legacy
                )),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
