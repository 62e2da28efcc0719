//! Coin selection, after Bitcoin Core (wallet/coinselection.cpp): branch-and-bound for
//! an input set that needs no change, a single random draw with change as the fallback,
//! and the waste metric to choose between them.
//!
//! Waste of a selection = for each input, its fee at the current rate minus its fee at
//! the long-term rate; plus the cost of change when there is a change output, else the
//! excess given to the miners. Cost of change = the fee of the change output now plus
//! the fee of spending it later at the long-term rate (68 vB for P2WPKH).
//!
//! Eligible coins: confirmed ones, and unconfirmed ones only when they are our own
//! change (a chain of our own transactions that we can bump). At most `max_inputs`.

use serde::{Deserialize, Serialize};

use super::fee::FeeRate;
use super::tx::{OutPoint, P2WPKH_INPUT_WEIGHT};
use super::PayoutError;

/// Where a coin's key sits under the BIP-84 account: `chain` 0 receive, 1 change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct KeyPath {
    pub chain: u32,
    pub index: u32,
}

/// An unspent output of the hot wallet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coin {
    pub outpoint: OutPoint,
    pub value: u64,
    #[serde(with = "super::tx::hex_bytes")]
    pub script_pubkey: Vec<u8>,
    pub key: KeyPath,
    pub confirmed: bool,
    /// Change of one of our own transactions (spendable before it confirms).
    pub own_change: bool,
}

impl Coin {
    pub fn is_eligible(&self) -> bool {
        self.confirmed || self.own_change
    }
}

/// Most branch-and-bound steps, as in Bitcoin Core.
pub const BNB_TOTAL_TRIES: usize = 100_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Algorithm {
    BranchAndBound,
    SingleRandomDraw,
}

/// What the selection must pay for, besides the inputs themselves.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    /// Sum of the payout outputs.
    pub amount: u64,
    /// Fee of everything but the inputs and the change output (overhead and payouts).
    pub fixed_fee: u64,
    /// Fee of adding the change output at the current rate.
    pub change_output_fee: u64,
    /// Fee of spending the change later, at the long-term rate.
    pub change_spend_fee: u64,
    /// The smallest change kept; less goes to the fee (the change script's dust).
    pub min_change: u64,
}

impl Target {
    pub fn cost_of_change(&self) -> u64 {
        self.change_output_fee + self.change_spend_fee
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub fee_rate: FeeRate,
    pub long_term_fee_rate: FeeRate,
    pub max_inputs: usize,
    /// Seed of the single random draw: the same seed gives the same selection.
    pub seed: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    pub coins: Vec<Coin>,
    /// The change value, if a change output is made.
    pub change: Option<u64>,
    /// Total fee: inputs minus outputs.
    pub fee: u64,
    pub waste: i64,
    pub algorithm: Algorithm,
}

struct Candidate<'a> {
    coin: &'a Coin,
    effective: u64,
    /// Fee now minus fee at the long-term rate.
    waste: i64,
}

/// Selects inputs paying `target`; the lower waste of branch-and-bound (no change) and
/// single random draw (with change) wins, branch-and-bound on a tie.
pub fn select(
    coins: &[Coin],
    target: &Target,
    options: &Options,
) -> Result<Selection, PayoutError> {
    let input_fee = options.fee_rate.fee_for_weight(P2WPKH_INPUT_WEIGHT);
    let long_term_input_fee = options
        .long_term_fee_rate
        .fee_for_weight(P2WPKH_INPUT_WEIGHT);
    let mut candidates: Vec<Candidate> = coins
        .iter()
        .filter(|c| c.is_eligible() && c.value > input_fee)
        .map(|coin| Candidate {
            coin,
            effective: coin.value - input_fee,
            waste: input_fee as i64 - long_term_input_fee as i64,
        })
        .collect();
    // Largest first, ties by outpoint: the search order, and the same on every run.
    candidates.sort_by(|a, b| {
        b.effective
            .cmp(&a.effective)
            .then(a.coin.outpoint.cmp(&b.coin.outpoint))
    });
    let needed = target
        .amount
        .checked_add(target.fixed_fee)
        .ok_or(PayoutError::Overflow)?;
    let available: u64 = candidates.iter().map(|c| c.effective).sum();
    if available < needed {
        return Err(PayoutError::InsufficientFunds { needed, available });
    }
    let bnb = branch_and_bound(&candidates, needed, target, options);
    let srd = single_random_draw(&candidates, needed, target, options);
    let best = match (bnb, srd) {
        (Some(b), Some(s)) => Some(if s.waste < b.waste { s } else { b }),
        (b, s) => b.or(s),
    };
    best.ok_or(PayoutError::InputCapReached {
        max_inputs: options.max_inputs,
    })
}

fn finish(
    chosen: Vec<&Candidate>,
    needed: u64,
    target: &Target,
    with_change: bool,
    algorithm: Algorithm,
) -> Selection {
    let effective: u64 = chosen.iter().map(|c| c.effective).sum();
    let inputs_waste: i64 = chosen.iter().map(|c| c.waste).sum();
    let input_value: u64 = chosen.iter().map(|c| c.coin.value).sum();
    let excess = effective - needed;
    let change = with_change
        .then(|| excess.saturating_sub(target.change_output_fee))
        .filter(|&change| change >= target.min_change);
    let waste = match change {
        Some(_) => inputs_waste + target.cost_of_change() as i64,
        None => inputs_waste + excess as i64,
    };
    Selection {
        fee: input_value - target.amount - change.unwrap_or(0),
        coins: chosen.into_iter().map(|c| c.coin.clone()).collect(),
        change,
        waste,
        algorithm,
    }
}

/// Depth-first search over include/omit of each candidate (largest first) for an
/// effective value in [needed, needed + cost_of_change], lowest waste wins.
fn branch_and_bound(
    candidates: &[Candidate],
    needed: u64,
    target: &Target,
    options: &Options,
) -> Option<Selection> {
    let upper = needed + target.cost_of_change();
    let feerate_high = options.fee_rate > options.long_term_fee_rate;
    let mut remaining: u64 = candidates.iter().map(|c| c.effective).sum();
    let mut value = 0u64;
    let mut waste = 0i64;
    let mut chosen: Vec<usize> = Vec::new();
    let mut best: Option<(Vec<usize>, i64)> = None;
    let mut depth = 0usize;
    for _ in 0..BNB_TOTAL_TRIES {
        let mut backtrack = false;
        if value + remaining < needed
            || value > upper
            || (feerate_high && best.as_ref().is_some_and(|(_, w)| waste > *w))
        {
            backtrack = true;
        } else if value >= needed {
            let total = waste + (value - needed) as i64;
            if best.as_ref().is_none_or(|(_, w)| total <= *w) {
                best = Some((chosen.clone(), total));
            }
            backtrack = true;
        } else if chosen.len() == options.max_inputs || depth == candidates.len() {
            backtrack = true;
        }
        if backtrack {
            // Walk back to the last included candidate and omit it instead.
            while depth > 0 && chosen.last() != Some(&(depth - 1)) {
                depth -= 1;
                remaining += candidates[depth].effective;
            }
            let Some(last) = chosen.pop() else {
                break; // every branch explored
            };
            value -= candidates[last].effective;
            waste -= candidates[last].waste;
            depth = last + 1;
        } else {
            let candidate = &candidates[depth];
            remaining -= candidate.effective;
            // Omitting a candidate equal to one just omitted explores the same sums.
            let same_as_omitted = depth > 0
                && chosen.last() != Some(&(depth - 1))
                && candidates[depth - 1].effective == candidate.effective;
            if !same_as_omitted {
                chosen.push(depth);
                value += candidate.effective;
                waste += candidate.waste;
            }
            depth += 1;
        }
    }
    let (indices, _) = best?;
    let chosen = indices.iter().map(|&i| &candidates[i]).collect();
    Some(finish(
        chosen,
        needed,
        target,
        false,
        Algorithm::BranchAndBound,
    ))
}

/// splitmix64: a small, seedable generator, so a test can replay a draw exactly.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Draws candidates in a seeded random order until they pay the target, the change
/// output and a change of at least `min_change`; over the input cap, the smallest
/// drawn coin is dropped (as Bitcoin Core drops the smallest when over its weight cap).
/// When every coin is drawn and the change would be dust, the change goes to the fee.
fn single_random_draw(
    candidates: &[Candidate],
    needed: u64,
    target: &Target,
    options: &Options,
) -> Option<Selection> {
    let goal = needed + target.change_output_fee + target.min_change;
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    let mut rng = SplitMix64(options.seed);
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i + 1));
    }
    let mut drawn: Vec<usize> = Vec::new();
    let mut value = 0u64;
    for i in order {
        drawn.push(i);
        value += candidates[i].effective;
        if drawn.len() > options.max_inputs {
            let (pos, &smallest) = drawn
                .iter()
                .enumerate()
                .min_by_key(|(_, &j)| (candidates[j].effective, std::cmp::Reverse(j)))?;
            value -= candidates[smallest].effective;
            drawn.remove(pos);
        }
        if value >= goal {
            break;
        }
    }
    // Short of a change above dust: every coin drawn, and the excess (less than the
    // change output and a dust change) goes to the fee.
    if value < needed {
        return None;
    }
    drawn.sort_unstable();
    let chosen = drawn.iter().map(|&j| &candidates[j]).collect();
    Some(finish(
        chosen,
        needed,
        target,
        true,
        Algorithm::SingleRandomDraw,
    ))
}
