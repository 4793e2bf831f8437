//! Client authentication (RFC 6749 §2.3.1): `client_secret_basic`, `client_secret_post`, or
//! `none` for public clients. Secrets are compared as SHA-256 digests in constant time against
//! the primary and every rotated secret still in its grace period.

use std::sync::Arc;

use crate::context::Core;
use crate::crypto::{constant_time_eq, secret_digest};
use crate::error::Result;
use crate::oidc::client_cache::{load_client, CachedClient};
use crate::oidc::error::OAuthError;

/// Longest client id or secret worth looking up.
const MAX_CREDENTIAL_LEN: usize = 512;

/// How the client presented itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientCredentials {
    /// `Authorization: Basic` (already form-decoded).
    Basic { client_id: String, secret: String },
    /// `client_id` and `client_secret` in the form body.
    Post { client_id: String, secret: String },
    /// `client_id` alone: a public client.
    None { client_id: String },
}

impl ClientCredentials {
    pub fn client_id(&self) -> &str {
        match self {
            ClientCredentials::Basic { client_id, .. }
            | ClientCredentials::Post { client_id, .. }
            | ClientCredentials::None { client_id } => client_id,
        }
    }

    fn secret(&self) -> Option<&str> {
        match self {
            ClientCredentials::Basic { secret, .. } | ClientCredentials::Post { secret, .. } => {
                Some(secret)
            }
            ClientCredentials::None { .. } => None,
        }
    }
}

fn failed() -> crate::Error {
    OAuthError::invalid_client("client authentication failed").into()
}

/// The authenticated client. `allow_public`: whether `none` is acceptable here (token and
/// revocation endpoints; not introspection). Every failure is `invalid_client`.
pub async fn authenticate_client(
    core: &Core,
    credentials: &ClientCredentials,
    allow_public: bool,
) -> Result<Arc<CachedClient>> {
    let client_id = credentials.client_id();
    if client_id.is_empty() || client_id.len() > MAX_CREDENTIAL_LEN {
        return Err(failed());
    }
    let entry = load_client(core, client_id).await?.ok_or_else(failed)?;
    if !entry.client.spec.is_active {
        return Err(failed());
    }
    match (entry.client.spec.is_confidential, credentials.secret()) {
        (true, Some(secret)) if secret_matches(core, &entry, secret) => Ok(entry),
        (false, None) if allow_public => Ok(entry),
        _ => Err(failed()),
    }
}

fn secret_matches(core: &Core, entry: &CachedClient, secret: &str) -> bool {
    if secret.is_empty() || secret.len() > MAX_CREDENTIAL_LEN {
        return false;
    }
    let now = core.clock.now();
    let digest = secret_digest(secret);
    // Every candidate is compared, so timing does not reveal which one matched.
    entry
        .secrets
        .iter()
        .filter(|s| s.is_valid(now))
        .fold(false, |found, s| {
            constant_time_eq(digest.as_bytes(), s.secret_hash.as_bytes()) | found
        })
}
