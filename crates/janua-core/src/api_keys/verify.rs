//! A presented API key → the principal it stands for. The key is looked up by its SHA-256 and
//! the stored digest is compared again in constant time; unknown, revoked, inactive and expired
//! keys all fail alike (401 `INVALID_API_KEY`).

use crate::api_keys::KEY_PREFIX;
use crate::auth::principal::ApiKeyPrincipal;
use crate::context::Core;
use crate::crypto::{constant_time_eq, secret_digest};
use crate::error::{AuthFailure, Error, Result};

/// Longest key we hash: ours are 72 characters; imported ones are not much longer.
const MAX_KEY_LEN: usize = 256;

pub fn looks_like_api_key(raw: &str) -> bool {
    raw.starts_with(KEY_PREFIX) || raw.starts_with("jnk_")
}

pub async fn verify(core: &Core, raw: &str) -> Result<ApiKeyPrincipal> {
    let invalid = || Error::auth(AuthFailure::InvalidApiKey);
    if raw.is_empty() || raw.len() > MAX_KEY_LEN || !looks_like_api_key(raw) {
        return Err(invalid());
    }
    let digest = secret_digest(raw);
    let (key, stored) = core
        .store
        .find_api_key_by_hash(&digest)
        .await?
        .ok_or_else(invalid)?;
    if !constant_time_eq(stored.as_bytes(), digest.as_bytes()) || !key.is_usable(core.clock.now()) {
        return Err(invalid());
    }
    Ok(ApiKeyPrincipal {
        key_id: key.id,
        organization_id: key.organization_id,
        created_by: key.user_id,
        scopes: key.scopes,
        rate_limit_per_min: key.rate_limit_per_min,
    })
}

/// Records that a key was used, at most once a minute per key across instances (the cache
/// decides), so a busy key does not turn every request into a database write.
pub async fn note_use(core: &Core, key: &ApiKeyPrincipal) {
    let marker = format!("api_key_used:{}", key.key_id);
    let first = core
        .cache
        .set_if_absent(&marker, b"1", std::time::Duration::from_secs(60))
        .await;
    if matches!(first, Ok(true)) {
        if let Err(e) = core.store.touch_api_key(key.key_id, core.clock.now()).await {
            tracing::warn!(error = %e, "could not record API key use");
        }
    }
}
