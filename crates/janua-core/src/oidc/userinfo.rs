//! UserInfo (OIDC Core §5.3, API.md §9): the claims the access token's scopes release. A token
//! without `openid` in its scope gets `insufficient_scope`; REST session tokens (no scope)
//! get every claim.

use serde_json::{Map, Value};

use crate::auth::principal::authenticate;
use crate::context::Core;
use crate::error::{Error, Result};
use crate::oidc::error::{OAuthError, OAuthErrorCode};
use crate::oidc::scopes;
use crate::oidc::tokens::user_claims;

fn invalid_token() -> Error {
    OAuthError::invalid_token("the access token is invalid, expired or revoked").into()
}

pub async fn userinfo(core: &Core, bearer: &str) -> Result<Map<String, Value>> {
    let principal = authenticate(core, bearer).await.map_err(|e| match e {
        Error::Unauthorized => invalid_token(),
        other => other,
    })?;
    let granted: Option<Vec<String>> = principal
        .claims
        .scope
        .as_deref()
        .map(|s| s.split(' ').map(str::to_owned).collect());
    if let Some(granted) = &granted {
        if !granted.iter().any(|s| s == scopes::OPENID) {
            return Err(OAuthError::new(
                OAuthErrorCode::InsufficientScope,
                "the access token lacks the openid scope",
            )
            .into());
        }
    }
    let user = core
        .store
        .get_user(principal.user_id)
        .await?
        .filter(|u| u.status.can_authenticate())
        .ok_or_else(invalid_token)?;
    Ok(user_claims(
        &user,
        granted.as_deref().unwrap_or(&[]),
        granted.is_none(),
    ))
}
