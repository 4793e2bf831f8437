//! [`Secret`]: a configuration value (key, password, token, DSN) that must never reach logs,
//! error messages or the admin API. Reading it takes an explicit [`Secret::expose`].

use std::fmt;

use serde::{Serialize, Serializer};

/// A secret string. `Debug` and `Display` print `[redacted]`; serializing yields `"***"`.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The raw value, for the one place that needs it (a key derivation, an SMTP login, …).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str("***")
    }
}

/// Constant-time, so comparing a presented token with a configured one leaks nothing.
impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        janua_core::crypto::constant_time_eq(self.0.as_bytes(), other.0.as_bytes())
    }
}

impl Eq for Secret {}
