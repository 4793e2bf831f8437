//! Security settings (§18 "Security"): the server secret, cookies and CORS, the password policy
//! and hashing cost, account lockout, email verification, session caps and webhook targets.
//! Also the checks that judge secrets and passwords (placeholders, strength).

use std::time::Duration;

use serde::Serialize;

use crate::config::env::{origin_of, quote, Reader, Unit};
use crate::config::redact;
use crate::config::secret::Secret;

/// The minimum size of `SECRET_KEY`, `JWT_SECRET_KEY` and `FIELD_ENCRYPTION_KEY`.
pub const MIN_SECRET_BYTES: usize = 32;

#[derive(Debug, Clone, Serialize)]
pub struct SecurityConfig {
    /// Encryption at rest, CSRF tokens, HMACs.
    pub secret_key: Secret,
    /// True when `SECRET_KEY` was unset and a random one was generated (never in production):
    /// data it protects is lost at restart and differs between instances, so the server warns.
    pub secret_key_generated: bool,
    /// Key for field encryption at rest; `None` = derived from `secret_key`.
    pub field_encryption_key: Option<Secret>,
    /// Guards `internal` endpoints; `None` = they answer 503.
    pub internal_api_key: Option<Secret>,
    pub cookie_domain: Option<String>,
    pub secure_cookies: bool,
    pub cors_origins: Vec<String>,
    /// Origins that password-reset links may redirect to.
    pub password_reset_redirect_origins: Vec<String>,
    pub password_policy: PasswordPolicy,
    pub password_hash: PasswordHashParams,
    pub lockout: LockoutPolicy,
    pub require_email_verification: bool,
    /// How long a new, unverified account may sign in before verification is required.
    #[serde(serialize_with = "redact::seconds")]
    pub email_verification_grace: Duration,
    /// How long an OAuth client's previous secret keeps working after rotation.
    #[serde(serialize_with = "redact::seconds")]
    pub client_secret_rotation_grace: Duration,
    /// Live sessions per user; the oldest is revoked beyond it. 0 = unlimited.
    pub max_sessions_per_identity: u32,
    /// Lets webhooks target private and loopback addresses (SSRF guard off): tests only.
    pub webhook_allow_private_urls: bool,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct PasswordPolicy {
    pub min_length: usize,
    pub require_uppercase: bool,
    pub require_lowercase: bool,
    pub require_digit: bool,
    pub require_symbol: bool,
}

/// Argon2id cost (defaults: OWASP's 19 MiB, 2 passes, 1 lane).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct PasswordHashParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct LockoutPolicy {
    pub enabled: bool,
    /// Consecutive failures that lock the account.
    pub threshold: u32,
    #[serde(serialize_with = "redact::seconds")]
    pub duration: Duration,
}

pub(super) fn read(r: &mut Reader) -> SecurityConfig {
    let given = r.secret(&["SECRET_KEY"]).map(|(_, key)| key);
    if let Some(key) = &given {
        check_secret_length(r, "SECRET_KEY", key);
    }
    let secret_key_generated = given.is_none();
    let secret_key =
        given.unwrap_or_else(|| Secret::new(janua_core::crypto::random_token(MIN_SECRET_BYTES)));
    let field_encryption_key = r.secret(&["FIELD_ENCRYPTION_KEY"]).map(|(_, key)| key);
    if let Some(key) = &field_encryption_key {
        check_secret_length(r, "FIELD_ENCRYPTION_KEY", key);
    }
    SecurityConfig {
        secret_key,
        secret_key_generated,
        field_encryption_key,
        internal_api_key: r.secret(&["INTERNAL_API_KEY"]).map(|(_, key)| key),
        cookie_domain: read_cookie_domain(r),
        secure_cookies: r.bool(&["SECURE_COOKIES"], true),
        cors_origins: read_origins(r, "CORS_ORIGINS"),
        password_reset_redirect_origins: read_origins(r, "PASSWORD_RESET_REDIRECT_ORIGINS"),
        password_policy: read_password_policy(r),
        password_hash: read_password_hash(r),
        lockout: LockoutPolicy {
            enabled: r.bool(&["ACCOUNT_LOCKOUT_ENABLED"], true),
            threshold: at_least_one(
                r,
                "ACCOUNT_LOCKOUT_THRESHOLD",
                5,
                "a whole number of failures",
            ),
            duration: r.duration(&["ACCOUNT_LOCKOUT_DURATION_MINUTES"], Unit::Minutes, 15),
        },
        require_email_verification: r.bool(&["REQUIRE_EMAIL_VERIFICATION"], true),
        email_verification_grace: r.duration(
            &["EMAIL_VERIFICATION_GRACE_PERIOD_HOURS"],
            Unit::Hours,
            1,
        ),
        client_secret_rotation_grace: r.duration(
            &["CLIENT_SECRET_ROTATION_GRACE_HOURS"],
            Unit::Hours,
            24,
        ),
        max_sessions_per_identity: r.number(
            &["MAX_SESSIONS_PER_IDENTITY"],
            5,
            "a whole number of sessions (0 = unlimited)",
        ),
        webhook_allow_private_urls: r.bool(&["WEBHOOK_ALLOW_PRIVATE_URLS"], false),
    }
}

fn check_secret_length(r: &mut Reader, name: &str, key: &Secret) {
    let len = key.expose().len();
    if len < MIN_SECRET_BYTES {
        r.problem(
            name,
            format!("must be at least {MIN_SECRET_BYTES} bytes (got {len} bytes)"),
        );
    }
}

fn at_least_one(r: &mut Reader, name: &'static str, default: u32, what: &str) -> u32 {
    let value = r.number(&[name], default, what);
    if value == 0 {
        r.problem(name, "must be at least 1 (got `0`)");
        return default;
    }
    value
}

fn read_cookie_domain(r: &mut Reader) -> Option<String> {
    let raw = r.string(&["COOKIE_DOMAIN"])?;
    let bare = raw.trim_start_matches('.');
    let valid = !bare.is_empty()
        && bare
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    if !valid {
        r.problem(
            "COOKIE_DOMAIN",
            format!("must be a domain like example.com (got {})", quote(&raw)),
        );
        return None;
    }
    Some(raw.to_ascii_lowercase())
}

/// Comma-separated `scheme://host[:port]` origins. `*` is refused: CORS here carries
/// credentials, and browsers reject a wildcard with credentials.
fn read_origins(r: &mut Reader, name: &'static str) -> Vec<String> {
    let mut origins = Vec::new();
    for raw in r.list(&[name]) {
        match origin_of(&raw).filter(|o| o.starts_with("http")) {
            Some(origin) if raw.trim_end_matches('/') == origin => origins.push(origin),
            _ => r.problem(
                name,
                format!(
                    "must list origins like https://app.example.com, without path or `*` (got {})",
                    quote(&raw)
                ),
            ),
        }
    }
    origins
}

fn read_password_policy(r: &mut Reader) -> PasswordPolicy {
    let min_length = r.number(&["PASSWORD_MIN_LENGTH"], 12, "a whole number of characters");
    if !(1..=256).contains(&min_length) {
        r.problem(
            "PASSWORD_MIN_LENGTH",
            format!("must be between 1 and 256 (got `{min_length}`)"),
        );
    }
    PasswordPolicy {
        min_length: min_length.clamp(1, 256),
        require_uppercase: r.bool(&["PASSWORD_REQUIRE_UPPERCASE"], true),
        require_lowercase: r.bool(&["PASSWORD_REQUIRE_LOWERCASE"], true),
        require_digit: r.bool(&["PASSWORD_REQUIRE_DIGIT"], true),
        require_symbol: r.bool(&["PASSWORD_REQUIRE_SYMBOL"], true),
    }
}

fn read_password_hash(r: &mut Reader) -> PasswordHashParams {
    let memory_kib = r.number(
        &["PASSWORD_HASH_MEMORY_KIB"],
        19_456,
        "a whole number of KiB",
    );
    let iterations = at_least_one(r, "PASSWORD_HASH_ITERATIONS", 2, "a whole number of passes");
    let parallelism = at_least_one(r, "PASSWORD_HASH_PARALLELISM", 1, "a whole number of lanes");
    // Argon2 needs at least 8 KiB per lane.
    if u64::from(memory_kib) < 8 * u64::from(parallelism) {
        r.problem(
            "PASSWORD_HASH_MEMORY_KIB",
            format!(
                "must be at least 8 × PASSWORD_HASH_PARALLELISM = {} (got `{memory_kib}`)",
                8 * u64::from(parallelism)
            ),
        );
    }
    PasswordHashParams {
        memory_kib,
        iterations,
        parallelism,
    }
}

/// True for values that are obviously not secret: "change-me", "your-secret-key-here",
/// "secret", "...", one character repeated or a short pattern repeated ("abcabcabc…").
pub fn is_placeholder_secret(value: &str) -> bool {
    let compact: String = value
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if compact.is_empty() {
        return true;
    }
    const EXACT: [&str; 10] = [
        "secret",
        "secretkey",
        "password",
        "test",
        "default",
        "example",
        "jwtsecret",
        "mysecret",
        "supersecret",
        "key",
    ];
    const INSIDE: [&str; 8] = [
        "changeme",
        "changethis",
        "replaceme",
        "yoursecret",
        "yourkey",
        "insecure",
        "placeholder",
        "notsecret",
    ];
    EXACT.contains(&compact.as_str())
        || INSIDE.iter().any(|p| compact.contains(p))
        || is_short_pattern_repeated(value)
}

fn is_short_pattern_repeated(value: &str) -> bool {
    let chars: Vec<char> = value.chars().collect();
    (1..=4).any(|period| {
        chars.len() >= 2 * period
            && chars
                .iter()
                .enumerate()
                .all(|(i, c)| *c == chars[i % period])
    })
}

/// Why a password is too weak for an administrator (≥ 12 characters, with upper and lower
/// case, a digit and a symbol), or `None` when it is acceptable.
pub fn weak_admin_password_reason(password: &str) -> Option<&'static str> {
    if password.chars().count() < 12 {
        return Some("must be at least 12 characters");
    }
    let has = |f: fn(char) -> bool| password.chars().any(f);
    let classes: [(bool, &'static str); 4] = [
        (has(char::is_uppercase), "must contain an uppercase letter"),
        (has(char::is_lowercase), "must contain a lowercase letter"),
        (has(|c| c.is_ascii_digit()), "must contain a digit"),
        (
            has(|c| !c.is_alphanumeric() && !c.is_whitespace()),
            "must contain a symbol",
        ),
    ];
    classes
        .iter()
        .find(|(present, _)| !present)
        .map(|(_, why)| *why)
}
