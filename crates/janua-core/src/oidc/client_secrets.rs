//! Client secret rotation (API.md §10): a new primary secret, the old ones accepted for a grace
//! period (0–168 h), the secret list with its health, and revocation of non-primary secrets.

use chrono::{DateTime, Duration, Utc};

use crate::audit::{Actor, AuditEntry, RequestContext};
use crate::context::Core;
use crate::error::{Error, FieldError, Result};
use crate::ids::OAuthClientId;
use crate::oidc::client_admin::{get_managed_client, Manager};
use crate::oidc::clients::{generate_secret, ClientSecret, OAuthClient};

pub const MAX_GRACE_HOURS: i64 = 168;
/// A primary secret older than this should be rotated.
pub const MAX_SECRET_AGE_DAYS: i64 = 90;

pub struct Rotated {
    pub client_id: String,
    pub secret: String,
    pub rotated_at: DateTime<Utc>,
    pub grace_period_hours: i64,
    pub old_secrets_expire_at: DateTime<Utc>,
}

fn entry(
    action: &str,
    manager: &Manager,
    client: &OAuthClient,
    context: &RequestContext,
    at: DateTime<Utc>,
    details: serde_json::Value,
) -> AuditEntry {
    AuditEntry::new(
        action,
        Actor::user(manager.user_id, manager.email.as_deref()),
        context,
        at,
    )
    .target("oauth_client", client.id)
    .details(details)
}

pub async fn rotate_secret(
    core: &Core,
    manager: &Manager,
    id: OAuthClientId,
    grace_hours: Option<i64>,
    context: &RequestContext,
) -> Result<Rotated> {
    let client = get_managed_client(core, manager, id).await?;
    let grace_hours = grace_hours.unwrap_or(core.oauth.secret_rotation_grace.num_hours());
    if !(0..=MAX_GRACE_HOURS).contains(&grace_hours) {
        return Err(Error::Validation(vec![FieldError::new(
            "grace_period_hours",
            "must be between 0 and 168",
        )]));
    }
    if !client.spec.is_confidential {
        return Err(Error::Validation(vec![FieldError::new(
            "client",
            "public clients have no secret",
        )]));
    }
    let now = core.clock.now();
    let generated = generate_secret(client.id, now);
    let expire_at = now + Duration::hours(grace_hours);
    let details =
        serde_json::json!({"client_id": client.client_id, "grace_period_hours": grace_hours});
    let entries = [entry(
        "oauth_client.secret_rotated",
        manager,
        &client,
        context,
        now,
        details,
    )];
    core.store
        .rotate_client_secret(&generated.row, expire_at, &entries)
        .await?;
    core.oauth_clients.invalidate(&client.client_id);
    Ok(Rotated {
        client_id: client.client_id,
        secret: generated.secret,
        rotated_at: now,
        grace_period_hours: grace_hours,
        old_secrets_expire_at: expire_at,
    })
}

pub async fn list_secrets(
    core: &Core,
    manager: &Manager,
    id: OAuthClientId,
) -> Result<(OAuthClient, Vec<ClientSecret>)> {
    let client = get_managed_client(core, manager, id).await?;
    let secrets = core.store.list_client_secrets(client.id).await?;
    Ok((client, secrets))
}

/// Revokes one rotated secret; the primary cannot be revoked (`Conflict`).
pub async fn revoke_secret(
    core: &Core,
    manager: &Manager,
    id: OAuthClientId,
    secret_id: uuid::Uuid,
    context: &RequestContext,
) -> Result<()> {
    let client = get_managed_client(core, manager, id).await?;
    let secrets = core.store.list_client_secrets(client.id).await?;
    let secret = secrets
        .iter()
        .find(|s| s.id == secret_id)
        .ok_or(Error::NotFound)?;
    if secret.is_primary && secret.revoked_at.is_none() {
        return Err(Error::Conflict {
            what: "primary secret".into(),
        });
    }
    let now = core.clock.now();
    let details = serde_json::json!({"client_id": client.client_id, "secret_id": secret_id});
    let entries = [entry(
        "oauth_client.secret_revoked",
        manager,
        &client,
        context,
        now,
        details,
    )];
    core.store
        .revoke_client_secrets(client.id, Some(secret_id), now, &entries)
        .await?;
    core.oauth_clients.invalidate(&client.client_id);
    Ok(())
}

/// Revokes every secret but the primary; the number revoked.
pub async fn revoke_old_secrets(
    core: &Core,
    manager: &Manager,
    id: OAuthClientId,
    context: &RequestContext,
) -> Result<u64> {
    let client = get_managed_client(core, manager, id).await?;
    let now = core.clock.now();
    let details = serde_json::json!({"client_id": client.client_id, "all_old": true});
    let entries = [entry(
        "oauth_client.secret_revoked",
        manager,
        &client,
        context,
        now,
        details,
    )];
    let count = core
        .store
        .revoke_client_secrets(client.id, None, now, &entries)
        .await?;
    core.oauth_clients.invalidate(&client.client_id);
    Ok(count)
}
