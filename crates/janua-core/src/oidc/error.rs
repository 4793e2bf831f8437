//! OAuth 2.0 errors (RFC 6749 §4.1.2.1, §5.2; RFC 6750 §3.1; OIDC Core §3.1.2.6; RFC 8628 §3.5):
//! the `error` code and a human description. The HTTP layer picks the status and, for
//! authorization errors, whether to redirect.

/// The registered `error` values Janua answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    UnsupportedResponseType,
    InvalidScope,
    AccessDenied,
    InvalidToken,
    InsufficientScope,
    LoginRequired,
    ConsentRequired,
    InteractionRequired,
    RequestNotSupported,
    RequestUriNotSupported,
    AuthorizationPending,
    SlowDown,
    ExpiredToken,
    ServerError,
}

impl OAuthErrorCode {
    pub fn as_str(self) -> &'static str {
        use OAuthErrorCode as C;
        match self {
            C::InvalidRequest => "invalid_request",
            C::InvalidClient => "invalid_client",
            C::InvalidGrant => "invalid_grant",
            C::UnauthorizedClient => "unauthorized_client",
            C::UnsupportedGrantType => "unsupported_grant_type",
            C::UnsupportedResponseType => "unsupported_response_type",
            C::InvalidScope => "invalid_scope",
            C::AccessDenied => "access_denied",
            C::InvalidToken => "invalid_token",
            C::InsufficientScope => "insufficient_scope",
            C::LoginRequired => "login_required",
            C::ConsentRequired => "consent_required",
            C::InteractionRequired => "interaction_required",
            C::RequestNotSupported => "request_not_supported",
            C::RequestUriNotSupported => "request_uri_not_supported",
            C::AuthorizationPending => "authorization_pending",
            C::SlowDown => "slow_down",
            C::ExpiredToken => "expired_token",
            C::ServerError => "server_error",
        }
    }
}

/// An OAuth error with its description (never secrets, never internal causes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub code: OAuthErrorCode,
    pub description: String,
}

impl OAuthError {
    pub fn new(code: OAuthErrorCode, description: impl Into<String>) -> Self {
        Self {
            code,
            description: description.into(),
        }
    }

    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(OAuthErrorCode::InvalidRequest, description)
    }

    pub fn invalid_client(description: impl Into<String>) -> Self {
        Self::new(OAuthErrorCode::InvalidClient, description)
    }

    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(OAuthErrorCode::InvalidGrant, description)
    }

    pub fn invalid_scope(description: impl Into<String>) -> Self {
        Self::new(OAuthErrorCode::InvalidScope, description)
    }

    pub fn unauthorized_client(description: impl Into<String>) -> Self {
        Self::new(OAuthErrorCode::UnauthorizedClient, description)
    }

    pub fn invalid_token(description: impl Into<String>) -> Self {
        Self::new(OAuthErrorCode::InvalidToken, description)
    }
}

impl std::fmt::Display for OAuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.description)
    }
}

impl From<OAuthError> for crate::Error {
    fn from(error: OAuthError) -> Self {
        crate::Error::OAuth(error)
    }
}
