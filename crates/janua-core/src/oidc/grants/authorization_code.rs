//! `authorization_code` (RFC 6749 §4.1.3, RFC 7636, RFC 9700 §4.5): the client's live, unused
//! code; the identical `redirect_uri`; the PKCE verifier iff a challenge was sent. A code used
//! twice revokes the grant the first use created (and with it every token it issued).

use crate::audit::{Actor, RequestContext};
use crate::auth::audit_events::session_revoked;
use crate::auth::revocation::publish_revoked_sessions;
use crate::context::Core;
use crate::crypto::secret_digest;
use crate::error::Result;
use crate::oidc::clients::OAuthClient;
use crate::oidc::error::OAuthError;
use crate::oidc::grants::grant_session::{open_grant, GrantFacts};
use crate::oidc::grants::{required, TokenParams};
use crate::oidc::pkce;
use crate::oidc::store::CodeRedemption;
use crate::oidc::tokens::TokenResponse;

fn invalid(description: &str) -> crate::Error {
    OAuthError::invalid_grant(description).into()
}

pub async fn exchange(
    core: &Core,
    client: &OAuthClient,
    params: &TokenParams,
) -> Result<TokenResponse> {
    let code = required(&params.code, "code")?;
    if code.len() > 256 {
        return Err(invalid("the code is invalid"));
    }
    let now = core.clock.now();
    let record = match core
        .store
        .redeem_authorization_code(&secret_digest(code), now)
        .await?
    {
        CodeRedemption::Unknown => return Err(invalid("the code is invalid")),
        CodeRedemption::Replayed(used) => {
            if let Some(grant) = used.grant_session_id {
                if core
                    .store
                    .revoke_session(
                        grant,
                        "authorization_code_reuse",
                        now,
                        &[session_revoked(
                            used.user_id,
                            grant,
                            "authorization_code_reuse",
                            Actor::oauth_client(&client.client_id),
                            &RequestContext::default(),
                            now,
                        )],
                    )
                    .await?
                {
                    tracing::warn!(session_id = %grant, "authorization code replayed; its grant was revoked");
                }
                publish_revoked_sessions(core, &[grant]).await;
            }
            return Err(invalid("the code was already used"));
        }
        CodeRedemption::Redeemed(record) => record,
    };
    if record.client != client.id {
        return Err(invalid("the code was issued to another client"));
    }
    if record.expires_at <= now {
        return Err(invalid("the code has expired"));
    }
    if params.redirect_uri.as_deref() != Some(record.redirect_uri.as_str()) {
        return Err(invalid(
            "redirect_uri does not match the authorization request",
        ));
    }
    match (&record.code_challenge, params.code_verifier.as_deref()) {
        (Some(challenge), Some(verifier)) if pkce::verify_s256(verifier, challenge) => {}
        (None, None) => {}
        _ => return Err(invalid("PKCE verification failed")),
    }
    let user = core
        .store
        .get_user(record.user_id)
        .await?
        .filter(|u| u.status.can_authenticate())
        .ok_or_else(|| invalid("the user can no longer sign in"))?;
    let facts = GrantFacts {
        user: &user,
        client,
        scopes: &record.scopes,
        parent_session_id: Some(record.session_id),
        nonce: record.nonce.as_deref(),
        auth_time: record.auth_time,
        amr: &record.amr,
        code_id: Some(record.id),
        organization_id: record.organization_id,
    };
    open_grant(core, &facts).await
}
