//! `/api/v1/auth`: sign-up, sign-in, refresh, sign-out, the current user, password change
//! (API.md §4). Handlers parse input into core types, call one core function, shape the answer.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::Router;
use janua_core::auth::browser_session::authenticate_cookie;
use janua_core::auth::email::{lockout_key, Email};
use janua_core::auth::tokens::TokenPair;
use janua_core::auth::username::Username;
use janua_core::auth::users::User;
use janua_core::auth::{
    account, email_verification, magic_links, password_reset, refresh, sign_in, sign_out, sign_up,
};
use janua_core::clock::format_timestamp;
use janua_core::orgs::claims as org_claims;
use serde::{Deserialize, Serialize};

use crate::http::api::fields::{client_of, Problems, MAX_NAME_LEN};
use crate::http::audit::AuditContext;
use crate::http::auth::CurrentUser;
use crate::http::error::ApiError;
use crate::http::extract::{ClientIp, Json};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/auth/signup", post(post_signup))
        .route("/api/v1/auth/register", post(post_signup))
        .route("/api/v1/auth/signin", post(post_signin))
        .route("/api/v1/auth/login", post(post_signin))
        .route("/api/v1/auth/refresh", post(post_refresh))
        .route("/api/v1/auth/signout", post(post_signout))
        .route("/api/v1/auth/logout", post(post_signout))
        .route("/api/v1/auth/me", get(get_me))
        .route("/api/v1/auth/password/change", post(post_password_change))
        .route("/api/v1/auth/password/forgot", post(post_password_forgot))
        .route("/api/v1/auth/password/reset", post(post_password_reset))
        .route("/api/v1/auth/email/verify", post(post_email_verify))
        .route("/api/v1/auth/verify-email", post(post_email_verify))
        .route(
            "/api/v1/auth/email/resend-verification",
            post(post_resend_verification),
        )
        .route("/api/v1/auth/magic-link", post(post_magic_link))
        .route(
            "/api/v1/auth/magic-link/verify",
            post(post_magic_link_verify),
        )
        .route(
            "/api/v1/auth/magic-link/callback",
            get(get_magic_link_callback),
        )
}

/// `AuthUser` of API.md §4.
#[derive(Debug, Serialize)]
pub struct AuthUserView {
    id: String,
    email: String,
    email_verified: bool,
    username: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    profile_image_url: Option<String>,
    is_admin: bool,
    created_at: String,
    updated_at: String,
    last_sign_in_at: Option<String>,
}

impl From<&User> for AuthUserView {
    fn from(user: &User) -> Self {
        Self {
            id: user.id.to_string(),
            email: user.email.clone(),
            email_verified: user.email_verified,
            username: user.username.clone(),
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
            profile_image_url: user.profile_image_url.clone(),
            is_admin: user.is_admin,
            created_at: format_timestamp(user.created_at),
            updated_at: format_timestamp(user.updated_at),
            last_sign_in_at: user.last_sign_in_at.map(format_timestamp),
        }
    }
}

/// `SignInResponse` of API.md §4.
#[derive(Debug, Serialize)]
pub struct SignInResponse {
    pub user: AuthUserView,
    pub tokens: Option<TokenPair>,
    pub mfa_required: bool,
    pub mfa_token: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct MessageView {
    pub message: &'static str,
}

#[derive(Debug, Deserialize)]
pub struct SignUpBody {
    email: Option<String>,
    password: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    username: Option<String>,
    locale: Option<String>,
}

pub async fn post_signup(
    State(state): State<AppState>,
    AuditContext(audit): AuditContext,
    ip: ClientIp,
    Json(body): Json<SignUpBody>,
) -> Result<Json<SignInResponse>, ApiError> {
    let limits = &state.config.rate_limits;
    state
        .rate_limiter
        .check("signup", &ip.0.to_string(), &limits.signup)
        .await?;
    let mut problems = Problems::default();
    let email = problems
        .required("email", body.email)
        .and_then(|e| problems.check(Email::parse(&e)));
    let password = problems.required("password", body.password);
    let username = body
        .username
        .and_then(|u| problems.check(Username::parse(&u)));
    let first_name = problems.text("first_name", body.first_name, MAX_NAME_LEN);
    let last_name = problems.text("last_name", body.last_name, MAX_NAME_LEN);
    let locale = problems.text("locale", body.locale, 35);
    problems.finish()?;
    let (Some(email), Some(password)) = (email, password) else {
        return Err(ApiError::internal("validated fields missing"));
    };
    let request = sign_up::SignUp {
        email,
        password,
        username,
        first_name,
        last_name,
        locale,
    };
    let signed_up = sign_up::sign_up(&state.core, request, &client_of(&audit)).await?;
    Ok(Json(SignInResponse {
        user: AuthUserView::from(&signed_up.user),
        tokens: Some(signed_up.opened.tokens),
        mfa_required: false,
        mfa_token: None,
    }))
}

#[derive(Debug, Deserialize)]
pub struct SignInBody {
    email: Option<String>,
    username: Option<String>,
    password: Option<String>,
    organization_id: Option<String>,
}

/// `organization_id` of sign-in, refresh and magic-link verify (API.md §3).
fn requested_org(raw: Option<&str>) -> Result<Option<janua_core::ids::OrgId>, ApiError> {
    raw.filter(|s| !s.is_empty())
        .map(crate::http::api::fields::path_id)
        .transpose()
}

pub async fn post_signin(
    State(state): State<AppState>,
    AuditContext(audit): AuditContext,
    ip: ClientIp,
    Json(body): Json<SignInBody>,
) -> Result<Json<SignInResponse>, ApiError> {
    let org = requested_org(body.organization_id.as_deref())?;
    let mut problems = Problems::default();
    let password = problems.required("password", body.password);
    let identifier = match (body.email, body.username) {
        (Some(email), _) if !email.is_empty() => Some(sign_in::Identifier::Email(email)),
        (_, Some(username)) if !username.is_empty() => {
            Some(sign_in::Identifier::Username(username))
        }
        _ => {
            problems.add(janua_core::error::FieldError::new(
                "email",
                "email or username is required",
            ));
            None
        }
    };
    if let Some(sign_in::Identifier::Email(v) | sign_in::Identifier::Username(v)) = &identifier {
        if v.len() > janua_core::auth::email::MAX_EMAIL_LEN {
            problems.add(janua_core::error::FieldError::new(
                "email",
                "must be at most 254 characters",
            ));
        }
    }
    problems.finish()?;
    let (Some(identifier), Some(password)) = (identifier, password) else {
        return Err(ApiError::internal("validated fields missing"));
    };
    let who = match &identifier {
        sign_in::Identifier::Email(v) | sign_in::Identifier::Username(v) => lockout_key(v),
    };
    let limit_key = format!("{}|{who}", ip.0);
    state
        .rate_limiter
        .check("signin", &limit_key, &state.config.rate_limits.signin)
        .await?;
    let request = sign_in::SignIn {
        identifier,
        password,
    };
    let outcome = sign_in::sign_in(&state.core, request, &client_of(&audit)).await?;
    Ok(Json(match outcome {
        sign_in::SignInOutcome::SignedIn(mut signed_in) => {
            let session = signed_in.opened.session.id;
            org_claims::apply(
                &state.core,
                &signed_in.user,
                session,
                org,
                &mut signed_in.opened.tokens,
            )
            .await?;
            SignInResponse {
                user: AuthUserView::from(&signed_in.user),
                tokens: Some(signed_in.opened.tokens),
                mfa_required: false,
                mfa_token: None,
            }
        }
        sign_in::SignInOutcome::MfaRequired { user, mfa_token } => SignInResponse {
            user: AuthUserView::from(user.as_ref()),
            tokens: None,
            mfa_required: true,
            mfa_token: Some(mfa_token),
        },
    }))
}

#[derive(Debug, Deserialize)]
pub struct RefreshBody {
    refresh_token: Option<String>,
    organization_id: Option<String>,
}

pub async fn post_refresh(
    State(state): State<AppState>,
    AuditContext(audit): AuditContext,
    Json(body): Json<RefreshBody>,
) -> Result<Json<TokenPair>, ApiError> {
    let org = requested_org(body.organization_id.as_deref())?;
    let mut problems = Problems::default();
    let token = problems.required("refresh_token", body.refresh_token);
    problems.finish()?;
    let token = token.unwrap_or_default();
    let mut refreshed = refresh::refresh_with_context(&state.core, &token, &audit).await?;
    org_claims::apply(
        &state.core,
        &refreshed.user,
        refreshed.session,
        org,
        &mut refreshed.tokens,
    )
    .await?;
    Ok(Json(refreshed.tokens))
}

#[derive(Debug, Serialize)]
pub struct SignedOutView {
    message: &'static str,
}

/// Revokes the bearer's session. A browser that also sent its `janua_session` cookie has that
/// session revoked too (when it is the same user's) and the cookie cleared.
pub async fn post_signout(
    State(state): State<AppState>,
    AuditContext(audit): AuditContext,
    CurrentUser(principal): CurrentUser,
    headers: HeaderMap,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    sign_out::sign_out(&state.core, &principal, &audit).await?;
    let mut cleared = false;
    for secret in crate::pages::cookies::session_values(&headers) {
        cleared = true;
        if let Ok((user, session)) = authenticate_cookie(&state.core, secret).await {
            if user.id == principal.user_id {
                // Already revoked (it was the bearer's own session) is fine.
                let _ =
                    sign_out::revoke_own_session(&state.core, user.id, session.id, &audit).await;
            }
        }
    }
    let mut response = Json(SignedOutView {
        message: "Successfully signed out",
    })
    .into_response();
    if let Some(cookie) = cleared
        .then(|| state.pages.cookies.clear_session())
        .flatten()
    {
        response
            .headers_mut()
            .append(axum::http::header::SET_COOKIE, cookie);
    }
    Ok(response)
}

pub async fn get_me(
    State(state): State<AppState>,
    CurrentUser(principal): CurrentUser,
) -> Result<Json<AuthUserView>, ApiError> {
    let user = account::current_user(&state.core, &principal).await?;
    Ok(Json(AuthUserView::from(&user)))
}

#[derive(Debug, Deserialize)]
pub struct PasswordChangeBody {
    current_password: Option<String>,
    new_password: Option<String>,
}

pub async fn post_password_change(
    State(state): State<AppState>,
    AuditContext(audit): AuditContext,
    CurrentUser(principal): CurrentUser,
    Json(body): Json<PasswordChangeBody>,
) -> Result<Json<MessageView>, ApiError> {
    let mut problems = Problems::default();
    let current = problems.required("current_password", body.current_password);
    let new = problems.required("new_password", body.new_password);
    problems.finish()?;
    let (Some(current), Some(new)) = (current, new) else {
        return Err(ApiError::internal("validated fields missing"));
    };
    account::change_password(&state.core, &principal, &current, &new, &audit).await?;
    Ok(Json(MessageView {
        message: "Password successfully changed",
    }))
}

#[derive(Debug, Deserialize)]
pub struct ForgotBody {
    email: Option<String>,
    redirect_base: Option<String>,
}

pub async fn post_password_forgot(
    State(state): State<AppState>,
    ip: ClientIp,
    Json(body): Json<ForgotBody>,
) -> Result<Json<MessageView>, ApiError> {
    let mut problems = Problems::default();
    let email = problems
        .required("email", body.email)
        .and_then(|e| problems.check(Email::parse(&e)));
    let redirect_base = problems.text("redirect_base", body.redirect_base, 2048);
    problems.finish()?;
    let Some(email) = email else {
        return Err(ApiError::internal("validated fields missing"));
    };
    let limit = &state.config.rate_limits.password_forgot;
    state
        .rate_limiter
        .check("password_forgot_ip", &ip.0.to_string(), limit)
        .await?;
    state
        .rate_limiter
        .check("password_forgot_email", &email.normalized(), limit)
        .await?;
    password_reset::forgot(&state.core, &email, redirect_base.as_deref()).await?;
    Ok(Json(MessageView {
        message: "If the email exists, a password reset link has been sent",
    }))
}

#[derive(Debug, Deserialize)]
pub struct ResetBody {
    token: Option<String>,
    new_password: Option<String>,
}

pub async fn post_password_reset(
    State(state): State<AppState>,
    AuditContext(audit): AuditContext,
    ip: ClientIp,
    Json(body): Json<ResetBody>,
) -> Result<Json<MessageView>, ApiError> {
    state
        .rate_limiter
        .check(
            "password_reset",
            &ip.0.to_string(),
            &state.config.rate_limits.password_reset,
        )
        .await?;
    let mut problems = Problems::default();
    let token = problems.required("token", body.token);
    let new_password = problems.required("new_password", body.new_password);
    problems.finish()?;
    let (Some(token), Some(new_password)) = (token, new_password) else {
        return Err(ApiError::internal("validated fields missing"));
    };
    password_reset::reset(&state.core, &token, &new_password, &audit).await?;
    Ok(Json(MessageView {
        message: "Password successfully reset",
    }))
}

#[derive(Debug, Deserialize)]
pub struct TokenBody {
    token: Option<String>,
    /// Magic-link verify only: the organization to select.
    organization_id: Option<String>,
}

pub async fn post_email_verify(
    State(state): State<AppState>,
    AuditContext(audit): AuditContext,
    Json(body): Json<TokenBody>,
) -> Result<Json<MessageView>, ApiError> {
    let mut problems = Problems::default();
    let token = problems.required("token", body.token);
    problems.finish()?;
    email_verification::verify(&state.core, &token.unwrap_or_default(), &audit).await?;
    Ok(Json(MessageView {
        message: "Email successfully verified",
    }))
}

pub async fn post_resend_verification(
    State(state): State<AppState>,
    CurrentUser(principal): CurrentUser,
) -> Result<Json<MessageView>, ApiError> {
    let key = principal.user_id.to_string();
    state
        .rate_limiter
        .check("email_resend", &key, &state.config.rate_limits.email_resend)
        .await?;
    let user = account::current_user(&state.core, &principal).await?;
    email_verification::resend(&state.core, &user).await?;
    Ok(Json(MessageView {
        message: "Verification email sent",
    }))
}

#[derive(Debug, Deserialize)]
pub struct MagicLinkBody {
    email: Option<String>,
    redirect_url: Option<String>,
}

pub async fn post_magic_link(
    State(state): State<AppState>,
    ip: ClientIp,
    Json(body): Json<MagicLinkBody>,
) -> Result<Json<MessageView>, ApiError> {
    let mut problems = Problems::default();
    let email = problems
        .required("email", body.email)
        .and_then(|e| problems.check(Email::parse(&e)));
    let redirect_url = problems.text("redirect_url", body.redirect_url, 2048);
    problems.finish()?;
    let Some(email) = email else {
        return Err(ApiError::internal("validated fields missing"));
    };
    let limit = &state.config.rate_limits.magic_link;
    state
        .rate_limiter
        .check("magic_link_ip", &ip.0.to_string(), limit)
        .await?;
    state
        .rate_limiter
        .check("magic_link_email", &email.normalized(), limit)
        .await?;
    magic_links::send(&state.core, &email, redirect_url.as_deref()).await?;
    Ok(Json(MessageView {
        message: "Magic link sent to email",
    }))
}

pub async fn post_magic_link_verify(
    State(state): State<AppState>,
    AuditContext(audit): AuditContext,
    Json(body): Json<TokenBody>,
) -> Result<Json<SignInResponse>, ApiError> {
    let org = requested_org(body.organization_id.as_deref())?;
    let mut problems = Problems::default();
    let token = problems.required("token", body.token);
    problems.finish()?;
    let mut signed_in =
        magic_links::verify(&state.core, &token.unwrap_or_default(), &client_of(&audit)).await?;
    let session = signed_in.opened.session.id;
    org_claims::apply(
        &state.core,
        &signed_in.user,
        session,
        org,
        &mut signed_in.opened.tokens,
    )
    .await?;
    Ok(Json(SignInResponse {
        user: AuthUserView::from(&signed_in.user),
        tokens: Some(signed_in.opened.tokens),
        mfa_required: false,
        mfa_token: None,
    }))
}

#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    token: Option<String>,
}

/// The link in the mail when no `redirect_url` was given: signs in and sends the browser to the
/// frontend with the access token, holding the session by the `janua_session` cookie too
/// (API.md §4); a bad link gets a small HTML page.
pub async fn get_magic_link_callback(
    State(state): State<AppState>,
    AuditContext(audit): AuditContext,
    axum::extract::Query(query): axum::extract::Query<CallbackQuery>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let token = query.token.unwrap_or_default();
    let client = client_of(&audit);
    match magic_links::verify_in_browser(&state.core, &token, &client).await {
        Ok(browser) => {
            let signed_in = &browser.sign_in;
            let target = signed_in
                .redirect_url
                .clone()
                .unwrap_or_else(|| state.config.urls.frontend_url.clone());
            let location = janua_core::auth::redirects::with_query(
                &target,
                "token",
                &signed_in.opened.tokens.access_token,
            );
            let max_age = (signed_in.opened.session.expires_at - state.clock.now()).num_seconds();
            let mut response = (
                axum::http::StatusCode::FOUND,
                [(axum::http::header::LOCATION, location)],
            )
                .into_response();
            if let Some(cookie) = state.pages.cookies.session(&browser.cookie_secret, max_age) {
                response
                    .headers_mut()
                    .insert(axum::http::header::SET_COOKIE, cookie);
            }
            response
        }
        Err(_) => {
            let page = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Link expired</title></head>\
<body><h1>This sign-in link is invalid or has expired</h1><p>Request a new link and use it within 15 minutes.</p></body></html>";
            (
                axum::http::StatusCode::BAD_REQUEST,
                axum::Extension(crate::http::error::AlreadyShaped),
                axum::response::Html(page),
            )
                .into_response()
        }
    }
}
