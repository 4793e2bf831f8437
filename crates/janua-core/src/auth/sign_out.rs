//! Signing out and revoking sessions (API.md §5): the database records the revocation and the
//! cache publishes it, so the session's access tokens fail on every instance at once.

use crate::auth::principal::UserPrincipal;
use crate::auth::revocation::publish_revoked_sessions;
use crate::auth::sessions::Session;
use crate::context::Core;
use crate::error::{AuthFailure, Error, Result};
use crate::ids::{SessionId, UserId};
use crate::oidc::grants::grant_session::end_child_grants;

pub async fn sign_out(core: &Core, principal: &UserPrincipal) -> Result<()> {
    if let Some(sid) = principal.session_id {
        core.store
            .revoke_session(sid, "sign_out", core.clock.now())
            .await?;
        publish_revoked_sessions(core, &[sid]).await;
        end_child_grants(core, sid, "sign_out").await?;
    }
    Ok(())
}

/// The user's live sessions, newest first (`GET /sessions` and the views built on it).
pub async fn live_sessions(core: &Core, user: UserId) -> Result<Vec<Session>> {
    core.store.list_live_sessions(user, core.clock.now()).await
}

/// A session of the caller's, or `NotFound` (also for other users' sessions).
pub async fn own_session(core: &Core, user: UserId, id: SessionId) -> Result<Session> {
    match core.store.get_session(id).await? {
        Some(session) if session.user_id == user => Ok(session),
        _ => Err(Error::NotFound),
    }
}

pub async fn revoke_own_session(core: &Core, user: UserId, id: SessionId) -> Result<()> {
    let session = own_session(core, user, id).await?;
    if session.revoked_at.is_some() {
        return Err(Error::auth(AuthFailure::SessionAlreadyRevoked));
    }
    if !core
        .store
        .revoke_session(id, "user_revoked", core.clock.now())
        .await?
    {
        return Err(Error::auth(AuthFailure::SessionAlreadyRevoked));
    }
    publish_revoked_sessions(core, &[id]).await;
    end_child_grants(core, id, "user_revoked").await?;
    Ok(())
}

/// Revokes every session of `user` but `keep`; returns how many.
pub async fn revoke_sessions(
    core: &Core,
    user: UserId,
    keep: Option<SessionId>,
    reason: &str,
) -> Result<usize> {
    let revoked = core
        .store
        .revoke_user_sessions(user, keep, reason, core.clock.now())
        .await?;
    publish_revoked_sessions(core, &revoked).await;
    Ok(revoked.len())
}

/// `POST /sessions/{id}/refresh`: records activity and slides the expiry.
pub async fn touch_own_session(core: &Core, user: UserId, id: SessionId) -> Result<Session> {
    let now = core.clock.now();
    let session = own_session(core, user, id).await?;
    if !session.is_live(now) {
        return Err(Error::NotFound);
    }
    let expires_at = session.slid_expiry(now, core.auth.session_ttl);
    core.store.touch_session(id, expires_at, now).await?;
    own_session(core, user, id).await
}
