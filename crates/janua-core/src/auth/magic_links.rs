//! Magic links (API.md §4): a one-time sign-in link by email. An unknown address becomes a
//! verified, passwordless account when it is used, if sign-ups are open.

use serde_json::json;

use crate::auth::email::Email;
use crate::auth::one_time::{consume, issue};
use crate::auth::redirects::{is_allowed, with_query};
use crate::auth::session_open::{open_cookie_session, open_session, OpenedSession};
use crate::auth::sessions::ClientContext;
use crate::auth::sign_up::{signups_allowed, taken};
use crate::auth::store::OneTimeTokenKind;
use crate::auth::users::{AuthMethod, NewUser, User};
use crate::context::Core;
use crate::error::{AuthFailure, Error, Result};
use crate::ids::UserId;
use crate::mail::{enqueue_mail, Mail, OutgoingMail};

/// The origins a magic link may send the browser back to.
fn allowed_origins(core: &Core) -> Vec<String> {
    let mut origins = vec![
        core.auth.base_url.clone(),
        core.auth.api_base_url.clone(),
        core.auth.frontend_url.clone(),
    ];
    origins.extend(core.auth.redirect_origins.iter().cloned());
    origins
}

/// `POST /auth/magic-link`. Succeeds the same whether or not the account exists.
pub async fn send(core: &Core, email: &Email, redirect_url: Option<&str>) -> Result<()> {
    if !core.auth.magic_links_enabled {
        return Err(Error::auth(AuthFailure::FeatureDisabled));
    }
    if !core.auth.email_configured {
        return Err(Error::auth(AuthFailure::EmailNotConfigured));
    }
    if let Some(url) = redirect_url {
        if !is_allowed(url, &allowed_origins(core)) {
            return Err(Error::auth(AuthFailure::RedirectNotAllowed));
        }
    }
    let user = core.store.find_user_by_email(&email.normalized()).await?;
    let usable = match &user {
        Some(u) => u.status.can_authenticate(),
        None => signups_allowed(core).await?,
    };
    if !usable {
        return Ok(());
    }
    let ttl = core.auth.magic_link_ttl;
    let payload = json!({ "redirect_url": redirect_url, "email": email.as_str() });
    let secret = issue(
        core,
        OneTimeTokenKind::MagicLink,
        user.as_ref().map(|u| u.id),
        Some(email.normalized()),
        payload,
        ttl,
    )
    .await?;
    let base = match redirect_url {
        Some(url) if !url.starts_with('/') => url.to_owned(),
        _ => format!("{}/api/v1/auth/magic-link/callback", core.auth.api_base_url),
    };
    let link = with_query(&base, "token", &secret);
    let mail = Mail::MagicLink {
        link,
        expires_in_minutes: u32::try_from(ttl.num_minutes()).unwrap_or(15),
    };
    enqueue_mail(
        core.store.as_ref(),
        &OutgoingMail::new(email.as_str(), mail),
        core.clock.now(),
    )
    .await?;
    Ok(())
}

pub struct MagicSignIn {
    pub user: User,
    pub opened: OpenedSession,
    /// Where the link asked to land (already checked when the link was sent).
    pub redirect_url: Option<String>,
}

/// Consumes a magic-link token and signs the user in (creating the account if needed).
pub async fn verify(core: &Core, secret: &str, client: &ClientContext) -> Result<MagicSignIn> {
    let (user, redirect_url) = redeem(core, secret, client).await?;
    let opened = open_session(core, &user, AuthMethod::MagicLink, client).await?;
    Ok(MagicSignIn {
        user,
        opened,
        redirect_url,
    })
}

/// A magic-link sign-in from the link in the mail, opened in a browser: the session is also
/// held by the `janua_session` cookie.
pub struct BrowserMagicSignIn {
    pub sign_in: MagicSignIn,
    /// The `janua_session` cookie value, to hand to the browser once.
    pub cookie_secret: String,
}

/// Like [`verify`], for the callback a browser follows: the session also gets a cookie.
pub async fn verify_in_browser(
    core: &Core,
    secret: &str,
    client: &ClientContext,
) -> Result<BrowserMagicSignIn> {
    let (user, redirect_url) = redeem(core, secret, client).await?;
    let browser = open_cookie_session(core, &user, AuthMethod::MagicLink, client).await?;
    Ok(BrowserMagicSignIn {
        sign_in: MagicSignIn {
            user,
            opened: browser.opened,
            redirect_url,
        },
        cookie_secret: browser.cookie_secret,
    })
}

/// Consumes the token and returns its user (verifying the email, or creating the account)
/// and the redirect URL it carries.
async fn redeem(
    core: &Core,
    secret: &str,
    client: &ClientContext,
) -> Result<(User, Option<String>)> {
    let context = crate::auth::audit_events::context_of(client);
    let token = consume(core, OneTimeTokenKind::MagicLink, secret).await?;
    let email_raw = token
        .payload
        .get("email")
        .and_then(|v| v.as_str())
        .unwrap_or_default();
    let email = Email::parse(email_raw).map_err(|_| Error::auth(AuthFailure::InvalidToken))?;
    let now = core.clock.now();
    let user = match core.store.find_user_by_email(&email.normalized()).await? {
        Some(user) if user.status.can_authenticate() => {
            if !user.email_verified {
                let audit = [crate::auth::audit_events::about_user(
                    "user.verified",
                    crate::auth::audit_events::self_actor(&user),
                    &user,
                    &context,
                    now,
                    true,
                )
                .details(serde_json::json!({"method": "magic_link"}))];
                core.store.mark_email_verified(user.id, now, &audit).await?;
            }
            user
        }
        Some(_) => return Err(Error::auth(AuthFailure::InvalidToken)),
        None if signups_allowed(core).await? => {
            let new = NewUser {
                id: UserId::new(),
                email,
                username: None,
                password_hash: None,
                first_name: None,
                last_name: None,
                locale: None,
                email_verified: true,
                is_admin: false,
                created_at: now,
            };
            let audit = [crate::auth::sign_up::created_entry(&new, &context)];
            core.store.create_user(&new, &audit).await.map_err(taken)?
        }
        None => return Err(Error::auth(AuthFailure::SignupsDisabled)),
    };
    let user = core.store.get_user(user.id).await?.ok_or(Error::NotFound)?;
    let redirect_url = token
        .payload
        .get("redirect_url")
        .and_then(|v| v.as_str())
        .map(str::to_owned);
    Ok((user, redirect_url))
}
