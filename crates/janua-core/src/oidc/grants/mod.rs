//! The token endpoint (API.md §9 "Token"): authenticates the client, then runs its grant.
//!
//! - [`authorization_code`]: code + PKCE → access, refresh and ID tokens; replays revoke.
//! - [`refresh_token`]: rotation with reuse detection, scope narrowing, fresh ID token.
//! - [`client_credentials`]: confidential clients' own tokens, no storage write.
//! - [`device_code`]: RFC 8628 polling.
//! - [`grant_session`]: opening the grant session behind user tokens and issuing them.

pub mod authorization_code;
pub mod client_credentials;
pub mod device_code;
pub mod grant_session;
pub mod refresh_token;

use crate::context::Core;
use crate::error::Result;
use crate::oidc::client_auth::{authenticate_client, ClientCredentials};
use crate::oidc::clients::{
    GRANT_AUTHORIZATION_CODE, GRANT_CLIENT_CREDENTIALS, GRANT_DEVICE_CODE, GRANT_REFRESH_TOKEN,
};
use crate::oidc::error::{OAuthError, OAuthErrorCode};
use crate::oidc::tokens::TokenResponse;

/// The form fields of `POST /oauth/token` besides client authentication.
#[derive(Debug, Clone, Default)]
pub struct TokenParams {
    pub grant_type: Option<String>,
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
    pub refresh_token: Option<String>,
    pub scope: Option<String>,
    pub device_code: Option<String>,
}

pub fn required<'a>(value: &'a Option<String>, name: &str) -> Result<&'a str> {
    value
        .as_deref()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| OAuthError::invalid_request(format!("{name} is required")).into())
}

pub async fn token(
    core: &Core,
    credentials: &ClientCredentials,
    params: &TokenParams,
) -> Result<TokenResponse> {
    let grant_type = required(&params.grant_type, "grant_type")?;
    let entry = authenticate_client(core, credentials, true).await?;
    let client = &entry.client;
    let known = [
        GRANT_AUTHORIZATION_CODE,
        GRANT_REFRESH_TOKEN,
        GRANT_CLIENT_CREDENTIALS,
        GRANT_DEVICE_CODE,
    ];
    if !known.contains(&grant_type) {
        return Err(OAuthError::new(
            OAuthErrorCode::UnsupportedGrantType,
            "unsupported grant_type",
        )
        .into());
    }
    if !client.spec.allows_grant(grant_type) {
        return Err(OAuthError::unauthorized_client(format!(
            "this client may not use the {grant_type} grant"
        ))
        .into());
    }
    let response = match grant_type {
        GRANT_AUTHORIZATION_CODE => authorization_code::exchange(core, client, params).await,
        GRANT_REFRESH_TOKEN => refresh_token::refresh(core, client, params).await,
        GRANT_CLIENT_CREDENTIALS => client_credentials::issue(core, client, params),
        _ => device_code::poll(core, client, params).await,
    }?;
    metrics::counter!("janua_tokens_issued_total", "grant_type" => grant_label(grant_type))
        .increment(1);
    Ok(response)
}

fn grant_label(grant_type: &str) -> &'static str {
    match grant_type {
        GRANT_AUTHORIZATION_CODE => "authorization_code",
        GRANT_REFRESH_TOKEN => "refresh_token",
        GRANT_CLIENT_CREDENTIALS => "client_credentials",
        _ => "device_code",
    }
}
