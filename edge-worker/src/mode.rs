//! The settlement mode, from the `SETTLEMENT_MODE` variable: `sandbox` (the default,
//! and what `./scripts/run` uses) or `onchain`. It decides how orders settle, where
//! balances come from, which API keys are accepted (`cx_test_` or `cx_live_`) and the
//! `livemode` flag of every order, quote and event.
//!
//! Any other value stops the service from doing anything: a Worker has no start-up to
//! refuse, so every request answers 500 `misconfigured` naming the variable (500, not
//! 503: nothing will change until the operator fixes the configuration), and the
//! settlement queue leaves its messages for later without touching an order.

use worker::Env;

use crate::problem::ApiError;

pub const VARIABLE: &str = "SETTLEMENT_MODE";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettlementMode {
    /// Orders settle by the bundled fake settlement; nothing leaves the operator.
    Sandbox,
    /// Orders are paid on-chain from the operator's hot wallet.
    Onchain,
}

impl SettlementMode {
    pub fn from_env(env: &Env) -> Result<SettlementMode, ApiError> {
        let value = env.var(VARIABLE).map(|v| v.to_string()).ok();
        Self::parse(value.as_deref())
    }

    pub fn parse(value: Option<&str>) -> Result<SettlementMode, ApiError> {
        match value {
            None | Some("sandbox") => Ok(SettlementMode::Sandbox),
            Some("onchain") => Ok(SettlementMode::Onchain),
            Some(other) => Err(ApiError::Misconfigured {
                variable: VARIABLE,
                detail: format!(
                    "{VARIABLE} is {other:?}; set it to \"sandbox\" or \"onchain\" and restart"
                ),
            }),
        }
    }

    /// Whether orders of this mode move real coins.
    pub fn livemode(self) -> bool {
        self == SettlementMode::Onchain
    }

    /// The prefix of the API keys this mode issues and accepts.
    pub fn key_prefix(self) -> &'static str {
        match self {
            SettlementMode::Sandbox => TEST_KEY_PREFIX,
            SettlementMode::Onchain => LIVE_KEY_PREFIX,
        }
    }
}

pub const TEST_KEY_PREFIX: &str = "cx_test_";
pub const LIVE_KEY_PREFIX: &str = "cx_live_";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sandbox_is_the_default_and_unknown_values_are_refused() {
        assert_eq!(
            SettlementMode::parse(None).unwrap(),
            SettlementMode::Sandbox
        );
        assert_eq!(
            SettlementMode::parse(Some("onchain")).unwrap(),
            SettlementMode::Onchain
        );
        let err = SettlementMode::parse(Some("live")).unwrap_err();
        assert_eq!(err.code(), "misconfigured");
        assert_eq!(err.status(), 500);
        assert!(err.to_string().contains("SETTLEMENT_MODE"));
    }
}
