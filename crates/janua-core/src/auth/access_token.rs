//! Access tokens (API.md §3): the claims Janua puts in them and the signer port that turns
//! claims into a JWT and back. The key ring implements [`TokenSigner`]; this module only knows
//! claims.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::Result;

/// `aud` may be one string or an array; Janua writes a string when there is one audience.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Audience(pub Vec<String>);

impl Audience {
    pub fn contains(&self, audience: &str) -> bool {
        self.0.iter().any(|a| a == audience)
    }
}

impl Serialize for Audience {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        match self.0.as_slice() {
            [one] => serializer.serialize_str(one),
            many => many.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for Audience {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum OneOrMany {
            One(String),
            Many(Vec<String>),
        }
        Ok(match OneOrMany::deserialize(deserializer)? {
            OneOrMany::One(one) => Audience(vec![one]),
            OneOrMany::Many(many) => Audience(many),
        })
    }
}

/// The claims of every Janua access token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub sub: String,
    pub aud: Audience,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub jti: String,
    /// Always `access`; refresh tokens are opaque, ID tokens have no `type`.
    #[serde(rename = "type")]
    pub token_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_role: Option<String>,
    #[serde(default)]
    pub roles: Vec<String>,
    /// How the session was authenticated (RFC 8176), when the issuer put it in the token.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub amr: Vec<String>,
}

pub const ACCESS_TOKEN_TYPE: &str = "access";

/// Signs claims into a JWT with the active key, and verifies a JWT's signature, `kid`,
/// algorithm, `iss`, `aud` and time claims. Revocation is checked separately.
pub trait TokenSigner: Send + Sync {
    fn sign_access(&self, claims: &AccessClaims) -> Result<String>;
    /// `Err(Error::Unauthorized)` for any token that is not valid (signature, `kid`,
    /// algorithm, `iss`, `aud`, `exp`, `nbf`).
    fn verify_access(&self, token: &str) -> Result<AccessClaims>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_single_audience_is_a_string_and_several_an_array() {
        assert_eq!(
            serde_json::to_string(&Audience(vec!["janua".into()])).unwrap(),
            "\"janua\""
        );
        assert_eq!(
            serde_json::to_string(&Audience(vec!["a".into(), "b".into()])).unwrap(),
            "[\"a\",\"b\"]"
        );
        let parsed: Audience = serde_json::from_str("\"janua\"").unwrap();
        assert!(parsed.contains("janua"));
        let parsed: Audience = serde_json::from_str("[\"x\",\"janua\"]").unwrap();
        assert!(parsed.contains("janua"));
    }
}
