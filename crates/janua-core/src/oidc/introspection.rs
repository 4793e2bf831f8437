//! Token introspection (RFC 7662, API.md §9): a confidential client asks whether a token is
//! active. It sees its own tokens (access or refresh) and access tokens for its audience;
//! anything else, and anything invalid, is `{"active": false}`.

use serde_json::{json, Value};

use crate::auth::access_token::{AccessClaims, ACCESS_TOKEN_TYPE};
use crate::auth::revocation::{is_session_revoked, is_token_revoked};
use crate::context::Core;
use crate::crypto::secret_digest;
use crate::error::Result;
use crate::ids::SessionId;
use crate::oidc::client_auth::{authenticate_client, ClientCredentials};
use crate::oidc::clients::OAuthClient;
use crate::tokens::keys::TokenExpectations;

const MAX_TOKEN_LEN: usize = 8192;

fn inactive() -> Value {
    json!({"active": false})
}

pub async fn introspect(
    core: &Core,
    credentials: &ClientCredentials,
    token: &str,
    token_type_hint: Option<&str>,
) -> Result<Value> {
    let entry = authenticate_client(core, credentials, false).await?;
    if token.is_empty() || token.len() > MAX_TOKEN_LEN {
        return Ok(inactive());
    }
    let looks_like_jwt = token.bytes().filter(|b| *b == b'.').count() == 2;
    // The hint only orders the look-ups (RFC 7662 §2.1); a JWT can only be an access token.
    let _ = token_type_hint;
    if looks_like_jwt {
        return access_token(core, &entry.client, token).await;
    }
    refresh_token(core, &entry.client, token).await
}

/// Verified access-token claims, for `JWT_AUDIENCE` or the client's own audience.
pub fn verify_any_audience(core: &Core, client: &OAuthClient, token: &str) -> Option<AccessClaims> {
    let mut audiences = vec![core.auth.audience.as_str()];
    if let Some(aud) = client.spec.audience.as_deref() {
        audiences.push(aud);
    }
    audiences.into_iter().find_map(|audience| {
        let expect = TokenExpectations {
            issuer: &core.auth.issuer,
            audience,
        };
        core.keys
            .verify::<AccessClaims>(token, &expect)
            .ok()
            .filter(|c| c.token_type == ACCESS_TOKEN_TYPE)
    })
}

async fn access_token(core: &Core, client: &OAuthClient, token: &str) -> Result<Value> {
    let Some(claims) = verify_any_audience(core, client, token) else {
        return Ok(inactive());
    };
    let own = claims.client_id.as_deref() == Some(client.client_id.as_str());
    let for_audience = client
        .spec
        .audience
        .as_deref()
        .is_some_and(|aud| claims.aud.contains(aud));
    if !(own || for_audience) || is_token_revoked(core, &claims.jti).await? {
        return Ok(inactive());
    }
    if let Some(sid) = &claims.sid {
        let Ok(sid) = sid.parse::<SessionId>() else {
            return Ok(inactive());
        };
        if is_session_revoked(core, sid).await? {
            return Ok(inactive());
        }
    }
    let mut body = json!({
        "active": true,
        "sub": claims.sub,
        "scope": claims.scope,
        "client_id": claims.client_id,
        "exp": claims.exp,
        "iat": claims.iat,
        "nbf": claims.nbf,
        "token_type": "Bearer",
        "iss": claims.iss,
        "aud": claims.aud.0,
        "jti": claims.jti,
    });
    if let Some(sid) = claims.sid {
        body["sid"] = json!(sid);
    }
    if let Some(email) = claims.email {
        body["username"] = json!(email);
    }
    Ok(body)
}

async fn refresh_token(core: &Core, client: &OAuthClient, token: &str) -> Result<Value> {
    let now = core.clock.now();
    let Some(record) = core.store.find_refresh_token(&secret_digest(token)).await? else {
        return Ok(inactive());
    };
    let Some(grant) = core
        .store
        .get_grant(record.session_id)
        .await?
        .filter(|g| g.client == client.id)
    else {
        return Ok(inactive());
    };
    if record.used_at.is_some()
        || record.revoked_at.is_some()
        || record.expires_at <= now
        || !grant.session.is_live(now)
    {
        return Ok(inactive());
    }
    let user = core.store.get_user(record.user_id).await?;
    let mut body = json!({
        "active": true,
        "sub": record.user_id.to_string(),
        "scope": grant.scopes.join(" "),
        "client_id": client.client_id,
        "exp": record.expires_at.timestamp(),
        "iat": record.created_at.timestamp(),
        "token_type": "refresh_token",
        "iss": core.auth.issuer,
        "sid": grant.session.id.to_string(),
    });
    if let Some(user) = user {
        body["username"] = json!(user.email);
    }
    Ok(body)
}
