//! `/api/v1/passkeys` (API.md §8): registration, passwordless sign-in, and the user's own
//! passkeys. Handlers parse, call one `passkeys` use case and shape the answer.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::routing::{get, patch, post};
use axum::Router;
use janua_core::auth::email::Email;
use janua_core::clock::format_timestamp;
use janua_core::crypto::secret_digest;
use janua_core::ids::PasskeyId;
use janua_core::passkeys::registration::{Attachment, MAX_NAME_LEN};
use janua_core::passkeys::store::PasskeyRecord;
use janua_core::passkeys::{authentication, manage, registration};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::http::api::auth::MessageView;
use crate::http::api::fields::{client_context, path_id, Problems};
use crate::http::audit::AuditContext;
use crate::http::auth::CurrentUser;
use crate::http::error::ApiError;
use crate::http::extract::{ClientIp, Json};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/passkeys", get(get_passkeys))
        .route("/api/v1/passkeys/availability", get(get_availability))
        .route(
            "/api/v1/passkeys/register/options",
            post(post_register_options),
        )
        .route(
            "/api/v1/passkeys/register/verify",
            post(post_register_verify),
        )
        .route(
            "/api/v1/passkeys/authenticate/options",
            post(post_authenticate_options),
        )
        .route(
            "/api/v1/passkeys/authenticate/verify",
            post(post_authenticate_verify),
        )
        .route(
            "/api/v1/passkeys/{id}",
            patch(patch_passkey).delete(delete_passkey),
        )
}

#[derive(Debug, Serialize)]
pub struct PasskeyView {
    id: String,
    name: String,
    authenticator_attachment: Option<String>,
    created_at: String,
    last_used_at: Option<String>,
    sign_count: i64,
}

impl From<PasskeyRecord> for PasskeyView {
    fn from(p: PasskeyRecord) -> Self {
        Self {
            id: p.id.to_string(),
            name: p.name,
            authenticator_attachment: p.authenticator_attachment,
            created_at: format_timestamp(p.created_at),
            last_used_at: p.last_used_at.map(format_timestamp),
            sign_count: p.sign_count,
        }
    }
}

pub async fn get_passkeys(
    State(state): State<AppState>,
    CurrentUser(principal): CurrentUser,
) -> Result<Json<Vec<PasskeyView>>, ApiError> {
    let passkeys = manage::list(&state.core, &principal).await?;
    Ok(Json(passkeys.into_iter().map(PasskeyView::from).collect()))
}

#[derive(Debug, Serialize)]
pub struct AvailabilityView {
    available: bool,
    rp_id: String,
}

pub async fn get_availability(State(state): State<AppState>) -> Json<AvailabilityView> {
    Json(AvailabilityView {
        available: true,
        rp_id: state.core.passkeys.rp_id.clone(),
    })
}

#[derive(Debug, Deserialize)]
pub struct RegisterOptionsBody {
    authenticator_attachment: Option<String>,
}

pub async fn post_register_options(
    State(state): State<AppState>,
    CurrentUser(principal): CurrentUser,
    Json(body): Json<RegisterOptionsBody>,
) -> Result<Json<Value>, ApiError> {
    let mut problems = Problems::default();
    let attachment = match body.authenticator_attachment.as_deref() {
        None => None,
        Some(raw) => {
            let parsed = Attachment::parse(raw);
            if parsed.is_none() {
                problems.add(janua_core::error::FieldError::new(
                    "authenticator_attachment",
                    "must be platform or cross-platform",
                ));
            }
            parsed
        }
    };
    problems.finish()?;
    Ok(Json(
        registration::options(&state.core, &principal, attachment).await?,
    ))
}

#[derive(Debug, Deserialize)]
pub struct RegisterVerifyBody {
    credential: Option<Value>,
    name: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct RegisteredView {
    verified: bool,
    passkey_id: String,
    message: &'static str,
}

pub async fn post_register_verify(
    State(state): State<AppState>,
    CurrentUser(principal): CurrentUser,
    AuditContext(context): AuditContext,
    Json(body): Json<RegisterVerifyBody>,
) -> Result<Json<RegisteredView>, ApiError> {
    let mut problems = Problems::default();
    let credential = credential_field(&mut problems, body.credential);
    let name = problems.text("name", body.name, MAX_NAME_LEN);
    problems.finish()?;
    let Some(credential) = credential else {
        return Err(ApiError::internal("validated fields missing"));
    };
    let id = registration::verify(&state.core, &principal, credential, name, &context).await?;
    Ok(Json(RegisteredView {
        verified: true,
        passkey_id: id.to_string(),
        message: "Passkey registered successfully",
    }))
}

#[derive(Debug, Deserialize)]
pub struct AuthenticateOptionsBody {
    email: Option<String>,
}

pub async fn post_authenticate_options(
    State(state): State<AppState>,
    Json(body): Json<AuthenticateOptionsBody>,
) -> Result<Json<Value>, ApiError> {
    let mut problems = Problems::default();
    let email = body
        .email
        .filter(|e| !e.trim().is_empty())
        .and_then(|e| problems.check(Email::parse(&e)));
    problems.finish()?;
    let options = authentication::options(&state.core, email.as_ref()).await?;
    let mut answer = options.options;
    answer["sessionId"] = Value::String(options.session_id);
    Ok(Json(answer))
}

#[derive(Debug, Deserialize)]
pub struct AuthenticateVerifyBody {
    credential: Option<Value>,
    #[serde(rename = "sessionId")]
    session_id: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct ChallengeQuery {
    challenge: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct PasskeyUserView {
    id: String,
    email: String,
    first_name: Option<String>,
    last_name: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct PasskeySignInView {
    verified: bool,
    access_token: String,
    refresh_token: String,
    token_type: &'static str,
    expires_in: i64,
    user: PasskeyUserView,
}

pub async fn post_authenticate_verify(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    AuditContext(context): AuditContext,
    Query(query): Query<ChallengeQuery>,
    Json(body): Json<AuthenticateVerifyBody>,
) -> Result<Json<PasskeySignInView>, ApiError> {
    let mut problems = Problems::default();
    let credential = credential_field(&mut problems, body.credential);
    problems.finish()?;
    let Some(credential) = credential else {
        return Err(ApiError::internal("validated fields missing"));
    };
    // Per IP and credential, as sign-in is per IP and email: an office behind one address is
    // not locked out by one person's failures.
    let credential_id = credential["id"].as_str().unwrap_or_default();
    let limit_key = format!("{}|{}", ip.0, secret_digest(credential_id));
    state
        .rate_limiter
        .check(
            "passkey_verify",
            &limit_key,
            &state.config.rate_limits.signin,
        )
        .await?;
    let signed_in = authentication::verify(
        &state.core,
        body.session_id.as_deref(),
        query.challenge.as_deref(),
        credential,
        &client_context(ip, &headers),
        &context,
    )
    .await?;
    let tokens = signed_in.opened.tokens;
    let user = signed_in.user;
    Ok(Json(PasskeySignInView {
        verified: true,
        access_token: tokens.access_token,
        refresh_token: tokens.refresh_token,
        token_type: tokens.token_type,
        expires_in: tokens.expires_in,
        user: PasskeyUserView {
            id: user.id.to_string(),
            email: user.email,
            first_name: user.first_name,
            last_name: user.last_name,
        },
    }))
}

#[derive(Debug, Deserialize)]
pub struct RenameBody {
    name: Option<String>,
}

pub async fn patch_passkey(
    State(state): State<AppState>,
    CurrentUser(principal): CurrentUser,
    Path(id): Path<String>,
    Json(body): Json<RenameBody>,
) -> Result<Json<PasskeyView>, ApiError> {
    let id: PasskeyId = path_id(&id)?;
    let mut problems = Problems::default();
    let name = problems
        .required("name", body.name)
        .and_then(|n| problems.text("name", Some(n), MAX_NAME_LEN));
    if name.as_deref().is_some_and(|n| n.trim().is_empty()) {
        problems.add(janua_core::error::FieldError::new(
            "name",
            "must not be empty",
        ));
    }
    problems.finish()?;
    let record = manage::rename(
        &state.core,
        &principal,
        id,
        name.as_deref().unwrap_or_default(),
    )
    .await?;
    Ok(Json(PasskeyView::from(record)))
}

#[derive(Debug, Deserialize)]
pub struct PasswordQuery {
    password: Option<String>,
}

pub async fn delete_passkey(
    State(state): State<AppState>,
    CurrentUser(principal): CurrentUser,
    AuditContext(context): AuditContext,
    Path(id): Path<String>,
    Query(query): Query<PasswordQuery>,
) -> Result<Json<MessageView>, ApiError> {
    let id: PasskeyId = path_id(&id)?;
    manage::delete(
        &state.core,
        &principal,
        id,
        query.password.as_deref(),
        &context,
    )
    .await?;
    Ok(Json(MessageView {
        message: "Passkey deleted successfully",
    }))
}

/// `credential` must be a JSON object (the browser's `PublicKeyCredential`).
fn credential_field(problems: &mut Problems, value: Option<Value>) -> Option<Value> {
    match value {
        Some(v @ Value::Object(_)) => Some(v),
        Some(_) => {
            problems.add(janua_core::error::FieldError::new(
                "credential",
                "must be a PublicKeyCredential object",
            ));
            None
        }
        None => {
            problems.add(janua_core::error::FieldError::new(
                "credential",
                "is required",
            ));
            None
        }
    }
}
