//! Defaults with an empty environment, and every alias.

use std::time::Duration;

use super::{config, errors};
use crate::config::{Environment, JwtAlgorithm, LogFormat, RateLimit, SmtpTls};

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(86_400);

#[test]
fn an_empty_environment_yields_the_server_database_and_cache_defaults_of_section_18() {
    let c = config(&[]);
    assert_eq!(c.server.environment, Environment::Development);
    assert_eq!(c.server.host, "0.0.0.0");
    assert_eq!(c.server.port, 8000);
    assert_eq!(c.server.app_name, "Janua");
    assert_eq!(c.server.shutdown_drain, Duration::from_secs(5));
    assert_eq!(c.server.shutdown_timeout, Duration::from_secs(30));
    assert_eq!(c.server.request_timeout, Duration::from_secs(30));
    assert_eq!(c.server.max_body_bytes, 1024 * 1024);
    assert!(c.server.trusted_proxies.is_empty());
    assert_eq!(
        (c.server.tls_cert_file, c.server.tls_key_file),
        (None, None)
    );
    assert_eq!(c.server.worker_threads, None);
    assert_eq!(c.database.url, "sqlite://janua.db");
    assert!(c.database.replica_urls.is_empty());
    assert_eq!((c.database.pool_size, c.database.max_overflow), (5, 5));
    assert_eq!(c.database.ssl_mode, "prefer");
    assert!(c.database.apply_migrations);
    assert!(c.cache.redis_url.is_none() && c.cache.cluster_nodes.is_empty());
}

#[test]
fn an_empty_environment_yields_the_token_defaults_of_section_18() {
    let t = config(&[]).tokens;
    assert_eq!(t.issuer, "http://localhost:8000");
    assert_eq!(t.audience, "janua");
    assert_eq!(t.algorithm, JwtAlgorithm::Rs256);
    assert!(t.private_key.is_none() && t.public_key.is_none() && t.kid.is_none());
    assert!(t.previous_public_keys.is_empty() && t.jwt_secret_key.is_none());
    assert_eq!(t.access_token_ttl, 15 * MINUTE);
    assert_eq!(t.refresh_token_ttl, 7 * DAY);
    assert_eq!(t.refresh_token_absolute, 30 * DAY);
    assert_eq!(t.id_token_ttl, HOUR);
    assert_eq!(t.auth_code_ttl, MINUTE);
    assert_eq!(t.magic_link_ttl, 15 * MINUTE);
    assert_eq!(t.password_reset_ttl, HOUR);
    assert_eq!(t.email_verification_ttl, 48 * HOUR);
    assert_eq!(t.key_rotation_days, 0);
}

#[test]
fn an_empty_environment_yields_the_security_defaults_of_section_18() {
    let s = config(&[]).security;
    assert!(s.secret_key_generated);
    assert!(s.secret_key.expose().len() >= 32);
    assert!(s.field_encryption_key.is_none() && s.internal_api_key.is_none());
    assert!(s.cookie_domain.is_none() && s.secure_cookies);
    assert!(s.cors_origins.is_empty() && s.password_reset_redirect_origins.is_empty());
    let p = s.password_policy;
    assert_eq!(p.min_length, 12);
    assert!(p.require_uppercase && p.require_lowercase && p.require_digit && p.require_symbol);
    let h = s.password_hash;
    assert_eq!((h.memory_kib, h.iterations, h.parallelism), (19_456, 2, 1));
    assert!(s.lockout.enabled);
    assert_eq!((s.lockout.threshold, s.lockout.duration), (5, 15 * MINUTE));
    assert!(s.require_email_verification);
    assert_eq!(s.email_verification_grace, HOUR);
    assert_eq!(s.client_secret_rotation_grace, 24 * HOUR);
    assert_eq!(s.max_sessions_per_identity, 5);
    assert!(!s.webhook_allow_private_urls);
}

#[test]
fn an_empty_environment_yields_the_rate_limits_of_section_0() {
    let r = config(&[]).rate_limits;
    assert!(r.enabled);
    assert_eq!(r.global, RateLimit::per_minute(1000));
    assert_eq!(r.signup, RateLimit::per_minute(3));
    assert_eq!(r.signin, RateLimit::per_minute(5));
    assert_eq!(r.password_forgot, RateLimit::per_hour(3));
    assert_eq!(r.password_reset, RateLimit::per_hour(10));
    assert_eq!(r.email_resend, RateLimit::per_hour(5));
    assert_eq!(r.magic_link, RateLimit::per_hour(5));
    assert_eq!(r.token, RateLimit::per_minute(600));
}

#[test]
fn an_empty_environment_yields_the_feature_mail_url_telemetry_and_retention_defaults() {
    let c = config(&[]);
    let f = c.features;
    assert!(f.enable_docs && !f.enable_debug);
    assert!(f.enable_signups && f.enable_magic_links && f.enable_metrics);
    assert!(f.enable_webhooks && f.enable_sso && f.enable_scim);
    assert!(
        c.mail.smtp_host.is_none()
            && c.mail.smtp_username.is_none()
            && c.mail.smtp_password.is_none()
    );
    assert_eq!(
        (c.mail.smtp_port, c.mail.smtp_tls),
        (587, SmtpTls::Starttls)
    );
    assert_eq!(c.mail.email_from, "Janua <no-reply@localhost>");
    assert!(c.mail.email_enabled);
    assert_eq!(c.urls.base_url, "http://localhost:8000");
    assert_eq!(c.urls.api_base_url, "http://localhost:8000");
    assert_eq!(c.urls.frontend_url, "http://localhost:8000");
    assert_eq!(
        (c.urls.domain.as_str(), c.urls.webauthn_rp_id.as_str()),
        ("localhost", "localhost")
    );
    assert_eq!(c.urls.webauthn_rp_name, "Janua");
    assert_eq!(
        c.urls.webauthn_origins,
        vec!["http://localhost:8000".to_owned()]
    );
    assert_eq!(
        (c.telemetry.log_level.as_str(), c.telemetry.log_format),
        ("info", LogFormat::Pretty)
    );
    assert!(c.telemetry.sentry_dsn.is_none() && c.telemetry.otel_endpoint.is_none());
    assert_eq!(c.telemetry.otel_service_name, "janua");
    assert!(c.telemetry.monitoring_endpoint.is_none() && c.telemetry.metrics_token.is_none());
    assert!(c.bootstrap.admin_email.is_none() && c.bootstrap.social_providers.is_empty());
    let r = c.retention;
    assert_eq!(
        (
            r.audit_days,
            r.webhook_delivery_days,
            r.deleted_user_purge_days
        ),
        (365, 30, 30)
    );
}

#[test]
fn production_turns_docs_off_and_logs_json_by_default() {
    let c = config(&super::PRODUCTION);
    assert!(!c.features.enable_docs);
    assert_eq!(c.telemetry.log_format, LogFormat::Json);
    assert_eq!(c.tokens.issuer, "https://id.example.com");
}

#[test]
fn jwt_issuer_is_an_alias_of_issuer_and_issuer_wins_when_both_are_set() {
    assert_eq!(
        config(&[("JWT_ISSUER", "https://a.example.com/")])
            .tokens
            .issuer,
        "https://a.example.com"
    );
    let both = config(&[
        ("ISSUER", "https://b.example.com"),
        ("JWT_ISSUER", "https://a.example.com"),
    ]);
    assert_eq!(both.tokens.issuer, "https://b.example.com");
}

#[test]
fn the_issuer_defaults_to_the_custom_domain_then_to_the_api_base_url() {
    let api = config(&[("API_BASE_URL", "https://api.example.com")]);
    assert_eq!(api.tokens.issuer, "https://api.example.com");
    let custom = config(&[
        ("API_BASE_URL", "https://api.example.com"),
        ("JANUA_CUSTOM_DOMAIN", "id.acme.io"),
    ]);
    assert_eq!(custom.tokens.issuer, "https://id.acme.io");
}

#[test]
fn jwt_prefixed_lifetime_names_are_aliases() {
    let t = config(&[
        ("JWT_ACCESS_TOKEN_EXPIRE_MINUTES", "5"),
        ("JWT_REFRESH_TOKEN_EXPIRE_DAYS", "2"),
        ("JWT_REFRESH_TOKEN_ABSOLUTE_DAYS", "3"),
        ("JWT_ID_TOKEN_EXPIRE_MINUTES", "10"),
        ("JWT_AUTH_CODE_EXPIRE_SECONDS", "30"),
        ("JWT_MAGIC_LINK_EXPIRE_MINUTES", "7"),
        ("JWT_PASSWORD_RESET_EXPIRE_MINUTES", "20"),
        ("JWT_EMAIL_VERIFICATION_EXPIRE_HOURS", "12"),
    ])
    .tokens;
    assert_eq!(t.access_token_ttl, 5 * MINUTE);
    assert_eq!(
        (t.refresh_token_ttl, t.refresh_token_absolute),
        (2 * DAY, 3 * DAY)
    );
    assert_eq!(
        (t.id_token_ttl, t.auth_code_ttl),
        (10 * MINUTE, Duration::from_secs(30))
    );
    assert_eq!(
        (t.magic_link_ttl, t.password_reset_ttl),
        (7 * MINUTE, 20 * MINUTE)
    );
    assert_eq!(t.email_verification_ttl, 12 * HOUR);
}

#[test]
fn access_token_seconds_override_minutes() {
    let t = config(&[
        ("ACCESS_TOKEN_EXPIRE_MINUTES", "30"),
        ("ACCESS_TOKEN_EXPIRE_SECONDS", "90"),
    ])
    .tokens;
    assert_eq!(t.access_token_ttl, Duration::from_secs(90));
    let alias = config(&[("JWT_ACCESS_TOKEN_EXPIRE_SECONDS", "45")]).tokens;
    assert_eq!(alias.access_token_ttl, Duration::from_secs(45));
}

#[test]
fn secret_key_is_the_fallback_for_jwt_secret_key() {
    let key = "k".repeat(20) + "0123456789abcdef";
    let fallback = config(&[("SECRET_KEY", &key)]);
    assert_eq!(
        fallback.tokens.jwt_secret_key.as_ref().map(|k| k.expose()),
        Some(key.as_str())
    );
    assert!(!fallback.security.secret_key_generated);
    let own = "j".repeat(16) + "fedcba9876543210";
    let both = config(&[("SECRET_KEY", &key), ("JWT_SECRET_KEY", &own)]);
    assert_eq!(both.key_encryption_secret().expose(), own);
    let none = config(&[]);
    assert_eq!(
        none.key_encryption_secret().expose(),
        none.security.secret_key.expose()
    );
}

#[test]
fn workers_and_janua_worker_threads_are_aliases_of_worker_threads() {
    assert_eq!(config(&[("WORKERS", "4")]).server.worker_threads, Some(4));
    assert_eq!(
        config(&[("JANUA_WORKER_THREADS", "3")])
            .server
            .worker_threads,
        Some(3)
    );
    assert_eq!(
        config(&[("WORKER_THREADS", "2"), ("WORKERS", "4")])
            .server
            .worker_threads,
        Some(2)
    );
    assert_eq!(errors(&[("WORKERS", "0")]).variables(), vec!["WORKERS"]);
}

#[test]
fn the_deployment_guide_environment_is_accepted() {
    let c = config(&[
        (
            "DATABASE_URL",
            "postgresql://postgres:postgres@db:5432/janua",
        ),
        ("REDIS_URL", "redis://redis:6379/0"),
        ("ENVIRONMENT", "development"),
        ("ENABLE_DOCS", "false"),
        ("ENABLE_DEBUG", "false"),
        ("RATE_LIMIT_ENABLED", "true"),
        ("SENTRY_DSN", "https://key@o1.ingest.sentry.io/42"),
        ("MONITORING_ENDPOINT", "http://pushgateway:9091"),
    ]);
    assert!(c.cache.uses_redis() && !c.database.is_sqlite());
    assert!(errors(&[("DATABASE_URL", "mysql://x@db/janua")])
        .variables()
        .contains(&"DATABASE_URL"));
}
