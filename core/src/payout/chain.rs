//! Per-chain parameters of the payout path. One UTXO code path, these numbers apart.
//!
//! Dust follows Bitcoin Core's `GetDustThreshold` (policy/policy.cpp): the output's
//! serialized size plus the size of the input that would spend it (67 bytes for a
//! witness program, 148 otherwise), times the dust relay fee rate. Bitcoin Core's
//! `DUST_RELAY_TX_FEE` is 3000 sat/kvB (294 sat for P2WPKH, 546 for P2PKH); Litecoin
//! Core's is 30000 (ten times: 2940 litoshi for P2WPKH).

use crate::{Crypto, Network};

use super::PayoutError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainParams {
    pub crypto: Crypto,
    pub network: Network,
    /// SLIP-44 coin type of the BIP-84 path (1 on every test network).
    pub coin_type: u32,
    /// Dust relay fee rate, sat/kvB.
    pub dust_relay_fee: u64,
    /// Minimum relay fee rate, sat/kvB (`DEFAULT_MIN_RELAY_TX_FEE`).
    pub min_relay_fee: u64,
    /// BIP-125 incremental relay fee rate, sat/kvB (`DEFAULT_INCREMENTAL_RELAY_FEE`).
    pub incremental_relay_fee: u64,
}

const fn params(
    crypto: Crypto,
    network: Network,
    coin_type: u32,
    dust_relay_fee: u64,
) -> ChainParams {
    ChainParams {
        crypto,
        network,
        coin_type,
        dust_relay_fee,
        min_relay_fee: 1000,
        incremental_relay_fee: 1000,
    }
}

const BTC_DUST_RELAY_FEE: u64 = 3000;
const LTC_DUST_RELAY_FEE: u64 = 30000;

const CHAINS: [ChainParams; 7] = [
    params(Crypto::Btc, Network::Mainnet, 0, BTC_DUST_RELAY_FEE),
    params(Crypto::Btc, Network::Testnet, 1, BTC_DUST_RELAY_FEE),
    params(Crypto::Btc, Network::Signet, 1, BTC_DUST_RELAY_FEE),
    params(Crypto::Btc, Network::Regtest, 1, BTC_DUST_RELAY_FEE),
    params(Crypto::Ltc, Network::Mainnet, 2, LTC_DUST_RELAY_FEE),
    params(Crypto::Ltc, Network::Testnet, 1, LTC_DUST_RELAY_FEE),
    params(Crypto::Ltc, Network::Regtest, 1, LTC_DUST_RELAY_FEE),
];

impl ChainParams {
    pub fn for_chain(
        crypto: Crypto,
        network: Network,
    ) -> Result<&'static ChainParams, PayoutError> {
        CHAINS
            .iter()
            .find(|c| c.crypto == crypto && c.network == network)
            .ok_or(PayoutError::UnsupportedChain {
                currency: crypto,
                network,
            })
    }

    /// The smallest value an output paying `script_pubkey` may carry and be relayed.
    pub fn dust_threshold(&self, script_pubkey: &[u8]) -> u64 {
        let output_size =
            8 + compact_size_len(script_pubkey.len() as u64) + script_pubkey.len() as u64;
        let spend_size = if is_witness_program(script_pubkey) {
            32 + 4 + 1 + 107 / 4 + 4
        } else {
            32 + 4 + 1 + 107 + 4
        };
        (output_size + spend_size) * self.dust_relay_fee / 1000
    }
}

/// BIP-141: a version opcode (OP_0, OP_1..OP_16) then one push of 2 to 40 bytes.
pub(crate) fn is_witness_program(script: &[u8]) -> bool {
    let len = script.len();
    (4..=42).contains(&len)
        && (script[0] == 0 || (0x51..=0x60).contains(&script[0]))
        && script[1] as usize + 2 == len
}

pub(crate) fn compact_size_len(n: u64) -> u64 {
    match n {
        0..=0xfc => 1,
        0xfd..=0xffff => 3,
        0x1_0000..=0xffff_ffff => 5,
        _ => 9,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script(hex: &str) -> Vec<u8> {
        hex::decode(hex).unwrap()
    }

    #[test]
    fn bitcoin_dust_matches_bitcoin_core() {
        let btc = ChainParams::for_chain(Crypto::Btc, Network::Mainnet).unwrap();
        let p2wpkh = script("0014751e76e8199196d454941c45d1b3a323f1433bd6");
        let p2pkh = script("76a914751e76e8199196d454941c45d1b3a323f1433bd688ac");
        let p2tr = script("51200000000000000000000000000000000000000000000000000000000000000000");
        assert_eq!(btc.dust_threshold(&p2wpkh), 294);
        assert_eq!(btc.dust_threshold(&p2pkh), 546);
        assert_eq!(btc.dust_threshold(&p2tr), 330);
    }

    #[test]
    fn litecoin_dust_is_ten_times_bitcoins() {
        let ltc = ChainParams::for_chain(Crypto::Ltc, Network::Mainnet).unwrap();
        let p2wpkh = script("0014751e76e8199196d454941c45d1b3a323f1433bd6");
        assert_eq!(ltc.dust_threshold(&p2wpkh), 2940);
    }

    #[test]
    fn refuses_chains_without_payouts() {
        assert!(ChainParams::for_chain(Crypto::Doge, Network::Mainnet).is_err());
        assert!(ChainParams::for_chain(Crypto::Eth, Network::Mainnet).is_err());
    }
}
