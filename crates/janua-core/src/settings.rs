//! Runtime system settings: admin-managed key/value overrides (for example
//! `auth.allow_signups`) stored in the database, so every instance sees the same value.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;

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
    /// Inserts or replaces the value; returns the stored row.
    async fn put_setting(
        &self,
        key: &SettingKey,
        value: &Value,
        at: DateTime<Utc>,
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
