//! Signing out and revoking sessions (API.md §5): the database records the revocation and the
//! cache publishes it, so the session's access tokens fail on every instance at once.

use crate::audit::{Actor, RequestContext};
use crate::auth::audit_events::{about_user_id, session_revoked};
use crate::auth::principal::UserPrincipal;
use crate::auth::revocation::publish_revoked_sessions;
use crate::auth::sessions::Session;
use crate::context::Core;
use crate::error::{AuthFailure, Error, Result};
use crate::ids::{SessionId, UserId};
use crate::oidc::grants::grant_session::end_child_grants;

pub async fn sign_out(
    core: &Core,
    principal: &UserPrincipal,
    context: &RequestContext,
) -> Result<()> {
    if let Some(sid) = principal.session_id {
        let now = core.clock.now();
        let user = principal.user_id;
        let audit = [about_user_id("user.signed_out", user, context, now)
            .target("session", sid)
            .emits(
                "session.revoked",
                serde_json::json!({"user_id": user.to_string(), "session_id": sid.to_string(), "reason": "sign_out"}),
            )];
        core.store
            .revoke_session(sid, "sign_out", now, &audit)
            .await?;
        publish_revoked_sessions(core, &[sid]).await;
        end_child_grants(core, sid, "sign_out", context).await?;
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

pub async fn revoke_own_session(
    core: &Core,
    user: UserId,
    id: SessionId,
    context: &RequestContext,
) -> Result<()> {
    let session = own_session(core, user, id).await?;
    if session.revoked_at.is_some() {
        return Err(Error::auth(AuthFailure::SessionAlreadyRevoked));
    }
    let now = core.clock.now();
    let audit = [session_revoked(
        user,
        id,
        "user_revoked",
        Actor::user(user, None),
        context,
        now,
    )];
    if !core
        .store
        .revoke_session(id, "user_revoked", now, &audit)
        .await?
    {
        return Err(Error::auth(AuthFailure::SessionAlreadyRevoked));
    }
    publish_revoked_sessions(core, &[id]).await;
    end_child_grants(core, id, "user_revoked", context).await?;
    Ok(())
}

/// Revokes every session of `user` but `keep`; returns how many. The revocation is audited as
/// `session.revoked` (scope `all`) by `actor`.
pub async fn revoke_sessions(
    core: &Core,
    user: UserId,
    keep: Option<SessionId>,
    reason: &str,
    actor: Actor,
    context: &RequestContext,
) -> Result<usize> {
    let now = core.clock.now();
    let audit = [crate::audit::AuditEntry::new("session.revoked", actor, context, now)
        .target("user", user)
        .concerning_user(user.as_uuid())
        .details(serde_json::json!({"reason": reason, "scope": "all", "kept": keep.map(|k| k.to_string())}))
        .emits(
            "session.revoked",
            serde_json::json!({"user_id": user.to_string(), "reason": reason, "scope": "all"}),
        )];
    let revoked = core
        .store
        .revoke_user_sessions(user, keep, reason, now, &audit)
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
