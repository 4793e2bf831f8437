//! Platform administration (API.md §16): who counts as an administrator, platform counts,
//! account management beyond §6 (create, flags, delete, unlock), organizations across tenants,
//! and the admin-managed CORS origins. System settings live in [`crate::settings`].
//!
//! - [`store`]: the [`AdminStore`](store::AdminStore) trait.
//! - [`maintenance`]: the platform-wide maintenance switch (a system setting).
//! - [`custom_domain`]: the recorded OIDC custom domain (a system setting).

pub mod custom_domain;
pub mod maintenance;
pub mod store;

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::audit::{AuditEntry, RequestContext};
use crate::auth::email::{lockout_key, Email};
use crate::auth::principal::Principal;
use crate::auth::revocation::publish_revoked_sessions;
use crate::auth::sign_out::revoke_sessions;
use crate::auth::sign_up::taken;
use crate::auth::store::Lockout;
use crate::auth::users::{NewUser, User, UserStatus};
use crate::context::Core;
use crate::error::{AuthFailure, Error, FieldError, Result};
use crate::ids::{CorsOriginId, UserId};

/// The single `admin` check of API.md §0: a platform administrator's user token, or an OAuth
/// client's client-credentials token granted the `admin` scope. API keys never are.
pub fn require_platform_admin(principal: &Principal) -> Result<()> {
    match principal {
        Principal::User(user) if user.is_admin => Ok(()),
        Principal::OAuthClient(client) if client.is_admin() => Ok(()),
        _ => Err(Error::Forbidden),
    }
}

/// `GET /admin/stats`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlatformStats {
    pub total_users: u64,
    pub active_users: u64,
    pub mfa_enabled_users: u64,
    pub total_organizations: u64,
    pub active_sessions: u64,
    pub total_passkeys: u64,
}

pub async fn stats(core: &Core) -> Result<PlatformStats> {
    core.store.platform_stats(core.clock.now()).await
}

/// Records an administrative change to an account. The accounts store does not take audit
/// entries, so these are written right after the change rather than in its transaction.
/// The entry of an administrator's change to `user`, handed to the store method that makes
/// the change so both commit together. `event` also makes it a webhook event.
fn user_entry(
    core: &Core,
    principal: &Principal,
    action: &str,
    user: &User,
    event: Option<&str>,
    ctx: &RequestContext,
) -> AuditEntry {
    let entry = AuditEntry::new(action, principal.actor(), ctx, core.clock.now())
        .target("user", user.id)
        .concerning_user(user.id.as_uuid())
        .details(json!({"email": user.email, "by_admin": true}));
    match event {
        Some(event) => entry.emits(event, json!({"user_id": user.id, "email": user.email})),
        None => entry,
    }
}

pub struct CreateUser {
    pub email: Email,
    pub password: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub is_admin: bool,
    pub email_verified: bool,
}

/// Creates an account (passwordless when no password is given).
pub async fn create_user(
    core: &Core,
    principal: &Principal,
    request: CreateUser,
    ctx: &RequestContext,
) -> Result<User> {
    let hash = match &request.password {
        Some(password) => {
            let unmet = core.auth.password_policy.check("password", password);
            if !unmet.is_empty() {
                return Err(Error::auth(AuthFailure::WeakPassword(unmet)));
            }
            Some(core.passwords.hash(password).await?)
        }
        None => None,
    };
    if core
        .store
        .find_user_by_email(&request.email.normalized())
        .await?
        .is_some()
    {
        return Err(Error::auth(AuthFailure::EmailTaken));
    }
    let new = NewUser {
        id: UserId::new(),
        email: request.email,
        username: None,
        password_hash: hash,
        first_name: request.first_name,
        last_name: request.last_name,
        locale: None,
        email_verified: request.email_verified,
        is_admin: request.is_admin,
        created_at: core.clock.now(),
    };
    let audit = [
        AuditEntry::new("user.created", principal.actor(), ctx, new.created_at)
            .target("user", new.id)
            .concerning_user(new.id.as_uuid())
            .details(json!({"email": new.email.as_str(), "by_admin": true}))
            .emits(
                "user.created",
                json!({"user_id": new.id, "email": new.email.as_str()}),
            ),
    ];
    core.store.create_user(&new, &audit).await.map_err(taken)
}

#[derive(Debug, Default)]
pub struct UserFlags {
    pub status: Option<UserStatus>,
    pub is_admin: Option<bool>,
    pub email_verified: Option<bool>,
}

/// `PATCH /admin/users/{id}`: status (suspension revokes sessions), admin flag, verification.
/// The last active administrator cannot be demoted or suspended.
pub async fn update_user(
    core: &Core,
    principal: &Principal,
    id: UserId,
    flags: UserFlags,
    ctx: &RequestContext,
) -> Result<User> {
    let user = crate::auth::admin_users::get_user(core, id).await?;
    if user.status == UserStatus::Deleted {
        return Err(Error::NotFound);
    }
    let now = core.clock.now();
    let demotes =
        flags.is_admin == Some(false) || flags.status.is_some_and(|s| s != UserStatus::Active);
    if user.is_admin && demotes && core.store.count_admins().await? <= 1 {
        return Err(Error::auth(AuthFailure::SoleAdmin));
    }
    if let Some(status) = flags.status {
        if status == UserStatus::Deleted {
            return Err(Error::Validation(vec![FieldError::new(
                "status",
                "use DELETE to delete a user",
            )]));
        }
        // Each write carries its own entry and commits with it.
        let actor = principal.actor();
        match status {
            UserStatus::Suspended => {
                crate::auth::admin_users::suspend(core, actor, id, None, ctx).await?;
            }
            UserStatus::Active if user.status != UserStatus::Active => {
                crate::auth::admin_users::reactivate(core, actor, id, ctx).await?;
            }
            UserStatus::Active => {}
            other => {
                let entry = user_entry(
                    core,
                    principal,
                    "user.updated",
                    &user,
                    Some("user.updated"),
                    ctx,
                )
                .details(json!({"email": user.email, "by_admin": true, "status": other.as_str()}));
                core.store
                    .set_user_status(id, other, None, now, &[entry])
                    .await?;
                revoke_sessions(core, id, None, "status_changed", actor, ctx).await?;
            }
        }
    }
    if let Some(is_admin) = flags.is_admin {
        let entry = user_entry(
            core,
            principal,
            "user.updated",
            &user,
            Some("user.updated"),
            ctx,
        )
        .details(json!({"email": user.email, "by_admin": true, "is_admin": is_admin}));
        core.store.set_admin(id, is_admin, now, &[entry]).await?;
    }
    if let Some(verified) = flags.email_verified {
        let entry = user_entry(
            core,
            principal,
            "user.updated",
            &user,
            Some("user.updated"),
            ctx,
        )
        .details(json!({"email": user.email, "by_admin": true, "email_verified": verified}));
        core.store
            .set_email_verified(id, verified, now, &[entry])
            .await?;
    }
    crate::auth::admin_users::get_user(core, id).await
}

/// Soft-deletes an account and revokes its sessions.
pub async fn delete_user(
    core: &Core,
    principal: &Principal,
    id: UserId,
    ctx: &RequestContext,
) -> Result<()> {
    let user = crate::auth::admin_users::get_user(core, id).await?;
    if user.status == UserStatus::Deleted {
        return Err(Error::NotFound);
    }
    if user.is_admin && core.store.count_admins().await? <= 1 {
        return Err(Error::auth(AuthFailure::SoleAdmin));
    }
    let now = core.clock.now();
    let sessions: Vec<_> = core
        .store
        .list_live_sessions(id, now)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    let entry = user_entry(
        core,
        principal,
        "user.deleted",
        &user,
        Some("user.deleted"),
        ctx,
    );
    core.store.soft_delete_user(id, now, &[entry]).await?;
    publish_revoked_sessions(core, &sessions).await;
    Ok(())
}

pub async fn lockout_status(core: &Core, id: UserId) -> Result<Option<Lockout>> {
    let user = crate::auth::admin_users::get_user(core, id).await?;
    core.store.get_lockout(&lockout_key(&user.email)).await
}

pub async fn unlock(
    core: &Core,
    principal: &Principal,
    id: UserId,
    ctx: &RequestContext,
) -> Result<()> {
    let user = crate::auth::admin_users::get_user(core, id).await?;
    core.store.clear_lockout(&lockout_key(&user.email)).await?;
    // The lock is a counter, not account data: the entry is written on its own.
    let entry = user_entry(core, principal, "user.unlocked", &user, None, ctx);
    core.store.record_audit(&[entry]).await
}

/// An admin-managed CORS origin (`scheme://host[:port]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorsOrigin {
    pub id: CorsOriginId,
    pub origin: String,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
}

/// Parses an origin: `http(s)://host[:port]`, no path, query or credentials; lower-cased.
pub fn parse_origin(raw: &str) -> Result<String, FieldError> {
    let bad = || {
        FieldError::new(
            "origin",
            "must be an origin such as https://app.example.com",
        )
    };
    let raw = raw.trim().trim_end_matches('/');
    let (scheme, rest) = raw.split_once("://").ok_or_else(bad)?;
    if !matches!(scheme, "http" | "https") || rest.is_empty() || raw.len() > 255 {
        return Err(bad());
    }
    let host_ok = rest
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
    if !host_ok || rest.starts_with(':') {
        return Err(bad());
    }
    Ok(format!("{scheme}://{}", rest.to_ascii_lowercase()))
}

pub async fn add_cors_origin(
    core: &Core,
    principal: &Principal,
    origin: String,
    ctx: &RequestContext,
) -> Result<CorsOrigin> {
    let entry = CorsOrigin {
        id: CorsOriginId::new(),
        origin,
        created_by: principal.user_id(),
        created_at: core.clock.now(),
    };
    let audit = [AuditEntry::new(
        "cors_origin.created",
        principal.actor(),
        ctx,
        entry.created_at,
    )
    .target("cors_origin", entry.id)
    .details(json!({"origin": entry.origin}))];
    core.store.add_cors_origin(&entry, &audit).await
}

pub async fn delete_cors_origin(
    core: &Core,
    principal: &Principal,
    id: CorsOriginId,
    ctx: &RequestContext,
) -> Result<()> {
    let audit = [AuditEntry::new(
        "cors_origin.deleted",
        principal.actor(),
        ctx,
        core.clock.now(),
    )
    .target("cors_origin", id)];
    if core.store.delete_cors_origin(id, &audit).await? {
        Ok(())
    } else {
        Err(Error::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_scheme_and_host_only() {
        assert_eq!(
            parse_origin("https://App.example.com/").unwrap(),
            "https://app.example.com"
        );
        assert_eq!(
            parse_origin("http://localhost:3000").unwrap(),
            "http://localhost:3000"
        );
        for bad in [
            "app.example.com",
            "ftp://x",
            "https://x/path",
            "https://u@x",
            "https://",
            "javascript:alert(1)",
        ] {
            assert!(parse_origin(bad).is_err(), "{bad}");
        }
    }
}
