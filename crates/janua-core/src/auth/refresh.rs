//! Refresh-token rotation with reuse detection (API.md §3): each use rotates the token and
//! slides the session; presenting a token that was already used or revoked revokes its whole
//! family and the session, because it means the token was stolen or replayed.

use crate::audit::{Actor, AuditEntry, RequestContext};
use crate::auth::revocation::publish_revoked_sessions;
use crate::auth::store::RefreshRotation;
use crate::auth::tokens::{new_refresh_secret, token_pair, TokenPair};
use crate::context::Core;
use crate::crypto::secret_digest;
use crate::error::{AuthFailure, Error, Result};
use crate::orgs::claims::OrgClaims;

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
    refresh_with_context(core, refresh_token, &RequestContext::default())
        .await
        .map(|r| r.tokens)
}

/// As [`refresh`], stamping the request's facts on the audit entry of a detected reuse, and
/// returning the user and session with the tokens (organization claims are added from them).
pub async fn refresh_with_context(
    core: &Core,
    refresh_token: &str,
    context: &RequestContext,
) -> Result<Refreshed> {
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
        revoke_for_reuse(core, &record, now, context).await?;
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
        revoke_for_reuse(core, &record, now, context).await?;
        return Err(invalid());
    }
    // The claims of the organization the session has selected (if any), as its last token had.
    let selected = core.store.session_organization(session.id).await?;
    let org = OrgClaims::of(core, &user, selected).await?;
    let tokens = token_pair(core, &user, session.id, &session.amr, org, next.token, now)?;
    Ok(Refreshed {
        tokens,
        user,
        session: session.id,
    })
}

/// Revokes the session of a replayed token, recording `token.reuse_detected` (a failure: the
/// token was refused) and `session.revoked` with it.
async fn revoke_for_reuse(
    core: &Core,
    record: &crate::auth::store::RefreshTokenRecord,
    now: chrono::DateTime<chrono::Utc>,
    context: &RequestContext,
) -> Result<()> {
    let session = record.session_id;
    let reuse = AuditEntry::new(
        "token.reuse_detected",
        Actor::user(record.user_id, None),
        context,
        now,
    )
    .target("session", session)
    .concerning_user(record.user_id.as_uuid())
    .failed()
    .details(serde_json::json!({"family_id": record.family_id.to_string()}));
    let revoked = crate::auth::audit_events::session_revoked(
        record.user_id,
        session,
        "refresh_token_reuse",
        Actor::system(),
        context,
        now,
    );
    if core
        .store
        .revoke_session(
            session,
            "refresh_token_reuse",
            now,
            &[reuse.clone(), revoked],
        )
        .await?
    {
        tracing::warn!(session_id = %session, "refresh token reuse detected; session revoked");
    } else {
        // Already revoked: nothing changed, but the replay itself is still worth recording.
        core.store.record_audit(&[reuse]).await?;
    }
    publish_revoked_sessions(core, &[session]).await;
    Ok(())
}
