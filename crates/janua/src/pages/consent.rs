//! The hosted consent page of the OAuth provider (API.md §9 step 5): which application asks
//! for which scopes, with Allow and Deny. The form posts to `POST /api/v1/oauth/consent`
//! (`http::oidc::authorize`), CSRF-protected like every hosted form.

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use janua_core::oidc::clients::OAuthClient;
use serde::Serialize;

use crate::state::AppState;

#[derive(Serialize)]
pub struct ScopeView {
    name: String,
    description: &'static str,
}

/// What a scope lets the application do, in words.
pub fn describe_scopes(scopes: &[String]) -> Vec<ScopeView> {
    scopes
        .iter()
        .map(|name| ScopeView {
            description: match name.as_str() {
                "openid" => "Sign you in",
                "profile" => "See your name, username and picture",
                "email" => "See your email address",
                "offline_access" => "Stay connected while you are away",
                "organization" => "See your organizations and roles",
                "admin" => "Administer this server",
                _ => "Access",
            },
            name: name.clone(),
        })
        .collect()
}

#[derive(Serialize)]
struct ConsentView<'a> {
    title: &'static str,
    csrf_token: &'a str,
    auth_request_id: String,
    client_name: &'a str,
    website_url: Option<&'a str>,
    scopes: Vec<ScopeView>,
}

pub fn consent_page(
    state: &AppState,
    headers: &HeaderMap,
    request_id: uuid::Uuid,
    client: &OAuthClient,
    scopes: &[String],
) -> Response {
    let csrf = state.pages.issue_csrf(headers, state.clock.now());
    let view = ConsentView {
        title: "Allow access?",
        csrf_token: &csrf.token,
        auth_request_id: request_id.to_string(),
        client_name: &client.spec.name,
        website_url: client.spec.website_url.as_deref(),
        scopes: describe_scopes(scopes),
    };
    csrf.attach(state.pages.page(StatusCode::OK, "consent.html", &view))
}
