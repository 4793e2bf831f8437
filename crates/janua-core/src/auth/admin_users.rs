//! Platform administration of accounts (API.md §6 admin routes, §16 bootstrap): list, suspend,
//! reactivate, and creating the first administrator.

use crate::auth::email::Email;
use crate::auth::sign_out::revoke_sessions;
use crate::auth::sign_up::taken;
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

/// Suspends the account and revokes all its sessions at once.
pub async fn suspend(core: &Core, id: UserId, reason: Option<&str>) -> Result<User> {
    let user = get_user(core, id).await?;
    if user.status == UserStatus::Deleted {
        return Err(Error::NotFound);
    }
    if user.is_admin && user.status == UserStatus::Active && core.store.count_admins().await? <= 1 {
        return Err(Error::auth(AuthFailure::SoleAdmin));
    }
    core.store
        .set_user_status(id, UserStatus::Suspended, reason, core.clock.now())
        .await?;
    revoke_sessions(core, id, None, "suspended").await?;
    get_user(core, id).await
}

pub async fn reactivate(core: &Core, id: UserId) -> Result<User> {
    let user = get_user(core, id).await?;
    if user.status == UserStatus::Deleted {
        return Err(Error::NotFound);
    }
    core.store
        .set_user_status(id, UserStatus::Active, None, core.clock.now())
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
        core.store.set_admin(existing.id, true, now).await?;
        core.store.mark_email_verified(existing.id, now).await?;
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
    core.store.create_user(&user).await.map_err(taken)
}
