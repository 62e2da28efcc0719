//! Fault switches for tests: `FAULT_INJECTION`, a var only tests set (never in
//! wrangler.toml), a comma-separated list of `name` or `name=fraction` (the share of
//! calls that fail, 1 when omitted). Names:
//! - `fail_enqueue`: a queue send fails (placement, settlement steps, deliveries);
//! - `fail_batch:<step>`: the D1 batch of a named step fails, nothing written
//!   (`place`, `transition`, `claim_delivery`, `record_delivery`);
//! - `fail_after_batch:<step>`: the batch is written, then the step fails anyway (a lost
//!   answer), so the retry must find the work done;
//! - `stop_after_sign`, `stop_after_broadcast`: the on-chain payout stops there
//!   (settlement/onchain.rs).

use worker::Env;

use crate::problem::ApiError;

/// The configured faults, parsed once per use.
fn parse(spec: &str) -> Vec<(&str, f64)> {
    spec.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|item| match item.rsplit_once('=') {
            Some((name, share)) => (name.trim(), share.trim().parse().unwrap_or(1.0)),
            None => (item, 1.0),
        })
        .collect()
}

fn spec(env: &Env) -> String {
    env.var("FAULT_INJECTION")
        .map(|v| v.to_string())
        .unwrap_or_default()
}

/// A uniform draw in [0, 1) (0, so every switched-on fault strikes, when none can be drawn).
fn draw() -> f64 {
    crate::ids::random_fraction().unwrap_or(0.0)
}

/// True when the fault `name` is switched on and strikes this call.
pub fn strikes(env: &Env, name: &str) -> bool {
    let spec = spec(env);
    parse(&spec)
        .into_iter()
        .any(|(n, share)| n == name && draw() < share)
}

/// Fails with an internal error when the fault `name` strikes.
pub fn check(env: &Env, name: &str) -> Result<(), ApiError> {
    if strikes(env, name) {
        worker::console_log!("fault injection: {name}");
        return Err(ApiError::internal(format!("fault injection: {name}")));
    }
    Ok(())
}

/// `fail_batch:<step>`: before the step's D1 batch.
pub fn before_batch(env: &Env, step: &str) -> Result<(), ApiError> {
    check(env, &format!("fail_batch:{step}"))
}

/// `fail_after_batch:<step>`: after the step's D1 batch was written.
pub fn after_batch(env: &Env, step: &str) -> Result<(), ApiError> {
    check(env, &format!("fail_after_batch:{step}"))
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn names_with_and_without_shares_parse() {
        assert_eq!(
            parse("fail_enqueue=0.3, fail_batch:transition ,,x=oops"),
            vec![
                ("fail_enqueue", 0.3),
                ("fail_batch:transition", 1.0),
                ("x", 1.0)
            ]
        );
        assert!(parse("").is_empty());
    }
}
