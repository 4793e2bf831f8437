//! `POST /api/v1/oauth/introspect` (RFC 7662) and `POST /api/v1/oauth/revoke` (RFC 7009):
//! form bodies with client authentication, one core call each.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use janua_core::oidc::client_auth::ClientCredentials;
use janua_core::oidc::introspection::introspect;
use janua_core::oidc::revocation::revoke;
use serde::Deserialize;

use crate::http::audit::AuditContext;
use crate::http::oidc::response::{client_credentials, no_store_json, OAuthFailure, OAuthForm};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/oauth/introspect", post(post_introspect))
        .route("/api/v1/oauth/revoke", post(post_revoke))
}

#[derive(Debug, Deserialize)]
pub struct TokenForm {
    token: Option<String>,
    token_type_hint: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

fn parse(
    headers: &HeaderMap,
    form: Result<OAuthForm<TokenForm>, OAuthFailure>,
) -> Result<(TokenForm, ClientCredentials), OAuthFailure> {
    let OAuthForm(form) = form?;
    let credentials = client_credentials(
        headers,
        form.client_id.as_deref(),
        form.client_secret.as_deref(),
    )?;
    let basic = matches!(credentials, ClientCredentials::Basic { .. });
    if form.token.as_deref().is_none_or(str::is_empty) {
        return Err(OAuthFailure::invalid_request("token is required").with_basic(basic));
    }
    Ok((form, credentials))
}

/// `{"active": false}`, or the token's claims for its owner or audience.
#[utoipa::path(
    post,
    path = "/api/v1/oauth/introspect",
    tag = "oidc",
    responses(
        (status = 200, description = "{active:false} or {active:true,sub,client_id,scope,exp,iat,token_type,iss,aud,jti,sid,username}"),
        (status = 400, description = "invalid_request"),
        (status = 401, description = "invalid_client")
    )
)]
pub async fn post_introspect(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<OAuthForm<TokenForm>, OAuthFailure>,
) -> Response {
    let (form, credentials) = match parse(&headers, form) {
        Ok(parsed) => parsed,
        Err(failure) => return failure.into_response(),
    };
    let basic = matches!(credentials, ClientCredentials::Basic { .. });
    let token = form.token.unwrap_or_default();
    match introspect(
        &state.core,
        &credentials,
        &token,
        form.token_type_hint.as_deref(),
    )
    .await
    {
        Ok(body) => no_store_json(&body),
        Err(e) => OAuthFailure::from(e).with_basic(basic).into_response(),
    }
}

/// Revokes an access or refresh token of the calling client; 200 even for unknown tokens.
#[utoipa::path(
    post,
    path = "/api/v1/oauth/revoke",
    tag = "oidc",
    responses(
        (status = 200, description = "{message:\"Token revoked\"}"),
        (status = 400, description = "invalid_request"),
        (status = 401, description = "invalid_client")
    )
)]
pub async fn post_revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    AuditContext(context): AuditContext,
    form: Result<OAuthForm<TokenForm>, OAuthFailure>,
) -> Response {
    let (form, credentials) = match parse(&headers, form) {
        Ok(parsed) => parsed,
        Err(failure) => return failure.into_response(),
    };
    let basic = matches!(credentials, ClientCredentials::Basic { .. });
    let token = form.token.unwrap_or_default();
    match revoke(&state.core, &credentials, &token, &context).await {
        Ok(()) => no_store_json(&serde_json::json!({"message": "Token revoked"})),
        Err(e) => OAuthFailure::from(e).with_basic(basic).into_response(),
    }
}
