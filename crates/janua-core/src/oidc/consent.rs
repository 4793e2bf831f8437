//! Consents (API.md §9 step 5): whether a stored consent covers the requested scopes, and the
//! user's answer on the hosted consent page, which stores the consent and issues the code or
//! sends `access_denied` back to the client.

use crate::audit::{Actor, AuditEntry, RequestContext};
use crate::context::Core;
use crate::error::{AuthFailure, Error, Result};
use crate::ids::{OAuthClientId, UserId};
use crate::oidc::authorize::{error_redirect, issue_code, live_request, AuthorizeError, Browser};
use crate::oidc::error::{OAuthError, OAuthErrorCode};
use crate::oidc::store::Consent;

pub async fn consent_covers(
    core: &Core,
    user: UserId,
    client: OAuthClientId,
    scopes: &[String],
) -> Result<bool> {
    Ok(core
        .store
        .get_consent(user, client)
        .await?
        .filter(|c| c.revoked_at.is_none())
        .is_some_and(|c| scopes.iter().all(|s| c.scopes.contains(s))))
}

/// The user's answer to the consent page for the parked request `request_id`; returns where to
/// send the browser (the client's redirect URI with a code or `access_denied`).
pub async fn answer_consent(
    core: &Core,
    request_id: &str,
    browser: &Browser,
    allow: bool,
    context: &RequestContext,
) -> Result<String> {
    let request = live_request(core, request_id).await.map_err(|e| match e {
        AuthorizeError::NoRedirect(_) => Error::auth(AuthFailure::InvalidToken),
        AuthorizeError::Internal(e) => e,
    })?;
    let client = core
        .store
        .get_client(request.client)
        .await?
        .filter(|c| c.spec.is_active)
        .ok_or(Error::auth(AuthFailure::InvalidToken))?;
    let now = core.clock.now();
    if !core
        .store
        .consume_authorization_request(request.id, now)
        .await?
    {
        return Err(Error::auth(AuthFailure::InvalidToken));
    }
    let actor = Actor::user(browser.user.id, Some(&browser.user.email));
    if !allow {
        let entry = AuditEntry::new("oauth_consent.denied", actor, context, now)
            .target("oauth_client", client.id)
            .details(serde_json::json!({"client_id": client.client_id, "scopes": request.scopes}))
            .concerning_user(browser.user.id.as_uuid());
        core.store.record_audit(&[entry]).await?;
        let error = OAuthError::new(OAuthErrorCode::AccessDenied, "the user denied the request");
        return Ok(error_redirect(
            core,
            &request.redirect_uri,
            request.state.as_deref(),
            &error,
        ));
    }
    let mut scopes = core
        .store
        .get_consent(browser.user.id, client.id)
        .await?
        .filter(|c| c.revoked_at.is_none())
        .map(|c| c.scopes)
        .unwrap_or_default();
    for scope in &request.scopes {
        if !scopes.contains(scope) {
            scopes.push(scope.clone());
        }
    }
    let entry = AuditEntry::new("oauth_consent.granted", actor, context, now)
        .target("oauth_client", client.id)
        .details(serde_json::json!({"client_id": client.client_id, "scopes": scopes}))
        .concerning_user(browser.user.id.as_uuid());
    let consent = Consent {
        user_id: browser.user.id,
        client: client.id,
        scopes,
        granted_at: now,
        revoked_at: None,
    };
    core.store.save_consent(&consent, &[entry]).await?;
    issue_code(core, &client, &request, browser).await
}
