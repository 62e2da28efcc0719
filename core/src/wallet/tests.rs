//! Rules and error variants of the wallet; published vectors are in core/tests/.

use super::*;
use crate::address::{validate_address, AddressKind};

const ABANDON: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

fn request(currency: Crypto, network: Network, scheme: Scheme) -> DeriveRequest {
    DeriveRequest {
        mnemonic: ABANDON.to_owned(),
        passphrase: String::new(),
        currency,
        network,
        scheme,
        account: 0,
        change: 0,
        start: 0,
        count: 2,
    }
}

fn xpub_request(xpub: &str, scheme: Scheme, network: Network) -> XpubDeriveRequest {
    XpubDeriveRequest {
        xpub: xpub.to_owned(),
        currency: Crypto::Btc,
        network,
        scheme,
        change: 0,
        index: 0,
    }
}

fn account_xpub(currency: Crypto, network: Network, scheme: Scheme) -> String {
    derive_addresses(&request(currency, network, scheme))
        .unwrap()
        .account_xpub
}

#[test]
fn bip84_account_zpub_is_the_published_one() {
    // BIP-84 (current revision), account 0 zpub of "abandon ... about".
    assert_eq!(
        account_xpub(Crypto::Btc, Network::Mainnet, Scheme::Bip84),
        "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs"
    );
}

#[test]
fn eth_address_of_abandon_mnemonic_is_the_well_known_one() {
    let d = derive_addresses(&request(Crypto::Eth, Network::Mainnet, Scheme::Bip44)).unwrap();
    assert_eq!(d.account_path, "m/44'/60'/0'");
    assert_eq!(
        d.addresses[0].address,
        "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"
    );
}

#[test]
fn every_supported_combination_yields_addresses_that_validate() {
    let combos = [
        (Crypto::Btc, Scheme::Bip44, AddressKind::P2pkh),
        (Crypto::Btc, Scheme::Bip49, AddressKind::P2sh),
        (Crypto::Btc, Scheme::Bip84, AddressKind::P2wpkh),
        (Crypto::Btc, Scheme::Bip86, AddressKind::P2tr),
        (Crypto::Ltc, Scheme::Bip44, AddressKind::P2pkh),
        (Crypto::Ltc, Scheme::Bip49, AddressKind::P2sh),
        (Crypto::Ltc, Scheme::Bip84, AddressKind::P2wpkh),
        (Crypto::Ltc, Scheme::Bip86, AddressKind::P2tr),
        (Crypto::Doge, Scheme::Bip44, AddressKind::P2pkh),
        (Crypto::Bch, Scheme::Bip44, AddressKind::P2pkh),
        (Crypto::Eth, Scheme::Bip44, AddressKind::Account),
    ];
    for (currency, scheme, kind) in combos {
        for network in Network::ALL {
            let req = request(currency, network, scheme);
            let derivation = match derive_addresses(&req) {
                Ok(d) => d,
                Err(WalletError::UnsupportedCurrencyNetwork { .. }) => {
                    assert!(!address::supports(currency, network));
                    continue;
                }
                Err(e) => panic!("{currency} {network} {scheme:?}: {e}"),
            };
            assert_eq!(derivation.addresses.len(), 2);
            assert_ne!(
                derivation.addresses[0].address,
                derivation.addresses[1].address
            );
            for a in &derivation.addresses {
                let v = validate_address(currency, &a.address, Some(network))
                    .unwrap_or_else(|e| panic!("{currency} {network} {}: {e}", a.address));
                assert_eq!(v.kind, kind, "{}", a.address);
                assert_eq!(v.normalized, a.address);
                let watch = derive_from_xpub(&XpubDeriveRequest {
                    xpub: derivation.account_xpub.clone(),
                    currency,
                    network,
                    scheme,
                    change: 0,
                    index: a.index,
                })
                .unwrap();
                assert_eq!(&watch, a);
            }
        }
    }
}

#[test]
fn testnet_keys_use_coin_type_1_and_test_versions() {
    let d = derive_addresses(&request(Crypto::Ltc, Network::Testnet, Scheme::Bip84)).unwrap();
    assert_eq!(d.account_path, "m/84'/1'/0'");
    assert!(d.account_xpub.starts_with("vpub"));
    assert!(d.addresses[0].address.starts_with("tltc1q"));
    let d = derive_addresses(&request(Crypto::Btc, Network::Signet, Scheme::Bip86)).unwrap();
    assert!(d.account_xpub.starts_with("tpub"));
    assert!(d.addresses[0].address.starts_with("tb1p"));
}

#[test]
fn passphrase_changes_the_wallet() {
    let plain = derive_addresses(&request(Crypto::Btc, Network::Mainnet, Scheme::Bip84)).unwrap();
    let mut req = request(Crypto::Btc, Network::Mainnet, Scheme::Bip84);
    req.passphrase = "TREZOR".to_owned();
    let with = derive_addresses(&req).unwrap();
    assert_ne!(plain.addresses[0].address, with.addresses[0].address);
}

#[test]
fn mnemonic_is_forgiving_about_case_and_spaces() {
    let mut req = request(Crypto::Btc, Network::Mainnet, Scheme::Bip84);
    req.mnemonic = format!("  {}  ", ABANDON.to_uppercase().replace(' ', "   "));
    let d = derive_addresses(&req).unwrap();
    assert_eq!(
        d.addresses[0].address,
        "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"
    );
}

#[test]
fn rejects_bad_entropy_length() {
    assert_eq!(
        mnemonic_from_entropy(&[0u8; 15]),
        Err(WalletError::BadEntropyLength { found: 15 })
    );
    assert_eq!(
        mnemonic_from_entropy(&[0u8; 32])
            .unwrap()
            .split(' ')
            .count(),
        24
    );
}

#[test]
fn rejects_mnemonic_with_wrong_word_count() {
    assert_eq!(
        parse_mnemonic("abandon abandon about").err(),
        Some(WalletError::InvalidMnemonicWordCount { found: 3 })
    );
}

#[test]
fn rejects_mnemonic_word_not_in_list() {
    let m = ABANDON.replacen("abandon", "abandonn", 1);
    assert_eq!(
        parse_mnemonic(&m).err(),
        Some(WalletError::InvalidMnemonicWord {
            index: 0,
            word: "abandonn".to_owned()
        })
    );
}

#[test]
fn rejects_mnemonic_with_bad_checksum() {
    let m = ABANDON.replace("about", "abandon");
    assert_eq!(
        parse_mnemonic(&m).err(),
        Some(WalletError::InvalidMnemonicChecksum)
    );
}

#[test]
fn rejects_bip84_for_dogecoin() {
    assert_eq!(
        derive_addresses(&request(Crypto::Doge, Network::Mainnet, Scheme::Bip84)),
        Err(WalletError::UnsupportedScheme {
            currency: Crypto::Doge,
            scheme: Scheme::Bip84
        })
    );
}

#[test]
fn rejects_litecoin_on_signet() {
    assert_eq!(
        derive_addresses(&request(Crypto::Ltc, Network::Signet, Scheme::Bip84)),
        Err(WalletError::UnsupportedCurrencyNetwork {
            currency: Crypto::Ltc,
            network: Network::Signet
        })
    );
}

#[test]
fn rejects_count_out_of_range() {
    for count in [0, MAX_COUNT + 1] {
        let mut req = request(Crypto::Btc, Network::Mainnet, Scheme::Bip84);
        req.count = count;
        assert_eq!(
            derive_addresses(&req),
            Err(WalletError::CountOutOfRange {
                found: count,
                max: MAX_COUNT
            })
        );
    }
}

#[test]
fn rejects_indexes_reaching_the_hardened_range() {
    let mut req = request(Crypto::Btc, Network::Mainnet, Scheme::Bip84);
    req.start = HARDENED - 1;
    assert_eq!(
        derive_addresses(&req),
        Err(WalletError::HardenedIndex {
            index: u64::from(HARDENED)
        })
    );
    let mut req = request(Crypto::Btc, Network::Mainnet, Scheme::Bip84);
    req.account = HARDENED;
    assert_eq!(
        derive_addresses(&req),
        Err(WalletError::HardenedIndex {
            index: u64::from(HARDENED)
        })
    );
    let zpub = account_xpub(Crypto::Btc, Network::Mainnet, Scheme::Bip84);
    let mut watch = xpub_request(&zpub, Scheme::Bip84, Network::Mainnet);
    watch.index = u32::MAX;
    assert_eq!(
        derive_from_xpub(&watch),
        Err(WalletError::HardenedIndex {
            index: u64::from(u32::MAX)
        })
    );
}

#[test]
fn rejects_change_other_than_0_or_1() {
    let mut req = request(Crypto::Btc, Network::Mainnet, Scheme::Bip84);
    req.change = 2;
    assert_eq!(
        derive_addresses(&req),
        Err(WalletError::InvalidChange { found: 2 })
    );
}

#[test]
fn rejects_xpub_version_contradicting_scheme_or_network() {
    let zpub = account_xpub(Crypto::Btc, Network::Mainnet, Scheme::Bip84);
    assert_eq!(
        derive_from_xpub(&xpub_request(&zpub, Scheme::Bip44, Network::Mainnet)),
        Err(WalletError::XpubVersionMismatch {
            expected: "xpub",
            found: "zpub"
        })
    );
    assert_eq!(
        derive_from_xpub(&xpub_request(&zpub, Scheme::Bip84, Network::Testnet)),
        Err(WalletError::XpubVersionMismatch {
            expected: "vpub",
            found: "zpub"
        })
    );
}

#[test]
fn rejects_garbage_and_private_keys_as_invalid_xpub() {
    for s in [
        "",
        "zpub",
        "not an xpub at all",
        // BIP-32 test vector 1 master private key.
        "xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi",
    ] {
        let got = derive_from_xpub(&xpub_request(s, Scheme::Bip44, Network::Mainnet));
        assert!(
            matches!(got, Err(WalletError::InvalidXpub { .. })),
            "{s}: {got:?}"
        );
    }
}

#[test]
fn rejects_xpub_that_is_not_account_level() {
    // BIP-32 test vector 1 master public key (depth 0).
    let master = "xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8";
    assert_eq!(
        derive_from_xpub(&xpub_request(master, Scheme::Bip44, Network::Mainnet)),
        Err(WalletError::XpubNotAccountLevel { depth: 0 })
    );
}

#[test]
fn derive_request_has_defaults_and_denies_unknown_fields() {
    let req: DeriveRequest = serde_json::from_value(serde_json::json!({
        "mnemonic": ABANDON, "currency": "BTC", "network": "mainnet",
        "scheme": "bip84", "count": 1
    }))
    .unwrap();
    assert_eq!((req.account, req.change, req.start), (0, 0, 0));
    assert_eq!(req.passphrase, "");
    let unknown = serde_json::from_value::<DeriveRequest>(serde_json::json!({
        "mnemonic": ABANDON, "currency": "BTC", "network": "mainnet",
        "scheme": "bip84", "count": 1, "acount": 1
    }));
    assert!(unknown.is_err());
}

#[test]
fn derivation_serializes_in_snake_case() {
    let d = derive_addresses(&request(Crypto::Btc, Network::Mainnet, Scheme::Bip84)).unwrap();
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!(json["account_path"], "m/84'/0'/0'");
    assert_eq!(json["addresses"][1]["path"], "m/84'/0'/0'/0/1");
    assert_eq!(json["addresses"][1]["index"], 1);
    assert!(json["addresses"][1]["public_key"].is_string());
}

#[test]
fn wallet_error_serializes_with_code_and_facts() {
    let error = WalletError::CountOutOfRange {
        found: 0,
        max: MAX_COUNT,
    };
    let json = serde_json::to_value(crate::error::ErrorBody::of(&error)).unwrap();
    assert_eq!(json["code"], "count_out_of_range");
    assert_eq!(json["message"], "count 0 out of range 1..=100");
    assert_eq!(json["max"], 100);
}
