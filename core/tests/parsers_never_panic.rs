//! Property test: no input makes a parser panic (a panic would kill the wasm instance).
//! Inputs mix arbitrary strings with mutations of valid addresses and keys, so that
//! deep paths (checksums, padding, version checks) are reached, not only the first check.

use cryptoexchange_core::address::validate_address;
use cryptoexchange_core::wallet::{
    derive_from_xpub, mnemonic_from_entropy, parse_mnemonic, Scheme, XpubDeriveRequest,
};
use cryptoexchange_core::{Crypto, Network};
use proptest::prelude::*;

const SEEDS: [&str; 9] = [
    "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
    "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
    "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
    "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a",
    "qr95sy3j9xwd2ap32xkykttr4cvcu7as4y0qverfuy",
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "ltc1qw508d6qejxtdg4y5r3zarvary0c5xw7kgmn4n9",
    "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs",
];

/// A valid string with one character replaced, inserted or removed.
fn mutated() -> impl Strategy<Value = String> {
    (0..SEEDS.len(), any::<usize>(), any::<char>(), 0..3u8).prop_map(|(i, pos, c, op)| {
        let mut chars: Vec<char> = SEEDS[i].chars().collect();
        let pos = pos % (chars.len() + 1);
        match op {
            0 if pos < chars.len() => chars[pos] = c,
            1 => chars.insert(pos, c),
            _ if pos < chars.len() => {
                chars.remove(pos);
            }
            _ => chars.push(c),
        }
        chars.into_iter().collect()
    })
}

fn any_input() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9a-zA-Z:]{0,130}",
        "(bc|tb|bcrt|ltc|tltc|BC)1[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{0,90}",
        "(bitcoincash:|bchtest:)?[qp][qpzry9x8gf2tvdw0s3jn54khce6mua7l]{0,70}",
        "0x[0-9a-fA-F]{0,44}",
        mutated(),
    ]
}

fn network() -> impl Strategy<Value = Option<Network>> {
    prop_oneof![
        Just(None),
        prop::sample::select(Network::ALL.to_vec()).prop_map(Some)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn validate_address_never_panics(
        input in any_input(),
        currency in prop::sample::select(Crypto::ALL.to_vec()),
        network in network(),
    ) {
        if let Err(e) = validate_address(currency, &input, network) {
            prop_assert!(!e.code().is_empty());
            prop_assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn wallet_parsers_never_panic(
        input in any_input(),
        entropy in prop::collection::vec(any::<u8>(), 0..40),
        index in any::<u32>(),
        change in 0..3u32,
    ) {
        let _ = parse_mnemonic(&input);
        let _ = mnemonic_from_entropy(&entropy);
        let _ = derive_from_xpub(&XpubDeriveRequest {
            xpub: input,
            currency: Crypto::Btc,
            network: Network::Mainnet,
            scheme: Scheme::Bip84,
            change,
            index,
        });
    }
}
