//! Judgement on a whole configuration: the production refusals of §18 (fatal) and advice for
//! operators (warnings that name what to check).

use crate::config::env::Reader;
use crate::config::security::{is_placeholder_secret, weak_admin_password_reason};
use crate::config::server::Environment;
use crate::config::Config;

/// Records a problem for every setting production refuses to start with.
pub(super) fn refusals(config: &Config, r: &mut Reader) {
    if !config.server.environment.is_production() {
        return;
    }
    let security = &config.security;
    if security.secret_key_generated {
        r.problem(
            "SECRET_KEY",
            "is required in production (32+ random bytes, e.g. `openssl rand -base64 48`)",
        );
    } else if is_placeholder_secret(security.secret_key.expose()) {
        r.problem(
            "SECRET_KEY",
            "is a placeholder value; generate a random one (`openssl rand -base64 48`)",
        );
    }
    if let Some(jwt_key) = &config.tokens.jwt_secret_key {
        if jwt_key != &security.secret_key && is_placeholder_secret(jwt_key.expose()) {
            r.problem(
                "JWT_SECRET_KEY",
                "is a placeholder value; generate a random one",
            );
        }
    }
    if config.features.enable_debug {
        r.problem("ENABLE_DEBUG", "must be false in production (got `true`)");
    }
    if !config.tokens.issuer.starts_with("https://") {
        let why = format!(
            "must be an https:// URL in production (got `{}`; it defaults to API_BASE_URL)",
            config.tokens.issuer
        );
        r.problem("ISSUER", why);
    }
    if !config.urls.base_url.starts_with("https://") {
        r.problem(
            "BASE_URL",
            format!(
                "must be an https:// URL in production (got `{}`)",
                config.urls.base_url
            ),
        );
    }
    if !security.secure_cookies {
        r.problem("SECURE_COOKIES", "must be true in production (got `false`)");
    }
    if let Some(password) = &config.bootstrap.admin_password {
        if let Some(why) = weak_admin_password_reason(password.expose()) {
            r.problem(
                "ADMIN_PASSWORD",
                format!("is too weak for production: {why}"),
            );
        }
    }
}

/// Non-fatal advice, one sentence each, naming the variable to look at.
pub(super) fn warnings(config: &Config) -> Vec<String> {
    let env = config.server.environment;
    let production = env.is_production();
    let mut out = Vec::new();
    let mut warn = |condition: bool, text: &str| {
        if condition {
            out.push(text.to_owned());
        }
    };
    let security = &config.security;
    warn(
        security.secret_key_generated,
        "SECRET_KEY is not set: a random key was generated for this run. Sessions, CSRF tokens and \
         data encrypted at rest will not survive a restart and differ between instances.",
    );
    warn(
        !production
            && !security.secret_key_generated
            && is_placeholder_secret(security.secret_key.expose()),
        "SECRET_KEY looks like a placeholder; production would refuse it.",
    );
    warn(
        production && config.database.is_sqlite(),
        "DATABASE_URL is SQLite in production: that suits a single instance only; use PostgreSQL to \
         run several.",
    );
    warn(
        matches!(env, Environment::Production | Environment::Staging) && !config.cache.uses_redis(),
        "REDIS_URL is not set: rate limits, token revocations and caches stay inside this process. \
         Running more than one instance without Redis is unsafe.",
    );
    warn(
        production && config.features.enable_docs,
        "ENABLE_DOCS is true in production: the API reference is public.",
    );
    warn(
        production && !config.rate_limits.enabled,
        "RATE_LIMIT_ENABLED is false in production: sign-in and sign-up are open to brute force.",
    );
    warn(
        production && config.mail.email_enabled && config.mail.smtp_host.is_none(),
        "SMTP_HOST is not set in production: verification, reset and invitation mails cannot be sent.",
    );
    warn(
        production && config.security.webhook_allow_private_urls,
        "WEBHOOK_ALLOW_PRIVATE_URLS is true in production: webhooks may reach internal services (SSRF).",
    );
    warn(
        config.server.trusted_proxies.iter().any(|net| net.prefix_len() == 0),
        "TRUSTED_PROXIES contains 0.0.0.0/0 or ::/0: any client can forge its IP with X-Forwarded-For, \
         defeating per-IP rate limits.",
    );
    warn(
        config.security.password_policy.min_length < 12,
        "PASSWORD_MIN_LENGTH is below 12, the length §19 and NIST recommend.",
    );
    warn(
        production && !config.urls.frontend_url.starts_with("https://"),
        "FRONTEND_URL is not https:// in production: links in mails will be sent over plain http.",
    );
    warn(
        config.bootstrap.admin_email.is_some() != config.bootstrap.admin_password.is_some(),
        "ADMIN_EMAIL and ADMIN_PASSWORD work together: set both to create the first administrator.",
    );
    let weak_admin = config
        .bootstrap
        .admin_password
        .as_ref()
        .and_then(|p| weak_admin_password_reason(p.expose()));
    if let (false, Some(why)) = (production, weak_admin) {
        out.push(format!(
            "ADMIN_PASSWORD is weak ({why}); production would refuse it."
        ));
    }
    out
}
