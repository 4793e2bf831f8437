//! Runtime system settings: admin-managed key/value overrides (for example
//! `auth.allow_signups`) stored in the database, so every instance sees the same value. Every
//! change is written with its audit entry in one transaction ([`put`], [`put_audited`]).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::admin::require_platform_admin;
use crate::audit::{AuditEntry, RequestContext};
use crate::auth::principal::Principal;
use crate::context::Core;
use crate::error::{Error, FieldError, Result};

/// A setting key: lowercase dotted words, such as `auth.allow_signups`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SettingKey(String);

impl SettingKey {
    pub const MAX_LEN: usize = 100;

    pub fn parse(raw: &str) -> Result<Self> {
        let valid_char =
            |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.';
        let valid = !raw.is_empty()
            && raw.len() <= Self::MAX_LEN
            && raw.chars().all(valid_char)
            && !raw.starts_with('.')
            && !raw.ends_with('.')
            && !raw.contains("..");
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err(Error::Validation(vec![FieldError::new(
                "key",
                "setting keys are lowercase dotted words of at most 100 characters",
            )]))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One stored setting.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    pub key: SettingKey,
    pub value: Value,
    pub updated_at: DateTime<Utc>,
}

/// Largest serialized value a setting may hold.
pub const MAX_VALUE_BYTES: usize = 16 * 1024;

#[async_trait]
pub trait SettingsStore: Send + Sync {
    async fn get_setting(&self, key: &SettingKey) -> Result<Option<Setting>>;
    /// Inserts or replaces the value and writes `audit` in the same transaction; returns the
    /// stored row.
    async fn put_setting(
        &self,
        key: &SettingKey,
        value: &Value,
        at: DateTime<Utc>,
        audit: &[AuditEntry],
    ) -> Result<Setting>;
    async fn list_settings(&self) -> Result<Vec<Setting>>;
    /// True when a row was removed.
    async fn delete_setting(&self, key: &SettingKey) -> Result<bool>;
}

/// Checks a value before it is stored.
pub fn validate_value(value: &Value) -> Result<()> {
    let size = serde_json::to_vec(value).map_err(Error::internal)?.len();
    if size > MAX_VALUE_BYTES {
        return Err(Error::Validation(vec![FieldError::new(
            "value",
            "setting values are at most 16 KiB of JSON",
        )]));
    }
    Ok(())
}

/// Keys with their own route and validation (`/admin/maintenance-mode`,
/// `/admin/settings/oidc/custom-domain`); the generic `PUT /admin/settings/{key}` refuses them
/// so nothing stores a value those routes could not have.
pub const KEYS_WITH_OWN_ROUTE: [&str; 2] = [
    crate::admin::maintenance::SETTING_KEY,
    crate::admin::custom_domain::SETTING_KEY,
];

/// `PUT /admin/settings/{key}`: stores any JSON value (≤ 16 KiB) with a `setting.updated`
/// audit entry.
pub async fn put(
    core: &Core,
    principal: &Principal,
    key: &SettingKey,
    value: &Value,
    ctx: &RequestContext,
) -> Result<Setting> {
    require_platform_admin(principal)?;
    if KEYS_WITH_OWN_ROUTE.contains(&key.as_str()) {
        return Err(Error::Validation(vec![FieldError::new(
            "key",
            "this setting has its own admin route; change it there",
        )]));
    }
    validate_value(value)?;
    let details = serde_json::json!({"key": key.as_str(), "value": value});
    put_audited(core, principal, key, value, "setting.updated", details, ctx).await
}

/// Stores a setting together with an `action` entry (target `setting` = the key).
pub async fn put_audited(
    core: &Core,
    principal: &Principal,
    key: &SettingKey,
    value: &Value,
    action: &str,
    details: Value,
    ctx: &RequestContext,
) -> Result<Setting> {
    let now = core.clock.now();
    let entry = AuditEntry::new(action, principal.actor(), ctx, now)
        .target("setting", key.as_str())
        .details(details);
    core.store.put_setting(key, value, now, &[entry]).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_lowercase_keys_are_accepted() {
        assert_eq!(
            SettingKey::parse("auth.allow_signups").unwrap().as_str(),
            "auth.allow_signups"
        );
    }

    #[test]
    fn keys_with_other_characters_or_empty_parts_are_rejected() {
        for bad in [
            "",
            "Auth.x",
            "a..b",
            ".a",
            "a.",
            "a b",
            "a/b",
            &"x".repeat(101),
        ] {
            assert!(SettingKey::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn oversized_values_are_rejected() {
        let big = Value::String("x".repeat(MAX_VALUE_BYTES));
        assert!(validate_value(&big).is_err());
        assert!(validate_value(&Value::Bool(true)).is_ok());
    }
}
