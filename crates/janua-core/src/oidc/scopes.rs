//! Scopes (RFC 6749 §3.3): a space-separated set, parsed at the edge into a sorted, deduplicated
//! list. The scopes Janua knows and which claims each one releases.

use std::collections::BTreeSet;

use crate::oidc::error::OAuthError;

pub const OPENID: &str = "openid";
pub const PROFILE: &str = "profile";
pub const EMAIL: &str = "email";
pub const OFFLINE_ACCESS: &str = "offline_access";
pub const ORGANIZATION: &str = "organization";
pub const ADMIN: &str = "admin";

/// The scopes advertised in discovery.
pub const SUPPORTED: [&str; 5] = [OPENID, PROFILE, EMAIL, OFFLINE_ACCESS, ORGANIZATION];

/// The default `allowed_scopes` of a new client.
pub const DEFAULT_ALLOWED: [&str; 3] = [OPENID, PROFILE, EMAIL];

const MAX_SCOPES: usize = 50;
const MAX_SCOPE_LEN: usize = 100;

/// A validated scope set, in a stable order (insertion order of the request, deduplicated).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scopes(Vec<String>);

impl Scopes {
    /// Parses a `scope` parameter: space-separated NQSCHAR tokens (RFC 6749 §3.3).
    pub fn parse(raw: &str) -> Result<Self, OAuthError> {
        let mut seen = BTreeSet::new();
        let mut scopes = Vec::new();
        for token in raw.split(' ').filter(|t| !t.is_empty()) {
            if token.len() > MAX_SCOPE_LEN
                || !token
                    .bytes()
                    .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
            {
                return Err(OAuthError::invalid_scope("malformed scope"));
            }
            if seen.insert(token.to_owned()) {
                scopes.push(token.to_owned());
            }
        }
        if scopes.len() > MAX_SCOPES {
            return Err(OAuthError::invalid_scope("too many scopes"));
        }
        Ok(Self(scopes))
    }

    pub fn from_list(list: &[String]) -> Self {
        let mut seen = BTreeSet::new();
        Self(
            list.iter()
                .filter(|s| seen.insert((*s).clone()))
                .cloned()
                .collect(),
        )
    }

    pub fn contains(&self, scope: &str) -> bool {
        self.0.iter().any(|s| s == scope)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    pub fn into_vec(self) -> Vec<String> {
        self.0
    }

    /// Whether every scope here is in `other`.
    pub fn is_subset_of(&self, other: &[String]) -> bool {
        self.0.iter().all(|s| other.contains(s))
    }

    /// The space-separated form.
    pub fn joined(&self) -> String {
        self.0.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_split_on_spaces_and_deduplicated_in_order() {
        let s = Scopes::parse("openid  email openid profile").unwrap();
        assert_eq!(s.joined(), "openid email profile");
        assert!(s.contains("email"));
    }

    #[test]
    fn quotes_backslashes_and_control_characters_are_refused() {
        for bad in ["a\"b", "a\\b", "a\u{7}b"] {
            assert!(Scopes::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_subset_is_recognised() {
        let s = Scopes::parse("openid email").unwrap();
        assert!(s.is_subset_of(&["openid".into(), "email".into(), "profile".into()]));
        assert!(!s.is_subset_of(&["openid".into()]));
    }
}
