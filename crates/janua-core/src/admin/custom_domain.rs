//! The OIDC custom domain (API.md §16 `/admin/settings/oidc/custom-domain`): a host name an
//! administrator records as the provider's public domain, stored as the system setting
//! [`SETTING_KEY`]. It is stored and returned only: the issuer, discovery document and token
//! `iss` come from `ISSUER` / `JANUA_CUSTOM_DOMAIN` at start-up and do not change at runtime
//! (every instance and every relying party must agree on one issuer).

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::admin::require_platform_admin;
use crate::audit::RequestContext;
use crate::auth::principal::Principal;
use crate::context::Core;
use crate::error::{FieldError, Result};
use crate::settings::{put_audited, SettingKey};

pub const SETTING_KEY: &str = "oidc.custom_domain";
/// Longest DNS name (RFC 1035 §2.3.4, without the root dot).
pub const MAX_LEN: usize = 253;

/// A lower-case DNS host name: at least two labels of letters, digits and inner hyphens, each
/// at most 63 characters, the last not all digits (so no IP address).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainName(String);

impl DomainName {
    pub fn parse(raw: &str) -> std::result::Result<Self, FieldError> {
        let bad = || {
            FieldError::new(
                "domain",
                "must be a host name such as auth.example.com (no scheme, port or path)",
            )
        };
        let name = raw.trim().strip_suffix('.').unwrap_or(raw.trim());
        if name.is_empty() || name.len() > MAX_LEN {
            return Err(bad());
        }
        let name = name.to_ascii_lowercase();
        let labels: Vec<&str> = name.split('.').collect();
        let label_ok = |label: &&str| {
            (1..=63).contains(&label.len())
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        };
        let tld_ok = labels
            .last()
            .is_some_and(|tld| !tld.bytes().all(|b| b.is_ascii_digit()));
        if labels.len() < 2 || !labels.iter().all(label_ok) || !tld_ok {
            return Err(bad());
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The recorded domain and when it was set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomDomain {
    pub domain: String,
    pub updated_at: DateTime<Utc>,
}

fn key() -> Result<SettingKey> {
    SettingKey::parse(SETTING_KEY)
}

pub async fn current(core: &Core) -> Result<Option<CustomDomain>> {
    let stored = core.store.get_setting(&key()?).await?;
    Ok(stored.and_then(|s| {
        s.value.as_str().map(|domain| CustomDomain {
            domain: domain.to_owned(),
            updated_at: s.updated_at,
        })
    }))
}

/// Records the domain, audited as `oidc.custom_domain_updated` with the previous value.
pub async fn set(
    core: &Core,
    principal: &Principal,
    domain: DomainName,
    ctx: &RequestContext,
) -> Result<CustomDomain> {
    require_platform_admin(principal)?;
    let previous = current(core).await?.map(|c| c.domain);
    let value = Value::String(domain.as_str().to_owned());
    let details = json!({"domain": domain.as_str(), "previous": previous});
    let stored = put_audited(
        core,
        principal,
        &key()?,
        &value,
        "oidc.custom_domain_updated",
        details,
        ctx,
    )
    .await?;
    Ok(CustomDomain {
        domain: domain.0,
        updated_at: stored.updated_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_are_accepted_and_lower_cased() {
        for (raw, expected) in [
            ("auth.example.com", "auth.example.com"),
            ("Auth.Example.COM.", "auth.example.com"),
            ("a-b.c1.example.io", "a-b.c1.example.io"),
            ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ] {
            assert_eq!(DomainName::parse(raw).unwrap().as_str(), expected, "{raw}");
        }
    }

    #[test]
    fn urls_ips_ports_and_malformed_names_are_refused() {
        let long_label = format!("{}.com", "a".repeat(64));
        let too_long = format!("{}.com", ["abcdefghij"; 25].join("."));
        for bad in [
            "",
            "localhost",
            "https://auth.example.com",
            "auth.example.com:8443",
            "auth.example.com/path",
            "10.0.0.1",
            "-auth.example.com",
            "auth-.example.com",
            "auth..example.com",
            "auth example.com",
            "*.example.com",
            "ex_ample.com",
            long_label.as_str(),
            too_long.as_str(),
        ] {
            assert!(DomainName::parse(bad).is_err(), "{bad}");
        }
    }
}
