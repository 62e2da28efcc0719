//! Reading what an Esplora server (electrs) says, without I/O: the fee rate to pay from
//! `GET /fee-estimates`, and what a `POST /tx` answer means for a payout.
//!
//! Formats, as electrs serves them (tests/fixtures/esplora/README.md):
//! - `/fee-estimates`: a JSON object, confirmation target in blocks as a string key,
//!   sat/vB as a float (`{"1": 87.882, "2": 87.882, "144": 1.027}`); it may be `{}` or
//!   miss targets. Parsed as decimals, never as floats.
//! - `POST /tx`: 200 with the txid as text; a node rejection is 400 with text in one
//!   of two shapes, `sendrawtransaction RPC error: {"code":-26,"message":"..."}` or
//!   `... RPC error -26: message`.

use std::collections::BTreeMap;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::fee::FeeRate;
use crate::order::FailureReason;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum FeeEstimateError {
    /// The body is not an object of target -> number.
    Unreadable { detail: String },
    /// The rate for the target is above the operator's cap: paying it is refused.
    FeeRateAboveCap { rate: FeeRate, cap: FeeRate },
}

impl std::fmt::Display for FeeEstimateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FeeEstimateError::Unreadable { detail } => {
                write!(f, "unreadable fee estimates: {detail}")
            }
            FeeEstimateError::FeeRateAboveCap { rate, cap } => write!(
                f,
                "fee rate {} sat/vB is above the cap of {} sat/vB",
                rate.sat_per_vb(),
                cap.sat_per_vb()
            ),
        }
    }
}

/// The fee rate to pay for confirmation within `target_blocks`: the estimate of the
/// largest target not above it (the cheapest that still meets it); when the body has
/// none that low, the smallest target above it; when it is empty, the floor. Never
/// below `floor`; above `cap` it is an error (the payout waits or fails, it does not
/// overpay).
pub fn choose_fee_rate(
    body: &str,
    target_blocks: u32,
    floor: FeeRate,
    cap: FeeRate,
) -> Result<FeeRate, FeeEstimateError> {
    let unreadable = |detail: String| FeeEstimateError::Unreadable { detail };
    let raw: BTreeMap<String, Box<RawValue>> =
        serde_json::from_str(body).map_err(|e| unreadable(e.to_string()))?;
    let mut estimates = BTreeMap::new();
    for (target, value) in raw {
        let blocks: u32 = target
            .parse()
            .map_err(|_| unreadable(format!("target {target:?} is not a block count")))?;
        let text = value.get();
        let rate = Decimal::from_str(text)
            .or_else(|_| Decimal::from_scientific(text))
            .ok()
            .and_then(FeeRate::from_sat_per_vb_decimal)
            .ok_or_else(|| unreadable(format!("rate {text} for target {blocks}")))?;
        estimates.insert(blocks, rate);
    }
    let chosen = estimates
        .range(..=target_blocks)
        .next_back()
        .or_else(|| estimates.range(target_blocks..).next())
        .map(|(_, rate)| *rate)
        .unwrap_or(floor)
        .max(floor);
    if chosen > cap {
        return Err(FeeEstimateError::FeeRateAboveCap { rate: chosen, cap });
    }
    Ok(chosen)
}

/// What a broadcast answer means for the payout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum BroadcastOutcome {
    /// The node took it (or already had it): the payout is `sent`.
    Accepted,
    /// An input is missing or spent: perhaps by this very transaction, confirmed
    /// already. Look up our own txid before anything else.
    InputsMissingOrSpent { message: String },
    /// Refused for good, with the node's message.
    Rejected { code: Option<i64>, message: String },
    /// No verdict (timeout, 5xx, garbage): send the same bytes again later.
    Retry { reason: String },
}

/// Bitcoin Core's RPC error codes met on `sendrawtransaction`.
const RPC_VERIFY_ALREADY_IN_CHAIN: i64 = -27;
const RPC_VERIFY_ERROR: i64 = -25;

/// Classifies the answer of `POST /tx` for the transaction `txid` (display hex).
pub fn classify_broadcast(status: u16, body: &str, txid: &str) -> BroadcastOutcome {
    let body = body.trim();
    match status {
        200 if body.eq_ignore_ascii_case(txid) => BroadcastOutcome::Accepted,
        200 => BroadcastOutcome::Retry {
            reason: format!("the server answered another txid: {body:.80}"),
        },
        400 => {
            let (code, message) = parse_rpc_error(body);
            let lower = message.to_ascii_lowercase();
            if lower.contains("txn-already-in-mempool")
                || lower.contains("txn-already-known")
                || lower.contains("already in block chain")
                || code == Some(RPC_VERIFY_ALREADY_IN_CHAIN)
            {
                BroadcastOutcome::Accepted
            } else if lower.contains("missingorspent")
                || lower.contains("missing-inputs")
                || lower.contains("missing inputs")
                || (code == Some(RPC_VERIFY_ERROR) && lower.contains("input"))
            {
                BroadcastOutcome::InputsMissingOrSpent { message }
            } else {
                BroadcastOutcome::Rejected { code, message }
            }
        }
        _ => BroadcastOutcome::Retry {
            reason: format!("HTTP {status}: {body:.200}"),
        },
    }
}

/// Bitcoin Core's `IsStandardTx` reasons that are about one output's script or amount
/// (`policy/policy.cpp`): the node refuses to relay a payment to that destination.
const OUTPUT_POLICY_REASONS: [&str; 3] = ["scriptpubkey", "bare-multisig", "dust"];

/// Whom a node's rejection of a payout transaction blames: the transaction as a whole
/// (`broadcast_rejected`), or, when it names an output policy (a non-standard
/// destination script, an output below its dust) and the transaction pays one order
/// only, that order's destination (`address_unusable`). In a batch the reason does not
/// say which output it means, so every order gets `broadcast_rejected`.
pub fn rejection_failure(message: &str, payouts_in_tx: usize) -> FailureReason {
    let reason = message
        .split([',', ' ', '('])
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if payouts_in_tx == 1 && OUTPUT_POLICY_REASONS.contains(&reason.as_str()) {
        FailureReason::AddressUnusable
    } else {
        FailureReason::BroadcastRejected
    }
}

#[derive(Deserialize)]
struct RpcError {
    code: Option<i64>,
    message: Option<String>,
}

/// `(code, message)` from either rejection shape; the whole text when neither fits.
fn parse_rpc_error(body: &str) -> (Option<i64>, String) {
    if let Some(start) = body.find('{') {
        if let Ok(e) = serde_json::from_str::<RpcError>(&body[start..]) {
            return (e.code, e.message.unwrap_or_default());
        }
    }
    if let Some(at) = body.find("RPC error ") {
        let rest = &body[at + "RPC error ".len()..];
        if let Some((code, message)) = rest.split_once(':') {
            if let Ok(code) = code.trim().parse::<i64>() {
                return (Some(code), message.trim().to_owned());
            }
        }
    }
    (None, body.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FLOOR: FeeRate = FeeRate(1000);
    const CAP: FeeRate = FeeRate(200_000);

    #[test]
    fn picks_the_cheapest_estimate_that_meets_the_target() {
        let body = r#"{"1": 87.882, "2": 60.5, "3": 40.1, "6": 20.25, "144": 1.027}"#;
        assert_eq!(choose_fee_rate(body, 3, FLOOR, CAP), Ok(FeeRate(40_100)));
        assert_eq!(choose_fee_rate(body, 5, FLOOR, CAP), Ok(FeeRate(40_100)));
        assert_eq!(choose_fee_rate(body, 1008, FLOOR, CAP), Ok(FeeRate(1_027)));
    }

    #[test]
    fn missing_low_targets_use_the_next_higher_one_and_empty_uses_the_floor() {
        assert_eq!(
            choose_fee_rate(r#"{"6": 12.5}"#, 2, FLOOR, CAP),
            Ok(FeeRate(12_500))
        );
        assert_eq!(choose_fee_rate("{}", 2, FLOOR, CAP), Ok(FLOOR));
        assert_eq!(choose_fee_rate(r#"{"2": 0.25}"#, 2, FLOOR, CAP), Ok(FLOOR));
    }

    #[test]
    fn a_rate_above_the_cap_is_refused_and_garbage_is_unreadable() {
        assert_eq!(
            choose_fee_rate(r#"{"2": 250.0}"#, 2, FLOOR, CAP),
            Err(FeeEstimateError::FeeRateAboveCap {
                rate: FeeRate(250_000),
                cap: CAP
            })
        );
        assert!(matches!(
            choose_fee_rate(r#"{"two": 1.0}"#, 2, FLOOR, CAP),
            Err(FeeEstimateError::Unreadable { .. })
        ));
        assert!(matches!(
            choose_fee_rate("[]", 2, FLOOR, CAP),
            Err(FeeEstimateError::Unreadable { .. })
        ));
    }

    const TXID: &str = "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b";

    #[test]
    fn parses_both_rejection_shapes() {
        let json = r#"sendrawtransaction RPC error: {"code":-26,"message":"min relay fee not met, 100 < 141"}"#;
        assert_eq!(
            classify_broadcast(400, json, TXID),
            BroadcastOutcome::Rejected {
                code: Some(-26),
                message: "min relay fee not met, 100 < 141".into()
            }
        );
        let plain = "sendrawtransaction RPC error -26: dust";
        assert_eq!(
            classify_broadcast(400, plain, TXID),
            BroadcastOutcome::Rejected {
                code: Some(-26),
                message: "dust".into()
            }
        );
    }

    #[test]
    fn already_known_is_sent_and_missing_inputs_asks_for_a_lookup() {
        let known = r#"sendrawtransaction RPC error: {"code":-27,"message":"Transaction already in block chain"}"#;
        assert_eq!(
            classify_broadcast(400, known, TXID),
            BroadcastOutcome::Accepted
        );
        let mempool = "sendrawtransaction RPC error -26: txn-already-in-mempool";
        assert_eq!(
            classify_broadcast(400, mempool, TXID),
            BroadcastOutcome::Accepted
        );
        let spent = r#"sendrawtransaction RPC error: {"code":-25,"message":"bad-txns-inputs-missingorspent"}"#;
        assert!(matches!(
            classify_broadcast(400, spent, TXID),
            BroadcastOutcome::InputsMissingOrSpent { .. }
        ));
    }

    #[test]
    fn an_output_policy_rejection_of_a_single_payout_blames_its_destination() {
        let unusable = FailureReason::AddressUnusable;
        let rejected = FailureReason::BroadcastRejected;
        assert_eq!(rejection_failure("scriptpubkey", 1), unusable);
        assert_eq!(rejection_failure("dust", 1), unusable);
        assert_eq!(rejection_failure("bare-multisig", 1), unusable);
        // Which output of a batch is meant, the node does not say.
        assert_eq!(rejection_failure("scriptpubkey", 2), rejected);
        assert_eq!(
            rejection_failure("min relay fee not met, 100 < 141", 1),
            rejected
        );
        assert_eq!(rejection_failure("non-mandatory-script-verify-flag (Signature must be zero for failed CHECK(MULTI)SIG operation)", 1), rejected);
        assert_eq!(rejection_failure("dust-something", 1), rejected);
    }

    #[test]
    fn the_txid_is_accepted_and_anything_else_retries() {
        assert_eq!(
            classify_broadcast(200, &format!("{TXID}\n"), TXID),
            BroadcastOutcome::Accepted
        );
        assert!(matches!(
            classify_broadcast(503, "busy", TXID),
            BroadcastOutcome::Retry { .. }
        ));
        assert!(matches!(
            classify_broadcast(200, "ffff", TXID),
            BroadcastOutcome::Retry { .. }
        ));
    }
}
