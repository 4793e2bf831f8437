//! OAuth clients (API.md §10): the registered application, the rules its fields must follow,
//! and its secrets. A secret is `jns_` + 256 random bits, stored only as its SHA-256 digest.

use chrono::{DateTime, Utc};

use crate::crypto::{random_token, secret_digest};
use crate::error::{Error, FieldError, Result};
use crate::ids::{OAuthClientId, OrgId, UserId};
use crate::oidc::scopes;
use crate::tokens::keys::SigningAlgorithm;

pub const GRANT_AUTHORIZATION_CODE: &str = "authorization_code";
pub const GRANT_REFRESH_TOKEN: &str = "refresh_token";
pub const GRANT_CLIENT_CREDENTIALS: &str = "client_credentials";
pub const GRANT_DEVICE_CODE: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// Grant types a client may be given.
pub const GRANT_TYPES: [&str; 4] = [
    GRANT_AUTHORIZATION_CODE,
    GRANT_REFRESH_TOKEN,
    GRANT_CLIENT_CREDENTIALS,
    GRANT_DEVICE_CODE,
];

pub const MAX_NAME_LEN: usize = 255;
pub const MAX_DESCRIPTION_LEN: usize = 1000;
pub const MAX_REDIRECT_URIS: usize = 20;
const MAX_URL_LEN: usize = 2048;
const MAX_AUDIENCE_LEN: usize = 255;

/// Everything about a client that its managers choose.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientSpec {
    pub name: String,
    pub description: Option<String>,
    pub redirect_uris: Vec<String>,
    pub allowed_scopes: Vec<String>,
    pub grant_types: Vec<String>,
    pub audience: Option<String>,
    /// The caller's own idempotency key for `POST /register`.
    pub client_key: Option<String>,
    pub logo_url: Option<String>,
    pub website_url: Option<String>,
    pub is_active: bool,
    pub is_confidential: bool,
    pub is_first_party: bool,
    pub signing_alg: Option<SigningAlgorithm>,
    pub organization_id: Option<OrgId>,
}

impl ClientSpec {
    /// A spec with the defaults of API.md §10 (confidential, `openid profile email`, code and
    /// refresh grants).
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            description: None,
            redirect_uris: Vec::new(),
            allowed_scopes: scopes::DEFAULT_ALLOWED
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            grant_types: vec![
                GRANT_AUTHORIZATION_CODE.to_owned(),
                GRANT_REFRESH_TOKEN.to_owned(),
            ],
            audience: None,
            client_key: None,
            logo_url: None,
            website_url: None,
            is_active: true,
            is_confidential: true,
            is_first_party: false,
            signing_alg: None,
            organization_id: None,
        }
    }

    pub fn allows_grant(&self, grant: &str) -> bool {
        self.grant_types.iter().any(|g| g == grant)
    }

    /// Whether `uri` is registered, compared exactly (RFC 9700 §2.1).
    pub fn has_redirect_uri(&self, uri: &str) -> bool {
        self.redirect_uris.iter().any(|r| r == uri)
    }

    /// Checks every field; `privileged` callers (admins) may also use the `admin` scope and
    /// mark clients first-party.
    pub fn validate(&self, privileged: bool) -> Result<()> {
        let mut errors = Vec::new();
        let mut bad = |field: &str, message: &str| errors.push(FieldError::new(field, message));
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME_LEN || has_control(name) {
            bad("name", "must be 1 to 255 characters");
        }
        if let Some(d) = &self.description {
            if d.chars().count() > MAX_DESCRIPTION_LEN || d.contains('\0') {
                bad("description", "must be at most 1000 characters");
            }
        }
        if self.redirect_uris.len() > MAX_REDIRECT_URIS {
            bad("redirect_uris", "at most 20 redirect URIs");
        }
        for uri in &self.redirect_uris {
            if !valid_redirect_uri(uri, self.is_confidential) {
                bad(
                    "redirect_uris",
                    "each must be an https URL, a loopback http URL, or (public clients) a private-use scheme, without fragment",
                );
                break;
            }
        }
        if self.allowed_scopes.is_empty() || self.allowed_scopes.len() > 50 {
            bad("allowed_scopes", "1 to 50 scopes");
        }
        for scope in &self.allowed_scopes {
            if !valid_allowed_scope(scope) {
                bad("allowed_scopes", "unknown scope (use openid, profile, email, offline_access, organization, api, admin or resource:action)");
                break;
            }
        }
        if self.allowed_scopes.iter().any(|s| s == scopes::ADMIN) && !privileged {
            bad(
                "allowed_scopes",
                "only administrators may grant the admin scope",
            );
        }
        if self.is_first_party && !privileged {
            bad(
                "is_first_party",
                "only administrators may create first-party clients",
            );
        }
        if self.grant_types.is_empty()
            || self
                .grant_types
                .iter()
                .any(|g| !GRANT_TYPES.contains(&g.as_str()))
        {
            bad("grant_types", "must be a non-empty subset of authorization_code, refresh_token, client_credentials, urn:ietf:params:oauth:grant-type:device_code");
        }
        if !self.is_confidential && self.allows_grant(GRANT_CLIENT_CREDENTIALS) {
            bad(
                "grant_types",
                "client_credentials needs a confidential client",
            );
        }
        if let Some(a) = &self.audience {
            if a.trim().is_empty() || a.len() > MAX_AUDIENCE_LEN || has_control(a) {
                bad("audience", "must be 1 to 255 characters");
            }
        }
        if let Some(k) = &self.client_key {
            if k.trim().is_empty() || k.len() > MAX_AUDIENCE_LEN || has_control(k) {
                bad("client_key", "must be 1 to 255 characters");
            }
        }
        for (field, url) in [
            ("logo_url", &self.logo_url),
            ("website_url", &self.website_url),
        ] {
            if let Some(url) = url {
                if !is_web_url(url) {
                    bad(field, "must be an http(s) URL");
                }
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Error::Validation(errors))
        }
    }
}

fn has_control(text: &str) -> bool {
    text.chars().any(char::is_control)
}

fn is_web_url(url: &str) -> bool {
    url.len() <= MAX_URL_LEN
        && !has_control(url)
        && (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() > "https://".len()
}

fn is_loopback_host(host: &str) -> bool {
    matches!(host, "localhost" | "127.0.0.1" | "[::1]")
}

/// https, http on loopback, or a private-use scheme (`com.example.app:/cb`, RFC 8252 §7.1) for
/// public clients; never a fragment, userinfo or whitespace.
pub fn valid_redirect_uri(uri: &str, confidential: bool) -> bool {
    if uri.len() > MAX_URL_LEN
        || uri.is_empty()
        || has_control(uri)
        || uri.contains(' ')
        || uri.contains('#')
    {
        return false;
    }
    let Some((scheme, rest)) = uri.split_once(':') else {
        return false;
    };
    let scheme = scheme.to_ascii_lowercase();
    match scheme.as_str() {
        "https" | "http" => {
            let Some(rest) = rest.strip_prefix("//") else {
                return false;
            };
            let authority = rest.split(['/', '?']).next().unwrap_or("");
            if authority.is_empty() || authority.contains('@') || authority.contains('\\') {
                return false;
            }
            let host = authority
                .rsplit_once(':')
                .filter(|(h, port)| !h.ends_with(']') || port.chars().all(|c| c.is_ascii_digit()))
                .map(|(h, _)| h)
                .unwrap_or(authority);
            scheme == "https" || is_loopback_host(host)
        }
        "javascript" | "data" | "file" | "vbscript" => false,
        other => {
            !confidential
                && other.contains('.')
                && other
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'-'))
                && !rest.is_empty()
        }
    }
}

fn valid_allowed_scope(scope: &str) -> bool {
    const KNOWN: [&str; 7] = [
        scopes::OPENID,
        scopes::PROFILE,
        scopes::EMAIL,
        scopes::OFFLINE_ACCESS,
        scopes::ORGANIZATION,
        "api",
        scopes::ADMIN,
    ];
    if KNOWN.contains(&scope) {
        return true;
    }
    let part = |p: &str| {
        !p.is_empty()
            && p.len() <= 50
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
    };
    matches!(scope.split_once(':'), Some((res, action)) if part(res) && part(action))
}

/// A pinned `client_id`: `^jnc_[A-Za-z0-9_-]{8,56}$`.
pub fn valid_pinned_client_id(client_id: &str) -> bool {
    client_id.strip_prefix("jnc_").is_some_and(|rest| {
        (8..=56).contains(&rest.len())
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    })
}

/// A stored client.
#[derive(Debug, Clone, PartialEq)]
pub struct OAuthClient {
    pub id: OAuthClientId,
    /// The public identifier, `jnc_…`.
    pub client_id: String,
    pub spec: ClientSpec,
    pub created_by: Option<UserId>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A stored client secret (the digest, never the secret).
#[derive(Debug, Clone, PartialEq)]
pub struct ClientSecret {
    pub id: uuid::Uuid,
    pub client: OAuthClientId,
    pub secret_hash: String,
    /// The first 12 characters of the secret followed by `...`, to recognise it.
    pub prefix: String,
    pub is_primary: bool,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl ClientSecret {
    /// Accepted for client authentication at `now`.
    pub fn is_valid(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| e > now)
    }
}

/// A freshly generated secret: the value to show once and the row to store.
pub struct GeneratedSecret {
    pub secret: String,
    pub row: ClientSecret,
}

pub fn generate_secret(client: OAuthClientId, now: DateTime<Utc>) -> GeneratedSecret {
    let secret = format!("jns_{}", random_token(32));
    let row = ClientSecret {
        id: uuid::Uuid::now_v7(),
        client,
        secret_hash: secret_digest(&secret),
        prefix: format!("{}...", &secret[..12]),
        is_primary: true,
        created_at: now,
        expires_at: None,
        revoked_at: None,
        last_used_at: None,
    };
    GeneratedSecret { secret, row }
}

/// A new public identifier, `jnc_` + 144 random bits.
pub fn generate_client_id() -> String {
    format!("jnc_{}", random_token(18))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_follow_the_registration_rules() {
        assert!(valid_redirect_uri("https://app.example.com/cb", true));
        assert!(valid_redirect_uri("http://localhost:3000/cb", true));
        assert!(valid_redirect_uri("http://127.0.0.1/cb", false));
        assert!(!valid_redirect_uri("http://app.example.com/cb", true));
        assert!(!valid_redirect_uri("https://app.example.com/cb#frag", true));
        assert!(!valid_redirect_uri("https://user@app.example.com/cb", true));
        assert!(!valid_redirect_uri("javascript:alert(1)", false));
        assert!(valid_redirect_uri("com.example.app:/callback", false));
        assert!(!valid_redirect_uri("com.example.app:/callback", true));
    }

    #[test]
    fn pinned_client_ids_match_the_contract_pattern() {
        assert!(valid_pinned_client_id("jnc_abcdefgh"));
        assert!(!valid_pinned_client_id("jnc_short"));
        assert!(!valid_pinned_client_id("abc_abcdefgh"));
        assert!(!valid_pinned_client_id(&format!("jnc_{}", "a".repeat(57))));
    }

    #[test]
    fn only_administrators_grant_admin_or_first_party() {
        let mut spec = ClientSpec::named("App");
        spec.allowed_scopes.push("admin".into());
        assert!(spec.validate(false).is_err());
        assert!(spec.validate(true).is_ok());
    }

    #[test]
    fn public_clients_cannot_use_client_credentials() {
        let mut spec = ClientSpec::named("App");
        spec.is_confidential = false;
        spec.grant_types = vec![GRANT_CLIENT_CREDENTIALS.into()];
        assert!(spec.validate(true).is_err());
    }

    #[test]
    fn secrets_are_prefixed_and_stored_as_digests() {
        let g = generate_secret(OAuthClientId::new(), chrono::DateTime::UNIX_EPOCH);
        assert!(g.secret.starts_with("jns_"));
        assert_eq!(g.row.prefix.len(), 15);
        assert_eq!(g.row.secret_hash, secret_digest(&g.secret));
    }
}
