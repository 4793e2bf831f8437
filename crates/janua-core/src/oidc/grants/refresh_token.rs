//! `refresh_token` (RFC 6749 §6, API.md §3): the client's live token rotates; a used or revoked
//! one revokes its whole family and grant session. `scope` may only narrow what was granted.
//! With `openid` a fresh ID token carries the original `auth_time`.

use crate::audit::{Actor, AuditEntry, RequestContext};
use crate::auth::audit_events::session_revoked;
use crate::auth::revocation::publish_revoked_sessions;
use crate::auth::store::RefreshRotation;
use crate::auth::tokens::new_refresh_secret;
use crate::context::Core;
use crate::crypto::secret_digest;
use crate::error::Result;
use crate::oidc::clients::OAuthClient;
use crate::oidc::error::OAuthError;
use crate::oidc::grants::grant_session::{issue_user_tokens, GrantFacts};
use crate::oidc::grants::{required, TokenParams};
use crate::oidc::scopes::Scopes;
use crate::oidc::tokens::TokenResponse;

/// `session.revoked` for a grant whose refresh token was replayed, by the client that sent it.
fn reuse_entry(
    client: &OAuthClient,
    grant: &crate::oidc::store::Grant,
    at: chrono::DateTime<chrono::Utc>,
) -> AuditEntry {
    session_revoked(
        grant.session.user_id,
        grant.session.id,
        "refresh_token_reuse",
        Actor::oauth_client(&client.client_id),
        &RequestContext::default(),
        at,
    )
}

fn invalid() -> crate::Error {
    OAuthError::invalid_grant("the refresh token is invalid, expired or revoked").into()
}

pub async fn refresh(
    core: &Core,
    client: &OAuthClient,
    params: &TokenParams,
) -> Result<TokenResponse> {
    let token = required(&params.refresh_token, "refresh_token")?;
    if token.len() > 512 {
        return Err(invalid());
    }
    let now = core.clock.now();
    let record = core
        .store
        .find_refresh_token(&secret_digest(token))
        .await?
        .ok_or_else(invalid)?;
    let grant = core
        .store
        .get_grant(record.session_id)
        .await?
        .filter(|g| g.client == client.id)
        .ok_or_else(invalid)?;
    if record.used_at.is_some() || record.revoked_at.is_some() {
        if core
            .store
            .revoke_session(
                grant.session.id,
                "refresh_token_reuse",
                now,
                &[reuse_entry(client, &grant, now)],
            )
            .await?
        {
            tracing::warn!(session_id = %grant.session.id, "refresh token reuse detected; grant revoked");
        }
        publish_revoked_sessions(core, &[grant.session.id]).await;
        return Err(invalid());
    }
    if record.expires_at <= now || !grant.session.is_live(now) {
        return Err(invalid());
    }
    let scopes = match params.scope.as_deref().filter(|s| !s.trim().is_empty()) {
        None => grant.scopes.clone(),
        Some(raw) => {
            let asked = Scopes::parse(raw)?;
            if !asked.is_subset_of(&grant.scopes) {
                return Err(
                    OAuthError::invalid_scope("scope may only narrow the granted scopes").into(),
                );
            }
            asked.into_vec()
        }
    };
    let user = core
        .store
        .get_user(record.user_id)
        .await?
        .filter(|u| u.status.can_authenticate())
        .ok_or_else(invalid)?;
    let next = new_refresh_secret();
    let session_expires_at = grant.session.slid_expiry(now, core.auth.session_ttl);
    let rotation = RefreshRotation {
        used_token_id: record.id,
        new_token_id: uuid::Uuid::now_v7(),
        new_token_hash: next.digest,
        new_expires_at: session_expires_at,
        session_expires_at,
        at: now,
    };
    if !core.store.rotate_refresh_token(&rotation).await? {
        core.store
            .revoke_session(
                grant.session.id,
                "refresh_token_reuse",
                now,
                &[reuse_entry(client, &grant, now)],
            )
            .await?;
        publish_revoked_sessions(core, &[grant.session.id]).await;
        return Err(invalid());
    }
    let facts = GrantFacts {
        user: &user,
        client,
        scopes: &grant.scopes,
        parent_session_id: grant.parent_session_id,
        nonce: None,
        auth_time: grant.session.auth_time,
        amr: &grant.session.amr,
        code_id: None,
        organization_id: grant.organization_id,
    };
    issue_user_tokens(
        core,
        &facts,
        grant.session.id,
        &scopes,
        Some(next.token),
        now,
    )
    .await
}
