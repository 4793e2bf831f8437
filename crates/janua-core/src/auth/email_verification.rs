//! Email verification (API.md §4): a link mailed after sign-up and on request; following it
//! marks the address verified.

use crate::auth::one_time::{consume, issue};
use crate::auth::redirects::with_query;
use crate::auth::store::OneTimeTokenKind;
use crate::auth::users::User;
use crate::context::Core;
use crate::error::{AuthFailure, Error, Result};
use crate::mail::{enqueue_mail, Mail, OutgoingMail};

/// Creates a verification token and queues the mail with its link.
pub async fn send_verification(core: &Core, user: &User) -> Result<()> {
    let ttl = core.auth.email_verification_ttl;
    let secret = issue(
        core,
        OneTimeTokenKind::EmailVerification,
        Some(user.id),
        Some(user.email.to_lowercase()),
        serde_json::json!({}),
        ttl,
    )
    .await?;
    let link = with_query(
        &format!("{}/auth/verify-email", core.auth.frontend_url),
        "token",
        &secret,
    );
    let mail = Mail::EmailVerification {
        link,
        expires_in_hours: u32::try_from(ttl.num_hours()).unwrap_or(48),
    };
    let mut outgoing = OutgoingMail::new(user.email.clone(), mail);
    outgoing.locale = user.locale.clone();
    enqueue_mail(core.store.as_ref(), &outgoing, core.clock.now()).await?;
    Ok(())
}

/// `POST /auth/email/resend-verification`.
pub async fn resend(core: &Core, user: &User) -> Result<()> {
    if user.email_verified {
        return Err(Error::auth(AuthFailure::EmailAlreadyVerified));
    }
    if !core.auth.email_configured {
        return Err(Error::auth(AuthFailure::EmailNotConfigured));
    }
    send_verification(core, user).await
}

/// `POST /auth/email/verify`: consumes the token and marks the address verified.
pub async fn verify(
    core: &Core,
    secret: &str,
    context: &crate::audit::RequestContext,
) -> Result<()> {
    let token = consume(core, OneTimeTokenKind::EmailVerification, secret).await?;
    let user_id = token
        .user_id
        .ok_or(Error::auth(AuthFailure::InvalidToken))?;
    let user = core
        .store
        .get_user(user_id)
        .await?
        .ok_or(Error::auth(AuthFailure::InvalidToken))?;
    // A token for an address the account no longer has proves nothing.
    if Some(user.email.to_lowercase()) != token.email_normalized {
        return Err(Error::auth(AuthFailure::InvalidToken));
    }
    let now = core.clock.now();
    let audit = [crate::auth::audit_events::about_user(
        "user.verified",
        crate::auth::audit_events::self_actor(&user),
        &user,
        context,
        now,
        true,
    )];
    core.store.mark_email_verified(user_id, now, &audit).await
}
