//! The sign-in challenge (API.md §4, §7): after a correct password, a user with MFA on gets an
//! `mfa_token` instead of tokens, and `POST /mfa/challenge/verify` (or the hosted MFA step)
//! exchanges it plus a second factor for a session whose `amr` says `otp` and `mfa`.
//!
//! The token is 256 random bits; the shared cache keeps its digest for five minutes (the
//! deadline is also stored, so it is judged by core's clock). Wrong codes count towards the
//! account lockout like wrong passwords, and the token survives them until it expires.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::audit::RequestContext;
use crate::auth::browser_session::BrowserSignedIn;
use crate::auth::email::lockout_key;
use crate::auth::session_open::{open_cookie_session, open_session};
use crate::auth::sessions::ClientContext;
use crate::auth::sign_in::SignedIn;
use crate::auth::users::{AuthMethod, User};
use crate::context::Core;
use crate::crypto::{random_token, secret_digest};
use crate::error::{AuthFailure, Error, Result};
use crate::ids::UserId;
use crate::mfa::factors;
use crate::mfa::totp::active_factor;

/// Longest `mfa_token` worth looking up; ours are 43 characters.
const MAX_TOKEN_LEN: usize = 128;

#[derive(Serialize, Deserialize)]
struct Pending {
    user_id: UserId,
    expires_at: DateTime<Utc>,
}

fn cache_key(token: &str) -> String {
    format!("mfa_challenge:{}", secret_digest(token))
}

/// Whether signing in as this user needs a second factor.
pub async fn required(core: &Core, user: UserId) -> Result<bool> {
    Ok(active_factor(core, user).await?.is_some())
}

/// Starts a challenge for a user whose password was correct; returns the `mfa_token`.
pub async fn issue(core: &Core, user: &User) -> Result<String> {
    let token = random_token(32);
    let ttl = core.mfa.challenge_ttl;
    let pending = Pending {
        user_id: user.id,
        expires_at: core.clock.now() + ttl,
    };
    let value = serde_json::to_vec(&pending).map_err(Error::internal)?;
    core.cache
        .set(
            &cache_key(&token),
            &value,
            ttl.to_std().unwrap_or(std::time::Duration::from_secs(300)),
        )
        .await?;
    Ok(token)
}

/// The user a live challenge is for, with the lockout checked.
pub async fn pending_user(core: &Core, token: &str) -> Result<User> {
    let expired = || Error::auth(AuthFailure::MfaChallengeExpired);
    if token.is_empty() || token.len() > MAX_TOKEN_LEN {
        return Err(expired());
    }
    let raw = core
        .cache
        .get(&cache_key(token))
        .await?
        .ok_or_else(expired)?;
    let pending: Pending = serde_json::from_slice(&raw).map_err(|_| expired())?;
    if pending.expires_at <= core.clock.now() {
        return Err(expired());
    }
    match core.store.get_user(pending.user_id).await? {
        Some(user) if user.status.can_authenticate() => Ok(user),
        _ => Err(expired()),
    }
}

/// Checks the second factor for the challenge `token` and ends the challenge; the caller opens
/// the session. Wrong codes count towards the lockout (423 once locked).
pub async fn verify(
    core: &Core,
    token: &str,
    code: &str,
    context: &RequestContext,
) -> Result<User> {
    let user = pending_user(core, token).await?;
    let key = lockout_key(&user.email);
    let lockout = &core.auth.lockout;
    let now = core.clock.now();
    if lockout.enabled {
        if let Some(until) = core
            .store
            .get_lockout(&key)
            .await?
            .and_then(|l| l.locked_until)
            .filter(|until| *until > now)
        {
            return Err(locked(until, now));
        }
    }
    if code.len() > 64
        || factors::consume(core, &user, code, context)
            .await?
            .is_none()
    {
        factors::record_failure(core, &user, "challenge", context).await;
        if lockout.enabled {
            let after = core
                .store
                .record_failed_sign_in(&key, lockout.threshold, lockout.duration, now)
                .await?;
            if let Some(until) = after.locked_until.filter(|until| *until > now) {
                return Err(locked(until, now));
            }
        }
        return Err(Error::auth(AuthFailure::InvalidMfaCodeAtSignIn));
    }
    // Only one request may turn this challenge into a session.
    if core.cache.take(&cache_key(token)).await?.is_none() {
        return Err(Error::auth(AuthFailure::MfaChallengeExpired));
    }
    if lockout.enabled {
        core.store.clear_lockout(&key).await?;
    }
    Ok(user)
}

/// `POST /mfa/challenge/verify`: the tokens a password sign-in would have returned.
pub async fn complete_sign_in(
    core: &Core,
    token: &str,
    code: &str,
    client: &ClientContext,
    context: &RequestContext,
) -> Result<SignedIn> {
    let user = verify(core, token, code, context).await?;
    let opened = open_session(core, &user, AuthMethod::Otp, client).await?;
    Ok(SignedIn { user, opened })
}

/// The hosted MFA step: a session the browser holds by cookie.
pub async fn complete_browser_sign_in(
    core: &Core,
    token: &str,
    code: &str,
    client: &ClientContext,
    context: &RequestContext,
) -> Result<BrowserSignedIn> {
    let user = verify(core, token, code, context).await?;
    let browser = open_cookie_session(core, &user, AuthMethod::Otp, client).await?;
    Ok(BrowserSignedIn {
        user,
        opened: browser.opened,
        cookie_secret: browser.cookie_secret,
    })
}

fn locked(until: DateTime<Utc>, now: DateTime<Utc>) -> Error {
    let retry_after_secs = u64::try_from((until - now).num_seconds())
        .unwrap_or(0)
        .max(1);
    Error::auth(AuthFailure::AccountLocked { retry_after_secs })
}
