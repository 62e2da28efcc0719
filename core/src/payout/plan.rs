//! Batching: the pending payouts of a currency go out in one transaction per run,
//! oldest first; a payout that does not fit is skipped (deferred to the next run when it
//! would fit alone, refused when it would not), the ones after it still get their turn.

use serde::{Deserialize, Serialize};

use super::chain::ChainParams;
use super::fee::FeeRate;
use super::select::{self, Algorithm, Coin, KeyPath, Options, Target};
use super::tx::{overhead_weight, Transaction, TxIn, TxOut, P2WPKH_INPUT_WEIGHT, SEQUENCE_RBF};
use super::PayoutError;

/// One customer payout: an order's destination and its quoted amount in base units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payout {
    pub id: String,
    #[serde(with = "super::tx::hex_bytes")]
    pub script_pubkey: Vec<u8>,
    pub amount: u64,
}

#[derive(Debug, Clone)]
pub struct BatchRequest<'a> {
    pub chain: &'a ChainParams,
    pub coins: &'a [Coin],
    /// Oldest first.
    pub payouts: &'a [Payout],
    pub change_script: Vec<u8>,
    pub change_key: KeyPath,
    /// The hot wallet's own output scripts (its receive and change addresses): a payout
    /// to one of them would leave the coins with the operator, so it is refused.
    pub own_scripts: &'a [Vec<u8>],
    pub fee_rate: FeeRate,
    /// The rate the wallet expects to pay in the long run (waste metric).
    pub long_term_fee_rate: FeeRate,
    pub max_inputs: usize,
    pub max_payouts: usize,
    /// Seed of the random-draw fallback.
    pub seed: u64,
}

/// A transaction ready to sign, with what the signer and the bookkeeping need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedTx {
    pub tx: Transaction,
    /// The coins spent, in input order.
    pub spent: Vec<Coin>,
    /// Payout ids; output `i` pays `payout_ids[i]`.
    pub payout_ids: Vec<String>,
    pub change_index: Option<usize>,
    pub change_key: KeyPath,
    pub fee: u64,
    /// With the largest signatures; the signed transaction is at most this.
    pub estimated_vsize: u64,
    pub fee_rate: FeeRate,
    pub algorithm: Algorithm,
    pub waste: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum SkipReason {
    /// Fits alone but not beside the older payouts: the next run takes it.
    Deferred,
    /// Cannot be paid with these coins and this fee rate at all.
    Refused { error: PayoutError },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub id: String,
    pub reason: SkipReason,
}

/// Fee of the batch against sending each payout alone (one input, payout and change).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchReport {
    pub payouts: usize,
    pub vsize: u64,
    pub fee: u64,
    pub fee_per_payout: u64,
    pub alone_vsize: u64,
    pub alone_fee: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchPlan {
    pub tx: Option<PlannedTx>,
    pub skipped: Vec<Skipped>,
    /// Payouts left for a later run because the batch was full.
    pub left: Vec<String>,
    pub report: Option<BatchReport>,
}

fn output_weight(script: &[u8]) -> u64 {
    TxOut {
        value: 0,
        script_pubkey: script.to_vec(),
    }
    .size()
        * 4
}

fn target_for(
    req: &BatchRequest,
    payouts: &[&Payout],
    fee_rate: FeeRate,
) -> Result<Target, PayoutError> {
    let amount = payouts
        .iter()
        .try_fold(0u64, |sum, p| sum.checked_add(p.amount))
        .ok_or(PayoutError::Overflow)?;
    let outputs_weight: u64 = payouts
        .iter()
        .map(|p| output_weight(&p.script_pubkey))
        .sum();
    // Counted with the change output and the most inputs: at worst a few weight units
    // too many, never too few.
    let overhead = overhead_weight(req.max_inputs, payouts.len() + 1);
    Ok(Target {
        amount,
        fixed_fee: fee_rate.fee_for_weight(overhead + outputs_weight),
        change_output_fee: fee_rate.fee_for_weight(output_weight(&req.change_script)),
        change_spend_fee: req.long_term_fee_rate.fee_for_weight(P2WPKH_INPUT_WEIGHT),
        min_change: req.chain.dust_threshold(&req.change_script),
    })
}

fn select_for(
    req: &BatchRequest,
    payouts: &[&Payout],
    fee_rate: FeeRate,
) -> Result<select::Selection, PayoutError> {
    let options = Options {
        fee_rate,
        long_term_fee_rate: req.long_term_fee_rate,
        max_inputs: req.max_inputs,
        seed: req.seed,
    };
    select::select(req.coins, &target_for(req, payouts, fee_rate)?, &options)
}

/// Plans one transaction paying as many pending payouts as fit, oldest first.
pub fn plan_batch(req: &BatchRequest) -> Result<BatchPlan, PayoutError> {
    if req.max_inputs == 0 || req.max_inputs > 252 || req.max_payouts == 0 {
        return Err(PayoutError::Overflow);
    }
    // Nodes refuse anything below their minimum relay rate.
    let fee_rate = req.fee_rate.max(FeeRate(req.chain.min_relay_fee));
    let mut accepted: Vec<&Payout> = Vec::new();
    let mut selection = None;
    let mut skipped = Vec::new();
    let mut left = Vec::new();
    for payout in req.payouts {
        if accepted.len() == req.max_payouts {
            left.push(payout.id.clone());
            continue;
        }
        if payout.script_pubkey == req.change_script
            || req.own_scripts.contains(&payout.script_pubkey)
        {
            skipped.push(Skipped {
                id: payout.id.clone(),
                reason: SkipReason::Refused {
                    error: PayoutError::UnusableDestination {
                        reason: "it is the hot wallet's own address",
                    },
                },
            });
            continue;
        }
        let dust = req.chain.dust_threshold(&payout.script_pubkey);
        if payout.amount < dust {
            skipped.push(Skipped {
                id: payout.id.clone(),
                reason: SkipReason::Refused {
                    error: PayoutError::AmountBelowDust {
                        amount: payout.amount,
                        dust,
                    },
                },
            });
            continue;
        }
        let mut trial = accepted.clone();
        trial.push(payout);
        match select_for(req, &trial, fee_rate) {
            Ok(found) => {
                accepted = trial;
                selection = Some(found);
            }
            Err(error) => {
                let reason = if accepted.is_empty() {
                    SkipReason::Refused { error }
                } else {
                    match select_for(req, &[payout], fee_rate) {
                        Ok(_) => SkipReason::Deferred,
                        Err(error) => SkipReason::Refused { error },
                    }
                };
                skipped.push(Skipped {
                    id: payout.id.clone(),
                    reason,
                });
            }
        }
    }
    let Some(selection) = selection else {
        return Ok(BatchPlan {
            tx: None,
            skipped,
            left,
            report: None,
        });
    };
    let tx = build(req, &accepted, selection, fee_rate);
    let report = report(req, &accepted, &tx);
    Ok(BatchPlan {
        tx: Some(tx),
        skipped,
        left,
        report: Some(report),
    })
}

fn build(
    req: &BatchRequest,
    payouts: &[&Payout],
    selection: select::Selection,
    fee_rate: FeeRate,
) -> PlannedTx {
    let mut spent = selection.coins;
    spent.sort_by_key(|c| c.outpoint);
    let mut outputs: Vec<TxOut> = payouts
        .iter()
        .map(|p| TxOut {
            value: p.amount,
            script_pubkey: p.script_pubkey.clone(),
        })
        .collect();
    let change_index = selection.change.map(|value| {
        outputs.push(TxOut {
            value,
            script_pubkey: req.change_script.clone(),
        });
        outputs.len() - 1
    });
    let tx = Transaction {
        version: 2,
        inputs: spent
            .iter()
            .map(|c| TxIn {
                previous_output: c.outpoint,
                sequence: SEQUENCE_RBF,
                witness: Vec::new(),
            })
            .collect(),
        outputs,
        lock_time: 0,
    };
    let estimated_vsize = estimated_vsize(&tx);
    PlannedTx {
        tx,
        spent,
        payout_ids: payouts.iter().map(|p| p.id.clone()).collect(),
        change_index,
        change_key: req.change_key,
        fee: selection.fee,
        estimated_vsize,
        fee_rate,
        algorithm: selection.algorithm,
        waste: selection.waste,
    }
}

/// The vsize once every (P2WPKH) input carries the largest signature.
pub fn estimated_vsize(tx: &Transaction) -> u64 {
    let outputs: u64 = tx.outputs.iter().map(|o| o.size() * 4).sum();
    (overhead_weight(tx.inputs.len(), tx.outputs.len())
        + tx.inputs.len() as u64 * P2WPKH_INPUT_WEIGHT
        + outputs)
        .div_ceil(4)
}

fn report(req: &BatchRequest, payouts: &[&Payout], tx: &PlannedTx) -> BatchReport {
    let change = output_weight(&req.change_script);
    let alone: Vec<u64> = payouts
        .iter()
        .map(|p| {
            (overhead_weight(1, 2) + P2WPKH_INPUT_WEIGHT + output_weight(&p.script_pubkey) + change)
                .div_ceil(4)
        })
        .collect();
    BatchReport {
        payouts: payouts.len(),
        vsize: tx.estimated_vsize,
        fee: tx.fee,
        fee_per_payout: tx.fee / payouts.len() as u64,
        alone_vsize: alone.iter().sum(),
        alone_fee: alone.iter().map(|&v| tx.fee_rate.fee_for_vsize(v)).sum(),
    }
}
