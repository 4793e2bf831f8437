//! The one place that turns failures into HTTP responses.
//!
//! Every non-2xx answer outside the OAuth endpoints has the REST shape of API.md §1:
//! `{"error":{"code","message","request_id","timestamp","details"?},"detail"}`. Handlers return
//! [`ApiError`]; [`shape`] renders it with the request id, and also gives
//! the same shape to answers produced outside handlers (unknown route, wrong method, oversized
//! body, time-outs, panics). 5xx answers carry only a generic message and the request id; the
//! cause is logged once, here.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use janua_core::clock::format_timestamp;
use janua_core::error::FieldError;
use serde_json::json;

/// An error on its way to the client.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Vec<FieldError>,
    /// Seconds for a `Retry-After` header (429, 423, 503).
    pub retry_after: Option<u64>,
    /// What went wrong inside, for the log only (never sent).
    pub internal: Option<String>,
    /// A deliberate 5xx (maintenance mode): its message is shown and it is not logged as a
    /// failure.
    pub deliberate: bool,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: Vec::new(),
            retry_after: None,
            internal: None,
            deliberate: false,
        }
    }

    /// 503 `SERVICE_UNAVAILABLE` while maintenance mode is on, with the operator's message.
    pub fn maintenance(message: &str) -> Self {
        let mut e = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVICE_UNAVAILABLE",
            message,
        )
        .with_retry_after(60);
        e.deliberate = true;
        e
    }

    pub fn with_details(mut self, details: Vec<FieldError>) -> Self {
        self.details = details;
        self
    }

    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    pub fn validation(details: Vec<FieldError>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "VALIDATION_ERROR",
            "Request validation failed",
        )
        .with_details(details)
    }

    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "The requested resource was not found",
        )
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
            "Authentication required",
        )
    }

    pub fn invalid_id() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "INVALID_ID",
            "The identifier is not a valid UUID",
        )
    }

    pub fn rate_limited(retry_after: u64) -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "RATE_LIMITED",
            "Too many requests, slow down",
        )
        .with_retry_after(retry_after)
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        let mut e = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_ERROR",
            GENERIC_500,
        );
        e.internal = Some(cause.to_string());
        e
    }

    pub fn unavailable(cause: impl std::fmt::Display) -> Self {
        let mut e = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVICE_UNAVAILABLE",
            GENERIC_503,
        );
        e.internal = Some(cause.to_string());
        e.retry_after = Some(5);
        e
    }

    /// The default error for a bare status produced outside our handlers.
    pub fn for_status(status: StatusCode) -> Self {
        match status {
            StatusCode::NOT_FOUND => Self::not_found(),
            StatusCode::METHOD_NOT_ALLOWED => Self::new(
                status,
                "METHOD_NOT_ALLOWED",
                "This method is not allowed on this path",
            ),
            StatusCode::PAYLOAD_TOO_LARGE => {
                Self::new(status, "PAYLOAD_TOO_LARGE", "The request body is too large")
            }
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::new(
                status,
                "UNSUPPORTED_MEDIA_TYPE",
                "Expected a request with Content-Type: application/json",
            ),
            StatusCode::REQUEST_TIMEOUT => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "SERVICE_UNAVAILABLE",
                "The request took too long and was abandoned",
            ),
            StatusCode::UNAUTHORIZED => Self::unauthorized(),
            StatusCode::FORBIDDEN => Self::new(status, "FORBIDDEN", "Forbidden"),
            StatusCode::TOO_MANY_REQUESTS => Self::rate_limited(60),
            s if s.is_server_error() => {
                let mut e = Self::internal("error response produced outside a handler");
                e.status = s;
                e
            }
            s => Self::new(s, "BAD_REQUEST", "The request could not be processed"),
        }
    }
}

const GENERIC_500: &str = "An internal error occurred; quote the request id when reporting it";
const GENERIC_503: &str = "A dependency is temporarily unavailable; try again shortly";

impl From<janua_core::Error> for ApiError {
    fn from(error: janua_core::Error) -> Self {
        use janua_core::Error as E;
        match error {
            E::NotFound => Self::not_found(),
            E::Conflict { what } => Self::new(
                StatusCode::CONFLICT,
                "CONFLICT",
                format!("{what} is already in use"),
            ),
            E::Validation(details) => Self::validation(details),
            E::Unauthorized => Self::unauthorized(),
            E::Forbidden => Self::new(
                StatusCode::FORBIDDEN,
                "FORBIDDEN",
                "You are not allowed to do this",
            ),
            E::Unavailable(cause) => Self::unavailable(cause),
            E::Internal(cause) => Self::internal(cause),
            E::Auth(failure) => Self::from_auth(failure),
            // Only the OAuth endpoints produce these, and they answer in the OAuth shape; a
            // REST caller that meets one gets a plain 400.
            E::OAuth(e) => Self::new(StatusCode::BAD_REQUEST, "BAD_REQUEST", e.description),
        }
    }
}

impl ApiError {
    fn from_auth(failure: janua_core::error::AuthFailure) -> Self {
        use janua_core::error::AuthFailure as F;
        let (status, code, message) = match failure {
            F::InvalidCredentials => (
                StatusCode::UNAUTHORIZED,
                "INVALID_CREDENTIALS",
                "Invalid email or password",
            ),
            F::AccountLocked { retry_after_secs } => {
                return Self::new(
                    StatusCode::LOCKED,
                    "ACCOUNT_LOCKED",
                    "Too many failed attempts; try again later",
                )
                .with_retry_after(retry_after_secs)
            }
            F::InvalidRefreshToken => (
                StatusCode::UNAUTHORIZED,
                "INVALID_REFRESH_TOKEN",
                "The refresh token is invalid, expired or revoked",
            ),
            F::InvalidToken => (
                StatusCode::BAD_REQUEST,
                "INVALID_TOKEN",
                "The token is invalid, used or expired",
            ),
            F::WeakPassword(details) => {
                return Self::new(
                    StatusCode::BAD_REQUEST,
                    "WEAK_PASSWORD",
                    "The password does not meet the policy",
                )
                .with_details(details)
            }
            F::EmailTaken => (
                StatusCode::BAD_REQUEST,
                "EMAIL_TAKEN",
                "An account with this email already exists",
            ),
            F::UsernameTaken => (
                StatusCode::BAD_REQUEST,
                "USERNAME_TAKEN",
                "This username is taken",
            ),
            F::SignupsDisabled => (
                StatusCode::FORBIDDEN,
                "SIGNUPS_DISABLED",
                "Sign-ups are disabled",
            ),
            F::FeatureDisabled => (
                StatusCode::FORBIDDEN,
                "FEATURE_DISABLED",
                "This feature is disabled",
            ),
            F::EmailAlreadyVerified => (
                StatusCode::BAD_REQUEST,
                "EMAIL_ALREADY_VERIFIED",
                "The email is already verified",
            ),
            F::EmailNotConfigured => (
                StatusCode::BAD_REQUEST,
                "EMAIL_NOT_CONFIGURED",
                "Email delivery is not configured",
            ),
            F::PasskeysNotConfigured => (
                StatusCode::SERVICE_UNAVAILABLE,
                "NOT_CONFIGURED",
                "Passkeys need WEBAUTHN_RP_ID set to a host name",
            ),
            F::RedirectNotAllowed => (
                StatusCode::BAD_REQUEST,
                "REDIRECT_NOT_ALLOWED",
                "The redirect URL is not allowed",
            ),
            F::InvalidPassword => (
                StatusCode::BAD_REQUEST,
                "INVALID_PASSWORD",
                "The password is incorrect",
            ),
            F::SessionAlreadyRevoked => (
                StatusCode::BAD_REQUEST,
                "SESSION_ALREADY_REVOKED",
                "The session is already revoked",
            ),
            F::SoleAdmin => (
                StatusCode::BAD_REQUEST,
                "SOLE_ADMIN",
                "The last administrator cannot do this",
            ),
            F::ReauthRequired => (
                StatusCode::FORBIDDEN,
                "REAUTH_REQUIRED",
                "Sign in again to confirm this action",
            ),
            F::MfaAlreadyEnabled => (
                StatusCode::BAD_REQUEST,
                "MFA_ALREADY_ENABLED",
                "Two-factor authentication is already enabled",
            ),
            F::MfaNotEnabled => (
                StatusCode::BAD_REQUEST,
                "MFA_NOT_ENABLED",
                "Two-factor authentication is not enabled",
            ),
            F::MfaSetupNotInitiated => (
                StatusCode::BAD_REQUEST,
                "MFA_SETUP_NOT_INITIATED",
                "Start the setup with /mfa/enable first",
            ),
            F::InvalidMfaCode => (
                StatusCode::BAD_REQUEST,
                "INVALID_MFA_CODE",
                "The code is invalid or was already used",
            ),
            F::InvalidMfaCodeAtSignIn => (
                StatusCode::UNAUTHORIZED,
                "INVALID_MFA_CODE",
                "The code is invalid or was already used",
            ),
            F::MfaChallengeExpired => (
                StatusCode::UNAUTHORIZED,
                "MFA_CHALLENGE_EXPIRED",
                "The sign-in challenge expired; sign in again",
            ),
            F::NotAMember => (
                StatusCode::FORBIDDEN,
                "NOT_A_MEMBER",
                "You are not a member of this organization",
            ),
            F::InsufficientPermissions => (
                StatusCode::FORBIDDEN,
                "INSUFFICIENT_PERMISSIONS",
                "You lack the permission this action needs",
            ),
            F::MfaRequired => (
                StatusCode::FORBIDDEN,
                "MFA_REQUIRED",
                "This organization requires two-factor authentication",
            ),
            F::PasskeyVerificationFailed => (
                StatusCode::BAD_REQUEST,
                "PASSKEY_VERIFICATION_FAILED",
                "The passkey could not be verified",
            ),
            F::PasskeyAlreadyRegistered => (
                StatusCode::BAD_REQUEST,
                "PASSKEY_ALREADY_REGISTERED",
                "This passkey is already registered",
            ),
            F::ChallengeExpired => (
                StatusCode::BAD_REQUEST,
                "CHALLENGE_EXPIRED",
                "The ceremony expired; start again",
            ),
            F::SlugTaken => (
                StatusCode::BAD_REQUEST,
                "SLUG_TAKEN",
                "This slug is already taken",
            ),
            F::InvalidApiKey => (
                StatusCode::UNAUTHORIZED,
                "INVALID_API_KEY",
                "The API key is invalid, revoked or expired",
            ),
        };
        Self::new(status, code, message)
    }

    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
            "You are not allowed to do this",
        )
    }
}

impl From<janua_core::ids::InvalidId> for ApiError {
    fn from(_: janua_core::ids::InvalidId) -> Self {
        Self::invalid_id()
    }
}

/// Marks a response whose error body is already final (OAuth shape, HTML pages): the shaping
/// middleware leaves it alone.
#[derive(Debug, Clone, Copy)]
pub struct AlreadyShaped;

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // The body is rendered by `shape`, which knows the request id.
        let mut response = self.status.into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// Renders an error response in the common shape with the request's id and receive time;
/// success responses and those already final ([`AlreadyShaped`]) pass unchanged. Called by
/// the request envelope ([`crate::http::middleware::envelope`]) on every answer.
pub fn shape(response: Response, request_id: &str, received_at: Option<DateTime<Utc>>) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error())
        || response.extensions().get::<AlreadyShaped>().is_some()
    {
        return response;
    }
    let error = match response.extensions().get::<ApiError>() {
        Some(error) => error.clone(),
        None => ApiError::for_status(status),
    };
    let timestamp = received_at.map(format_timestamp).unwrap_or_default();
    render(error, request_id, &timestamp, response)
}

fn render(error: ApiError, request_id: &str, timestamp: &str, original: Response) -> Response {
    if error.status.is_server_error() && !error.deliberate {
        tracing::error!(
            request_id,
            status = error.status.as_u16(),
            code = error.code,
            cause = error.internal.as_deref().unwrap_or("unknown"),
            "request failed"
        );
    }
    let mut body = json!({
        "error": {
            "code": error.code,
            "message": error.message,
            "request_id": request_id,
            "timestamp": timestamp,
        },
        "detail": error.message,
    });
    if !error.details.is_empty() {
        body["error"]["details"] = error
            .details
            .iter()
            .map(|d| json!({"field": d.field, "message": d.message}))
            .collect();
    }
    let (mut parts, _) = original.into_parts();
    parts.status = error.status;
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(seconds) = error.retry_after {
        parts
            .headers
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    if error.status == StatusCode::UNAUTHORIZED
        && !parts.headers.contains_key(header::WWW_AUTHENTICATE)
    {
        parts
            .headers
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    Response::from_parts(parts, axum::body::Body::from(body.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_errors_map_to_their_statuses_and_codes() {
        let cases: Vec<(janua_core::Error, StatusCode, &str)> = vec![
            (
                janua_core::Error::NotFound,
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
            ),
            (
                janua_core::Error::Conflict {
                    what: "slug".into(),
                },
                StatusCode::CONFLICT,
                "CONFLICT",
            ),
            (
                janua_core::Error::Validation(vec![]),
                StatusCode::UNPROCESSABLE_ENTITY,
                "VALIDATION_ERROR",
            ),
            (
                janua_core::Error::Unauthorized,
                StatusCode::UNAUTHORIZED,
                "UNAUTHORIZED",
            ),
            (
                janua_core::Error::Forbidden,
                StatusCode::FORBIDDEN,
                "FORBIDDEN",
            ),
            (
                janua_core::Error::Unavailable("db".into()),
                StatusCode::SERVICE_UNAVAILABLE,
                "SERVICE_UNAVAILABLE",
            ),
            (
                janua_core::Error::Internal("bug".into()),
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL_ERROR",
            ),
        ];
        for (core, status, code) in cases {
            let api = ApiError::from(core);
            assert_eq!((api.status, api.code), (status, code));
        }
    }

    #[test]
    fn internal_causes_never_reach_the_message() {
        let api = ApiError::from(janua_core::Error::Internal("password=hunter2".into()));
        assert!(!api.message.contains("hunter2"));
        assert_eq!(api.internal.as_deref(), Some("password=hunter2"));
    }

    #[test]
    fn bare_statuses_get_their_api_codes() {
        assert_eq!(
            ApiError::for_status(StatusCode::METHOD_NOT_ALLOWED).code,
            "METHOD_NOT_ALLOWED"
        );
        assert_eq!(
            ApiError::for_status(StatusCode::PAYLOAD_TOO_LARGE).code,
            "PAYLOAD_TOO_LARGE"
        );
        assert_eq!(
            ApiError::for_status(StatusCode::UNSUPPORTED_MEDIA_TYPE).code,
            "UNSUPPORTED_MEDIA_TYPE"
        );
        assert_eq!(
            ApiError::for_status(StatusCode::BAD_GATEWAY).code,
            "INTERNAL_ERROR"
        );
    }
}

#[cfg(test)]
mod shaping_tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use axum::response::IntoResponse;
    use axum::routing::get;
    use axum::Router;
    use tower::ServiceExt;
    use tower_http::catch_panic::CatchPanicLayer;

    use super::{shape, ApiError};

    async fn boom() -> &'static str {
        #[allow(clippy::panic)]
        {
            panic!("handler bug with secret=hunter2")
        }
    }

    #[tokio::test]
    async fn a_panicking_handler_becomes_a_500_in_the_error_shape_without_its_message() {
        let app = Router::new()
            .route("/boom", get(boom))
            .layer(CatchPanicLayer::custom(|_| {
                ApiError::internal("handler panicked").into_response()
            }))
            .layer(axum::middleware::map_response(
                |response: axum::response::Response| async move { shape(response, "req-1", None) },
            ));
        let response = app
            .oneshot(Request::get("/boom").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["error"]["code"], "INTERNAL_ERROR");
        assert!(!text.contains("hunter2"), "{text}");
    }
}
