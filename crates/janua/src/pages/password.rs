//! Forgotten passwords as pages: `GET /api/v1/auth/forgot-password` and its form (always the
//! same "check your email" answer), and `GET /api/v1/auth/reset-password?token=` (the link of
//! the reset mail) with its form. Same core use cases and rate limits as the JSON routes.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use janua_core::auth::email::Email;
use janua_core::auth::password_reset;
use janua_core::error::AuthFailure;
use serde::{Deserialize, Serialize};

use crate::http::audit::AuditContext;
use crate::http::extract::ClientIp;
use crate::pages::response::{short_text, CheckedForm, CsrfProtected, PageError, PageQuery};
use crate::state::AppState;

/// Longest reset token worth carrying (ours are 43 characters).
const MAX_TOKEN_LEN: usize = 256;

#[derive(Serialize)]
struct ForgotView<'a> {
    title: &'static str,
    csrf_token: &'a str,
    email: Option<&'a str>,
    error: Option<&'a str>,
}

pub async fn get_forgot_password(State(state): State<AppState>, headers: HeaderMap) -> Response {
    forgot_form(&state, &headers, StatusCode::OK, None, None)
}

#[derive(Debug, Deserialize)]
pub struct ForgotForm {
    email: Option<String>,
    csrf_token: Option<String>,
}

impl CsrfProtected for ForgotForm {
    fn csrf_token(&self) -> Option<&str> {
        self.csrf_token.as_deref()
    }
}

/// `POST /api/v1/auth/forgot-password-form`: whether or not the account exists, the answer is
/// the same page.
pub async fn post_forgot_password_form(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    CheckedForm(form): CheckedForm<ForgotForm>,
) -> Response {
    let raw = form.email.unwrap_or_default();
    let Ok(email) = Email::parse(&raw) else {
        return forgot_form(
            &state,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(raw.trim()),
            Some("Enter a valid email address."),
        );
    };
    let limit = &state.config.rate_limits.password_forgot;
    for (name, key) in [
        ("password_forgot_ip", ip.0.to_string()),
        ("password_forgot_email", email.normalized()),
    ] {
        if let Err(limited) = state.rate_limiter.check(name, &key, limit).await {
            return state.pages.error(limited.into());
        }
    }
    if let Err(e) = password_reset::forgot(&state.core, &email, None).await {
        return state.pages.error(e.into());
    }
    state.pages.message(
        StatusCode::OK,
        "Check your email",
        "If an account exists for this address, we have sent it a link to choose a new password. The link works once, for a limited time.",
        None,
        Some(("/api/v1/auth/login", "Back to sign in")),
    )
}

fn forgot_form(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    email: Option<&str>,
    error: Option<&str>,
) -> Response {
    let csrf = state.pages.issue_csrf(headers, state.clock.now());
    let view = ForgotView {
        title: "Forgot your password?",
        csrf_token: &csrf.token,
        email,
        error,
    };
    csrf.attach(state.pages.page(status, "forgot_password.html", &view))
}

#[derive(Debug, Deserialize)]
pub struct ResetQuery {
    token: Option<String>,
}

#[derive(Serialize)]
struct ResetView<'a> {
    title: &'static str,
    csrf_token: &'a str,
    token: &'a str,
    min_length: usize,
    error: Option<&'a str>,
    details: &'a [String],
}

/// `GET /api/v1/auth/reset-password?token=`: the form, with the token in a hidden field. The
/// token is only checked (and used up) when the form is posted, so link scanners that fetch
/// the page do not spend it.
pub async fn get_reset_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageQuery(query): PageQuery<ResetQuery>,
) -> Response {
    match short_text(query.token, MAX_TOKEN_LEN) {
        Some(token) => reset_form(&state, &headers, StatusCode::OK, &token, None, &[]),
        None => invalid_link(&state),
    }
}

#[derive(Debug, Deserialize)]
pub struct ResetForm {
    token: Option<String>,
    new_password: Option<String>,
    csrf_token: Option<String>,
}

impl CsrfProtected for ResetForm {
    fn csrf_token(&self) -> Option<&str> {
        self.csrf_token.as_deref()
    }
}

/// `POST /api/v1/auth/reset-password-form`: sets the password (which also verifies the email,
/// unlocks the account and revokes every session), or shows the form again with what is wrong.
pub async fn post_reset_password_form(
    State(state): State<AppState>,
    AuditContext(audit): AuditContext,
    ip: ClientIp,
    headers: HeaderMap,
    CheckedForm(form): CheckedForm<ResetForm>,
) -> Response {
    if let Err(limited) = state
        .rate_limiter
        .check(
            "password_reset",
            &ip.0.to_string(),
            &state.config.rate_limits.password_reset,
        )
        .await
    {
        return state.pages.error(limited.into());
    }
    let Some(token) = short_text(form.token, MAX_TOKEN_LEN) else {
        return invalid_link(&state);
    };
    let new_password = form.new_password.unwrap_or_default();
    if new_password.is_empty() {
        let error = Some("Enter a new password.");
        return reset_form(
            &state,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            &token,
            error,
            &[],
        );
    }
    match password_reset::reset(&state.core, &token, &new_password, &audit).await {
        Ok(()) => state.pages.message(
            StatusCode::OK,
            "Password changed",
            "Your password has been changed and every session was signed out. Sign in with the new password.",
            None,
            Some(("/api/v1/auth/login", "Sign in")),
        ),
        Err(janua_core::Error::Auth(AuthFailure::WeakPassword(unmet))) => {
            let details: Vec<String> = unmet.into_iter().map(|d| d.message).collect();
            let error = Some("This password does not meet the policy:");
            reset_form(&state, &headers, StatusCode::BAD_REQUEST, &token, error, &details)
        }
        Err(janua_core::Error::Auth(AuthFailure::InvalidToken)) => invalid_link(&state),
        Err(other) => state.pages.error(PageError::from(other)),
    }
}

fn reset_form(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    token: &str,
    error: Option<&str>,
    details: &[String],
) -> Response {
    let csrf = state.pages.issue_csrf(headers, state.clock.now());
    let view = ResetView {
        title: "Choose a new password",
        csrf_token: &csrf.token,
        token,
        min_length: state.pages.password_min_length,
        error,
        details,
    };
    csrf.attach(state.pages.page(status, "reset_password.html", &view))
}

/// 400 `INVALID_TOKEN`: unknown, used or expired link.
fn invalid_link(state: &AppState) -> Response {
    state.pages.message(
        StatusCode::BAD_REQUEST,
        "This link has expired",
        "The password reset link is invalid, was already used or has expired. Ask for a new one.",
        Some("INVALID_TOKEN"),
        Some(("/api/v1/auth/forgot-password", "Send a new link")),
    )
}
