//! `/api/v1/mfa` (API.md §7): TOTP enrollment and removal, backup codes, code validation,
//! recovery by email, and the sign-in challenge. Handlers parse, call one `mfa` use case and
//! shape the answer.

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::Router;
use janua_core::auth::email::Email;
use janua_core::clock::format_timestamp;
use janua_core::crypto::secret_digest;
use janua_core::mfa::{backup_codes, challenge, recovery, totp};
use serde::{Deserialize, Serialize};

use crate::http::api::auth::{AuthUserView, MessageView, SignInResponse};
use crate::http::api::fields::{client_context, Problems};
use crate::http::audit::AuditContext;
use crate::http::auth::CurrentUser;
use crate::http::error::ApiError;
use crate::http::extract::{ClientIp, Json};
use crate::state::AppState;

/// Longest code accepted as input (a recovery code with dashes is 23 characters).
const MAX_CODE_LEN: usize = 64;
const MAX_PASSWORD_LEN: usize = 256;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/mfa/status", get(get_status))
        .route("/api/v1/mfa/enable", post(post_enable))
        .route("/api/v1/mfa/verify", post(post_verify))
        .route("/api/v1/mfa/disable", post(post_disable))
        .route(
            "/api/v1/mfa/regenerate-backup-codes",
            post(post_regenerate_backup_codes),
        )
        .route("/api/v1/mfa/validate-code", post(post_validate_code))
        .route("/api/v1/mfa/recovery-options", get(get_recovery_options))
        .route(
            "/api/v1/mfa/initiate-recovery",
            post(post_initiate_recovery),
        )
        .route("/api/v1/mfa/supported-methods", get(get_supported_methods))
        .route("/api/v1/mfa/challenge/verify", post(post_challenge_verify))
}

#[derive(Debug, Serialize)]
pub struct StatusView {
    enabled: bool,
    verified: bool,
    backup_codes_remaining: u64,
    last_used_at: Option<String>,
}

pub async fn get_status(
    State(state): State<AppState>,
    CurrentUser(principal): CurrentUser,
) -> Result<Json<StatusView>, ApiError> {
    let status = totp::status(&state.core, &principal).await?;
    Ok(Json(StatusView {
        enabled: status.enabled,
        verified: status.verified,
        backup_codes_remaining: status.backup_codes_remaining,
        last_used_at: status.last_used_at.map(format_timestamp),
    }))
}

#[derive(Debug, Deserialize)]
pub struct PasswordBody {
    password: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct EnableView {
    secret: String,
    qr_code: String,
    backup_codes: Vec<String>,
    provisioning_uri: String,
}

pub async fn post_enable(
    State(state): State<AppState>,
    CurrentUser(principal): CurrentUser,
    Json(body): Json<PasswordBody>,
) -> Result<Json<EnableView>, ApiError> {
    let mut problems = Problems::default();
    let password = password_field(&mut problems, body.password);
    problems.finish()?;
    let enrollment = totp::enable(&state.core, &principal, password.as_deref()).await?;
    Ok(Json(EnableView {
        secret: enrollment.secret,
        qr_code: enrollment.qr_code,
        backup_codes: enrollment.backup_codes,
        provisioning_uri: enrollment.provisioning_uri,
    }))
}

#[derive(Debug, Deserialize)]
pub struct CodeBody {
    code: Option<String>,
}

pub async fn post_verify(
    State(state): State<AppState>,
    CurrentUser(principal): CurrentUser,
    AuditContext(context): AuditContext,
    Json(body): Json<CodeBody>,
) -> Result<Json<MessageView>, ApiError> {
    let mut problems = Problems::default();
    let code = problems
        .required("code", body.code)
        .and_then(|c| problems.text("code", Some(c), MAX_CODE_LEN));
    problems.finish()?;
    limit_codes(&state, &principal).await?;
    totp::verify(&state.core, &principal, &code.unwrap_or_default(), &context).await?;
    Ok(Json(MessageView {
        message: "MFA successfully enabled",
    }))
}

#[derive(Debug, Deserialize)]
pub struct DisableBody {
    password: Option<String>,
    code: Option<String>,
}

pub async fn post_disable(
    State(state): State<AppState>,
    CurrentUser(principal): CurrentUser,
    AuditContext(context): AuditContext,
    Json(body): Json<DisableBody>,
) -> Result<Json<MessageView>, ApiError> {
    let mut problems = Problems::default();
    let password = password_field(&mut problems, body.password);
    let code = problems.text("code", body.code, MAX_CODE_LEN);
    problems.finish()?;
    if code.is_some() {
        limit_codes(&state, &principal).await?;
    }
    totp::disable(
        &state.core,
        &principal,
        password.as_deref(),
        code.as_deref(),
        &context,
    )
    .await?;
    Ok(Json(MessageView {
        message: "MFA successfully disabled",
    }))
}

#[derive(Debug, Deserialize)]
pub struct PasswordQuery {
    password: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct BackupCodesView {
    backup_codes: Vec<String>,
    generated_at: String,
}

pub async fn post_regenerate_backup_codes(
    State(state): State<AppState>,
    CurrentUser(principal): CurrentUser,
    AuditContext(context): AuditContext,
    Query(query): Query<PasswordQuery>,
) -> Result<Json<BackupCodesView>, ApiError> {
    let mut problems = Problems::default();
    let password = password_field(&mut problems, query.password);
    problems.finish()?;
    let (codes, at) =
        backup_codes::regenerate(&state.core, &principal, password.as_deref(), &context).await?;
    Ok(Json(BackupCodesView {
        backup_codes: codes,
        generated_at: format_timestamp(at),
    }))
}

#[derive(Debug, Deserialize)]
pub struct CodeQuery {
    code: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ValidView {
    valid: bool,
    message: &'static str,
}

pub async fn post_validate_code(
    State(state): State<AppState>,
    CurrentUser(principal): CurrentUser,
    AuditContext(context): AuditContext,
    Query(query): Query<CodeQuery>,
) -> Result<Json<ValidView>, ApiError> {
    let mut problems = Problems::default();
    let code = problems
        .required("code", query.code)
        .and_then(|c| problems.text("code", Some(c), MAX_CODE_LEN));
    problems.finish()?;
    limit_codes(&state, &principal).await?;
    let valid =
        totp::validate(&state.core, &principal, &code.unwrap_or_default(), &context).await?;
    Ok(Json(ValidView {
        valid,
        message: if valid {
            "The code is valid"
        } else {
            "The code is invalid or was already used"
        },
    }))
}

#[derive(Debug, Deserialize)]
pub struct EmailQuery {
    email: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct RecoveryOptionsView {
    recovery_available: bool,
    methods: Vec<&'static str>,
}

/// The same answer for every address (and for none): it reveals nothing about accounts.
pub async fn get_recovery_options(Query(_query): Query<EmailQuery>) -> Json<RecoveryOptionsView> {
    Json(RecoveryOptionsView {
        recovery_available: true,
        methods: recovery::methods(),
    })
}

pub async fn post_initiate_recovery(
    State(state): State<AppState>,
    ip: ClientIp,
    Query(query): Query<EmailQuery>,
) -> Result<Json<MessageView>, ApiError> {
    let mut problems = Problems::default();
    let email = problems
        .required("email", query.email)
        .and_then(|e| problems.check(Email::parse(&e)));
    problems.finish()?;
    let Some(email) = email else {
        return Err(ApiError::internal("validated fields missing"));
    };
    let limit = &state.config.rate_limits.password_forgot;
    state
        .rate_limiter
        .check("mfa_recovery_ip", &ip.0.to_string(), limit)
        .await?;
    state
        .rate_limiter
        .check("mfa_recovery_email", &email.normalized(), limit)
        .await?;
    recovery::initiate(&state.core, &email).await?;
    Ok(Json(MessageView {
        message: "If the account has two-factor authentication, a recovery code has been sent",
    }))
}

#[derive(Debug, Serialize)]
pub struct MethodView {
    #[serde(rename = "type")]
    kind: &'static str,
    enabled: bool,
}

#[derive(Debug, Serialize)]
pub struct MethodsView {
    methods: Vec<MethodView>,
}

pub async fn get_supported_methods() -> Json<MethodsView> {
    let method = |kind| MethodView {
        kind,
        enabled: true,
    };
    Json(MethodsView {
        methods: vec![
            method("totp"),
            method("backup_code"),
            method("email_recovery"),
        ],
    })
}

#[derive(Debug, Deserialize)]
pub struct ChallengeBody {
    mfa_token: Option<String>,
    code: Option<String>,
}

pub async fn post_challenge_verify(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    AuditContext(context): AuditContext,
    Json(body): Json<ChallengeBody>,
) -> Result<Json<SignInResponse>, ApiError> {
    let mut problems = Problems::default();
    let token = problems.required("mfa_token", body.mfa_token);
    let code = problems
        .required("code", body.code)
        .and_then(|c| problems.text("code", Some(c), MAX_CODE_LEN));
    problems.finish()?;
    let (Some(token), Some(code)) = (token, code) else {
        return Err(ApiError::internal("validated fields missing"));
    };
    let limit_key = format!("{}|{}", ip.0, secret_digest(&token));
    state
        .rate_limiter
        .check(
            "mfa_challenge",
            &limit_key,
            &state.config.rate_limits.signin,
        )
        .await?;
    let signed_in = challenge::complete_sign_in(
        &state.core,
        &token,
        &code,
        &client_context(ip, &headers),
        &context,
    )
    .await?;
    Ok(Json(SignInResponse {
        user: AuthUserView::from(&signed_in.user),
        tokens: Some(signed_in.opened.tokens),
        mfa_required: false,
        mfa_token: None,
    }))
}

/// The account password as typed (never trimmed), at most 256 characters.
fn password_field(problems: &mut Problems, value: Option<String>) -> Option<String> {
    let value = value?;
    if value.chars().count() > MAX_PASSWORD_LEN {
        problems.add(janua_core::error::FieldError::new(
            "password",
            "must be at most 256 characters",
        ));
        return None;
    }
    Some(value)
}

/// Codes checked for a signed-in user (enrolment, validation, disabling) are limited like
/// sign-ins, per user: six digits must not be guessable with a stolen access token.
async fn limit_codes(
    state: &AppState,
    principal: &janua_core::auth::principal::UserPrincipal,
) -> Result<(), ApiError> {
    state
        .rate_limiter
        .check(
            "mfa_code",
            &principal.user_id.to_string(),
            &state.config.rate_limits.signin,
        )
        .await
}
