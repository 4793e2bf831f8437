//! Opening a grant session (the `sid` of OAuth user tokens and one refresh-token family) and
//! issuing the user's tokens for it: access token, refresh token when the client has that
//! grant, ID token when `openid` was granted.

use chrono::{DateTime, Utc};

use crate::audit::{Actor, AuditEntry, RequestContext};
use crate::auth::tokens::new_refresh_secret;
use crate::auth::users::User;
use crate::context::Core;
use crate::error::Result;
use crate::ids::{OrgId, SessionId};
use crate::oidc::clients::{OAuthClient, GRANT_REFRESH_TOKEN};
use crate::oidc::scopes;
use crate::oidc::store::NewGrantSession;
use crate::oidc::tokens::{id_token, user_access_token, GrantClaims, IdTokenFacts, TokenResponse};
use crate::orgs::claims::{memberships_claim, OrgClaims};

/// What the new grant carries over from the authorization.
pub struct GrantFacts<'a> {
    pub user: &'a User,
    pub client: &'a OAuthClient,
    pub scopes: &'a [String],
    pub parent_session_id: Option<SessionId>,
    pub nonce: Option<&'a str>,
    pub auth_time: DateTime<Utc>,
    pub amr: &'a [String],
    pub code_id: Option<uuid::Uuid>,
    /// The authorization's `organization`: its claims go into the tokens.
    pub organization_id: Option<OrgId>,
}

pub async fn open_grant(core: &Core, facts: &GrantFacts<'_>) -> Result<TokenResponse> {
    let now = core.clock.now();
    let id = SessionId::new();
    let refresh = facts
        .client
        .spec
        .allows_grant(GRANT_REFRESH_TOKEN)
        .then(new_refresh_secret);
    let grant = NewGrantSession {
        id,
        user_id: facts.user.id,
        client: facts.client.id,
        parent_session_id: facts.parent_session_id,
        scopes: facts.scopes.to_vec(),
        organization_id: facts.organization_id,
        amr: facts.amr.to_vec(),
        auth_time: facts.auth_time,
        created_at: now,
        expires_at: now + core.auth.session_ttl,
        absolute_expires_at: now + core.auth.session_absolute_ttl,
        refresh_token_hash: refresh.as_ref().map(|r| r.digest.clone()),
        code_id: facts.code_id,
    };
    let entry = AuditEntry::new(
        "oauth_grant.created",
        Actor::user(facts.user.id, Some(&facts.user.email)),
        &RequestContext::default(),
        now,
    )
    .target("session", id)
    .details(serde_json::json!({"client_id": facts.client.client_id, "scopes": facts.scopes}))
    .concerning_user(facts.user.id.as_uuid());
    core.store.open_grant_session(&grant, &[entry]).await?;
    issue_user_tokens(core, facts, id, facts.scopes, refresh.map(|r| r.token), now).await
}

/// Access token (+ ID token with `openid`) for an existing grant session.
pub async fn issue_user_tokens(
    core: &Core,
    facts: &GrantFacts<'_>,
    grant: SessionId,
    granted: &[String],
    refresh_token: Option<String>,
    now: DateTime<Utc>,
) -> Result<TokenResponse> {
    let scope = granted.join(" ");
    // Read at every issue, so a role change (or leaving the organization) shows at the next
    // refresh.
    let org = OrgClaims::of(core, facts.user, facts.organization_id).await?;
    let claims = GrantClaims {
        sid: grant,
        scope: &scope,
        amr: facts.amr,
        org: &org,
    };
    let access_token = user_access_token(core, facts.user, facts.client, &claims, now)?;
    let organization = if granted.iter().any(|s| s == scopes::ORGANIZATION) {
        Some((&org, memberships_claim(core, facts.user).await?))
    } else {
        None
    };
    let id_token = if granted.iter().any(|s| s == scopes::OPENID) {
        let id_facts = IdTokenFacts {
            nonce: facts.nonce,
            auth_time: facts.auth_time,
            amr: facts.amr,
            sid: grant,
            access_token: &access_token,
            organization,
        };
        Some(id_token(
            core,
            facts.user,
            facts.client,
            granted,
            &id_facts,
            now,
        )?)
    } else {
        None
    };
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: core.auth.access_token_ttl.num_seconds(),
        refresh_token,
        id_token,
        scope,
    })
}

/// Ends the grant sessions opened under a browser session that has ended, except those
/// granted `offline_access` (API.md §9: they outlive the browser session). Returns the ids.
pub async fn end_child_grants(
    core: &Core,
    parent: SessionId,
    reason: &str,
    context: &crate::audit::RequestContext,
) -> Result<Vec<SessionId>> {
    let now = core.clock.now();
    let mut revoked = Vec::new();
    for grant in core.store.list_child_grants(parent, now).await? {
        if grant.scopes.iter().any(|s| s == scopes::OFFLINE_ACCESS) {
            continue;
        }
        if core
            .store
            .revoke_session(
                grant.session.id,
                reason,
                now,
                &[crate::auth::audit_events::session_revoked(
                    grant.session.user_id,
                    grant.session.id,
                    reason,
                    crate::audit::Actor::user(grant.session.user_id, None),
                    context,
                    now,
                )],
            )
            .await?
        {
            revoked.push(grant.session.id);
        }
    }
    crate::auth::revocation::publish_revoked_sessions(core, &revoked).await;
    Ok(revoked)
}
