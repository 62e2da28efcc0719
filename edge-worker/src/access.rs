//! What an API key may do (issue 10): its scopes, the IP addresses it is accepted from,
//! its expiry and revocation. The key's row comes with the client in the one lookup of
//! every authenticated request (`store::clients`); [`check`] decides on it, with no
//! further I/O.
//!
//! Refusals are [`AccessError`]: a stable `code` (the serde tag) and its facts, mapped
//! to one problem response in `problem.rs`.

use std::fmt;
use std::net::IpAddr;

use cryptoexchange_core::api::ApiScope;
use cryptoexchange_core::time::Timestamp;
use serde::Serialize;

use crate::ids;

/// Most entries an allowlist may have.
pub const MAX_ALLOWLIST: usize = 20;

/// A refusal of a known key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum AccessError {
    /// The endpoint needs `required_scope`; the key has `key_scopes`.
    InsufficientScope {
        required_scope: ApiScope,
        key_scopes: Vec<ApiScope>,
    },
    /// The request came from `ip` (`CF-Connecting-IP`; null when absent), which the key's
    /// allowlist does not contain.
    IpNotAllowed {
        ip: Option<String>,
    },
    ApiKeyExpired {
        expired_at: Timestamp,
    },
    ApiKeyRevoked {
        revoked_at: Timestamp,
    },
    /// More than `limit` requests in `window_seconds` with this key.
    RateLimited {
        limit: u32,
        window_seconds: u32,
        retry_after_seconds: u32,
    },
}

impl AccessError {
    pub fn status(&self) -> u16 {
        match self {
            AccessError::InsufficientScope { .. } | AccessError::IpNotAllowed { .. } => 403,
            AccessError::ApiKeyExpired { .. } | AccessError::ApiKeyRevoked { .. } => 401,
            AccessError::RateLimited { .. } => 429,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AccessError::InsufficientScope { .. } => "insufficient_scope",
            AccessError::IpNotAllowed { .. } => "ip_not_allowed",
            AccessError::ApiKeyExpired { .. } => "api_key_expired",
            AccessError::ApiKeyRevoked { .. } => "api_key_revoked",
            AccessError::RateLimited { .. } => "rate_limited",
        }
    }

    pub fn title(&self) -> &'static str {
        match self {
            AccessError::InsufficientScope { .. } => "API key lacks the scope",
            AccessError::IpNotAllowed { .. } => "IP address not allowed for this key",
            AccessError::ApiKeyExpired { .. } => "API key expired",
            AccessError::ApiKeyRevoked { .. } => "API key revoked",
            AccessError::RateLimited { .. } => "Too many requests",
        }
    }
}

impl fmt::Display for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AccessError::InsufficientScope { required_scope, .. } => write!(
                f,
                "this endpoint needs an API key with the `{}` scope",
                required_scope.as_str()
            ),
            AccessError::IpNotAllowed { ip: Some(ip) } => {
                write!(f, "this API key is not accepted from {ip}")
            }
            AccessError::IpNotAllowed { ip: None } => f.write_str(
                "this API key has an IP allowlist and the request's address is unknown",
            ),
            AccessError::ApiKeyExpired { expired_at } => {
                write!(f, "this API key expired at {expired_at}; use its successor")
            }
            AccessError::ApiKeyRevoked { revoked_at } => {
                write!(f, "this API key was revoked at {revoked_at}")
            }
            AccessError::RateLimited {
                limit,
                window_seconds,
                retry_after_seconds,
            } => write!(
                f,
                "more than {limit} requests in {window_seconds} s with this key; retry in {retry_after_seconds} s"
            ),
        }
    }
}

/// A key's rules as stored (times in Unix ms).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyPolicy {
    pub scopes: Vec<ApiScope>,
    pub ip_allowlist: Option<Vec<String>>,
    pub expires_at_ms: Option<i64>,
    pub revoked_at_ms: Option<i64>,
}

/// Whether a request from `ip` at `now_ms` may use an endpoint needing `required`.
/// Revocation and expiry first (the key is dead), then the address, then the scope.
pub fn check(
    policy: &KeyPolicy,
    required: ApiScope,
    ip: Option<&str>,
    now_ms: i64,
) -> Result<(), AccessError> {
    if let Some(at) = policy.revoked_at_ms {
        return Err(AccessError::ApiKeyRevoked {
            revoked_at: ids::time_of(at),
        });
    }
    if let Some(at) = policy.expires_at_ms.filter(|at| *at <= now_ms) {
        return Err(AccessError::ApiKeyExpired {
            expired_at: ids::time_of(at),
        });
    }
    if let Some(list) = &policy.ip_allowlist {
        let address = ip.and_then(|ip| ip.trim().parse::<IpAddr>().ok());
        let allowed = address.is_some_and(|a| list.iter().any(|entry| entry_matches(entry, a)));
        if !allowed {
            return Err(AccessError::IpNotAllowed {
                ip: ip.map(str::to_owned),
            });
        }
    }
    if !policy.scopes.contains(&required) {
        return Err(AccessError::InsufficientScope {
            required_scope: required,
            key_scopes: policy.scopes.clone(),
        });
    }
    Ok(())
}

/// The scopes as stored: space-separated words; unknown words are ignored.
pub fn parse_scopes(text: &str) -> Vec<ApiScope> {
    let mut scopes: Vec<ApiScope> = text
        .split_whitespace()
        .filter_map(ApiScope::parse)
        .collect();
    scopes.sort();
    scopes.dedup();
    scopes
}

pub fn scopes_text(scopes: &[ApiScope]) -> String {
    scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The scopes of a new key: both by default; `trade` brings `read`. None for an empty
/// list.
pub fn normalize_scopes(asked: Option<&[ApiScope]>) -> Option<Vec<ApiScope>> {
    let mut scopes = asked.map_or_else(|| ApiScope::ALL.to_vec(), <[ApiScope]>::to_vec);
    if scopes.is_empty() {
        return None;
    }
    if scopes.contains(&ApiScope::Trade) {
        scopes.push(ApiScope::Read);
    }
    scopes.sort();
    scopes.dedup();
    Some(scopes)
}

/// An allowlist as given, each entry checked and written canonically (`10.0.0.0/8`,
/// `2001:db8::/32`, `203.0.113.7`); Err names the first bad entry.
pub fn normalize_allowlist(entries: &[String]) -> Result<Vec<String>, String> {
    if entries.is_empty() || entries.len() > MAX_ALLOWLIST {
        return Err(format!(
            "give 1 to {MAX_ALLOWLIST} entries, or leave the allowlist out for any address"
        ));
    }
    entries
        .iter()
        .map(|entry| {
            let (address, bits) = parse_entry(entry)
                .ok_or_else(|| format!("`{entry}` is not an IP address or a CIDR range"))?;
            Ok(match bits {
                Some(bits) => format!("{address}/{bits}"),
                None => address.to_string(),
            })
        })
        .collect()
}

/// An entry's address and prefix length (None: a single address).
fn parse_entry(entry: &str) -> Option<(IpAddr, Option<u8>)> {
    let entry = entry.trim();
    match entry.split_once('/') {
        None => Some((entry.parse().ok()?, None)),
        Some((address, bits)) => {
            let address: IpAddr = address.parse().ok()?;
            let bits: u8 = bits.parse().ok()?;
            let max = if address.is_ipv4() { 32 } else { 128 };
            (bits <= max).then_some((address, Some(bits)))
        }
    }
}

fn entry_matches(entry: &str, ip: IpAddr) -> bool {
    let Some((network, bits)) = parse_entry(entry) else {
        return false;
    };
    // An IPv4 client may reach us as an IPv4-mapped IPv6 address.
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    match (network, ip) {
        (IpAddr::V4(n), IpAddr::V4(a)) => {
            prefix_equal(&n.octets(), &a.octets(), bits.unwrap_or(32))
        }
        (IpAddr::V6(n), IpAddr::V6(a)) => {
            prefix_equal(&n.octets(), &a.octets(), bits.unwrap_or(128))
        }
        _ => false,
    }
}

/// Whether the first `bits` bits of `a` and `b` agree.
fn prefix_equal(a: &[u8], b: &[u8], bits: u8) -> bool {
    let bits = usize::from(bits);
    let (whole, rest) = (bits / 8, bits % 8);
    if a[..whole] != b[..whole] {
        return false;
    }
    rest == 0 || {
        let mask = 0xffu8 << (8 - rest);
        a[whole] & mask == b[whole] & mask
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(scopes: &[ApiScope]) -> KeyPolicy {
        KeyPolicy {
            scopes: scopes.to_vec(),
            ..KeyPolicy::default()
        }
    }

    #[test]
    fn a_read_key_reads_and_cannot_trade() {
        let read = policy(&[ApiScope::Read]);
        assert!(check(&read, ApiScope::Read, None, 0).is_ok());
        let err = check(&read, ApiScope::Trade, None, 0).unwrap_err();
        assert_eq!(err.code(), "insufficient_scope");
        assert_eq!(err.status(), 403);
        let facts = serde_json::to_value(&err).unwrap();
        assert_eq!(facts["required_scope"], "trade");
        assert_eq!(facts["key_scopes"], serde_json::json!(["read"]));
    }

    #[test]
    fn revoked_and_expired_keys_are_refused_from_that_instant() {
        let mut p = policy(&ApiScope::ALL);
        p.expires_at_ms = Some(10_000);
        assert!(check(&p, ApiScope::Read, None, 9_999).is_ok());
        assert_eq!(
            check(&p, ApiScope::Read, None, 10_000).unwrap_err().code(),
            "api_key_expired"
        );
        p.revoked_at_ms = Some(5_000);
        assert_eq!(
            check(&p, ApiScope::Read, None, 6_000).unwrap_err().code(),
            "api_key_revoked"
        );
    }

    #[test]
    fn the_allowlist_matches_addresses_and_ranges_of_both_families() {
        let mut p = policy(&ApiScope::ALL);
        p.ip_allowlist = Some(vec![
            "198.51.100.0/24".into(),
            "203.0.113.7".into(),
            "2001:db8::/32".into(),
        ]);
        for ok in [
            "198.51.100.1",
            "203.0.113.7",
            "2001:db8:1::5",
            "::ffff:198.51.100.9",
        ] {
            assert!(check(&p, ApiScope::Read, Some(ok), 0).is_ok(), "{ok}");
        }
        for refused in [
            Some("198.51.101.1"),
            Some("203.0.113.8"),
            Some("2001:db9::1"),
            Some("junk"),
            None,
        ] {
            let err = check(&p, ApiScope::Read, refused, 0).unwrap_err();
            assert_eq!(err.code(), "ip_not_allowed", "{refused:?}");
        }
    }

    #[test]
    fn prefixes_of_odd_lengths_compare_only_their_bits() {
        assert!(prefix_equal(&[10, 0b1010_0000], &[10, 0b1011_1111], 11));
        assert!(!prefix_equal(&[10, 0b1010_0000], &[10, 0b1001_1111], 11));
        assert!(prefix_equal(&[1, 2, 3, 4], &[9, 9, 9, 9], 0));
    }

    #[test]
    fn allowlists_and_scopes_are_normalized_or_refused() {
        assert_eq!(
            normalize_allowlist(&["10.1.2.3/8".into(), " 2001:DB8::1 ".into()]).unwrap(),
            vec!["10.1.2.3/8".to_owned(), "2001:db8::1".to_owned()]
        );
        assert!(normalize_allowlist(&["10.0.0.0/33".into()]).is_err());
        assert!(normalize_allowlist(&["example.com".into()]).is_err());
        assert!(normalize_allowlist(&[]).is_err());
        assert_eq!(normalize_scopes(None).unwrap(), ApiScope::ALL.to_vec());
        assert_eq!(
            normalize_scopes(Some(&[ApiScope::Trade])).unwrap(),
            ApiScope::ALL.to_vec()
        );
        assert_eq!(normalize_scopes(Some(&[])), None);
        assert_eq!(parse_scopes("trade read junk"), ApiScope::ALL.to_vec());
        assert_eq!(scopes_text(&ApiScope::ALL), "read trade");
    }
}
