//! Core errors: what went wrong, in the domain's words. The HTTP layer alone maps them to status
//! codes; storage and cache adapters translate their own failures into these.

use std::fmt;

/// A field that failed validation, reported back to the client as one `details` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Everything a core operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was broken; `what` names the rule (for example `email`, `slug`).
    #[error("conflict on {what}")]
    Conflict { what: String },
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("unauthorized")]
    Unauthorized,
    #[error("forbidden")]
    Forbidden,
    /// A dependency (database, cache, mail relay) did not answer; the request may be retried.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// A bug or an unexpected state; the message is logged, never shown to clients.
    #[error("internal error: {0}")]
    Internal(String),
    /// An account rule refused the request; each reason has its own API error code.
    #[error("refused: {0:?}")]
    Auth(AuthFailure),
    /// An OAuth 2.0 / OpenID Connect protocol error (RFC 6749 codes), answered in the OAuth
    /// shape by the provider endpoints.
    #[error("oauth: {0}")]
    OAuth(crate::oidc::error::OAuthError),
}

/// Why an account operation was refused, in the API's terms (API.md §1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthFailure {
    /// Unknown account, inactive account or wrong password: deliberately indistinguishable.
    InvalidCredentials,
    AccountLocked {
        retry_after_secs: u64,
    },
    InvalidRefreshToken,
    /// A one-time token that is unknown, used or expired.
    InvalidToken,
    WeakPassword(Vec<FieldError>),
    EmailTaken,
    UsernameTaken,
    SignupsDisabled,
    FeatureDisabled,
    EmailAlreadyVerified,
    EmailNotConfigured,
    /// Passkey routes on a server without a WebAuthn relying party (503 `NOT_CONFIGURED`).
    PasskeysNotConfigured,
    RedirectNotAllowed,
    /// The current password given to confirm a sensitive change is wrong.
    InvalidPassword,
    SessionAlreadyRevoked,
    /// The last administrator cannot remove themselves.
    SoleAdmin,
    ReauthRequired,
    MfaAlreadyEnabled,
    MfaNotEnabled,
    /// `/mfa/verify` before `/mfa/enable`.
    MfaSetupNotInitiated,
    /// A wrong TOTP or backup code on an authenticated MFA route (400).
    InvalidMfaCode,
    /// A wrong code at sign-in, on the challenge (401).
    InvalidMfaCodeAtSignIn,
    /// The `mfa_token` is unknown, used or older than five minutes.
    MfaChallengeExpired,
    /// An organization requires MFA and the session's `amr` shows none.
    MfaRequired,
    PasskeyVerificationFailed,
    PasskeyAlreadyRegistered,
    /// A passkey registration ceremony that is unknown, used or expired.
    ChallengeExpired,
    /// The caller is not a member of the addressed organization (403 `NOT_A_MEMBER`).
    NotAMember,
    /// A member (or API key) lacking the permission the route needs.
    InsufficientPermissions,
    SlugTaken,
    /// An API key that is unknown, revoked, inactive or expired.
    InvalidApiKey,
}

impl Error {
    pub fn internal(source: impl fmt::Display) -> Self {
        Error::Internal(source.to_string())
    }

    pub fn unavailable(source: impl fmt::Display) -> Self {
        Error::Unavailable(source.to_string())
    }

    pub fn auth(failure: AuthFailure) -> Self {
        Error::Auth(failure)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
