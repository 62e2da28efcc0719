//! One test per rule and per error variant; published vectors are in core/tests/.

use super::*;

const HASH: [u8; 20] = [
    0x75, 0x1e, 0x76, 0xe8, 0x19, 0x91, 0x96, 0xd4, 0x54, 0x94, 0x1c, 0x45, 0xd1, 0xb3, 0xa3, 0x23,
    0xf1, 0x43, 0x3b, 0xd6,
];

fn code(currency: Crypto, s: &str, network: Option<Network>) -> &'static str {
    match validate_address(currency, s, network) {
        Ok(v) => panic!("{s} accepted as {v:?}"),
        Err(e) => e.code(),
    }
}

#[test]
fn accepts_genesis_p2pkh_with_its_script() {
    let v = validate_address(Btc, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", None).unwrap();
    assert_eq!(v.network, Mainnet);
    assert_eq!(v.kind, AddressKind::P2pkh);
    assert_eq!(
        v.script_pubkey.as_deref(),
        Some("76a91462e907b15cbf27d5425399ebf6f0fb50ebb88f1888ac")
    );
    assert_eq!(v.normalized, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa");
}

#[test]
fn rejects_empty_address() {
    assert_eq!(validate_address(Btc, "  ", None), Err(AddressError::Empty));
}

#[test]
fn rejects_overlong_input() {
    let s = "1".repeat(200);
    assert_eq!(
        validate_address(Btc, &s, None),
        Err(AddressError::TooLong {
            max: MAX_ADDRESS_LEN,
            found: 200
        })
    );
}

#[test]
fn rejects_base58_typo_as_bad_checksum() {
    assert_eq!(
        code(Btc, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", None),
        "bad_checksum"
    );
}

#[test]
fn names_position_of_bad_character() {
    assert_eq!(
        validate_address(Btc, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfN0", None),
        Err(AddressError::BadCharacter {
            position: 33,
            character: '0'
        })
    );
}

#[test]
fn rejects_testnet_address_on_mainnet() {
    let tb = encode_segwit(Btc, Testnet, 0, &HASH).unwrap();
    assert_eq!(
        validate_address(Btc, &tb, Some(Mainnet)),
        Err(AddressError::WrongNetwork {
            expected: Mainnet,
            found: Testnet
        })
    );
    let legacy = encode_p2pkh(Btc, Testnet, &HASH).unwrap();
    assert_eq!(
        validate_address(Btc, &legacy, Some(Mainnet)),
        Err(AddressError::WrongNetwork {
            expected: Mainnet,
            found: Testnet
        })
    );
}

#[test]
fn reports_testnet_for_tb_without_network_and_signet_when_asked() {
    let tb = encode_segwit(Btc, Signet, 0, &HASH).unwrap();
    assert!(tb.starts_with("tb1"));
    assert_eq!(validate_address(Btc, &tb, None).unwrap().network, Testnet);
    assert_eq!(
        validate_address(Btc, &tb, Some(Signet)).unwrap().network,
        Signet
    );
    let regtest = encode_segwit(Btc, Regtest, 0, &HASH).unwrap();
    assert!(regtest.starts_with("bcrt1"));
    assert_eq!(
        validate_address(Btc, &regtest, None).unwrap().network,
        Regtest
    );
    assert_eq!(code(Btc, &tb, Some(Regtest)), "wrong_network");
}

#[test]
fn rejects_litecoin_address_as_bitcoin() {
    let ltc = encode_segwit(Ltc, Mainnet, 0, &HASH).unwrap();
    assert_eq!(ltc, "ltc1qw508d6qejxtdg4y5r3zarvary0c5xw7kgmn4n9");
    assert_eq!(
        validate_address(Btc, &ltc, None),
        Err(AddressError::WrongCurrency {
            expected: Btc,
            found: Ltc
        })
    );
    let l = encode_p2pkh(Ltc, Mainnet, &HASH).unwrap();
    assert!(l.starts_with('L'));
    assert_eq!(
        validate_address(Btc, &l, None),
        Err(AddressError::WrongCurrency {
            expected: Btc,
            found: Ltc
        })
    );
}

#[test]
fn rejects_other_currencies_detectably() {
    let eth = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
    assert_eq!(code(Btc, eth, None), "wrong_currency");
    let cash = "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a";
    assert_eq!(code(Btc, cash, None), "wrong_currency");
    assert_eq!(
        code(Btc, "qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a", None),
        "wrong_currency"
    );
    let doge = encode_p2pkh(Doge, Mainnet, &HASH).unwrap();
    assert!(doge.starts_with('D'));
    assert_eq!(
        validate_address(Ltc, &doge, None),
        Err(AddressError::WrongCurrency {
            expected: Ltc,
            found: Doge
        })
    );
    assert_eq!(
        validate_address(Crypto::Eth, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", None),
        Err(AddressError::WrongCurrency {
            expected: Crypto::Eth,
            found: Btc
        })
    );
}

#[test]
fn rejects_unknown_prefix() {
    assert_eq!(
        code(Btc, "tc1qw508d6qejxtdg4y5r3zarvary0c5xw7kg3g4ty", None),
        "unknown_prefix"
    );
    assert_eq!(
        code(
            Bch,
            "bitcoin:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a",
            None
        ),
        "unknown_prefix"
    );
}

#[test]
fn rejects_short_base58_payload_with_bad_length() {
    assert_eq!(
        validate_address(Btc, "1A1zP1eP5QGefi2DMPTfTL5SLmv7Div", None),
        Err(AddressError::BadLength {
            expected: 25,
            found: 23
        })
    );
}

#[test]
fn rejects_mixed_case_bech32_and_cashaddr() {
    assert_eq!(
        code(Btc, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3T4", None),
        "mixed_case"
    );
    assert_eq!(
        code(
            Bch,
            "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6A",
            None
        ),
        "mixed_case"
    );
}

#[test]
fn rejects_v1_with_bech32_checksum() {
    assert_eq!(
        validate_address(
            Btc,
            "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",
            None
        ),
        Err(AddressError::WrongBech32Variant {
            witness_version: 1,
            expected: Bech32Variant::Bech32m,
            found: Bech32Variant::Bech32
        })
    );
}

#[test]
fn rejects_witness_version_above_16() {
    assert_eq!(
        validate_address(
            Btc,
            "BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R",
            None
        ),
        Err(AddressError::BadWitnessVersion { version: Some(17) })
    );
}

#[test]
fn rejects_v0_program_of_16_bytes() {
    assert_eq!(
        validate_address(Btc, "BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P", None),
        Err(AddressError::BadWitnessProgramLength {
            witness_version: 0,
            length: 16
        })
    );
}

#[test]
fn rejects_nonzero_padding() {
    assert_eq!(
        code(
            Btc,
            "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vpggkg4j",
            None
        ),
        "bad_padding"
    );
}

#[test]
fn rejects_eth_on_signet_and_doge_on_signet() {
    assert_eq!(
        validate_address(
            Crypto::Eth,
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            Some(Signet)
        ),
        Err(AddressError::UnsupportedCurrencyNetwork {
            currency: Crypto::Eth,
            network: Signet
        })
    );
    assert_eq!(
        code(Doge, "DBtUjAUFWHqS1y8CgetQtPW6YKDhffyFT4", Some(Signet)),
        "unsupported_currency_network"
    );
}

#[test]
fn eth_reports_asked_network_and_normalizes_to_eip55() {
    let v = validate_address(
        Crypto::Eth,
        "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",
        Some(Testnet),
    )
    .unwrap();
    assert_eq!(v.network, Testnet);
    assert_eq!(v.normalized, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed");
    assert_eq!(v.kind, AddressKind::Account);
    assert_eq!(v.script_pubkey, None);
    assert_eq!(
        validate_address(
            Crypto::Eth,
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1Beaed",
            None
        ),
        Err(AddressError::BadChecksum)
    );
    assert_eq!(
        validate_address(
            Crypto::Eth,
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe",
            None
        ),
        Err(AddressError::BadLength {
            expected: 40,
            found: 39
        })
    );
}

#[test]
fn litecoin_accepts_m_and_legacy_3_and_testnet_prefixes() {
    let m = encode_p2sh(Ltc, Mainnet, &HASH).unwrap();
    assert!(m.starts_with('M'));
    assert_eq!(
        validate_address(Ltc, &m, None).unwrap().kind,
        AddressKind::P2sh
    );
    let three = encode_p2sh(Btc, Mainnet, &HASH).unwrap();
    assert!(three.starts_with('3'));
    assert_eq!(
        validate_address(Ltc, &three, None).unwrap().network,
        Mainnet
    );
    let q = encode_p2sh(Ltc, Testnet, &HASH).unwrap();
    assert!(q.starts_with('Q'));
    assert_eq!(validate_address(Ltc, &q, None).unwrap().network, Testnet);
    let tltc = encode_segwit(Ltc, Testnet, 0, &HASH).unwrap();
    assert!(tltc.starts_with("tltc1"));
    let rltc = encode_segwit(Ltc, Regtest, 0, &HASH).unwrap();
    assert_eq!(validate_address(Ltc, &rltc, None).unwrap().network, Regtest);
}

#[test]
fn dogecoin_prefixes() {
    let d = encode_p2pkh(Doge, Mainnet, &HASH).unwrap();
    assert!(d.starts_with('D'));
    let p2sh = encode_p2sh(Doge, Mainnet, &HASH).unwrap();
    assert!(p2sh.starts_with('9') || p2sh.starts_with('A'));
    assert_eq!(
        validate_address(Doge, &p2sh, None).unwrap().kind,
        AddressKind::P2sh
    );
    let n = encode_p2pkh(Doge, Testnet, &HASH).unwrap();
    assert!(n.starts_with('n'));
    assert_eq!(validate_address(Doge, &n, None).unwrap().network, Testnet);
    assert_eq!(code(Doge, &d, Some(Testnet)), "wrong_network");
}

#[test]
fn bitcoin_cash_legacy_normalizes_to_cashaddr() {
    let v = validate_address(Bch, "1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu", None).unwrap();
    assert_eq!(
        v.normalized,
        "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a"
    );
    let upper = validate_address(
        Bch,
        "BITCOINCASH:QPM2QSZNHKS23Z7629MMS6S4CWEF74VCWVY22GDX6A",
        None,
    )
    .unwrap();
    assert_eq!(upper.normalized, v.normalized);
    assert_eq!(upper.script_pubkey, v.script_pubkey);
    let test = encode_p2pkh(Bch, Testnet, &HASH).unwrap();
    assert!(test.starts_with("bchtest:q"));
    let bare = test.trim_start_matches("bchtest:");
    assert_eq!(validate_address(Bch, bare, None).unwrap().network, Testnet);
    assert_eq!(
        validate_address(Bch, bare, Some(Mainnet)),
        Err(AddressError::WrongNetwork {
            expected: Mainnet,
            found: Testnet
        })
    );
    assert_eq!(code(Bch, &test, Some(Mainnet)), "wrong_network");
}

#[test]
fn future_witness_versions_are_witness_unknown() {
    let v = validate_address(Btc, "BC1SW50QGDZ25J", None).unwrap();
    assert_eq!(v.kind, AddressKind::WitnessUnknown);
    assert_eq!(v.witness_version, Some(16));
    assert_eq!(v.normalized, "bc1sw50qgdz25j");
}

#[test]
fn error_serializes_as_code_and_facts() {
    let e = AddressError::WrongNetwork {
        expected: Mainnet,
        found: Testnet,
    };
    let json = serde_json::to_value(&e).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"code": "wrong_network", "expected": "mainnet", "found": "testnet"})
    );
    assert_eq!(e.to_string(), "address is for testnet, expected mainnet");
}

#[test]
fn valid_address_serializes_in_snake_case() {
    let v = validate_address(
        Btc,
        "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
        None,
    )
    .unwrap();
    let json = serde_json::to_value(&v).unwrap();
    assert_eq!(json["kind"], "p2tr");
    assert_eq!(json["currency"], "BTC");
    assert_eq!(json["network"], "mainnet");
    assert_eq!(json["witness_version"], 1);
}

#[test]
fn every_error_code_is_distinct_snake_case() {
    let errors = [
        AddressError::Empty,
        AddressError::TooLong { max: 1, found: 2 },
        AddressError::TooShort { min: 2, found: 1 },
        AddressError::BadCharacter {
            position: 0,
            character: 'x',
        },
        AddressError::BadChecksum,
        AddressError::WrongNetwork {
            expected: Mainnet,
            found: Testnet,
        },
        AddressError::WrongCurrency {
            expected: Btc,
            found: Ltc,
        },
        AddressError::UnknownPrefix,
        AddressError::BadLength {
            expected: 25,
            found: 1,
        },
        AddressError::MixedCase,
        AddressError::WrongBech32Variant {
            witness_version: 1,
            expected: Bech32Variant::Bech32m,
            found: Bech32Variant::Bech32,
        },
        AddressError::BadWitnessVersion { version: None },
        AddressError::BadWitnessProgramLength {
            witness_version: 0,
            length: 1,
        },
        AddressError::BadPadding,
        AddressError::UnsupportedCurrencyNetwork {
            currency: Crypto::Eth,
            network: Signet,
        },
    ];
    let mut codes: Vec<_> = errors.iter().map(|e| e.code()).collect();
    for e in &errors {
        assert_eq!(serde_json::to_value(e).unwrap()["code"], e.code(), "{e:?}");
        let message = e.to_string();
        assert!(!message.ends_with('.'), "{message}");
        assert!(!message.starts_with(char::is_uppercase), "{message}");
    }
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), errors.len());
}

#[test]
fn rejects_truncated_cashaddr_as_too_short() {
    assert_eq!(
        validate_address(Bch, "bitcoincash:qpm2", None),
        Err(AddressError::TooShort { min: 54, found: 16 })
    );
}

#[test]
fn rejects_bech32_longer_than_90_characters() {
    let s = format!("bc1p{}", "q".repeat(90));
    assert_eq!(
        validate_address(Btc, &s, None),
        Err(AddressError::TooLong { max: 90, found: 94 })
    );
}

#[test]
fn bitcoin_cash_p2sh32_has_hash256_script() {
    let hash = [0xab_u8; 32];
    let s = cashaddr::encode("bitcoincash", cashaddr::CashKind::ScriptHash, &hash);
    let v = validate_address(Bch, &s, None).unwrap();
    assert_eq!(v.kind, AddressKind::P2sh);
    assert_eq!(v.script_pubkey, Some(format!("aa20{}87", "ab".repeat(32))));
}

#[test]
fn trims_surrounding_whitespace() {
    let v = validate_address(Btc, " bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4\n", None).unwrap();
    assert_eq!(v.normalized, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4");
}

/// Dogecoin Core's testnet uses one P2PKH version, 113 (`n`); 111 (`m`/`n`, Bitcoin's
/// testnet version) belongs to its regtest only. dogecoin/dogecoin src/chainparams.cpp
/// (1.14 and master): testnet `base58Prefixes[PUBKEY_ADDRESS] = std::vector<unsigned
/// char>(1,113)`. This table used to accept 111 on testnet too.
#[test]
fn dogecoin_testnet_refuses_bitcoin_testnet_p2pkh() {
    let btc_testnet = encode_p2pkh(Btc, Testnet, &HASH).unwrap();
    assert_eq!(code(Doge, &btc_testnet, Some(Testnet)), "wrong_network");
    assert_eq!(
        validate_address(Doge, &btc_testnet, None).unwrap().network,
        Regtest
    );
    let doge_testnet = encode_p2pkh(Doge, Testnet, &HASH).unwrap();
    assert_eq!(
        crate::base58check::decode(&doge_testnet).unwrap()[0],
        113,
        "encodes with version 113"
    );
    assert!(validate_address(Doge, &doge_testnet, Some(Testnet)).is_ok());
}

#[test]
fn kind_names_match_their_serde_form() {
    use super::AddressKind::*;
    for kind in [P2pkh, P2sh, P2wpkh, P2wsh, P2tr, WitnessUnknown, Account] {
        assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
    }
}
