//! The account rules in force, taken from configuration once at start-up.

use chrono::Duration;

use crate::auth::passwords::PasswordPolicy;

#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// `iss` of every token.
    pub issuer: String,
    /// Always in `aud` of REST access tokens.
    pub audience: String,
    pub access_token_ttl: Duration,
    /// Sliding session lifetime (each refresh extends it).
    pub session_ttl: Duration,
    /// Absolute session lifetime, never extended.
    pub session_absolute_ttl: Duration,
    pub email_verification_ttl: Duration,
    pub password_reset_ttl: Duration,
    pub magic_link_ttl: Duration,
    pub password_policy: PasswordPolicy,
    pub lockout: LockoutSettings,
    pub max_sessions_per_user: u32,
    /// `ENABLE_SIGNUPS`; the runtime setting `auth.allow_signups` overrides it.
    pub signups_enabled: bool,
    pub magic_links_enabled: bool,
    /// Whether mail can actually leave (SMTP configured, or logged outside production).
    pub email_configured: bool,
    pub base_url: String,
    pub api_base_url: String,
    pub frontend_url: String,
    /// Origins allowed for redirects in mailed links (besides base, API and frontend URLs).
    pub redirect_origins: Vec<String>,
    /// Origins allowed for `redirect_base` of password-reset links.
    pub password_reset_redirect_origins: Vec<String>,
}

#[derive(Debug, Clone, Copy)]
pub struct LockoutSettings {
    pub enabled: bool,
    pub threshold: u32,
    pub duration: Duration,
}
