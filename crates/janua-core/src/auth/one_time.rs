//! One-time tokens mailed to users (verification, reset, magic link): 256-bit secrets of which
//! only the SHA-256 digest is stored, consumed exactly once before they expire.

use chrono::Duration;
use serde_json::Value;

use crate::auth::store::{NewOneTimeToken, OneTimeToken, OneTimeTokenKind};
use crate::context::Core;
use crate::crypto::{random_token, secret_digest};
use crate::error::{AuthFailure, Error, Result};
use crate::ids::UserId;

/// Creates a token and returns the secret to put in the link.
pub async fn issue(
    core: &Core,
    kind: OneTimeTokenKind,
    user: Option<UserId>,
    email_normalized: Option<String>,
    payload: Value,
    lifetime: Duration,
) -> Result<String> {
    let secret = random_token(32);
    let now = core.clock.now();
    let token = NewOneTimeToken {
        id: uuid::Uuid::now_v7(),
        kind,
        token_hash: secret_digest(&secret),
        user_id: user,
        email_normalized,
        payload,
        created_at: now,
        expires_at: now + lifetime,
    };
    core.store.create_one_time_token(&token).await?;
    Ok(secret)
}

/// Consumes a token of `kind`; unknown, used, expired or foreign-kind tokens are all
/// 400 `INVALID_TOKEN`.
pub async fn consume(core: &Core, kind: OneTimeTokenKind, secret: &str) -> Result<OneTimeToken> {
    if secret.is_empty() || secret.len() > 512 {
        return Err(Error::auth(AuthFailure::InvalidToken));
    }
    core.store
        .consume_one_time_token(kind, &secret_digest(secret), core.clock.now())
        .await?
        .ok_or(Error::auth(AuthFailure::InvalidToken))
}
