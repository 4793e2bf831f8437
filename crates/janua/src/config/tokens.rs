//! Token settings (§18 "Tokens", §3): the issuer and audience, the signing algorithm and keys,
//! and every token lifetime. `JWT_`-prefixed lifetime names are accepted as aliases.

use std::time::Duration;

use serde::Serialize;

use crate::config::env::{Reader, Unit};
use crate::config::redact;
use crate::config::secret::Secret;

/// The JWS algorithm of the signing key; HMAC is never offered (§3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum JwtAlgorithm {
    #[serde(rename = "RS256")]
    Rs256,
    #[serde(rename = "ES256")]
    Es256,
    #[serde(rename = "EdDSA")]
    EdDsa,
}

impl JwtAlgorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            JwtAlgorithm::Rs256 => "RS256",
            JwtAlgorithm::Es256 => "ES256",
            JwtAlgorithm::EdDsa => "EdDSA",
        }
    }

    /// The JOSE names, case-insensitively.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.to_ascii_uppercase().as_str() {
            "RS256" => Some(JwtAlgorithm::Rs256),
            "ES256" => Some(JwtAlgorithm::Es256),
            "EDDSA" => Some(JwtAlgorithm::EdDsa),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct TokenConfig {
    /// `iss` of every token and the OIDC issuer: exact string, no trailing slash.
    pub issuer: String,
    pub audience: String,
    pub algorithm: JwtAlgorithm,
    /// PEM signing key; unset = keys are generated and stored encrypted under `jwt_secret_key`.
    pub private_key: Option<Secret>,
    pub public_key: Option<String>,
    /// `kid` of the env key; unset = its RFC 7638 thumbprint.
    pub kid: Option<String>,
    /// PEM public keys of retired env keys, still published in the JWKS.
    pub previous_public_keys: Vec<String>,
    /// `JWT_SECRET_KEY`, else `SECRET_KEY` when set; `None` = use `security.secret_key` (see
    /// `Config::key_encryption_secret`).
    pub jwt_secret_key: Option<Secret>,
    #[serde(serialize_with = "redact::seconds")]
    pub access_token_ttl: Duration,
    /// Sliding session lifetime, renewed by each refresh.
    #[serde(serialize_with = "redact::seconds")]
    pub refresh_token_ttl: Duration,
    /// Hard cap from sign-in, whatever the refreshes.
    #[serde(serialize_with = "redact::seconds")]
    pub refresh_token_absolute: Duration,
    #[serde(serialize_with = "redact::seconds")]
    pub id_token_ttl: Duration,
    #[serde(serialize_with = "redact::seconds")]
    pub auth_code_ttl: Duration,
    #[serde(serialize_with = "redact::seconds")]
    pub magic_link_ttl: Duration,
    #[serde(serialize_with = "redact::seconds")]
    pub password_reset_ttl: Duration,
    #[serde(serialize_with = "redact::seconds")]
    pub email_verification_ttl: Duration,
    /// Days between automatic key rotations; 0 = off.
    pub key_rotation_days: u32,
}

pub(super) fn read(r: &mut Reader, api_base_url: &str, custom_domain: Option<&str>) -> TokenConfig {
    let issuer = read_issuer(r, api_base_url, custom_domain);
    let audience = r.string_or(&["JWT_AUDIENCE"], "janua");
    let algorithm = r
        .choice(
            &["JWT_ALGORITHM"],
            JwtAlgorithm::parse,
            "RS256, ES256, EdDSA",
        )
        .unwrap_or(JwtAlgorithm::Rs256);
    let private_key = r
        .secret(&["JWT_PRIVATE_KEY"])
        .map(|(_, key)| Secret::new(unescape_newlines(key.expose())));
    if private_key
        .as_ref()
        .is_some_and(|key| !looks_like_pem(key.expose(), "PRIVATE KEY"))
    {
        r.problem(
            "JWT_PRIVATE_KEY",
            "must be a PEM private key (-----BEGIN … PRIVATE KEY-----)",
        );
    }
    let public_key = r.string(&["JWT_PUBLIC_KEY"]).map(|k| unescape_newlines(&k));
    if public_key
        .as_deref()
        .is_some_and(|key| !looks_like_pem(key, "PUBLIC KEY"))
    {
        r.problem(
            "JWT_PUBLIC_KEY",
            "must be a PEM public key (-----BEGIN PUBLIC KEY-----)",
        );
    }
    let kid = r.string(&["JWT_KID"]);
    let previous_public_keys = read_previous_keys(r);
    let jwt_secret_key = r.secret(&["JWT_SECRET_KEY", "SECRET_KEY"]);
    if let Some(("JWT_SECRET_KEY", key)) = &jwt_secret_key {
        if key.expose().len() < 32 {
            r.problem(
                "JWT_SECRET_KEY",
                format!(
                    "must be at least 32 bytes (got {} bytes)",
                    key.expose().len()
                ),
            );
        }
    }
    let access_token_ttl = read_access_token_ttl(r);
    let refresh_token_ttl = lifetime(
        r,
        ["REFRESH_TOKEN_EXPIRE_DAYS", "JWT_REFRESH_TOKEN_EXPIRE_DAYS"],
        Unit::Days,
        7,
    );
    let refresh_token_absolute = lifetime(
        r,
        [
            "REFRESH_TOKEN_ABSOLUTE_DAYS",
            "JWT_REFRESH_TOKEN_ABSOLUTE_DAYS",
        ],
        Unit::Days,
        30,
    );
    if refresh_token_absolute < refresh_token_ttl {
        r.problem(
            "REFRESH_TOKEN_ABSOLUTE_DAYS",
            "must be at least REFRESH_TOKEN_EXPIRE_DAYS",
        );
    }
    TokenConfig {
        issuer,
        audience,
        algorithm,
        private_key,
        public_key,
        kid,
        previous_public_keys,
        jwt_secret_key: jwt_secret_key.map(|(_, key)| key),
        access_token_ttl,
        refresh_token_ttl,
        refresh_token_absolute,
        id_token_ttl: lifetime(
            r,
            ["ID_TOKEN_EXPIRE_MINUTES", "JWT_ID_TOKEN_EXPIRE_MINUTES"],
            Unit::Minutes,
            60,
        ),
        auth_code_ttl: lifetime(
            r,
            ["AUTH_CODE_EXPIRE_SECONDS", "JWT_AUTH_CODE_EXPIRE_SECONDS"],
            Unit::Seconds,
            60,
        ),
        magic_link_ttl: lifetime(
            r,
            ["MAGIC_LINK_EXPIRE_MINUTES", "JWT_MAGIC_LINK_EXPIRE_MINUTES"],
            Unit::Minutes,
            15,
        ),
        password_reset_ttl: lifetime(
            r,
            [
                "PASSWORD_RESET_EXPIRE_MINUTES",
                "JWT_PASSWORD_RESET_EXPIRE_MINUTES",
            ],
            Unit::Minutes,
            60,
        ),
        email_verification_ttl: lifetime(
            r,
            [
                "EMAIL_VERIFICATION_EXPIRE_HOURS",
                "JWT_EMAIL_VERIFICATION_EXPIRE_HOURS",
            ],
            Unit::Hours,
            48,
        ),
        key_rotation_days: r.number(
            &["KEY_ROTATION_DAYS"],
            0,
            "a whole number of days (0 = off)",
        ),
    }
}

/// `ISSUER` (alias `JWT_ISSUER`), else `https://` + `JANUA_CUSTOM_DOMAIN`, else `API_BASE_URL`.
fn read_issuer(r: &mut Reader, api_base_url: &str, custom_domain: Option<&str>) -> String {
    match r.http_url(&["ISSUER", "JWT_ISSUER"]) {
        Some(issuer) => issuer,
        None => match custom_domain {
            Some(domain) => format!("https://{domain}"),
            None => api_base_url.to_owned(),
        },
    }
}

/// Minutes, unless `ACCESS_TOKEN_EXPIRE_SECONDS` (or its alias) is set.
fn read_access_token_ttl(r: &mut Reader) -> Duration {
    let minutes = lifetime(
        r,
        [
            "ACCESS_TOKEN_EXPIRE_MINUTES",
            "JWT_ACCESS_TOKEN_EXPIRE_MINUTES",
        ],
        Unit::Minutes,
        15,
    );
    let names = [
        "ACCESS_TOKEN_EXPIRE_SECONDS",
        "JWT_ACCESS_TOKEN_EXPIRE_SECONDS",
    ];
    match r.optional_duration(&names, Unit::Seconds) {
        Some(seconds) if seconds.is_zero() => {
            r.problem(names[0], "must be greater than 0 (got `0`)");
            minutes
        }
        Some(seconds) => seconds,
        None => minutes,
    }
}

/// A token lifetime under its canonical name and `JWT_`-prefixed alias; never zero.
fn lifetime(r: &mut Reader, names: [&'static str; 2], unit: Unit, default: u64) -> Duration {
    let value = r.duration(&names, unit, default);
    if value.is_zero() {
        r.problem(names[0], "must be greater than 0 (got `0`)");
        return unit.times(default);
    }
    value
}

/// One or more PEM public keys, concatenated (newlines may be written as `\n`).
fn read_previous_keys(r: &mut Reader) -> Vec<String> {
    let Some(raw) = r.string(&["JWT_PREVIOUS_PUBLIC_KEYS"]) else {
        return Vec::new();
    };
    let raw = unescape_newlines(&raw);
    let keys = split_pem_blocks(&raw);
    if keys.is_empty() || keys.iter().any(|k| !looks_like_pem(k, "PUBLIC KEY")) {
        r.problem(
            "JWT_PREVIOUS_PUBLIC_KEYS",
            "must be one or more concatenated PEM public keys",
        );
    }
    keys
}

fn split_pem_blocks(raw: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut rest = raw;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = &rest[start..];
        let Some(end_marker) = after.find("-----END ") else {
            break;
        };
        let tail = &after[end_marker + "-----END ".len()..];
        let Some(close) = tail.find("-----") else {
            break;
        };
        let len = end_marker + "-----END ".len() + close + "-----".len();
        blocks.push(after[..len].to_owned());
        rest = &after[len..];
    }
    blocks
}

fn looks_like_pem(value: &str, label_suffix: &str) -> bool {
    let value = value.trim();
    value.starts_with("-----BEGIN ")
        && value.contains(&format!("{label_suffix}-----"))
        && value.contains("-----END ")
}

/// PEM pasted into a one-line variable often carries `\n` escapes instead of newlines.
fn unescape_newlines(value: &str) -> String {
    if value.contains('\n') {
        value.to_owned()
    } else {
        value.replace("\\n", "\n")
    }
}
