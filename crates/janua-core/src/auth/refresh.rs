//! Refresh-token rotation with reuse detection (API.md §3): each use rotates the token and
//! slides the session; presenting a token that was already used or revoked revokes its whole
//! family and the session, because it means the token was stolen or replayed.

use crate::auth::revocation::publish_revoked_sessions;
use crate::auth::store::RefreshRotation;
use crate::auth::tokens::{new_refresh_secret, token_pair, TokenPair};
use crate::context::Core;
use crate::crypto::secret_digest;
use crate::error::{AuthFailure, Error, Result};

fn invalid() -> Error {
    Error::auth(AuthFailure::InvalidRefreshToken)
}

/// A refreshed token pair, with the user and session it belongs to.
pub struct Refreshed {
    pub tokens: TokenPair,
    pub user: crate::auth::users::User,
    pub session: crate::ids::SessionId,
}

pub async fn refresh(core: &Core, refresh_token: &str) -> Result<TokenPair> {
    refresh_session(core, refresh_token).await.map(|r| r.tokens)
}

pub async fn refresh_session(core: &Core, refresh_token: &str) -> Result<Refreshed> {
    let now = core.clock.now();
    if refresh_token.is_empty() || refresh_token.len() > 512 {
        return Err(invalid());
    }
    let record = core
        .store
        .find_refresh_token(&secret_digest(refresh_token))
        .await?
        .ok_or_else(invalid)?;
    if record.used_at.is_some() || record.revoked_at.is_some() {
        revoke_for_reuse(core, record.session_id, now).await?;
        return Err(invalid());
    }
    if record.expires_at <= now {
        return Err(invalid());
    }
    let session = core
        .store
        .get_session(record.session_id)
        .await?
        .ok_or_else(invalid)?;
    if !session.is_live(now) {
        return Err(invalid());
    }
    let user = core
        .store
        .get_user(record.user_id)
        .await?
        .ok_or_else(invalid)?;
    if !user.status.can_authenticate() {
        return Err(invalid());
    }
    let next = new_refresh_secret();
    let session_expires_at = session.slid_expiry(now, core.auth.session_ttl);
    let rotation = RefreshRotation {
        used_token_id: record.id,
        new_token_id: uuid::Uuid::now_v7(),
        new_token_hash: next.digest,
        new_expires_at: session_expires_at,
        session_expires_at,
        at: now,
    };
    if !core.store.rotate_refresh_token(&rotation).await? {
        // Lost a race with another use of the same token: that is reuse too.
        revoke_for_reuse(core, record.session_id, now).await?;
        return Err(invalid());
    }
    let tokens = token_pair(core, &user, session.id, next.token, now)?;
    Ok(Refreshed {
        tokens,
        user,
        session: session.id,
    })
}

async fn revoke_for_reuse(
    core: &Core,
    session: crate::ids::SessionId,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    if core
        .store
        .revoke_session(session, "refresh_token_reuse", now)
        .await?
    {
        tracing::warn!(session_id = %session, "refresh token reuse detected; session revoked");
    }
    publish_revoked_sessions(core, &[session]).await;
    Ok(())
}
