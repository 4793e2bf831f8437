//! The email-verification link: `GET /auth/verify-email?token=` (the mailed link is
//! `FRONTEND_URL/auth/verify-email`, and `FRONTEND_URL` defaults to `BASE_URL`, so it must land
//! here) and `GET /api/v1/auth/verify-email?token=`. Verifies and shows the result.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use janua_core::auth::email_verification;
use janua_core::error::AuthFailure;
use serde::Deserialize;

use crate::http::audit::AuditContext;
use crate::pages::response::{short_text, PageError, PageQuery};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct VerifyQuery {
    token: Option<String>,
}

pub async fn get_verify_email(
    State(state): State<AppState>,
    AuditContext(audit): AuditContext,
    PageQuery(query): PageQuery<VerifyQuery>,
) -> Response {
    let pages = &state.pages;
    let Some(token) = short_text(query.token, 256) else {
        return invalid_link(&state);
    };
    match email_verification::verify(&state.core, &token, &audit).await {
        Ok(()) => pages.message(
            StatusCode::OK,
            "Email verified",
            "Thank you: your email address is verified.",
            None,
            Some(("/api/v1/auth/login", "Continue to sign in")),
        ),
        Err(janua_core::Error::Auth(AuthFailure::InvalidToken)) => invalid_link(&state),
        Err(other) => pages.error(PageError::from(other)),
    }
}

fn invalid_link(state: &AppState) -> Response {
    state.pages.message(
        StatusCode::BAD_REQUEST,
        "This link has expired",
        "The verification link is invalid, was already used or has expired. Sign in and ask for a new one.",
        Some("INVALID_TOKEN"),
        Some(("/api/v1/auth/login", "Sign in")),
    )
}
