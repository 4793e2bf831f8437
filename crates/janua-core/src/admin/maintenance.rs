//! Maintenance mode (API.md §16): a platform-wide switch, stored as the system setting
//! [`SETTING_KEY`] so every instance reads the same value. While it is on, the HTTP layer
//! answers non-admin writes with 503 and the operator's message; this module owns the value,
//! its validation and its audited change.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::admin::require_platform_admin;
use crate::audit::RequestContext;
use crate::auth::principal::Principal;
use crate::context::Core;
use crate::error::{FieldError, Result};
use crate::settings::{put_audited, SettingKey};

pub const SETTING_KEY: &str = "system.maintenance_mode";
/// Longest message shown to callers.
pub const MAX_MESSAGE_LEN: usize = 500;
/// What callers read when the operator gave no message.
pub const DEFAULT_MESSAGE: &str = "The service is under maintenance; please try again later";

/// The switch as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MaintenanceMode {
    pub enabled: bool,
    pub message: Option<String>,
    /// When it was last changed (`None`: never).
    pub updated_at: Option<DateTime<Utc>>,
}

impl MaintenanceMode {
    /// The message callers see while it is on.
    pub fn message_or_default(&self) -> &str {
        self.message.as_deref().unwrap_or(DEFAULT_MESSAGE)
    }

    /// Reads a stored value leniently: anything but `{"enabled": true, …}` is off, so a damaged
    /// row can never lock writes out.
    fn from_stored(value: &Value, updated_at: DateTime<Utc>) -> Self {
        Self {
            enabled: value.get("enabled").and_then(Value::as_bool) == Some(true),
            message: value
                .get("message")
                .and_then(Value::as_str)
                .map(str::to_owned),
            updated_at: Some(updated_at),
        }
    }
}

/// Trims the message; empty means none. At most [`MAX_MESSAGE_LEN`] characters, no control
/// characters (it is echoed in every refused response).
pub fn parse_message(raw: Option<&str>) -> std::result::Result<Option<String>, FieldError> {
    let Some(message) = raw.map(str::trim).filter(|m| !m.is_empty()) else {
        return Ok(None);
    };
    if message.chars().count() > MAX_MESSAGE_LEN {
        return Err(FieldError::new("message", "must be at most 500 characters"));
    }
    if message.chars().any(char::is_control) {
        return Err(FieldError::new(
            "message",
            "must not contain control characters",
        ));
    }
    Ok(Some(message.to_owned()))
}

fn key() -> Result<SettingKey> {
    SettingKey::parse(SETTING_KEY)
}

/// The stored switch, straight from the database (callers on the request path cache it).
pub async fn current(core: &Core) -> Result<MaintenanceMode> {
    Ok(match core.store.get_setting(&key()?).await? {
        Some(setting) => MaintenanceMode::from_stored(&setting.value, setting.updated_at),
        None => MaintenanceMode::default(),
    })
}

/// Turns maintenance mode on or off, audited as `maintenance_mode.enabled|disabled`.
pub async fn set(
    core: &Core,
    principal: &Principal,
    enabled: bool,
    message: Option<String>,
    ctx: &RequestContext,
) -> Result<MaintenanceMode> {
    require_platform_admin(principal)?;
    let value = json!({"enabled": enabled, "message": message});
    let action = if enabled {
        "maintenance_mode.enabled"
    } else {
        "maintenance_mode.disabled"
    };
    let stored = put_audited(core, principal, &key()?, &value, action, value.clone(), ctx).await?;
    Ok(MaintenanceMode::from_stored(
        &stored.value,
        stored.updated_at,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_messages_are_none_and_others_are_trimmed() {
        assert_eq!(parse_message(None).unwrap(), None);
        assert_eq!(parse_message(Some("   ")).unwrap(), None);
        assert_eq!(
            parse_message(Some(" back at 5 ")).unwrap().as_deref(),
            Some("back at 5")
        );
    }

    #[test]
    fn long_or_control_character_messages_are_refused() {
        assert!(parse_message(Some(&"x".repeat(501))).is_err());
        assert!(parse_message(Some(&"x".repeat(500))).is_ok());
        assert!(parse_message(Some("a\u{0}b")).is_err());
    }

    #[test]
    fn a_damaged_stored_value_reads_as_off() {
        let at = chrono::DateTime::<Utc>::default();
        assert!(!MaintenanceMode::from_stored(&json!("on"), at).enabled);
        assert!(!MaintenanceMode::from_stored(&json!({"enabled": "yes"}), at).enabled);
        assert!(MaintenanceMode::from_stored(&json!({"enabled": true}), at).enabled);
    }
}
