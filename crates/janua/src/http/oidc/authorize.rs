//! `GET`/`POST /api/v1/oauth/authorize` and `POST /api/v1/oauth/consent` (API.md §9
//! "Authorize"): read the request and the browser session (`janua_session`), ask core what
//! comes next, and answer with a redirect, the hosted sign-in page, the consent page, or an
//! error page when the client or redirect URI cannot be trusted.
//!
//! `POST /authorize` accepts the same parameters as a form (OIDC Core §3.1.2.1). A form from
//! our own pages carries `csrf_token`, which is then verified (403 `CSRF_FAILED`); a relying
//! party's form post has none and is treated exactly like the equivalent GET, which is no more
//! powerful.

use axum::extract::{FromRequest, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use janua_core::auth::browser_session::authenticate_cookie;
use janua_core::oidc::authorize::{
    authorize, resume, AuthorizeError, AuthorizeOutcome, AuthorizeParams, Browser,
};
use janua_core::oidc::consent::answer_consent;
use janua_core::oidc::urls::with_params;
use serde::Deserialize;

use crate::http::audit::AuditContext;
use crate::pages::consent::consent_page;
use crate::pages::cookies::session_values;
use crate::pages::csrf::{self, Binding};
use crate::pages::response::{CheckedForm, CsrfProtected, PageError};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/oauth/authorize",
            get(get_authorize).post(post_authorize),
        )
        .route("/api/v1/oauth/consent", post(post_consent))
}

/// Every parameter Janua reads; others are ignored (OIDC Core §3.1.2.1).
#[derive(Debug, Default, Deserialize)]
pub struct AuthorizeQuery {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    prompt: Option<String>,
    max_age: Option<String>,
    login_hint: Option<String>,
    id_token_hint: Option<String>,
    request: Option<String>,
    request_uri: Option<String>,
    organization: Option<String>,
    /// A request parked while the user signed in (set by the hosted sign-in page).
    auth_request_id: Option<String>,
    csrf_token: Option<String>,
}

impl AuthorizeQuery {
    fn into_params(self) -> AuthorizeParams {
        AuthorizeParams {
            response_type: self.response_type,
            client_id: self.client_id,
            redirect_uri: self.redirect_uri,
            scope: self.scope,
            state: self.state,
            nonce: self.nonce,
            code_challenge: self.code_challenge,
            code_challenge_method: self.code_challenge_method,
            prompt: self.prompt,
            max_age: self.max_age,
            login_hint: self.login_hint,
            id_token_hint: self.id_token_hint,
            request: self.request,
            request_uri: self.request_uri,
            organization: self.organization,
        }
    }
}

/// The signed-in browser, if its `janua_session` cookie names a live session.
pub async fn browser(state: &AppState, headers: &HeaderMap) -> Result<Option<Browser>, PageError> {
    for secret in session_values(headers) {
        match authenticate_cookie(&state.core, secret).await {
            Ok((user, session)) => return Ok(Some(Browser { user, session })),
            Err(janua_core::Error::Unauthorized) => continue,
            Err(other) => return Err(other.into()),
        }
    }
    Ok(None)
}

fn found(location: &str) -> Response {
    let mut response = StatusCode::FOUND.into_response();
    match HeaderValue::from_str(location) {
        Ok(value) => {
            response.headers_mut().insert(header::LOCATION, value);
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(_) => StatusCode::BAD_REQUEST.into_response(),
    }
}

async fn run(state: &AppState, headers: &HeaderMap, query: AuthorizeQuery) -> Response {
    let browser = match browser(state, headers).await {
        Ok(b) => b,
        Err(e) => return state.pages.error(e),
    };
    let outcome = match query.auth_request_id.clone() {
        Some(id) => resume(&state.core, &id, browser).await,
        None => authorize(&state.core, query.into_params(), browser).await,
    };
    match outcome {
        Ok(AuthorizeOutcome::Redirect(url)) => found(&url),
        Ok(AuthorizeOutcome::Login {
            request_id,
            client_id,
            client_name,
            login_hint,
        }) => {
            let request_id = request_id.to_string();
            found(&with_params(
                "/api/v1/auth/login",
                &[
                    ("auth_request_id", Some(&request_id)),
                    ("client_id", Some(&client_id)),
                    ("client_name", Some(&client_name)),
                    ("login_hint", login_hint.as_deref()),
                ],
            ))
        }
        Ok(AuthorizeOutcome::Consent {
            request_id,
            client,
            scopes,
        }) => consent_page(state, headers, request_id, &client, &scopes),
        Ok(AuthorizeOutcome::EmailNotVerified) => state.pages.message(
            StatusCode::FORBIDDEN,
            "Verify your email address first",
            "Open the link in the verification email we sent you, then return to the \
             application and sign in again.",
            Some("EMAIL_NOT_VERIFIED"),
            None,
        ),
        Err(AuthorizeError::NoRedirect(error)) => state.pages.message(
            StatusCode::BAD_REQUEST,
            "This sign-in request cannot be completed",
            &error.description,
            Some(error.code.as_str()),
            None,
        ),
        Err(AuthorizeError::Internal(e)) => state.pages.error(e.into()),
    }
}

/// Starts (or, with `auth_request_id`, resumes) an authorization request.
#[utoipa::path(
    get,
    path = "/api/v1/oauth/authorize",
    tag = "oidc",
    responses(
        (status = 302, description = "To the client (code or error, with state and iss) or to the hosted sign-in page"),
        (status = 200, description = "Consent page"),
        (status = 400, description = "Unknown client or unregistered redirect_uri (error page, no redirect)")
    )
)]
pub async fn get_authorize(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Response {
    match axum::extract::Query::<AuthorizeQuery>::try_from_uri(&uri) {
        Ok(axum::extract::Query(query)) => run(&state, &headers, query).await,
        Err(_) => state.pages.error(PageError::bad_request(
            "The authorization request could not be read (each parameter at most once).",
        )),
    }
}

pub async fn post_authorize(State(state): State<AppState>, request: Request) -> Response {
    let headers = request.headers().clone();
    let query = match axum::Form::<AuthorizeQuery>::from_request(request, &state).await {
        Ok(axum::Form(query)) => query,
        Err(_) => return state.pages.error(PageError::bad_request(
            "The authorization request could not be read (a form, each parameter at most once).",
        )),
    };
    if let Some(token) = query.csrf_token.as_deref() {
        let valid = csrf::origin_allowed(&headers, &state.pages.own_origins)
            && csrf::cookie_value(&headers).is_some_and(|cookie| {
                state
                    .pages
                    .csrf
                    .verify(Binding::Cookie(cookie), token, state.clock.now())
            });
        if !valid {
            return state.pages.error(PageError::csrf_failed());
        }
    }
    run(&state, &headers, query).await
}

#[derive(Debug, Deserialize)]
pub struct ConsentForm {
    auth_request_id: Option<String>,
    csrf_token: Option<String>,
    action: Option<String>,
}

impl CsrfProtected for ConsentForm {
    fn csrf_token(&self) -> Option<&str> {
        self.csrf_token.as_deref()
    }
}

/// The consent page's answer: `action=allow` (stores the consent, 302 with a code) or `deny`
/// (302 with `error=access_denied`).
pub async fn post_consent(
    State(state): State<AppState>,
    headers: HeaderMap,
    AuditContext(context): AuditContext,
    CheckedForm(form): CheckedForm<ConsentForm>,
) -> Response {
    let browser = match browser(&state, &headers).await {
        Ok(Some(b)) => b,
        Ok(None) => {
            return state.pages.error(PageError::new(
                StatusCode::UNAUTHORIZED,
                "UNAUTHORIZED",
                "Sign in first",
                "Your session has ended. Start again from the application.",
            ))
        }
        Err(e) => return state.pages.error(e),
    };
    let allow = match form.action.as_deref() {
        Some("allow") => true,
        Some("deny") => false,
        _ => {
            return state
                .pages
                .error(PageError::bad_request("Choose allow or deny."))
        }
    };
    let request_id = form.auth_request_id.unwrap_or_default();
    match answer_consent(&state.core, &request_id, &browser, allow, &context).await {
        Ok(url) => found(&url),
        Err(e) => state.pages.error(e.into()),
    }
}
