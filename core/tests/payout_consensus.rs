//! Every transaction the payout code signs is checked by libbitcoinconsensus (Bitcoin
//! Core 26.0's script interpreter, through the `bitcoinconsensus` crate), with every
//! spent output given and the taproot flag on. Negative tests show the verifier does
//! check: one flipped signature byte, one wrong prevout amount.
//! The hot wallet is the BIP-84 test vector's account key (tests/vectors/bip84.json).

use bitcoin::consensus::encode::{deserialize, serialize};
use bitcoinconsensus::{Utxo, VERIFY_ALL_PRE_TAPROOT, VERIFY_TAPROOT};
use cryptoexchange_core::payout::chain::ChainParams;
use cryptoexchange_core::payout::plan::SkipReason;
use cryptoexchange_core::payout::select::Algorithm;
use cryptoexchange_core::payout::{
    bump_fee, plan_batch, BatchRequest, Coin, FeeRate, HotWallet, KeyPath, OutPoint, Payout,
    PayoutError, PlannedTx, SignedTx, Txid,
};
use cryptoexchange_core::{validate_address, Crypto, Network};
use proptest::prelude::*;
use serde::Deserialize;

const FLAGS: u32 = VERIFY_ALL_PRE_TAPROOT | VERIFY_TAPROOT;

#[derive(Deserialize)]
struct Vector {
    account_xprv: String,
    addresses: Vec<VectorAddress>,
}

#[derive(Deserialize)]
struct VectorAddress {
    path: String,
    address: String,
}

fn vector() -> Vector {
    serde_json::from_str(include_str!("vectors/bip84.json")).expect("bip84.json parses")
}

fn chain(crypto: Crypto) -> &'static ChainParams {
    ChainParams::for_chain(crypto, Network::Mainnet).expect("payout chain")
}

fn wallet(crypto: Crypto) -> HotWallet {
    HotWallet::from_secret(&vector().account_xprv, chain(crypto)).expect("hot wallet")
}

const RECEIVE: KeyPath = KeyPath { chain: 0, index: 0 };
const CHANGE: KeyPath = KeyPath { chain: 1, index: 0 };

/// A coin of the wallet at `key`, in a made-up funding transaction `n`.
fn coin(wallet: &HotWallet, key: KeyPath, n: u8, value: u64) -> Coin {
    Coin {
        outpoint: OutPoint {
            txid: Txid([n; 32]),
            vout: u32::from(n % 3),
        },
        value,
        script_pubkey: wallet.script_pubkey(key).expect("script"),
        key,
        confirmed: true,
        own_change: false,
    }
}

/// Destination scripts from real addresses (BIP-173/BIP-84 vectors and others).
fn destination(crypto: Crypto, address: &str) -> Vec<u8> {
    let valid = validate_address(crypto, address, Some(Network::Mainnet)).expect("valid");
    hex::decode(valid.script_pubkey.expect("script")).expect("hex")
}

fn payout(id: &str, script: &[u8], amount: u64) -> Payout {
    Payout {
        id: id.to_owned(),
        script_pubkey: script.to_vec(),
        amount,
    }
}

fn request<'a>(
    wallet: &'a HotWallet,
    coins: &'a [Coin],
    payouts: &'a [Payout],
    sat_per_vb: u64,
) -> BatchRequest<'a> {
    BatchRequest {
        chain: wallet.chain(),
        coins,
        payouts,
        change_script: wallet.script_pubkey(CHANGE).expect("change script"),
        change_key: CHANGE,
        own_scripts: &[],
        fee_rate: FeeRate::from_sat_per_vb(sat_per_vb),
        long_term_fee_rate: FeeRate::from_sat_per_vb(10),
        max_inputs: 20,
        max_payouts: 50,
        seed: 7,
    }
}

/// libbitcoinconsensus on every input, with every spent output.
fn verify_tx(raw: &[u8], spent: &[(Vec<u8>, u64)]) -> Result<(), String> {
    let utxos: Vec<Utxo> = spent
        .iter()
        .map(|(script, value)| Utxo {
            script_pubkey: script.as_ptr(),
            script_pubkey_len: script.len() as u32,
            value: *value as i64,
        })
        .collect();
    for (index, (script, value)) in spent.iter().enumerate() {
        bitcoinconsensus::verify_with_flags(script, *value, raw, Some(&utxos), index, FLAGS)
            .map_err(|e| format!("input {index}: {e:?}"))?;
    }
    Ok(())
}

fn spent_outputs(plan: &PlannedTx) -> Vec<(Vec<u8>, u64)> {
    plan.spent
        .iter()
        .map(|c| (c.script_pubkey.clone(), c.value))
        .collect()
}

/// Signs, verifies with libbitcoinconsensus, and checks what every payout must hold.
fn sign_and_verify(wallet: &HotWallet, plan: &PlannedTx) -> SignedTx {
    let signed = wallet.sign(plan).expect("signs");
    let raw = hex::decode(&signed.raw_tx_hex).expect("hex");
    verify_tx(&raw, &spent_outputs(plan)).expect("libbitcoinconsensus accepts");

    // The reference implementation reads the same transaction and PSBT.
    let parsed: bitcoin::Transaction = deserialize(&raw).expect("bitcoin parses the tx");
    assert_eq!(parsed.compute_txid().to_string(), signed.txid);
    assert_eq!(parsed.vsize() as u64, signed.vsize);
    let psbt = bitcoin::psbt::Psbt::deserialize(&hex::decode(&signed.psbt_hex).expect("hex"))
        .expect("bitcoin parses the PSBT");
    assert_eq!(psbt.unsigned_tx.compute_txid(), parsed.compute_txid());
    assert_eq!(psbt.extract_tx_unchecked_fee_rate(), parsed);

    let inputs: u64 = plan.spent.iter().map(|c| c.value).sum();
    let outputs: u64 = parsed.output.iter().map(|o| o.value.to_sat()).sum();
    assert_eq!(inputs, outputs + signed.fee);
    assert_eq!(signed.fee, plan.fee);
    assert!(signed.vsize <= plan.estimated_vsize);
    assert!(signed.fee >= plan.fee_rate.fee_for_vsize(signed.vsize));
    signed
}

#[test]
fn hot_wallet_derives_the_bip84_vector_addresses() {
    let wallet = wallet(Crypto::Btc);
    for a in vector().addresses {
        let steps: Vec<u32> = a
            .path
            .rsplit('/')
            .take(2)
            .map(|s| s.parse().unwrap())
            .collect();
        let key = KeyPath {
            chain: steps[1],
            index: steps[0],
        };
        assert_eq!(wallet.address(key).unwrap(), a.address, "{}", a.path);
    }
    assert!(!format!("{wallet:?}").contains("zprv"));
}

#[test]
fn hot_wallet_refuses_public_keys_and_other_networks() {
    let zpub = "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs";
    let err = HotWallet::from_secret(zpub, chain(Crypto::Btc)).unwrap_err();
    assert_eq!(err.code(), "invalid_hot_wallet");
    let testnet = ChainParams::for_chain(Crypto::Btc, Network::Testnet).unwrap();
    assert!(HotWallet::from_secret(&vector().account_xprv, testnet).is_err());
    let descriptor = format!("wpkh([73c5da0a/84h/0h/0h]{}/0/*)", vector().account_xprv);
    let from_descriptor = HotWallet::from_secret(&descriptor, chain(Crypto::Btc)).unwrap();
    assert_eq!(
        from_descriptor.address(RECEIVE).unwrap(),
        vector().addresses[0].address
    );
}

#[test]
fn single_payout_with_change_verifies() {
    let wallet = wallet(Crypto::Btc);
    let coins = [coin(&wallet, RECEIVE, 1, 1_000_000)];
    let dest = destination(Crypto::Btc, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4");
    let payouts = [payout("o1", &dest, 150_000)];
    let plan = plan_batch(&request(&wallet, &coins, &payouts, 3)).unwrap();
    let tx = plan.tx.expect("a transaction");
    assert_eq!(tx.change_index, Some(1));
    assert_eq!(tx.tx.outputs[0].value, 150_000);
    assert_eq!(tx.tx.outputs[0].script_pubkey, dest);
    // 1 in, 2 out P2WPKH: 141 vB at 3 sat/vB.
    assert_eq!(tx.estimated_vsize, 141);
    let signed = sign_and_verify(&wallet, &tx);
    assert_eq!(signed.fee, 423);
}

#[test]
fn a_payout_to_the_hot_wallets_own_address_is_refused_and_the_others_verify() {
    let wallet = wallet(Crypto::Btc);
    let coins = [coin(&wallet, RECEIVE, 1, 1_000_000)];
    let own = [wallet.script_pubkey(RECEIVE).expect("receive script")];
    let dest = destination(Crypto::Btc, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4");
    let change = wallet.script_pubkey(CHANGE).expect("change script");
    let payouts = [
        payout("to-funding", &own[0], 100_000),
        payout("to-change", &change, 100_000),
        payout("o1", &dest, 150_000),
    ];
    let mut req = request(&wallet, &coins, &payouts, 3);
    req.own_scripts = &own;
    let plan = plan_batch(&req).unwrap();
    let refused: Vec<_> = plan
        .skipped
        .iter()
        .map(|s| (s.id.as_str(), &s.reason))
        .collect();
    let unusable = SkipReason::Refused {
        error: PayoutError::UnusableDestination {
            reason: "it is the hot wallet's own address",
        },
    };
    assert_eq!(
        refused,
        [("to-funding", &unusable), ("to-change", &unusable)]
    );
    let tx = plan.tx.expect("the third still goes");
    assert_eq!(tx.payout_ids, ["o1"]);
    sign_and_verify(&wallet, &tx);
}

#[test]
fn exact_match_spends_without_change() {
    let wallet = wallet(Crypto::Btc);
    // 1 in, 1 out at 1 sat/vB: 68 vB input + 42 vB rest (counted with two outputs'
    // overhead) -> 100,110 is within the cost of change of the target.
    let coins = [
        coin(&wallet, RECEIVE, 1, 100_110),
        coin(&wallet, RECEIVE, 2, 5_000_000),
    ];
    let dest = destination(Crypto::Btc, "bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g");
    let payouts = [payout("o1", &dest, 100_000)];
    let tx = plan_batch(&request(&wallet, &coins, &payouts, 1))
        .unwrap()
        .tx
        .unwrap();
    assert_eq!(tx.algorithm, Algorithm::BranchAndBound);
    assert_eq!(tx.change_index, None);
    assert_eq!(tx.spent.len(), 1);
    assert_eq!(tx.spent[0].value, 100_110);
    assert_eq!(tx.fee, 110);
    sign_and_verify(&wallet, &tx);
}

#[test]
fn change_below_dust_goes_to_the_fee() {
    let wallet = wallet(Crypto::Btc);
    // Excess 150 sat: above the cost of change (no exact match), but the change output
    // would be below 294 sat: no change output, everything left is fee.
    let dest = destination(Crypto::Btc, "bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g");
    let payouts = [payout("o1", &dest, 100_000)];
    let coins = [coin(&wallet, RECEIVE, 1, 100_000 + 110 + 150)];
    let mut req = request(&wallet, &coins, &payouts, 1);
    // Cost of change 31 + 68 sat: an excess of 150 is no exact match.
    req.long_term_fee_rate = FeeRate::from_sat_per_vb(1);
    let tx = plan_batch(&req).unwrap().tx.unwrap();
    assert_eq!(tx.algorithm, Algorithm::SingleRandomDraw);
    assert_eq!(tx.change_index, None);
    assert_eq!(tx.fee, 260);
    sign_and_verify(&wallet, &tx);
}

#[test]
fn batch_of_ten_from_one_input_costs_a_third() {
    let wallet = wallet(Crypto::Btc);
    let coins = [coin(&wallet, RECEIVE, 1, 10_000_000)];
    let dest = destination(Crypto::Btc, "bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g");
    let payouts: Vec<Payout> = (0..10)
        .map(|i| payout(&format!("o{i}"), &dest, 50_000 + i))
        .collect();
    let plan = plan_batch(&request(&wallet, &coins, &payouts, 2)).unwrap();
    let report = plan.report.unwrap();
    assert_eq!(report.payouts, 10);
    assert_eq!(report.vsize, 420);
    assert_eq!(report.alone_vsize, 1410);
    assert!(report.fee * 3 < report.alone_fee, "{report:?}");
    let tx = plan.tx.unwrap();
    for (i, output) in tx.tx.outputs.iter().take(10).enumerate() {
        assert_eq!(output.value, 50_000 + i as u64);
        assert_eq!(tx.payout_ids[i], format!("o{i}"));
    }
    sign_and_verify(&wallet, &tx);
}

#[test]
fn batch_over_several_inputs_and_address_types_verifies() {
    let wallet = wallet(Crypto::Btc);
    let coins: Vec<Coin> = (1..=6)
        .map(|n| {
            let key = KeyPath {
                chain: u32::from(n % 2),
                index: u32::from(n),
            };
            coin(&wallet, key, n, 40_000 * u64::from(n))
        })
        .collect();
    let destinations = [
        "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
        "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
        "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3",
        "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
    ];
    let payouts: Vec<Payout> = destinations
        .iter()
        .enumerate()
        .map(|(i, a)| payout(&format!("o{i}"), &destination(Crypto::Btc, a), 100_000))
        .collect();
    let tx = plan_batch(&request(&wallet, &coins, &payouts, 5))
        .unwrap()
        .tx
        .unwrap();
    assert_eq!(tx.payout_ids.len(), 4);
    assert!(tx.spent.len() >= 2);
    sign_and_verify(&wallet, &tx);
}

#[test]
fn litecoin_payout_verifies_with_litecoin_dust() {
    let wallet = wallet(Crypto::Ltc);
    assert!(wallet.address(RECEIVE).unwrap().starts_with("ltc1q"));
    let coins = [coin(&wallet, RECEIVE, 1, 2_000_000)];
    let dest = destination(Crypto::Ltc, "ltc1qw508d6qejxtdg4y5r3zarvary0c5xw7kgmn4n9");
    // 2,939 litoshi is Litecoin dust for P2WPKH (Bitcoin's would be 294).
    let payouts = [payout("dust", &dest, 2_939), payout("ok", &dest, 500_000)];
    let plan = plan_batch(&request(&wallet, &coins, &payouts, 2)).unwrap();
    assert_eq!(
        plan.skipped[0].reason,
        SkipReason::Refused {
            error: PayoutError::AmountBelowDust {
                amount: 2_939,
                dust: 2_940
            }
        }
    );
    let tx = plan.tx.unwrap();
    assert_eq!(tx.payout_ids, vec!["ok".to_owned()]);
    sign_and_verify(&wallet, &tx);
}

#[test]
fn verifier_rejects_a_flipped_signature_byte() {
    let wallet = wallet(Crypto::Btc);
    let coins = [coin(&wallet, RECEIVE, 1, 1_000_000)];
    let dest = destination(Crypto::Btc, "bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g");
    let tx = plan_batch(&request(&wallet, &coins, &[payout("o", &dest, 10_000)], 1))
        .unwrap()
        .tx
        .unwrap();
    let signed = sign_and_verify(&wallet, &tx);
    let mut parsed: bitcoin::Transaction =
        deserialize(&hex::decode(&signed.raw_tx_hex).unwrap()).unwrap();
    let mut stack: Vec<Vec<u8>> = parsed.input[0].witness.to_vec();
    stack[0][10] ^= 0x01; // inside r: still DER, no longer the signature
    parsed.input[0].witness = bitcoin::Witness::from_slice(&stack);
    let err = verify_tx(&serialize(&parsed), &spent_outputs(&tx)).unwrap_err();
    assert!(err.contains("ERR_SCRIPT"), "{err}");
}

#[test]
fn verifier_rejects_a_wrong_prevout_amount() {
    let wallet = wallet(Crypto::Btc);
    let coins = [coin(&wallet, RECEIVE, 1, 1_000_000)];
    let dest = destination(Crypto::Btc, "bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g");
    let tx = plan_batch(&request(&wallet, &coins, &[payout("o", &dest, 10_000)], 1))
        .unwrap()
        .tx
        .unwrap();
    let signed = sign_and_verify(&wallet, &tx);
    let raw = hex::decode(&signed.raw_tx_hex).unwrap();
    let mut wrong = spent_outputs(&tx);
    wrong[0].1 += 1; // BIP-143 commits to the amount
    assert!(verify_tx(&raw, &wrong).unwrap_err().contains("ERR_SCRIPT"));
}

#[test]
fn fee_bump_keeps_payouts_spends_the_same_inputs_and_pays_from_change() {
    let wallet = wallet(Crypto::Btc);
    let coins = [
        coin(&wallet, RECEIVE, 1, 300_000),
        coin(&wallet, RECEIVE, 2, 400_000),
    ];
    let dest = destination(Crypto::Btc, "bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g");
    let payouts = [payout("a", &dest, 500_000), payout("b", &dest, 60_000)];
    let original = plan_batch(&request(&wallet, &coins, &payouts, 2))
        .unwrap()
        .tx
        .unwrap();
    let change = original.change_index.expect("change");
    let first = sign_and_verify(&wallet, &original);

    let bumped = bump_fee(&original, FeeRate::from_sat_per_vb(20), chain(Crypto::Btc)).unwrap();
    let second = sign_and_verify(&wallet, &bumped);
    assert_ne!(first.txid, second.txid);
    assert_eq!(bumped.tx.inputs.len(), original.tx.inputs.len());
    assert!(bumped.tx.inputs.iter().any(|i| original
        .tx
        .inputs
        .iter()
        .any(|o| o.previous_output == i.previous_output)));
    for (i, output) in original.tx.outputs.iter().enumerate() {
        if i != change {
            assert_eq!(&bumped.tx.outputs[i], output);
        }
    }
    let paid_more = bumped.fee - original.fee;
    assert_eq!(
        original.tx.outputs[change].value - bumped.tx.outputs[change].value,
        paid_more
    );
    // BIP-125 rule 4 and the new rate.
    assert!(paid_more >= FeeRate(1000).fee_for_vsize(second.vsize));
    assert!(second.fee >= FeeRate::from_sat_per_vb(20).fee_for_vsize(second.vsize));
}

#[test]
fn fee_bump_beyond_the_change_is_refused() {
    let wallet = wallet(Crypto::Btc);
    let coins = [coin(&wallet, RECEIVE, 1, 110_000)];
    let dest = destination(Crypto::Btc, "bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g");
    let original = plan_batch(&request(&wallet, &coins, &[payout("a", &dest, 100_000)], 1))
        .unwrap()
        .tx
        .unwrap();
    assert!(original.change_index.is_some());
    let err = bump_fee(&original, FeeRate::from_sat_per_vb(500), chain(Crypto::Btc)).unwrap_err();
    assert!(
        matches!(err, PayoutError::BumpExceedsChange { .. }),
        "{err:?}"
    );
}

#[test]
fn unconfirmed_coins_are_spent_only_when_they_are_our_change() {
    let wallet = wallet(Crypto::Btc);
    let dest = destination(Crypto::Btc, "bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g");
    let payouts = [payout("a", &dest, 100_000)];
    let mut foreign = coin(&wallet, RECEIVE, 1, 1_000_000);
    foreign.confirmed = false;
    let plan = plan_batch(&request(
        &wallet,
        std::slice::from_ref(&foreign),
        &payouts,
        1,
    ))
    .unwrap();
    assert!(plan.tx.is_none());
    assert!(matches!(
        plan.skipped[0].reason,
        SkipReason::Refused {
            error: PayoutError::InsufficientFunds { available: 0, .. }
        }
    ));
    let mut change = coin(&wallet, CHANGE, 2, 1_000_000);
    change.confirmed = false;
    change.own_change = true;
    let coins = [foreign, change];
    let tx = plan_batch(&request(&wallet, &coins, &payouts, 1))
        .unwrap()
        .tx
        .unwrap();
    assert_eq!(tx.spent.len(), 1);
    assert_eq!(tx.spent[0].key, CHANGE);
    sign_and_verify(&wallet, &tx);
}

#[test]
fn batching_skips_what_does_not_fit_and_keeps_going() {
    let wallet = wallet(Crypto::Btc);
    let coins = [coin(&wallet, RECEIVE, 1, 1_000_000)];
    let dest = destination(Crypto::Btc, "bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g");
    let payouts = [
        payout("old", &dest, 600_000),
        payout("big", &dest, 500_000), // fits alone, not beside "old"
        payout("huge", &dest, 5_000_000), // never fits
        payout("new", &dest, 300_000),
    ];
    let plan = plan_batch(&request(&wallet, &coins, &payouts, 1)).unwrap();
    let tx = plan.tx.unwrap();
    assert_eq!(tx.payout_ids, vec!["old".to_owned(), "new".to_owned()]);
    assert_eq!(plan.skipped[0].id, "big");
    assert_eq!(plan.skipped[0].reason, SkipReason::Deferred);
    assert_eq!(plan.skipped[1].id, "huge");
    assert!(matches!(
        plan.skipped[1].reason,
        SkipReason::Refused {
            error: PayoutError::InsufficientFunds { .. }
        }
    ));
    sign_and_verify(&wallet, &tx);
}

#[test]
fn input_cap_is_respected() {
    let wallet = wallet(Crypto::Btc);
    let coins: Vec<Coin> = (1..=5).map(|n| coin(&wallet, RECEIVE, n, 30_000)).collect();
    let dest = destination(Crypto::Btc, "bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g");
    let payouts = [payout("a", &dest, 100_000)];
    let mut req = request(&wallet, &coins, &payouts, 1);
    req.max_inputs = 3;
    let plan = plan_batch(&req).unwrap();
    assert!(plan.tx.is_none());
    assert_eq!(
        plan.skipped[0].reason,
        SkipReason::Refused {
            error: PayoutError::InputCapReached { max_inputs: 3 }
        }
    );
    req.max_inputs = 4;
    let tx = plan_batch(&req).unwrap().tx.unwrap();
    assert_eq!(tx.spent.len(), 4);
    sign_and_verify(&wallet, &tx);
}

#[test]
fn the_fallback_draw_is_replayed_by_its_seed() {
    let wallet = wallet(Crypto::Btc);
    let coins: Vec<Coin> = (1..=12)
        .map(|n| coin(&wallet, RECEIVE, n, 100_000 + u64::from(n) * 7_919))
        .collect();
    let dest = destination(Crypto::Btc, "bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g");
    let payouts = [payout("a", &dest, 333_333)];
    let mut req = request(&wallet, &coins, &payouts, 4);
    let a = plan_batch(&req).unwrap().tx.unwrap();
    let b = plan_batch(&req).unwrap().tx.unwrap();
    assert_eq!(a, b);
    let differs = (1..20u64).any(|seed| {
        req.seed = seed;
        plan_batch(&req).unwrap().tx.unwrap().spent != a.spent
    });
    assert!(differs, "the seed changes the draw");
}

/// Coins (value, confirmed, own change), payout amounts, sat/vB, input cap, seed.
type Case = (Vec<(u64, bool, bool)>, Vec<u64>, u64, usize, u64);

fn arbitrary_case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec((1_000u64..3_000_000, any::<bool>(), any::<bool>()), 1..15),
        prop::collection::vec(200u64..1_500_000, 1..6),
        1u64..60,
        1usize..8,
        any::<u64>(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Inputs pay outputs and fee, the fee meets the rate, no dust change, the cap
    /// holds, only eligible coins are spent; and libbitcoinconsensus accepts it.
    #[test]
    fn every_planned_payout_is_sound((coins, amounts, rate, cap, seed) in arbitrary_case()) {
        let wallet = wallet(Crypto::Btc);
        let coins: Vec<Coin> = coins
            .iter()
            .enumerate()
            .map(|(i, &(value, confirmed, change))| {
                let key = KeyPath { chain: u32::from(change), index: i as u32 };
                let mut c = coin(&wallet, key, i as u8 + 1, value);
                c.confirmed = confirmed;
                c.own_change = change;
                c
            })
            .collect();
        let dest = destination(Crypto::Btc, "bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g");
        let payouts: Vec<Payout> = amounts
            .iter()
            .enumerate()
            .map(|(i, &a)| payout(&format!("p{i}"), &dest, a))
            .collect();
        let mut req = request(&wallet, &coins, &payouts, rate);
        req.max_inputs = cap;
        req.seed = seed;
        let plan = plan_batch(&req).unwrap();
        prop_assert_eq!(
            plan.skipped.len() + plan.tx.as_ref().map_or(0, |t| t.payout_ids.len()),
            payouts.len()
        );
        if let Some(tx) = plan.tx {
            let inputs: u64 = tx.spent.iter().map(|c| c.value).sum();
            let outputs: u64 = tx.tx.outputs.iter().map(|o| o.value).sum();
            prop_assert_eq!(inputs, outputs + tx.fee);
            prop_assert!(tx.fee >= tx.fee_rate.fee_for_vsize(tx.estimated_vsize));
            prop_assert!(tx.spent.len() <= cap);
            prop_assert!(tx.spent.iter().all(|c| c.confirmed || c.own_change));
            if let Some(i) = tx.change_index {
                prop_assert!(tx.tx.outputs[i].value >= 294);
            }
            let signed = sign_and_verify(&wallet, &tx);
            prop_assert!(signed.fee >= tx.fee_rate.fee_for_vsize(signed.vsize));
        }
    }
}
