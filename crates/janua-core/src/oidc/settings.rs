//! The provider's settings, taken from configuration once at start-up.

use chrono::Duration;

use crate::tokens::keys::SigningAlgorithm;

#[derive(Debug, Clone)]
pub struct OAuthSettings {
    /// `JWT_ALGORITHM`: signs tokens of clients without their own `signing_alg`.
    pub default_alg: SigningAlgorithm,
    /// `ID_TOKEN_EXPIRE_MINUTES`.
    pub id_token_ttl: Duration,
    /// `AUTH_CODE_EXPIRE_SECONDS`.
    pub auth_code_ttl: Duration,
    /// How long a parked authorization request waits for sign-in or consent (10 min).
    pub request_ttl: Duration,
    /// `CLIENT_SECRET_ROTATION_GRACE_HOURS`: default grace of a rotated secret.
    pub secret_rotation_grace: Duration,
    /// RFC 8628 device code lifetime and polling interval.
    pub device_code_ttl: Duration,
    pub device_poll_interval: Duration,
    /// The hosted device verification page (`verification_uri`).
    pub device_verification_uri: String,
    /// How long a client read for authentication is trusted without re-reading it; changes
    /// made on this instance take effect at once, on other instances within this time.
    pub client_cache_ttl: Duration,
    /// `REQUIRE_EMAIL_VERIFICATION` with `EMAIL_VERIFICATION_GRACE_PERIOD_HOURS`: authorize
    /// refuses users whose email is still unverified this long after sign-up. `None`: never.
    pub email_verification_grace: Option<Duration>,
}

impl OAuthSettings {
    /// Defaults for tests and tools; the server builds its own from configuration.
    pub fn with_defaults(issuer: &str) -> Self {
        Self {
            default_alg: SigningAlgorithm::Rs256,
            id_token_ttl: Duration::hours(1),
            auth_code_ttl: Duration::seconds(60),
            request_ttl: Duration::minutes(10),
            secret_rotation_grace: Duration::hours(24),
            device_code_ttl: Duration::minutes(10),
            device_poll_interval: Duration::seconds(5),
            device_verification_uri: format!("{issuer}/device"),
            client_cache_ttl: Duration::seconds(5),
            email_verification_grace: Some(Duration::hours(1)),
        }
    }
}
