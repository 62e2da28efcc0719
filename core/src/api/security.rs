//! Wire types of the security configuration (issue 10): a client's API keys and webhook
//! signing secrets. The operator creates, rotates and revokes keys
//! (`/v1/admin/clients/{id}/api-keys`) and rotates the webhook secret; the client lists
//! its own keys and secrets (`GET /v1/api-keys`, `GET /v1/webhook-secrets`), never seeing
//! a key or secret again after it was created.

use serde::{Deserialize, Serialize};

use crate::time::Timestamp;

/// What a key may do. `read`: configuration, rates, quotes, lists and status;
/// `trade` adds creating addresses and placing orders (a `trade` key can also read).
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApiScope {
    Read,
    Trade,
}

impl ApiScope {
    pub const ALL: [ApiScope; 2] = [ApiScope::Read, ApiScope::Trade];

    pub fn as_str(self) -> &'static str {
        match self {
            ApiScope::Read => "read",
            ApiScope::Trade => "trade",
        }
    }

    pub fn parse(s: &str) -> Option<ApiScope> {
        ApiScope::ALL.into_iter().find(|scope| scope.as_str() == s)
    }
}

/// One API key as listed: everything but the key, which is shown only once.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyInfo {
    pub key_id: String,
    /// The key's first characters (`cx_test_1a2b`), to tell keys apart; empty for a key
    /// created before keys were listed.
    pub prefix: String,
    pub scopes: Vec<ApiScope>,
    /// IP addresses and CIDR ranges the key is accepted from (`CF-Connecting-IP`);
    /// absent: any address.
    pub ip_allowlist: Option<Vec<String>>,
    pub created_at: Timestamp,
    /// Updated at most once a minute.
    pub last_used_at: Option<Timestamp>,
    /// The key is refused from then on (a rotated key's end of overlap).
    pub expires_at: Option<Timestamp>,
    /// Set when the key was revoked: it is refused since.
    pub revoked_at: Option<Timestamp>,
}

/// `GET /v1/api-keys` and `GET /v1/admin/clients/{client_id}/api-keys`, oldest first.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyList {
    pub keys: Vec<ApiKeyInfo>,
}

/// `POST /v1/admin/clients/{client_id}/api-keys`. Without `scopes` the key gets
/// `read` and `trade`; `trade` always brings `read`.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKeyRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(length(min = 1)))]
    pub scopes: Option<Vec<ApiScope>>,
    /// Up to 20 IP addresses or CIDR ranges (`203.0.113.7`, `198.51.100.0/24`,
    /// `2001:db8::/32`); anything else is refused with `invalid_key_settings`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "schema",
        schemars(
            length(min = 1, max = 20),
            inner(regex(pattern = r"^[0-9A-Fa-f:.]{2,45}(/[0-9]{1,3})?$"))
        )
    )]
    pub ip_allowlist: Option<Vec<String>>,
    /// In the future (else `invalid_key_settings`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
}

/// A new key: `api_key` is shown here once; only its SHA-256 is stored.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedApiKey {
    pub api_key: String,
    pub key: ApiKeyInfo,
}

/// `POST /v1/admin/clients/{client_id}/api-keys/{key_id}/rotate`: a new key with the
/// old one's scopes and allowlist; the old key keeps working for `overlap_seconds`
/// (default 86400, at most 30 days; 0 ends it at once), or until its own earlier expiry.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotateApiKeyRequest {
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "optional_whole_seconds"
    )]
    #[cfg_attr(feature = "schema", schemars(range(max = 2_592_000)))]
    pub overlap_seconds: Option<u32>,
}

/// The answer of a rotation: the new key (shown once) and the old one with its expiry.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotatedApiKey {
    pub api_key: String,
    pub key: ApiKeyInfo,
    pub previous: ApiKeyInfo,
}

/// `POST /v1/admin/clients/{client_id}/webhook-secret/rotate`: a new signing secret;
/// the secrets valid until now keep signing for `overlap_seconds` (default 86400, at
/// most 30 days; 0 ends them at once). During the overlap every webhook carries one
/// `v1,` signature per secret in `webhook-signature`, space-separated.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotateWebhookSecretRequest {
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "optional_whole_seconds"
    )]
    #[cfg_attr(feature = "schema", schemars(range(max = 2_592_000)))]
    pub overlap_seconds: Option<u32>,
}

/// One webhook signing secret as listed (the secret itself is shown once).
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookSecretInfo {
    pub secret_id: String,
    pub created_at: Timestamp,
    /// The end of a rotation's overlap; absent for the current secret.
    pub expires_at: Option<Timestamp>,
}

/// The secrets that sign a client's webhooks now, newest first.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookSecretList {
    pub secrets: Vec<WebhookSecretInfo>,
}

/// A rotation's answer: the new secret (`whsec_` + base64, shown once) and every secret
/// signing from now on, newest first.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotatedWebhookSecret {
    pub webhook_secret: String,
    pub secrets: Vec<WebhookSecretInfo>,
}

/// Seconds as JSON writes whole numbers (`60` or `60.0`), or null.
pub(crate) fn optional_whole_seconds<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<u32>, D::Error> {
    #[derive(Deserialize)]
    struct Seconds(#[serde(deserialize_with = "crate::config::whole_seconds")] u32);
    Ok(Option::<Seconds>::deserialize(deserializer)?.map(|s| s.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_lower_case_words() {
        assert_eq!(
            serde_json::to_string(&ApiScope::Trade).unwrap(),
            "\"trade\""
        );
        assert_eq!(ApiScope::parse("read"), Some(ApiScope::Read));
        assert_eq!(ApiScope::parse("admin"), None);
        assert!(serde_json::from_str::<CreateApiKeyRequest>(r#"{"scopes":["write"]}"#).is_err());
        assert!(serde_json::from_str::<CreateApiKeyRequest>(r#"{"colour":1}"#).is_err());
        let whole: RotateApiKeyRequest =
            serde_json::from_str(r#"{"overlap_seconds":262144.0}"#).unwrap();
        assert_eq!(whole.overlap_seconds, Some(262_144));
        assert!(
            serde_json::from_str::<RotateWebhookSecretRequest>(r#"{"overlap_seconds":1.5}"#)
                .is_err()
        );
    }
}
