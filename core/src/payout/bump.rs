//! BIP-125 fee bump of one of our payouts: the replacement spends the same inputs (so it
//! conflicts with the original), keeps every payout output byte for byte, and takes the
//! extra fee from the change alone. Rule 4: the new fee must exceed the old one by at
//! least the incremental relay fee for the replacement's size.

use super::chain::ChainParams;
use super::fee::FeeRate;
use super::plan::{estimated_vsize, PlannedTx};
use super::PayoutError;

pub fn bump_fee(
    original: &PlannedTx,
    new_fee_rate: FeeRate,
    chain: &ChainParams,
) -> Result<PlannedTx, PayoutError> {
    let change_index = original.change_index.ok_or(PayoutError::NoChangeToBump)?;
    let change = original.tx.outputs[change_index].clone();
    let input_value: u64 = original.spent.iter().map(|c| c.value).sum();
    let incremental = FeeRate(chain.incremental_relay_fee);

    let required = |tx: &crate::payout::Transaction| {
        let vsize = estimated_vsize(tx);
        new_fee_rate
            .fee_for_vsize(vsize)
            .max(original.fee + incremental.fee_for_vsize(vsize))
    };

    // With the change kept, reduced.
    let mut bumped = original.clone();
    bumped.fee_rate = new_fee_rate;
    let fee = required(&bumped.tx);
    let new_change = change.value.checked_sub(fee - original.fee);
    let dust = chain.dust_threshold(&change.script_pubkey);
    match new_change {
        Some(value) if value >= dust => {
            bumped.tx.outputs[change_index].value = value;
            bumped.fee = fee;
        }
        _ => {
            // The change cannot stay above dust: all of it goes to the fee, if enough.
            bumped.tx.outputs.remove(change_index);
            bumped.change_index = None;
            let fee_without_change = required(&bumped.tx);
            let fee_paid = original.fee + change.value;
            if fee_paid < fee_without_change {
                return Err(PayoutError::BumpExceedsChange {
                    needed: fee_without_change - original.fee,
                    available: change.value,
                });
            }
            bumped.fee = fee_paid;
        }
    }
    if bumped.fee <= original.fee {
        return Err(PayoutError::BumpNotHigher {
            old_fee: original.fee,
            new_fee: bumped.fee,
        });
    }
    let outputs: u64 = bumped.tx.outputs.iter().map(|o| o.value).sum();
    debug_assert_eq!(input_value, outputs + bumped.fee);
    bumped.estimated_vsize = estimated_vsize(&bumped.tx);
    for input in &mut bumped.tx.inputs {
        input.witness.clear();
    }
    Ok(bumped)
}
