//! Browser sessions (API.md §0 "Cookies"): the hosted login form opens a session that the
//! browser holds as the opaque `janua_session` cookie, and later requests present it instead of
//! a bearer token. The cookie is 256 random bits; the store keeps only its SHA-256 digest.

use crate::auth::audit_events::context_of;
use crate::auth::revocation::is_session_revoked;
use crate::auth::session_open::{open_cookie_session, OpenedSession};
use crate::auth::sessions::{ClientContext, Session};
use crate::auth::sign_in::{check_credentials, SignIn};
use crate::auth::users::{AuthMethod, User};
use crate::context::Core;
use crate::crypto::secret_digest;
use crate::error::{Error, Result};

/// Longest cookie value worth looking up; ours are 43 characters.
const MAX_COOKIE_SECRET_LEN: usize = 128;

pub struct BrowserSignedIn {
    pub user: User,
    pub opened: OpenedSession,
    /// The `janua_session` cookie value, to hand to the browser once.
    pub cookie_secret: String,
}

/// Password sign-in from the hosted form: the same credential check (lockout, identical
/// failures) as `POST /auth/signin`, then a session the browser holds by cookie.
pub async fn open_browser_session(
    core: &Core,
    request: SignIn,
    client: &ClientContext,
) -> Result<BrowserSignedIn> {
    let user = check_credentials(core, &request, &context_of(client)).await?;
    let browser = open_cookie_session(core, &user, AuthMethod::Password, client).await?;
    Ok(BrowserSignedIn {
        user,
        opened: browser.opened,
        cookie_secret: browser.cookie_secret,
    })
}

/// The user and live session behind a `janua_session` cookie value, or `Unauthorized`
/// (unknown, revoked or expired session; inactive account).
pub async fn authenticate_cookie(core: &Core, secret: &str) -> Result<(User, Session)> {
    if secret.is_empty()
        || secret.len() > MAX_COOKIE_SECRET_LEN
        || !secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(Error::Unauthorized);
    }
    let session = core
        .store
        .find_session_by_secret_hash(&secret_digest(secret))
        .await?
        .ok_or(Error::Unauthorized)?;
    // The row says whether it is live; the revocation marker covers a row read from a replica
    // that has not seen a revocation made on another instance yet.
    if !session.is_live(core.clock.now()) || is_session_revoked(core, session.id).await? {
        return Err(Error::Unauthorized);
    }
    let user = core
        .store
        .get_user(session.user_id)
        .await?
        .filter(|u| u.status.can_authenticate())
        .ok_or(Error::Unauthorized)?;
    Ok((user, session))
}
