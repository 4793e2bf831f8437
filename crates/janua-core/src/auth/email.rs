//! Email addresses as the API treats them (API.md §0): trimmed, domain lower-cased, at most 254
//! characters, compared case-insensitively through their normalised form.

use std::fmt;

use crate::error::{Error, FieldError};

/// A syntactically valid email address, as the user wrote it but with the domain lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

pub const MAX_EMAIL_LEN: usize = 254;

impl Email {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        Self::parse_field("email", raw)
    }

    /// As [`Email::parse`], naming `field` in the error.
    pub fn parse_field(field: &str, raw: &str) -> Result<Self, FieldError> {
        let trimmed = raw.trim();
        let invalid = || FieldError::new(field, "invalid email");
        if trimmed.is_empty() || trimmed.len() > MAX_EMAIL_LEN {
            return Err(invalid());
        }
        let (local, domain) = trimmed.rsplit_once('@').ok_or_else(invalid)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if !local_ok || !domain_ok {
            return Err(invalid());
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form used for uniqueness and lookups: entirely lower-case.
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }

    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or("")
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Normalises an email-like string for lockout counting even when it is not valid, so that
/// every attempt, valid or not, counts against the same key.
pub fn lockout_key(raw: &str) -> String {
    raw.trim().to_lowercase()
}

impl From<FieldError> for Error {
    fn from(e: FieldError) -> Self {
        Error::Validation(vec![e])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_trimmed_and_their_domain_lower_cased() {
        let email = Email::parse("  Alice.Smith@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "Alice.Smith@example.com");
        assert_eq!(email.normalized(), "alice.smith@example.com");
    }

    #[test]
    fn malformed_addresses_are_rejected() {
        let too_long = format!("{}@example.com", "a".repeat(250));
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@b",
            "a@@b.com",
            "a b@c.com",
            "a@-b.com",
            ".a@b.com",
            "a..b@c.com",
            "<script>@x.com",
            &too_long,
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn plus_addressing_and_unicode_domains_are_accepted() {
        assert!(Email::parse("bob+tag@sub.example.org").is_ok());
        assert!(Email::parse("josé@exämple.de").is_ok());
    }
}
