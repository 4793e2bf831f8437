//! Platform administration of accounts (API.md §6 admin routes, §16 bootstrap): list, suspend,
//! reactivate, and creating the first administrator.

use crate::audit::{Actor, RequestContext};
use crate::auth::audit_events::about_user;
use crate::auth::email::Email;
use crate::auth::sign_out::revoke_sessions;
use crate::auth::sign_up::{created_by, taken};
use crate::auth::store::UserQuery;
use crate::auth::users::{NewUser, User, UserStatus};
use crate::context::Core;
use crate::error::{AuthFailure, Error, Result};
use crate::ids::UserId;

pub async fn list_users(core: &Core, query: &UserQuery) -> Result<(Vec<User>, u64)> {
    core.store.list_users(query).await
}

pub async fn get_user(core: &Core, id: UserId) -> Result<User> {
    core.store.get_user(id).await?.ok_or(Error::NotFound)
}

/// Suspends the account and revokes all its sessions at once; `admin` is who asked.
pub async fn suspend(
    core: &Core,
    admin: Actor,
    id: UserId,
    reason: Option<&str>,
    context: &RequestContext,
) -> Result<User> {
    let user = get_user(core, id).await?;
    if user.status == UserStatus::Deleted {
        return Err(Error::NotFound);
    }
    if user.is_admin && user.status == UserStatus::Active && core.store.count_admins().await? <= 1 {
        return Err(Error::auth(AuthFailure::SoleAdmin));
    }
    let now = core.clock.now();
    let audit = [
        about_user("user.suspended", admin.clone(), &user, context, now, true)
            .details(serde_json::json!({"reason": reason})),
    ];
    core.store
        .set_user_status(id, UserStatus::Suspended, reason, now, &audit)
        .await?;
    revoke_sessions(core, id, None, "suspended", admin, context).await?;
    get_user(core, id).await
}

pub async fn reactivate(
    core: &Core,
    admin: Actor,
    id: UserId,
    context: &RequestContext,
) -> Result<User> {
    let user = get_user(core, id).await?;
    if user.status == UserStatus::Deleted {
        return Err(Error::NotFound);
    }
    let now = core.clock.now();
    let audit = [about_user(
        "user.reactivated",
        admin,
        &user,
        context,
        now,
        true,
    )];
    core.store
        .set_user_status(id, UserStatus::Active, None, now, &audit)
        .await?;
    get_user(core, id).await
}

/// Creates a verified administrator (`ADMIN_EMAIL`/`ADMIN_PASSWORD` at start-up, or
/// `janua admin create`). Returns `None` when an administrator already exists, so start-up is
/// idempotent across restarts and instances.
pub async fn bootstrap_admin(core: &Core, email: &Email, password: &str) -> Result<Option<User>> {
    if core.store.count_admins().await? > 0 {
        return Ok(None);
    }
    create_admin(core, email, password).await.map(Some)
}

pub async fn create_admin(core: &Core, email: &Email, password: &str) -> Result<User> {
    let unmet = core.auth.password_policy.check("password", password);
    if !unmet.is_empty() {
        return Err(Error::auth(AuthFailure::WeakPassword(unmet)));
    }
    let now = core.clock.now();
    if let Some(existing) = core.store.find_user_by_email(&email.normalized()).await? {
        // Promote the existing account rather than failing: the operator asked for this email.
        let context = RequestContext::default();
        let promoted = [about_user(
            "user.updated",
            Actor::system(),
            &existing,
            &context,
            now,
            true,
        )
        .details(serde_json::json!({"fields": ["is_admin"], "is_admin": true}))];
        core.store
            .set_admin(existing.id, true, now, &promoted)
            .await?;
        let verified = [about_user(
            "user.verified",
            Actor::system(),
            &existing,
            &context,
            now,
            true,
        )];
        let verified: &[crate::audit::AuditEntry] = if existing.email_verified {
            &[]
        } else {
            &verified
        };
        core.store
            .mark_email_verified(existing.id, now, verified)
            .await?;
        return get_user(core, existing.id).await;
    }
    let hash = core.passwords.hash(password).await?;
    let user = NewUser {
        id: UserId::new(),
        email: email.clone(),
        username: None,
        password_hash: Some(hash),
        first_name: None,
        last_name: None,
        locale: None,
        email_verified: true,
        is_admin: true,
        created_at: now,
    };
    let audit = [created_by(
        &user,
        Actor::system(),
        &RequestContext::default(),
    )];
    core.store.create_user(&user, &audit).await.map_err(taken)
}
