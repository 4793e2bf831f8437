//! `GET`/`POST /logout` (OpenID Connect RP-Initiated Logout, API.md §9 "End session"): ends the
//! browser session and its grants, clears the session and token cookies, then redirects to a
//! registered `post_logout_redirect_uri` (with `state`) or shows a signed-out page. Bad
//! requests answer 400 in the OAuth shape.

use axum::extract::{FromRequest, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use janua_core::oidc::logout::{logout, LogoutOutcome, LogoutParams};
use serde::Deserialize;

use crate::http::audit::request_context;
use crate::http::error::AlreadyShaped;
use crate::http::oidc::authorize::browser;
use crate::http::oidc::response::OAuthFailure;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/logout", get(get_logout).post(post_logout))
}

#[derive(Debug, Default, Deserialize)]
pub struct LogoutQuery {
    client_id: Option<String>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
    id_token_hint: Option<String>,
}

/// Cookies that may hold a session or tokens for this site (API.md §9).
const TOKEN_COOKIES: [&str; 4] = [
    "access_token",
    "refresh_token",
    "janua_access_token",
    "janua_refresh_token",
];

/// Ends the session; 302 to the client or 200 page.
#[utoipa::path(
    get,
    path = "/logout",
    tag = "oidc",
    responses(
        (status = 302, description = "To the registered post_logout_redirect_uri, with state"),
        (status = 200, description = "Signed-out page"),
        (status = 400, description = "invalid_client or invalid_request")
    )
)]
pub async fn get_logout(State(state): State<AppState>, request: Request) -> Response {
    let query = axum::extract::Query::<LogoutQuery>::try_from_uri(request.uri())
        .map(|q| q.0)
        .map_err(|_| ());
    end(&state, request, query).await
}

pub async fn post_logout(State(state): State<AppState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let form_request = Request::from_parts(parts.clone(), body);
    let query = axum::Form::<LogoutQuery>::from_request(form_request, &state)
        .await
        .map(|f| f.0)
        .map_err(|_| ());
    end(
        &state,
        Request::from_parts(parts, axum::body::Body::empty()),
        query,
    )
    .await
}

async fn end(state: &AppState, request: Request, query: Result<LogoutQuery, ()>) -> Response {
    let Ok(query) = query else {
        return bad_request(OAuthFailure::invalid_request(
            "the logout request could not be read",
        ));
    };
    let (parts, _) = request.into_parts();
    let context = request_context(&parts);
    let headers: &HeaderMap = &parts.headers;
    let browser = match browser(state, headers).await {
        Ok(b) => b.map(|b| (b.user, b.session)),
        Err(e) => return state.pages.error(e),
    };
    let params = LogoutParams {
        client_id: query.client_id,
        post_logout_redirect_uri: query.post_logout_redirect_uri,
        state: query.state,
        id_token_hint: query.id_token_hint,
    };
    let mut response = match logout(&state.core, &params, browser, &context).await {
        Ok(LogoutOutcome::Redirect(url)) => match HeaderValue::from_str(&url) {
            Ok(location) => {
                let mut r = StatusCode::FOUND.into_response();
                r.headers_mut().insert(header::LOCATION, location);
                r
            }
            Err(_) => signed_out_page(state),
        },
        Ok(LogoutOutcome::Page) => signed_out_page(state),
        Err(e) => return bad_request(OAuthFailure::from(e)),
    };
    clear_cookies(state, &mut response);
    response
}

fn signed_out_page(state: &AppState) -> Response {
    state.pages.message(
        StatusCode::OK,
        "Signed out",
        "You have been signed out.",
        None,
        None,
    )
}

fn clear_cookies(state: &AppState, response: &mut Response) {
    let headers = response.headers_mut();
    if let Some(cookie) = state.pages.cookies.clear_session() {
        headers.append(header::SET_COOKIE, cookie);
    }
    for name in TOKEN_COOKIES {
        if let Ok(cookie) = HeaderValue::from_str(&format!(
            "{name}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"
        )) {
            headers.append(header::SET_COOKIE, cookie);
        }
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// The OAuth shape with status 400 for every end-session error (`invalid_client` included).
fn bad_request(failure: OAuthFailure) -> Response {
    let mut response = failure.into_response();
    if response.status().is_client_error() {
        *response.status_mut() = StatusCode::BAD_REQUEST;
        response.headers_mut().remove(header::WWW_AUTHENTICATE);
        response.extensions_mut().insert(AlreadyShaped);
    }
    response
}
