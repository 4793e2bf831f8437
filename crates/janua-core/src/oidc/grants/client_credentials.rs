//! `client_credentials` (RFC 6749 §4.4): a confidential client's own access token. `scope`
//! must be within `allowed_scopes` (absent: all of them). Nothing is written: the token is
//! signed and returned, so the rate is bounded by signing.

use crate::context::Core;
use crate::error::Result;
use crate::oidc::clients::OAuthClient;
use crate::oidc::error::OAuthError;
use crate::oidc::grants::TokenParams;
use crate::oidc::scopes::Scopes;
use crate::oidc::tokens::{client_access_token, TokenResponse};

pub fn issue(core: &Core, client: &OAuthClient, params: &TokenParams) -> Result<TokenResponse> {
    if !client.spec.is_confidential {
        return Err(OAuthError::unauthorized_client(
            "public clients cannot use client_credentials",
        )
        .into());
    }
    let scope = match params.scope.as_deref().filter(|s| !s.trim().is_empty()) {
        None => client.spec.allowed_scopes.join(" "),
        Some(raw) => {
            let scopes = Scopes::parse(raw)?;
            if !scopes.is_subset_of(&client.spec.allowed_scopes) {
                return Err(OAuthError::invalid_scope(
                    "a requested scope is not allowed for this client",
                )
                .into());
            }
            scopes.joined()
        }
    };
    let now = core.clock.now();
    let access_token = client_access_token(core, client, &scope, now)?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: core.auth.access_token_ttl.num_seconds(),
        refresh_token: None,
        id_token: None,
        scope,
    })
}
