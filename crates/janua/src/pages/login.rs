//! The hosted sign-in page: `GET /api/v1/auth/login` shows the form, `POST
//! /api/v1/auth/login-form` checks it with the same core use case as `POST /auth/signin` and
//! hands the browser a `janua_session` cookie (API.md §4 "Hosted pages").

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use janua_core::auth::browser_session::{authenticate_cookie, open_browser_session};
use janua_core::auth::email::{lockout_key, MAX_EMAIL_LEN};
use janua_core::auth::redirects::is_allowed;
use janua_core::auth::sign_in::{Identifier, SignIn};
use janua_core::error::AuthFailure;
use serde::{Deserialize, Serialize};

use crate::http::api::fields::client_of;
use crate::http::audit::AuditContext;
use crate::http::extract::ClientIp;
use crate::pages::cookies::session_values;
use crate::pages::response::{
    short_text, with_retry_after, CheckedForm, CsrfProtected, PageError, PageQuery,
};
use crate::pages::Pages;
use crate::state::AppState;

/// Longest `auth_request_id` / `client_id` carried through the form.
const MAX_ID_LEN: usize = 256;
const MAX_CLIENT_NAME_LEN: usize = 100;
const MAX_PASSWORD_LEN: usize = 256;

#[derive(Debug, Default, Deserialize)]
pub struct LoginQuery {
    auth_request_id: Option<String>,
    client_id: Option<String>,
    client_name: Option<String>,
    next: Option<String>,
    /// OIDC `login_hint` from the authorize endpoint: pre-fills the email field.
    login_hint: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct LoginForm {
    email: Option<String>,
    password: Option<String>,
    csrf_token: Option<String>,
    next: Option<String>,
    auth_request_id: Option<String>,
    client_id: Option<String>,
    client_name: Option<String>,
}

impl CsrfProtected for LoginForm {
    fn csrf_token(&self) -> Option<&str> {
        self.csrf_token.as_deref()
    }
}

/// What the form carries from page to page besides the credentials; unsafe or oversized
/// values are dropped here, so they are never echoed or followed.
#[derive(Debug, Default, Serialize)]
struct Carried {
    next: Option<String>,
    auth_request_id: Option<String>,
    client_id: Option<String>,
    client_name: Option<String>,
}

impl Carried {
    fn new(pages: &Pages, query: LoginQuery) -> Self {
        Self {
            next: query
                .next
                .filter(|next| is_allowed(next, &pages.redirect_origins)),
            auth_request_id: short_text(query.auth_request_id, MAX_ID_LEN),
            client_id: short_text(query.client_id, MAX_ID_LEN),
            client_name: short_text(query.client_name, MAX_CLIENT_NAME_LEN),
        }
    }

    /// Where the browser goes once signed in.
    ///
    /// With an `auth_request_id` the sign-in was started by `GET /api/v1/oauth/authorize`,
    /// which stored the request and sent the browser here (API.md §9 step 3). The browser goes
    /// back to the authorize endpoint with that id; the OAuth provider resumes the stored
    /// request there (and deletes it), now finding the `janua_session` cookie. Otherwise a safe
    /// `next` (relative path or allowed origin), else `/`.
    fn destination(&self) -> String {
        if let Some(id) = &self.auth_request_id {
            let id: String = url::form_urlencoded::byte_serialize(id.as_bytes()).collect();
            return format!("/api/v1/oauth/authorize?auth_request_id={id}");
        }
        self.next.clone().unwrap_or_else(|| "/".to_owned())
    }
}

#[derive(Serialize)]
struct LoginView<'a> {
    title: &'static str,
    csrf_token: &'a str,
    email: Option<&'a str>,
    error: Option<&'a str>,
    #[serde(flatten)]
    carried: &'a Carried,
}

/// `GET /api/v1/auth/login`. A browser that is already signed in and asked for a safe `next`
/// goes straight there. With an `auth_request_id` the form is always shown: the authorize
/// endpoint has already decided that a (fresh) sign-in is needed, for instance for
/// `prompt=login`, and bouncing back would loop.
///
/// The OAuth issue adds here: an expired or unknown `auth_request_id` → 302 to the client's
/// origin, and `client_name` taken from the stored request instead of the query.
pub async fn get_login(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageQuery(query): PageQuery<LoginQuery>,
) -> Response {
    let hint = short_text(query.login_hint.clone(), MAX_EMAIL_LEN);
    let carried = Carried::new(&state.pages, query);
    if let (Some(next), None) = (&carried.next, &carried.auth_request_id) {
        if signed_in(&state, &headers).await {
            return redirect(next, None);
        }
    }
    login_form(
        &state,
        &headers,
        StatusCode::OK,
        &carried,
        hint.as_deref(),
        None,
    )
}

/// `POST /api/v1/auth/login-form`.
pub async fn post_login_form(
    State(state): State<AppState>,
    AuditContext(audit): AuditContext,
    ip: ClientIp,
    headers: HeaderMap,
    CheckedForm(form): CheckedForm<LoginForm>,
) -> Response {
    let carried = Carried::new(
        &state.pages,
        LoginQuery {
            auth_request_id: form.auth_request_id,
            client_id: form.client_id,
            client_name: form.client_name,
            next: form.next,
            login_hint: None,
        },
    );
    let email = form.email.map(|e| e.trim().to_owned()).unwrap_or_default();
    let password = form.password.unwrap_or_default();
    let show = |status, message: &str| {
        login_form(
            &state,
            &headers,
            status,
            &carried,
            Some(&email),
            Some(message),
        )
    };
    if email.is_empty() || password.is_empty() {
        return show(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Enter your email and password.",
        );
    }
    if email.len() > MAX_EMAIL_LEN || password.len() > MAX_PASSWORD_LEN {
        return show(StatusCode::UNAUTHORIZED, INVALID_CREDENTIALS);
    }
    let limit_key = format!("{}|{}", ip.0, lockout_key(&email));
    let limits = &state.config.rate_limits;
    if let Err(limited) = state
        .rate_limiter
        .check("signin", &limit_key, &limits.signin)
        .await
    {
        let mut response = show(
            limited.status,
            "Too many sign-in attempts. Wait a minute and try again.",
        );
        with_retry_after(&mut response, limited.retry_after);
        return response;
    }
    let request = SignIn {
        identifier: Identifier::Email(email.clone()),
        password,
    };
    let client = client_of(&audit);
    match open_browser_session(&state.core, request, &client).await {
        Ok(signed_in) => {
            let max_age = (signed_in.opened.session.expires_at - state.clock.now()).num_seconds();
            let cookie = state
                .pages
                .cookies
                .session(&signed_in.cookie_secret, max_age);
            redirect(&carried.destination(), cookie)
        }
        Err(janua_core::Error::Auth(AuthFailure::InvalidCredentials)) => {
            show(StatusCode::UNAUTHORIZED, INVALID_CREDENTIALS)
        }
        Err(janua_core::Error::Auth(AuthFailure::AccountLocked { retry_after_secs })) => {
            let mut response = show(
                StatusCode::LOCKED,
                "Too many failed attempts: this account is locked for a while. Try again later or reset your password.",
            );
            with_retry_after(&mut response, Some(retry_after_secs));
            response
        }
        Err(other) => state.pages.error(PageError::from(other)),
    }
}

/// The message of API.md's `INVALID_CREDENTIALS`, the same for every cause.
const INVALID_CREDENTIALS: &str = "Invalid email or password";

fn login_form(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    carried: &Carried,
    email: Option<&str>,
    error: Option<&str>,
) -> Response {
    let csrf = state.pages.issue_csrf(headers, state.clock.now());
    let view = LoginView {
        title: "Sign in",
        csrf_token: &csrf.token,
        email,
        error,
        carried,
    };
    csrf.attach(state.pages.page(status, "login.html", &view))
}

async fn signed_in(state: &AppState, headers: &HeaderMap) -> bool {
    for secret in session_values(headers) {
        if authenticate_cookie(&state.core, secret).await.is_ok() {
            return true;
        }
    }
    false
}

fn redirect(location: &str, cookie: Option<HeaderValue>) -> Response {
    let mut response = StatusCode::FOUND.into_response();
    let headers = response.headers_mut();
    let location = HeaderValue::from_str(location).unwrap_or(HeaderValue::from_static("/"));
    headers.insert(header::LOCATION, location);
    if let Some(cookie) = cookie {
        headers.append(header::SET_COOKIE, cookie);
    }
    response
}
