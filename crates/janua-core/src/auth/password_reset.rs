//! Forgotten passwords (API.md §4): a reset link mailed on request (the answer never reveals
//! whether the account exists), and the reset itself, which also verifies the email, unlocks
//! the account and revokes every session.

use crate::auth::email::{lockout_key, Email};
use crate::auth::one_time::{consume, issue};
use crate::auth::redirects::{is_allowed, with_query};
use crate::auth::sign_out::revoke_sessions;
use crate::auth::store::OneTimeTokenKind;
use crate::context::Core;
use crate::error::{AuthFailure, Error, Result};
use crate::mail::{enqueue_mail, Mail, OutgoingMail};

/// `POST /auth/password/forgot`. Always succeeds from the caller's point of view.
pub async fn forgot(core: &Core, email: &Email, redirect_base: Option<&str>) -> Result<()> {
    let Some(user) = core.store.find_user_by_email(&email.normalized()).await? else {
        return Ok(());
    };
    if !user.status.can_authenticate() {
        return Ok(());
    }
    let ttl = core.auth.password_reset_ttl;
    let secret = issue(
        core,
        OneTimeTokenKind::PasswordReset,
        Some(user.id),
        Some(email.normalized()),
        serde_json::json!({}),
        ttl,
    )
    .await?;
    let base = match redirect_base {
        Some(base)
            if is_allowed(base, &core.auth.password_reset_redirect_origins)
                && !base.starts_with('/') =>
        {
            base.to_owned()
        }
        _ => format!("{}/api/v1/auth/reset-password", core.auth.base_url),
    };
    let link = with_query(&base, "token", &secret);
    let mail = Mail::PasswordReset {
        link,
        expires_in_minutes: u32::try_from(ttl.num_minutes()).unwrap_or(60),
    };
    let mut outgoing = OutgoingMail::new(user.email.clone(), mail);
    outgoing.locale = user.locale.clone();
    enqueue_mail(core.store.as_ref(), &outgoing, core.clock.now()).await?;
    Ok(())
}

/// `POST /auth/password/reset`.
pub async fn reset(
    core: &Core,
    secret: &str,
    new_password: &str,
    context: &crate::audit::RequestContext,
) -> Result<()> {
    let unmet = core
        .auth
        .password_policy
        .check("new_password", new_password);
    if !unmet.is_empty() {
        return Err(Error::auth(AuthFailure::WeakPassword(unmet)));
    }
    let token = consume(core, OneTimeTokenKind::PasswordReset, secret).await?;
    let user_id = token
        .user_id
        .ok_or(Error::auth(AuthFailure::InvalidToken))?;
    let user = core
        .store
        .get_user(user_id)
        .await?
        .ok_or(Error::auth(AuthFailure::InvalidToken))?;
    if !user.status.can_authenticate() {
        return Err(Error::auth(AuthFailure::InvalidToken));
    }
    let now = core.clock.now();
    let hash = core.passwords.hash(new_password).await?;
    let actor = crate::auth::audit_events::self_actor(&user);
    let audit = [crate::auth::audit_events::about_user(
        "password.reset",
        actor.clone(),
        &user,
        context,
        now,
        true,
    )];
    core.store
        .set_password_hash(user.id, &hash, now, &audit)
        .await?;
    core.store.mark_email_verified(user.id, now, &[]).await?;
    core.store.clear_lockout(&lockout_key(&user.email)).await?;
    if let Some(username) = &user.username {
        core.store.clear_lockout(&lockout_key(username)).await?;
    }
    revoke_sessions(core, user.id, None, "password_reset", actor, context).await?;
    enqueue_mail(
        core.store.as_ref(),
        &OutgoingMail::new(user.email.clone(), Mail::PasswordChanged {}),
        now,
    )
    .await?;
    Ok(())
}
