//! Secrets at rest (issue 10): webhook secrets are stored encrypted with AES-256-GCM
//! under a master key that is a Worker secret, never in D1, so a copy of the database
//! alone cannot sign a webhook.
//!
//! `SECRETS_MASTER_KEYS` (a secret; a var in tests) is JSON:
//! `{"current": "k2", "keys": {"k2": "<base64 of 32 bytes>", "k1": "..."}}`. New
//! ciphertexts use `current`; each stored value names the key it was sealed with, so the
//! master key rotates by adding a key and making it current: older rows still open with
//! their own key and are sealed again under the current one when next read
//! (`store::webhook_secrets`). A fresh 96-bit nonce (getrandom) per encryption; the
//! associated data binds a ciphertext to its row (client and secret id), so a row copied
//! to another client does not open.

use std::collections::BTreeMap;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde::Deserialize;
use worker::Env;

use crate::problem::ApiError;

pub const VARIABLE: &str = "SECRETS_MASTER_KEYS";

/// The master keys, by id, and the id new encryptions use.
pub struct MasterKeys {
    current: String,
    keys: BTreeMap<String, [u8; 32]>,
}

/// A value as stored: the master key's id, the nonce and the ciphertext with its tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub key_id: String,
    pub nonce: String,
    pub ciphertext: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    current: String,
    keys: BTreeMap<String, String>,
}

impl MasterKeys {
    pub fn from_env(env: &Env) -> Result<MasterKeys, ApiError> {
        let text = env
            .secret(VARIABLE)
            .map(|s| s.to_string())
            .or_else(|_| env.var(VARIABLE).map(|v| v.to_string()))
            .map_err(|_| misconfigured(format!("the {VARIABLE} secret is not set")))?;
        MasterKeys::parse(&text).map_err(misconfigured)
    }

    pub fn parse(text: &str) -> Result<MasterKeys, String> {
        let config: Config = serde_json::from_str(text).map_err(|e| {
            format!(
                "{VARIABLE} must be JSON {{\"current\": id, \"keys\": {{id: base64 of 32 bytes}}}}: {e}"
            )
        })?;
        let mut keys = BTreeMap::new();
        for (id, encoded) in config.keys {
            let bytes = BASE64
                .decode(encoded.trim())
                .ok()
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
                .ok_or_else(|| format!("{VARIABLE}: key {id:?} is not base64 of 32 bytes"))?;
            keys.insert(id, bytes);
        }
        if !keys.contains_key(&config.current) {
            return Err(format!(
                "{VARIABLE}: the current key {:?} is not among the keys",
                config.current
            ));
        }
        Ok(MasterKeys {
            current: config.current,
            keys,
        })
    }

    pub fn current_id(&self) -> &str {
        &self.current
    }

    /// Encrypts under the current key with a fresh random nonce.
    pub fn seal(&self, plaintext: &[u8], associated: &[u8]) -> Result<Sealed, String> {
        let mut nonce = [0u8; 12];
        getrandom::getrandom(&mut nonce).map_err(|e| format!("getrandom: {e}"))?;
        self.seal_with_nonce(plaintext, associated, nonce)
    }

    fn seal_with_nonce(
        &self,
        plaintext: &[u8],
        associated: &[u8],
        nonce: [u8; 12],
    ) -> Result<Sealed, String> {
        let key = self
            .keys
            .get(&self.current)
            .ok_or("the current master key is missing")?;
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key));
        let ciphertext = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: associated,
                },
            )
            .map_err(|_| "AES-GCM encryption failed".to_owned())?;
        Ok(Sealed {
            key_id: self.current.clone(),
            nonce: BASE64.encode(nonce),
            ciphertext: BASE64.encode(ciphertext),
        })
    }

    /// Decrypts a stored value; Err when its key is unknown or it does not authenticate
    /// (another key, another row, a changed byte).
    pub fn open(&self, sealed: &Sealed, associated: &[u8]) -> Result<Vec<u8>, String> {
        let key = self
            .keys
            .get(&sealed.key_id)
            .ok_or_else(|| format!("master key {:?} is not configured", sealed.key_id))?;
        let nonce = BASE64
            .decode(&sealed.nonce)
            .ok()
            .filter(|n| n.len() == 12)
            .ok_or("a stored nonce is not 12 bytes of base64")?;
        let ciphertext = BASE64
            .decode(&sealed.ciphertext)
            .map_err(|e| format!("a stored ciphertext is not base64: {e}"))?;
        Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key))
            .decrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &ciphertext,
                    aad: associated,
                },
            )
            .map_err(|_| "a stored secret does not authenticate under its master key".to_owned())
    }
}

fn misconfigured(detail: impl Into<String>) -> ApiError {
    ApiError::Misconfigured {
        variable: VARIABLE,
        detail: detail.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    const K2: &str = "HxceHRwbGhkYFxYVFBMSERAPDg0MCwoJCAcGBQQDAgE=";

    fn keys(current: &str) -> MasterKeys {
        MasterKeys::parse(&format!(
            r#"{{"current":"{current}","keys":{{"k1":"{K1}","k2":"{K2}"}}}}"#
        ))
        .unwrap()
    }

    #[test]
    fn a_sealed_secret_opens_with_its_key_and_row_only() {
        let k1 = keys("k1");
        let sealed = k1
            .seal_with_nonce(b"whsec_secret", b"cli_a:whs_1", [7; 12])
            .unwrap();
        assert_eq!(sealed.key_id, "k1");
        assert!(!sealed.ciphertext.contains("whsec"));
        assert_eq!(k1.open(&sealed, b"cli_a:whs_1").unwrap(), b"whsec_secret");
        // Another row's associated data, another key under the same id, a changed byte.
        assert!(k1.open(&sealed, b"cli_b:whs_1").is_err());
        let wrong =
            MasterKeys::parse(&format!(r#"{{"current":"k1","keys":{{"k1":"{K2}"}}}}"#)).unwrap();
        assert!(wrong.open(&sealed, b"cli_a:whs_1").is_err());
        let mut tampered = sealed.clone();
        tampered.ciphertext = BASE64.encode({
            let mut b = BASE64.decode(&sealed.ciphertext).unwrap();
            b[0] ^= 1;
            b
        });
        assert!(k1.open(&tampered, b"cli_a:whs_1").is_err());
    }

    #[test]
    fn the_master_key_rotates_without_losing_old_values() {
        let old = keys("k1").seal(b"s", b"a").unwrap();
        let k2 = keys("k2");
        assert_eq!(k2.open(&old, b"a").unwrap(), b"s");
        assert_eq!(
            k2.seal_with_nonce(b"s", b"a", [1; 12]).unwrap().key_id,
            "k2"
        );
    }

    #[test]
    fn fresh_nonces_differ() {
        let k = keys("k1");
        let (a, b) = (k.seal(b"s", b"a").unwrap(), k.seal(b"s", b"a").unwrap());
        assert_ne!(a.nonce, b.nonce);
        assert_ne!(a.ciphertext, b.ciphertext);
    }

    #[test]
    fn bad_configurations_are_refused() {
        assert!(MasterKeys::parse("k1:abc").is_err());
        assert!(MasterKeys::parse(
            r#"{"current":"k9","keys":{"k1":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}}"#
        )
        .is_err());
        assert!(MasterKeys::parse(r#"{"current":"k1","keys":{"k1":"AAEC"}}"#).is_err());
    }
}
