//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0, API.md §9 "End session"): ends
//! the browser session and the grant sessions opened under it (except `offline_access` ones),
//! and the grant named by a valid `id_token_hint`; then sends the browser to
//! `post_logout_redirect_uri` when it is a registered redirect URI of the client or its origin.

use base64::Engine;

use crate::audit::{Actor, AuditEntry, RequestContext};
use crate::auth::audit_events::session_revoked;
use crate::auth::redirects::origin;
use crate::auth::revocation::publish_revoked_sessions;
use crate::auth::sessions::Session;
use crate::auth::users::User;
use crate::context::Core;
use crate::error::Result;
use crate::ids::{SessionId, UserId};
use crate::oidc::clients::OAuthClient;
use crate::oidc::error::OAuthError;
use crate::oidc::grants::grant_session::end_child_grants;
use crate::oidc::urls::with_params;
use crate::tokens::keys::TokenExpectations;

#[derive(Debug, Clone, Default)]
pub struct LogoutParams {
    pub client_id: Option<String>,
    pub post_logout_redirect_uri: Option<String>,
    pub state: Option<String>,
    pub id_token_hint: Option<String>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum LogoutOutcome {
    /// 302 to the client's post-logout URI (with `state`).
    Redirect(String),
    /// 200 "signed out" page.
    Page,
}

/// The `aud` of an ID token, read (unverified) only to know which client to verify it for.
fn claimed_audience(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    match value.get("aud")? {
        serde_json::Value::String(aud) => Some(aud.clone()),
        serde_json::Value::Array(list) => list.first()?.as_str().map(str::to_owned),
        _ => None,
    }
}

struct Hint {
    client_id: String,
    sid: Option<SessionId>,
}

fn verify_hint(core: &Core, token: &str, client_id: Option<&str>) -> Result<Hint, OAuthError> {
    let invalid = || OAuthError::invalid_request("id_token_hint is not a valid ID token");
    if token.len() > 8192 {
        return Err(invalid());
    }
    let audience = match client_id {
        Some(c) => c.to_owned(),
        None => claimed_audience(token).ok_or_else(invalid)?,
    };
    let expect = TokenExpectations {
        issuer: &core.auth.issuer,
        audience: &audience,
    };
    let claims: serde_json::Value = core
        .keys
        .verify_ignoring_expiry(token, &expect)
        .map_err(|_| invalid())?;
    let sid = claims
        .get("sid")
        .and_then(|s| s.as_str())
        .and_then(|s| s.parse().ok());
    Ok(Hint {
        client_id: audience,
        sid,
    })
}

fn allowed_post_logout(client: &OAuthClient, uri: &str) -> bool {
    client.spec.redirect_uris.iter().any(|registered| {
        registered == uri || origin(registered).is_some_and(|o| o == uri.trim_end_matches('/'))
    })
}

pub async fn logout(
    core: &Core,
    params: &LogoutParams,
    browser: Option<(User, Session)>,
    context: &RequestContext,
) -> Result<LogoutOutcome> {
    let client_id = params.client_id.as_deref().filter(|c| !c.is_empty());
    let hint = match params.id_token_hint.as_deref().filter(|h| !h.is_empty()) {
        Some(token) => Some(verify_hint(core, token, client_id)?),
        None => None,
    };
    let client_id = client_id.or(hint.as_ref().map(|h| h.client_id.as_str()));
    let client = match client_id {
        Some(id) => Some(
            core.store
                .find_client(id)
                .await?
                .ok_or_else(|| OAuthError::invalid_client("unknown client"))?,
        ),
        None => None,
    };
    let post_logout = params
        .post_logout_redirect_uri
        .as_deref()
        .filter(|u| !u.is_empty());
    if post_logout.is_some() && client.is_none() {
        return Err(OAuthError::invalid_request(
            "post_logout_redirect_uri needs client_id or id_token_hint",
        )
        .into());
    }
    end_sessions(core, browser.as_ref(), hint.as_ref(), context).await?;
    match (post_logout, &client) {
        (Some(uri), Some(client)) if allowed_post_logout(client, uri) => Ok(
            LogoutOutcome::Redirect(with_params(uri, &[("state", params.state.as_deref())])),
        ),
        _ => Ok(LogoutOutcome::Page),
    }
}

async fn end_sessions(
    core: &Core,
    browser: Option<&(User, Session)>,
    hint: Option<&Hint>,
    context: &RequestContext,
) -> Result<()> {
    let now = core.clock.now();
    let mut revoked = Vec::new();
    // Browser sessions to end, with their owner (a grant's parent session is its user's).
    let mut parents: Vec<(SessionId, UserId)> = Vec::new();
    if let Some((user, session)) = browser {
        parents.push((session.id, user.id));
    }
    if let Some(sid) = hint.and_then(|h| h.sid) {
        if let Some(grant) = core.store.get_grant(sid).await? {
            let entry = session_revoked(
                grant.session.user_id,
                grant.session.id,
                "end_session",
                Actor::user(grant.session.user_id, None),
                context,
                now,
            );
            if core
                .store
                .revoke_session(grant.session.id, "end_session", now, &[entry])
                .await?
            {
                revoked.push(grant.session.id);
            }
            // The hinted grant's browser session ends too, when it is this browser's or
            // there is no cookie (the user is signing out of the provider).
            let same_user = browser.is_none_or(|(user, _)| user.id == grant.session.user_id);
            if let Some(parent) = grant.parent_session_id.filter(|_| same_user) {
                if !parents.iter().any(|(id, _)| *id == parent) {
                    parents.push((parent, grant.session.user_id));
                }
            }
        }
    }
    for (parent, owner) in parents {
        let entry = session_revoked(
            owner,
            parent,
            "end_session",
            Actor::user(owner, None),
            context,
            now,
        );
        if core
            .store
            .revoke_session(parent, "end_session", now, &[entry])
            .await?
        {
            revoked.push(parent);
        }
        revoked.extend(end_child_grants(core, parent, "end_session", context).await?);
    }
    publish_revoked_sessions(core, &revoked).await;
    if let Some((user, session)) = browser {
        let entry = AuditEntry::new(
            "user.signed_out",
            Actor::user(user.id, Some(&user.email)),
            context,
            now,
        )
        .target("session", session.id)
        .details(serde_json::json!({"via": "end_session", "revoked_sessions": revoked.len()}))
        .concerning_user(user.id.as_uuid());
        core.store.record_audit(&[entry]).await?;
    }
    Ok(())
}
