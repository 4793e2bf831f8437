//! `POST /api/v1/oauth/token` (API.md §9 "Token") and `POST /api/v1/oauth/device_authorization`
//! (RFC 8628 §3.1): form bodies, client authentication, one core call each.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use janua_core::oidc::client_auth::ClientCredentials;
use janua_core::oidc::device::start_device_authorization;
use janua_core::oidc::grants::{token, TokenParams};
use serde::Deserialize;

use crate::http::oidc::response::{client_credentials, no_store_json, OAuthFailure, OAuthForm};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/oauth/token", post(post_token))
        .route(
            "/api/v1/oauth/device_authorization",
            post(post_device_authorization),
        )
}

#[derive(Debug, Deserialize)]
pub struct TokenForm {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    refresh_token: Option<String>,
    code_verifier: Option<String>,
    scope: Option<String>,
    device_code: Option<String>,
}

/// `RATE_LIMIT_TOKEN` per client.
/// The client behind a token-endpoint request (RFC 6749 §2.3: HTTP Basic or the form's
/// `client_id`/`client_secret`), after the per-client rate limit. Returns the credentials and
/// whether they came by Basic (an `invalid_client` answer then carries `WWW-Authenticate`).
async fn calling_client(
    state: &AppState,
    headers: &HeaderMap,
    client_id: Option<&str>,
    client_secret: Option<&str>,
) -> Result<(ClientCredentials, bool), OAuthFailure> {
    let credentials = client_credentials(headers, client_id, client_secret)?;
    let basic = matches!(credentials, ClientCredentials::Basic { .. });
    state
        .rate_limiter
        .check(
            "token",
            credentials.client_id(),
            &state.config.rate_limits.token,
        )
        .await
        .map_err(OAuthFailure::from)?;
    Ok((credentials, basic))
}

/// Issues tokens for the `grant_type` (authorization_code, refresh_token, client_credentials,
/// device_code).
#[utoipa::path(
    post,
    path = "/api/v1/oauth/token",
    tag = "oidc",
    responses(
        (status = 200, description = "access_token, token_type, expires_in, scope; refresh_token and id_token when issued"),
        (status = 400, description = "invalid_request, invalid_grant, unauthorized_client, unsupported_grant_type, invalid_scope"),
        (status = 401, description = "invalid_client")
    )
)]
pub async fn post_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<OAuthForm<TokenForm>, OAuthFailure>,
) -> Response {
    let OAuthForm(form) = match form {
        Ok(form) => form,
        Err(failure) => return failure.into_response(),
    };
    let client = calling_client(
        &state,
        &headers,
        form.client_id.as_deref(),
        form.client_secret.as_deref(),
    )
    .await;
    let (credentials, basic) = match client {
        Ok(client) => client,
        Err(failure) => return failure.into_response(),
    };
    let params = TokenParams {
        grant_type: form.grant_type,
        code: form.code,
        redirect_uri: form.redirect_uri,
        code_verifier: form.code_verifier,
        refresh_token: form.refresh_token,
        scope: form.scope,
        device_code: form.device_code,
    };
    match token(&state.core, &credentials, &params).await {
        Ok(response) => no_store_json(&response),
        Err(e) => OAuthFailure::from(e).with_basic(basic).into_response(),
    }
}

#[derive(Debug, Deserialize)]
pub struct DeviceAuthorizationForm {
    client_id: Option<String>,
    client_secret: Option<String>,
    scope: Option<String>,
}

/// Starts a device authorization: `device_code`, `user_code`, `verification_uri(_complete)`,
/// `expires_in`, `interval`.
#[utoipa::path(
    post,
    path = "/api/v1/oauth/device_authorization",
    tag = "oidc",
    responses(
        (status = 200, description = "RFC 8628 device authorization response"),
        (status = 400, description = "invalid_request, invalid_scope, unauthorized_client"),
        (status = 401, description = "invalid_client")
    )
)]
pub async fn post_device_authorization(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<OAuthForm<DeviceAuthorizationForm>, OAuthFailure>,
) -> Response {
    let OAuthForm(form) = match form {
        Ok(form) => form,
        Err(failure) => return failure.into_response(),
    };
    let client = calling_client(
        &state,
        &headers,
        form.client_id.as_deref(),
        form.client_secret.as_deref(),
    )
    .await;
    let (credentials, basic) = match client {
        Ok(client) => client,
        Err(failure) => return failure.into_response(),
    };
    match start_device_authorization(&state.core, &credentials, form.scope.as_deref()).await {
        Ok(response) => no_store_json(&response),
        Err(e) => OAuthFailure::from(e).with_basic(basic).into_response(),
    }
}
