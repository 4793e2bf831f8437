//! Managing API keys: create (the secret is returned once), update, rotate (the old secret
//! stops working at once), revoke, list. A key's scopes never exceed its creator's permissions
//! in the organization; managing a key needs `api_keys:write` there, or being its creator.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::api_keys::{ApiKey, ApiKeyUpdate, NewApiKey, KEY_PREFIX, MAX_KEYS_PER_ORG};
use crate::audit::{AuditEntry, RequestContext};
use crate::auth::principal::Principal;
use crate::context::Core;
use crate::crypto::secret_digest;
use crate::error::{AuthFailure, Error, FieldError, Result};
use crate::ids::ApiKeyId;
use crate::orgs::orgs::{hide_foreign, org_entry};
use crate::rbac::check::{access, OrgAccess};
use crate::rbac::permissions::Permission;

/// A new secret: `sk_live_` + 64 hex (256 bits), its digest and its 12-character prefix.
pub struct Secret {
    pub key: String,
    pub digest: String,
    pub prefix: String,
}

pub fn new_secret() -> Secret {
    let mut bytes = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    let key = format!("{KEY_PREFIX}{}", hex::encode(bytes));
    let digest = secret_digest(&key);
    let prefix = key[..KEY_PREFIX.len() + 4].to_owned();
    Secret {
        key,
        digest,
        prefix,
    }
}

fn key_entry(
    core: &Core,
    principal: &Principal,
    action: &str,
    key: &ApiKey,
    ctx: &RequestContext,
) -> AuditEntry {
    org_entry(core, principal, action, key.organization_id, ctx).target("api_key", key.id)
}

pub struct CreateKey {
    pub name: String,
    pub scopes: Vec<Permission>,
    pub rate_limit_per_min: u32,
    pub expires_at: Option<DateTime<Utc>>,
}

pub async fn create(
    core: &Core,
    principal: &Principal,
    access: &OrgAccess,
    request: CreateKey,
    ctx: &RequestContext,
) -> Result<(ApiKey, String)> {
    check_scopes(access, &request.scopes)?;
    let now = core.clock.now();
    check_expiry(request.expires_at, now)?;
    if core.store.count_api_keys(access.org.id).await? >= MAX_KEYS_PER_ORG {
        return Err(Error::Validation(vec![FieldError::new(
            "organization_id",
            "has reached its limit of 100 API keys",
        )]));
    }
    let secret = new_secret();
    let key = ApiKey {
        id: ApiKeyId::new(),
        organization_id: access.org.id,
        user_id: principal.user_id(),
        name: request.name,
        key_prefix: secret.prefix,
        scopes: request.scopes,
        rate_limit_per_min: request.rate_limit_per_min,
        is_active: true,
        last_used_at: None,
        expires_at: request.expires_at,
        revoked_at: None,
        created_at: now,
        updated_at: now,
    };
    let data = json!({"id": key.id, "organization_id": key.organization_id, "name": key.name, "prefix": key.display_prefix()});
    let audit =
        [key_entry(core, principal, "api_key.created", &key, ctx).emits("api_key.created", data)];
    let stored = NewApiKey {
        key,
        key_hash: secret.digest,
    };
    Ok((
        core.store.create_api_key(&stored, &audit).await?,
        secret.key,
    ))
}

fn check_scopes(access: &OrgAccess, scopes: &[Permission]) -> Result<()> {
    if scopes.iter().all(|s| access.allows(s)) {
        Ok(())
    } else {
        Err(Error::auth(AuthFailure::InsufficientPermissions))
    }
}

fn check_expiry(expires_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Result<()> {
    match expires_at {
        Some(at) if at <= now => Err(Error::Validation(vec![FieldError::new(
            "expires_at",
            "must be in the future",
        )])),
        _ => Ok(()),
    }
}

/// The key `id` with the caller's access to its organization: `api_keys:read` (or being its
/// creator) to see it, `api_keys:write` (or being its creator) to change it. Keys of other
/// organizations are 404.
pub async fn authorize_key(
    core: &Core,
    principal: &Principal,
    id: ApiKeyId,
    write: bool,
) -> Result<(ApiKey, OrgAccess)> {
    let key = core.store.get_api_key(id).await?.ok_or(Error::NotFound)?;
    let access = access(core, principal, key.organization_id)
        .await
        .map_err(hide_foreign)?;
    let is_creator = matches!(principal, Principal::User(u) if key.user_id == Some(u.user_id));
    if !is_creator {
        access.require(if write {
            "api_keys:write"
        } else {
            "api_keys:read"
        })?;
    }
    Ok((key, access))
}

pub async fn update(
    core: &Core,
    principal: &Principal,
    id: ApiKeyId,
    update: ApiKeyUpdate,
    ctx: &RequestContext,
) -> Result<ApiKey> {
    let (key, access) = authorize_key(core, principal, id, true).await?;
    if let Some(scopes) = &update.scopes {
        check_scopes(&access, scopes)?;
    }
    if let Some(expires_at) = update.expires_at {
        check_expiry(expires_at, core.clock.now())?;
    }
    let audit = [key_entry(core, principal, "api_key.updated", &key, ctx)];
    core.store
        .update_api_key(id, &update, core.clock.now(), &audit)
        .await?
        .ok_or(Error::NotFound)
}

/// A new secret for the key; the previous one fails from now on. Returns the key, the new
/// secret and the previous display prefix.
pub async fn rotate(
    core: &Core,
    principal: &Principal,
    id: ApiKeyId,
    ctx: &RequestContext,
) -> Result<(ApiKey, String, String)> {
    let (key, _) = authorize_key(core, principal, id, true).await?;
    if key.revoked_at.is_some() {
        return Err(Error::NotFound);
    }
    let secret = new_secret();
    let audit = [key_entry(core, principal, "api_key.rotated", &key, ctx)];
    if !core
        .store
        .rotate_api_key(id, &secret.digest, &secret.prefix, core.clock.now(), &audit)
        .await?
    {
        return Err(Error::NotFound);
    }
    let rotated = core.store.get_api_key(id).await?.ok_or(Error::NotFound)?;
    Ok((rotated, secret.key, key.display_prefix()))
}

pub async fn revoke(
    core: &Core,
    principal: &Principal,
    id: ApiKeyId,
    ctx: &RequestContext,
) -> Result<()> {
    let (key, _) = authorize_key(core, principal, id, true).await?;
    let data = json!({"id": key.id, "organization_id": key.organization_id});
    let audit =
        [key_entry(core, principal, "api_key.revoked", &key, ctx).emits("api_key.revoked", data)];
    if core
        .store
        .revoke_api_key(id, core.clock.now(), &audit)
        .await?
    {
        Ok(())
    } else {
        Err(Error::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_sk_live_and_64_hex_with_a_12_character_prefix() {
        let s = new_secret();
        assert_eq!(s.key.len(), 8 + 64);
        assert!(s.key.starts_with("sk_live_"));
        assert!(s.key[8..].bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(s.prefix.len(), 12);
        assert_eq!(s.digest, secret_digest(&s.key));
        assert_ne!(new_secret().key, s.key);
    }
}
