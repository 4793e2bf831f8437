//! `GET`/`POST /api/v1/oauth/userinfo` (OIDC Core §5.3): the bearer token from the
//! `Authorization` header, or (POST only) the `access_token` form field (RFC 6750 §2.2).

use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use janua_core::oidc::error::OAuthError;
use janua_core::oidc::userinfo::userinfo;
use serde::Deserialize;

use crate::http::auth::bearer_from_headers;
use crate::http::oidc::response::{no_store_json, OAuthFailure, OAuthForm};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/api/v1/oauth/userinfo",
        get(get_userinfo).post(post_userinfo),
    )
}

fn missing_token() -> OAuthFailure {
    OAuthFailure::new(OAuthError::invalid_token(
        "a bearer access token is required",
    ))
}

async fn answer(state: &AppState, token: Option<&str>) -> Response {
    let Some(token) = token else {
        return missing_token().into_response();
    };
    match userinfo(&state.core, token).await {
        Ok(claims) => no_store_json(&claims),
        Err(e) => OAuthFailure::from(e).into_response(),
    }
}

/// The user's claims, as far as the token's scopes release them.
#[utoipa::path(
    get,
    path = "/api/v1/oauth/userinfo",
    tag = "oidc",
    responses(
        (status = 200, description = "sub, email, email_verified, name, given_name, family_name, preferred_username, picture, updated_at per scope"),
        (status = 401, description = "invalid_token"),
        (status = 403, description = "insufficient_scope")
    )
)]
pub async fn get_userinfo(State(state): State<AppState>, headers: HeaderMap) -> Response {
    answer(&state, bearer_from_headers(&headers)).await
}

#[derive(Debug, Deserialize)]
pub struct UserinfoForm {
    access_token: Option<String>,
}

/// As GET; the token may also come as the `access_token` form field.
pub async fn post_userinfo(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Some(token) = bearer_from_headers(&headers) {
        return answer(&state, Some(token)).await;
    }
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return missing_token().into_response();
    }
    match serde_urlencoded_form(&body) {
        Ok(OAuthForm(UserinfoForm {
            access_token: Some(token),
        })) if !token.is_empty() => answer(&state, Some(&token)).await,
        Ok(_) => missing_token().into_response(),
        Err(failure) => failure.into_response(),
    }
}

fn serde_urlencoded_form(body: &[u8]) -> Result<OAuthForm<UserinfoForm>, OAuthFailure> {
    let mut token = None;
    for (name, value) in url::form_urlencoded::parse(body) {
        if name == "access_token" {
            if token.is_some() {
                return Err(OAuthFailure::invalid_request("access_token given twice"));
            }
            token = Some(value.into_owned());
        }
    }
    Ok(OAuthForm(UserinfoForm {
        access_token: token,
    }))
}
