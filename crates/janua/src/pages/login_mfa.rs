//! The MFA step of the hosted sign-in (API.md §4 "Hosted pages"): after a correct password, a
//! user with MFA on gets this form (`login-mfa-form`) carrying the `mfa_token`; `POST
//! /api/v1/auth/login-mfa-form` checks the code with the same core use case as `POST
//! /mfa/challenge/verify`, then sets `janua_session` and continues where the password form
//! would have (the stored OAuth request or a safe `next`).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use janua_core::crypto::secret_digest;
use janua_core::error::AuthFailure;
use janua_core::mfa::challenge::complete_browser_sign_in;
use serde::{Deserialize, Serialize};

use crate::http::api::fields::client_context;
use crate::http::audit::AuditContext;
use crate::http::extract::ClientIp;
use crate::pages::login::{login_form, signed_in_redirect, Carried, LoginQuery};
use crate::pages::response::{with_retry_after, CheckedForm, CsrfProtected, PageError};
use crate::state::AppState;

const MAX_TOKEN_LEN: usize = 128;
const MAX_CODE_LEN: usize = 64;

#[derive(Debug, Default, Deserialize)]
pub struct MfaForm {
    mfa_token: Option<String>,
    code: Option<String>,
    csrf_token: Option<String>,
    next: Option<String>,
    auth_request_id: Option<String>,
    client_id: Option<String>,
    client_name: Option<String>,
}

impl CsrfProtected for MfaForm {
    fn csrf_token(&self) -> Option<&str> {
        self.csrf_token.as_deref()
    }
}

#[derive(Serialize)]
struct MfaView<'a> {
    title: &'static str,
    csrf_token: &'a str,
    mfa_token: &'a str,
    error: Option<&'a str>,
    #[serde(flatten)]
    carried: &'a Carried,
}

/// Renders the MFA step for a pending challenge.
pub(crate) fn mfa_form(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    carried: &Carried,
    mfa_token: &str,
    error: Option<&str>,
) -> Response {
    let csrf = state.pages.issue_csrf(headers, state.clock.now());
    let view = MfaView {
        title: "Two-factor authentication",
        csrf_token: &csrf.token,
        mfa_token,
        error,
        carried,
    };
    csrf.attach(state.pages.page(status, "login_mfa.html", &view))
}

/// `POST /api/v1/auth/login-mfa-form`.
pub async fn post_login_mfa_form(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    AuditContext(audit): AuditContext,
    CheckedForm(form): CheckedForm<MfaForm>,
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
    let token = form.mfa_token.unwrap_or_default();
    let code = form.code.unwrap_or_default();
    let restart = |message: &str| {
        login_form(
            &state,
            &headers,
            StatusCode::UNAUTHORIZED,
            &carried,
            None,
            Some(message),
        )
    };
    if token.is_empty() || token.len() > MAX_TOKEN_LEN {
        return restart(EXPIRED);
    }
    let show =
        |status, message: &str| mfa_form(&state, &headers, status, &carried, &token, Some(message));
    if code.trim().is_empty() || code.len() > MAX_CODE_LEN {
        return show(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Enter the code from your authenticator app.",
        );
    }
    let limit_key = format!("{}|{}", ip.0, secret_digest(&token));
    if let Err(limited) = state
        .rate_limiter
        .check(
            "mfa_challenge",
            &limit_key,
            &state.config.rate_limits.signin,
        )
        .await
    {
        let mut response = show(
            limited.status,
            "Too many attempts. Wait a minute and try again.",
        );
        with_retry_after(&mut response, limited.retry_after);
        return response;
    }
    let client = client_context(ip, &headers);
    match complete_browser_sign_in(&state.core, &token, &code, &client, &audit).await {
        Ok(signed_in) => signed_in_redirect(&state, &carried, &signed_in),
        Err(janua_core::Error::Auth(AuthFailure::InvalidMfaCodeAtSignIn)) => show(
            StatusCode::UNAUTHORIZED,
            "That code is not valid. Try the current one.",
        ),
        Err(janua_core::Error::Auth(AuthFailure::MfaChallengeExpired)) => restart(EXPIRED),
        Err(janua_core::Error::Auth(AuthFailure::AccountLocked { retry_after_secs })) => {
            let mut response = show(
                StatusCode::LOCKED,
                "Too many failed attempts: this account is locked for a while. Try again later.",
            );
            with_retry_after(&mut response, Some(retry_after_secs));
            response
        }
        Err(other) => state.pages.error(PageError::from(other)),
    }
}

const EXPIRED: &str = "Your sign-in expired. Enter your email and password again.";
