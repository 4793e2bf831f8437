//! What a signed-in user does to their own account: read and edit the profile, set or remove
//! the avatar, change the password, delete the account (API.md §4, §6).

use chrono::Duration;

use crate::audit::RequestContext;
use crate::auth::audit_events::{about_user, self_actor};
use crate::auth::avatars::{Avatar, ImageType, MAX_AVATAR_BYTES};
use crate::auth::passwords::Verification;
use crate::auth::principal::UserPrincipal;
use crate::auth::revocation::publish_revoked_sessions;
use crate::auth::sign_out::revoke_sessions;
use crate::auth::users::{ProfileUpdate, User};
use crate::context::Core;
use crate::error::{AuthFailure, Error, FieldError, Result};
use crate::ids::UserId;

/// How recent a passwordless user's sign-in must be to count as re-authentication.
pub const REAUTH_WINDOW_MINUTES: i64 = 15;

pub async fn current_user(core: &Core, principal: &UserPrincipal) -> Result<User> {
    active_user(core, principal.user_id).await
}

pub async fn active_user(core: &Core, id: UserId) -> Result<User> {
    match core.store.get_user(id).await? {
        Some(user) if user.status.can_authenticate() => Ok(user),
        _ => Err(Error::Unauthorized),
    }
}

pub async fn update_profile(
    core: &Core,
    principal: &UserPrincipal,
    update: ProfileUpdate,
    context: &RequestContext,
) -> Result<User> {
    let user = current_user(core, principal).await?;
    let now = core.clock.now();
    let audit = [
        about_user("user.updated", self_actor(&user), &user, context, now, true)
            .details(serde_json::json!({"fields": update.field_names()})),
    ];
    core.store
        .update_profile(principal.user_id, &update, now, &audit)
        .await
}

/// Confirms a sensitive action: the account password when it has one (400 `INVALID_PASSWORD`),
/// otherwise a sign-in at most 15 minutes old (403 `REAUTH_REQUIRED`).
pub async fn reauthenticate(
    core: &Core,
    principal: &UserPrincipal,
    password: Option<&str>,
) -> Result<User> {
    let user = current_user(core, principal).await?;
    match (&user.password_hash, password) {
        (Some(hash), Some(password)) => match core.passwords.verify(hash, password).await? {
            Verification::Valid { .. } => Ok(user),
            Verification::Invalid => Err(Error::auth(AuthFailure::InvalidPassword)),
        },
        (Some(_), None) => Err(Error::auth(AuthFailure::InvalidPassword)),
        (None, _) => {
            let recent = match principal.session_id {
                Some(sid) => core.store.get_session(sid).await?.is_some_and(|s| {
                    core.clock.now() - s.auth_time <= Duration::minutes(REAUTH_WINDOW_MINUTES)
                }),
                None => false,
            };
            if recent {
                Ok(user)
            } else {
                Err(Error::auth(AuthFailure::ReauthRequired))
            }
        }
    }
}

/// Changes the password after checking the current one; every other session is revoked.
pub async fn change_password(
    core: &Core,
    principal: &UserPrincipal,
    current: &str,
    new: &str,
    context: &RequestContext,
) -> Result<()> {
    let user = current_user(core, principal).await?;
    let hash = user
        .password_hash
        .as_deref()
        .ok_or(Error::auth(AuthFailure::InvalidPassword))?;
    if core.passwords.verify(hash, current).await? == Verification::Invalid {
        return Err(Error::auth(AuthFailure::InvalidPassword));
    }
    let unmet = core.auth.password_policy.check("new_password", new);
    if !unmet.is_empty() {
        return Err(Error::auth(AuthFailure::WeakPassword(unmet)));
    }
    let new_hash = core.passwords.hash(new).await?;
    let now = core.clock.now();
    let audit = [about_user(
        "password.changed",
        self_actor(&user),
        &user,
        context,
        now,
        true,
    )];
    core.store
        .set_password_hash(user.id, &new_hash, now, &audit)
        .await?;
    revoke_sessions(
        core,
        user.id,
        principal.session_id,
        "password_changed",
        self_actor(&user),
        context,
    )
    .await?;
    Ok(())
}

/// Soft-deletes the caller's account after re-authentication; the last admin cannot.
pub async fn delete_account(
    core: &Core,
    principal: &UserPrincipal,
    password: Option<&str>,
    context: &RequestContext,
) -> Result<()> {
    let user = reauthenticate(core, principal, password).await?;
    if user.is_admin && core.store.count_admins().await? <= 1 {
        return Err(Error::auth(AuthFailure::SoleAdmin));
    }
    let now = core.clock.now();
    let sessions: Vec<_> = core
        .store
        .list_live_sessions(user.id, now)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    let audit = [about_user(
        "user.deleted",
        self_actor(&user),
        &user,
        context,
        now,
        true,
    )];
    core.store.soft_delete_user(user.id, now, &audit).await?;
    publish_revoked_sessions(core, &sessions).await;
    Ok(())
}

/// Stores `data` as the caller's avatar and returns the new `profile_image_url`. The format is
/// read from the bytes (JPEG, PNG, GIF or WebP); anything else, an empty file or one over
/// [`MAX_AVATAR_BYTES`] is refused on field `file`.
pub async fn set_avatar(
    core: &Core,
    principal: &UserPrincipal,
    data: &[u8],
    context: &RequestContext,
) -> Result<String> {
    let image = check_avatar(data)?;
    let user = current_user(core, principal).await?;
    let now = core.clock.now();
    // The version parameter changes with every upload, so caches never serve an old picture.
    let url = format!(
        "{}/api/v1/users/{}/avatar?v={}",
        core.auth.api_base_url,
        user.id,
        now.timestamp_millis()
    );
    let audit = [
        about_user("user.updated", self_actor(&user), &user, context, now, true)
            .details(serde_json::json!({"fields": ["profile_image_url"]})),
    ];
    core.store
        .put_avatar(user.id, image.content_type(), data, &url, now, &audit)
        .await?;
    Ok(url)
}

fn check_avatar(data: &[u8]) -> Result<ImageType> {
    let refuse = |message: &str| Err(Error::Validation(vec![FieldError::new("file", message)]));
    if data.is_empty() {
        return refuse("must not be empty");
    }
    if data.len() > MAX_AVATAR_BYTES {
        return refuse("must be at most 5 MiB");
    }
    match ImageType::sniff(data) {
        Some(image) => Ok(image),
        None => refuse("must be a JPEG, PNG, GIF or WebP image"),
    }
}

/// Removes the caller's avatar and clears `profile_image_url` (also when it pointed elsewhere).
pub async fn remove_avatar(
    core: &Core,
    principal: &UserPrincipal,
    context: &RequestContext,
) -> Result<()> {
    let user = current_user(core, principal).await?;
    let now = core.clock.now();
    let audit = [
        about_user("user.updated", self_actor(&user), &user, context, now, true)
            .details(serde_json::json!({"fields": ["profile_image_url"]})),
    ];
    core.store.delete_avatar(user.id, now, &audit).await
}

/// Anyone's avatar, for the public picture URL; `NotFound` when there is none.
pub async fn avatar(core: &Core, id: UserId) -> Result<Avatar> {
    core.store.get_avatar(id).await?.ok_or(Error::NotFound)
}
