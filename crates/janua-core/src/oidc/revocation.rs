//! Token revocation (RFC 7009, API.md §9): a client revokes one of its own tokens. A refresh
//! token takes its whole grant session (family and access tokens) with it; an access token
//! goes on the deny list until it expires. Unknown tokens and other clients' tokens are
//! answered the same way (success), so nothing is learned from the answer.

use std::time::Duration;

use crate::audit::{Actor, AuditEntry, RequestContext};
use crate::auth::audit_events::session_revoked;
use crate::auth::revocation::{publish_revoked_sessions, publish_revoked_token};
use crate::context::Core;
use crate::crypto::secret_digest;
use crate::error::Result;
use crate::oidc::client_auth::{authenticate_client, ClientCredentials};
use crate::oidc::introspection::verify_any_audience;

const MAX_TOKEN_LEN: usize = 8192;

pub async fn revoke(
    core: &Core,
    credentials: &ClientCredentials,
    token: &str,
    context: &RequestContext,
) -> Result<()> {
    let entry = authenticate_client(core, credentials, true).await?;
    let client = &entry.client;
    if token.is_empty() || token.len() > MAX_TOKEN_LEN {
        return Ok(());
    }
    let now = core.clock.now();
    let audit = |kind: &str| {
        AuditEntry::new(
            "oauth_token.revoked",
            Actor::oauth_client(&client.client_id),
            context,
            now,
        )
        .target("oauth_client", client.id)
        .details(serde_json::json!({"client_id": client.client_id, "token_type": kind}))
    };
    if token.bytes().filter(|b| *b == b'.').count() == 2 {
        let Some(claims) = verify_any_audience(core, client, token) else {
            return Ok(());
        };
        if claims.client_id.as_deref() != Some(client.client_id.as_str()) {
            return Ok(());
        }
        let Ok(jti) = uuid::Uuid::try_parse(&claims.jti) else {
            return Ok(());
        };
        let expires_at = chrono::DateTime::from_timestamp(claims.exp, 0).unwrap_or(now);
        core.store.deny_access_token(jti, expires_at, now).await?;
        let ttl = (expires_at - now).to_std().unwrap_or(Duration::ZERO) + Duration::from_secs(60);
        publish_revoked_token(core, &claims.jti, ttl).await;
        core.store.record_audit(&[audit("access_token")]).await?;
        return Ok(());
    }
    let Some(record) = core.store.find_refresh_token(&secret_digest(token)).await? else {
        return Ok(());
    };
    let Some(grant) = core
        .store
        .get_grant(record.session_id)
        .await?
        .filter(|g| g.client == client.id)
    else {
        return Ok(());
    };
    let entries = [
        audit("refresh_token"),
        session_revoked(
            grant.session.user_id,
            grant.session.id,
            "token_revoked",
            Actor::oauth_client(&client.client_id),
            context,
            now,
        ),
    ];
    core.store
        .revoke_session(grant.session.id, "token_revoked", now, &entries)
        .await?;
    publish_revoked_sessions(core, &[grant.session.id]).await;
    Ok(())
}
