//! Published wallet vectors (BIP-39 Trezor, BIP-32, BIP-49, BIP-84, BIP-86);
//! sources in vectors/README.md.

use bitcoin::bip32::{DerivationPath, Xpriv, Xpub};
use bitcoin::secp256k1::Secp256k1;
use bitcoin::NetworkKind;
use cryptoexchange_core::address::validate_address;
use cryptoexchange_core::wallet::{
    derive_addresses, derive_from_xpub, mnemonic_from_entropy, parse_mnemonic, DeriveRequest,
    XpubDeriveRequest,
};
use serde::Deserialize;
use std::str::FromStr;

#[derive(Deserialize)]
struct Bip39File {
    passphrase: String,
    vectors: Vec<Bip39Vector>,
}

#[derive(Deserialize)]
struct Bip39Vector {
    entropy: String,
    mnemonic: String,
    seed: String,
    root_xprv: String,
}

#[test]
fn bip39_trezor_vectors() {
    let file: Bip39File = serde_json::from_str(include_str!("vectors/bip39_trezor.json"))
        .expect("vector file parses");
    let mut failures = Vec::new();
    for v in &file.vectors {
        let entropy = hex::decode(&v.entropy).expect("hex entropy");
        match mnemonic_from_entropy(&entropy) {
            Ok(m) if m == v.mnemonic => {}
            other => failures.push(format!("{}: mnemonic {other:?}", v.entropy)),
        }
        let seed = match parse_mnemonic(&v.mnemonic) {
            Ok(m) => m.to_seed_normalized(file.passphrase.as_str()),
            Err(e) => {
                failures.push(format!("{}: parse failed: {e}", v.entropy));
                continue;
            }
        };
        if hex::encode(seed) != v.seed {
            failures.push(format!("{}: seed {}", v.entropy, hex::encode(seed)));
        }
        match Xpriv::new_master(NetworkKind::Main, &seed) {
            Ok(root) if root.to_string() == v.root_xprv => {}
            other => failures.push(format!("{}: root {other:?}", v.entropy)),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[derive(Deserialize)]
struct Bip32File {
    seed: String,
    chain: Vec<Bip32Step>,
}

#[derive(Deserialize)]
struct Bip32Step {
    path: String,
    xpub: String,
}

/// BIP-32 vector 1 checks the reference `bitcoin::bip32` maths, and that its watch-only
/// derivation agrees with private derivation at the last (normal) step. The core's own
/// BIP-32 (on `k256`) is checked against the same vector in `src/wallet/bip32.rs`.
#[test]
fn bip32_vector_1() {
    let file: Bip32File =
        serde_json::from_str(include_str!("vectors/bip32.json")).expect("vector file parses");
    let secp = Secp256k1::new();
    let seed = hex::decode(&file.seed).expect("hex seed");
    let master = Xpriv::new_master(NetworkKind::Main, &seed).expect("master key");
    let mut failures = Vec::new();
    for step in &file.chain {
        let path = DerivationPath::from_str(&step.path).expect("path parses");
        let xpub = Xpub::from_priv(&secp, &master.derive_priv(&secp, &path).expect("derives"));
        if xpub.to_string() != step.xpub {
            failures.push(format!("{}: got {xpub}", step.path));
        }
    }
    // Public derivation of the last step (normal index) from its parent xpub.
    let parent = Xpub::from_str(&file.chain[4].xpub).expect("parent xpub");
    let child = parent
        .derive_pub(
            &secp,
            &DerivationPath::from_str("m/1000000000").expect("path"),
        )
        .expect("derives");
    if child.to_string() != file.chain[5].xpub {
        failures.push(format!("public derivation: got {child}"));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[derive(Deserialize)]
struct SchemeFile {
    mnemonic: String,
    currency: String,
    network: String,
    scheme: String,
    account_path: String,
    account_xpub: Option<String>,
    account_xprv: Option<String>,
    addresses: Vec<SchemeAddress>,
}

#[derive(Deserialize)]
struct SchemeAddress {
    path: String,
    address: String,
    public_key: Option<String>,
    internal_key: Option<String>,
    script_pubkey: Option<String>,
}

/// BIP-84 publishes the account `zprv`; its neutered form is the expected `zpub`.
fn neutered_zpub(zprv: &str) -> String {
    let secp = Secp256k1::new();
    let mut data = bitcoin::base58::decode_check(zprv).expect("zprv decodes");
    data[..4].copy_from_slice(&[0x04, 0x88, 0xad, 0xe4]);
    let xprv = Xpriv::decode(&data).expect("xprv");
    let mut xpub = Xpub::from_priv(&secp, &xprv).encode().to_vec();
    xpub[..4].copy_from_slice(&[0x04, 0xb2, 0x47, 0x46]);
    bitcoin::base58::encode_check(&xpub)
}

fn check_scheme_file(name: &str, json: &str) {
    let file: SchemeFile = serde_json::from_str(json).expect("vector file parses");
    let mut failures = Vec::new();
    let expected_xpub = file
        .account_xpub
        .clone()
        .unwrap_or_else(|| panic!("{name}: no account xpub"));
    if let Some(xprv) = &file.account_xprv {
        assert_eq!(
            neutered_zpub(xprv),
            expected_xpub,
            "{name}: published zprv and zpub agree"
        );
    }
    for entry in &file.addresses {
        let mut parts = entry.path.rsplit('/');
        let index: u32 = parts.next().and_then(|i| i.parse().ok()).expect("index");
        let change: u32 = parts.next().and_then(|c| c.parse().ok()).expect("change");
        let request: DeriveRequest = serde_json::from_value(serde_json::json!({
            "mnemonic": file.mnemonic,
            "currency": file.currency,
            "network": file.network,
            "scheme": file.scheme,
            "change": change,
            "start": index,
            "count": 1,
        }))
        .expect("request parses");
        let derivation = match derive_addresses(&request) {
            Ok(d) => d,
            Err(e) => {
                failures.push(format!("{name} {}: {e}", entry.path));
                continue;
            }
        };
        if derivation.account_path != file.account_path {
            failures.push(format!("{name}: account path {}", derivation.account_path));
        }
        if derivation.account_xpub != expected_xpub {
            failures.push(format!("{name}: account xpub {}", derivation.account_xpub));
        }
        let got = &derivation.addresses[0];
        if got.path != entry.path || got.address != entry.address || got.index != index {
            failures.push(format!("{name} {}: got {got:?}", entry.path));
        }
        if let Some(pk) = &entry.public_key {
            if &got.public_key != pk {
                failures.push(format!(
                    "{name} {}: public key {}",
                    entry.path, got.public_key
                ));
            }
        }
        if let Some(internal) = &entry.internal_key {
            if got.public_key[2..] != internal[..] {
                failures.push(format!(
                    "{name} {}: internal key {}",
                    entry.path, got.public_key
                ));
            }
        }
        if let Some(spk) = &entry.script_pubkey {
            let currency = file.currency.parse().expect("currency");
            let valid =
                validate_address(currency, &got.address, None).expect("our address validates");
            if valid.script_pubkey.as_deref() != Some(spk.as_str()) {
                failures.push(format!(
                    "{name} {}: script {:?}",
                    entry.path, valid.script_pubkey
                ));
            }
        }
        // The server path: same address from the account xpub alone.
        let watch: XpubDeriveRequest = serde_json::from_value(serde_json::json!({
            "xpub": derivation.account_xpub,
            "currency": file.currency,
            "network": file.network,
            "scheme": file.scheme,
            "change": change,
            "index": index,
        }))
        .expect("request parses");
        match derive_from_xpub(&watch) {
            Ok(w) if w == *got => {}
            other => failures.push(format!("{name} {}: from xpub {other:?}", entry.path)),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn bip84_vectors() {
    check_scheme_file("bip84", include_str!("vectors/bip84.json"));
}

#[test]
fn bip86_vectors() {
    check_scheme_file("bip86", include_str!("vectors/bip86.json"));
}

#[test]
fn bip49_vectors() {
    check_scheme_file("bip49", include_str!("vectors/bip49.json"));
}
