//! Where values come from and how they are parsed: `NAME_FILE`, booleans, rate limits,
//! collected problems, unknown variables and redaction.

use std::io::Write;
use std::time::Duration;

use super::{config, errors, vars};
use crate::config::env::parse_bool;
use crate::config::{Config, RateLimit};

fn secret_file(content: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(content.as_bytes()).unwrap();
    file
}

fn path_of(file: &tempfile::NamedTempFile) -> String {
    file.path().to_str().unwrap().to_owned()
}

#[test]
fn a_file_named_by_name_file_supplies_the_value_without_its_trailing_newline() {
    let key = secret_file("0123456789abcdef0123456789abcdef-from-file\n");
    let c = config(&[("SECRET_KEY_FILE", &path_of(&key))]);
    assert_eq!(
        c.security.secret_key.expose(),
        "0123456789abcdef0123456789abcdef-from-file"
    );
    assert!(!c.security.secret_key_generated);
}

#[test]
fn only_one_trailing_newline_is_removed_from_a_file() {
    let crlf = secret_file("smtp-pass\r\n");
    let two = secret_file("line\n\n");
    let c = config(&[
        ("SMTP_USERNAME", "mailer"),
        ("SMTP_PASSWORD_FILE", &path_of(&crlf)),
        ("APP_NAME_FILE", &path_of(&two)),
    ]);
    assert_eq!(c.mail.smtp_password.unwrap().expose(), "smtp-pass");
    assert_eq!(c.server.app_name, "line");
}

#[test]
fn aliases_can_come_from_files_too() {
    let issuer = secret_file("https://files.example.com\n");
    assert_eq!(
        config(&[("JWT_ISSUER_FILE", &path_of(&issuer))])
            .tokens
            .issuer,
        "https://files.example.com"
    );
}

#[test]
fn name_and_name_file_with_different_values_are_refused_and_equal_values_accepted() {
    let file = secret_file("5433\n");
    let problems = errors(&[("PORT", "5432"), ("PORT_FILE", &path_of(&file))]);
    assert_eq!(problems.variables(), vec!["PORT"]);
    assert!(problems.to_string().contains("PORT_FILE"));
    assert_eq!(
        config(&[("PORT", "5433"), ("PORT_FILE", &path_of(&file))])
            .server
            .port,
        5433
    );
}

#[test]
fn an_unreadable_file_is_reported_under_the_file_variable() {
    let problems = errors(&[("SECRET_KEY_FILE", "/nonexistent/janua/secret")]);
    assert_eq!(problems.variables(), vec!["SECRET_KEY_FILE"]);
    assert!(problems.to_string().contains("/nonexistent/janua/secret"));
}

#[test]
fn booleans_accept_true_false_one_zero_yes_no_on_off_in_any_case() {
    for yes in ["true", "TRUE", "1", "yes", "Yes", "on", "ON", " true "] {
        assert_eq!(parse_bool(yes), Some(true), "{yes}");
    }
    for no in ["false", "False", "0", "no", "NO", "off", "Off"] {
        assert_eq!(parse_bool(no), Some(false), "{no}");
    }
    for bad in ["", "2", "enabled", "y", "t"] {
        assert_eq!(parse_bool(bad), None, "{bad}");
    }
    assert!(!config(&[("ENABLE_SIGNUPS", "Off")]).features.enable_signups);
    let problems = errors(&[("ENABLE_SIGNUPS", "maybe")]);
    assert_eq!(
        problems.to_string(),
        "ENABLE_SIGNUPS: must be true or false (also 1/0, yes/no, on/off) (got `maybe`)"
    );
}

#[test]
fn rate_limits_accept_unit_words_abbreviations_counts_and_bare_numbers() {
    let minute = Duration::from_secs(60);
    let hour = Duration::from_secs(3600);
    let cases = [
        (
            "1000/minute",
            RateLimit {
                max: 1000,
                window: minute,
            },
        ),
        (
            "1000/min",
            RateLimit {
                max: 1000,
                window: minute,
            },
        ),
        (
            "600/m",
            RateLimit {
                max: 600,
                window: minute,
            },
        ),
        (
            "3/hour",
            RateLimit {
                max: 3,
                window: hour,
            },
        ),
        (
            "5/h",
            RateLimit {
                max: 5,
                window: hour,
            },
        ),
        (
            "10/s",
            RateLimit {
                max: 10,
                window: Duration::from_secs(1),
            },
        ),
        (
            "2/day",
            RateLimit {
                max: 2,
                window: Duration::from_secs(86_400),
            },
        ),
        (
            "100/15min",
            RateLimit {
                max: 100,
                window: 15 * minute,
            },
        ),
        (
            " 7 / Hours ",
            RateLimit {
                max: 7,
                window: hour,
            },
        ),
        (
            "42",
            RateLimit {
                max: 42,
                window: hour,
            },
        ),
    ];
    for (raw, expected) in cases {
        assert_eq!(RateLimit::parse(raw, hour), Ok(expected), "{raw}");
    }
    for bad in [
        "",
        "0/minute",
        "-1/m",
        "ten/minute",
        "5/fortnight",
        "5/0m",
        "5/",
    ] {
        assert!(RateLimit::parse(bad, hour).is_err(), "{bad}");
    }
}

#[test]
fn a_bare_rate_limit_number_keeps_that_limits_default_window() {
    let r = config(&[
        ("RATE_LIMIT_SIGNUP", "9"),
        ("RATE_LIMIT_PASSWORD_FORGOT", "4"),
        ("RATE_LIMIT_TOKEN", "50/s"),
    ])
    .rate_limits;
    assert_eq!(r.signup, RateLimit::per_minute(9));
    assert_eq!(r.password_forgot, RateLimit::per_hour(4));
    assert_eq!(
        r.token,
        RateLimit {
            max: 50,
            window: Duration::from_secs(1)
        }
    );
    assert_eq!(
        errors(&[("RATE_LIMIT_GLOBAL", "lots")]).variables(),
        vec!["RATE_LIMIT_GLOBAL"]
    );
}

#[test]
fn every_invalid_setting_is_reported_at_once() {
    let cert = secret_file("cert");
    let problems = errors(&[
        ("PORT", "eighty"),
        ("ENABLE_SSO", "perhaps"),
        ("BASE_URL", "localhost:8000"),
        ("ENVIRONMENT", "qa"),
        ("JWT_ALGORITHM", "HS256"),
        ("ACCESS_TOKEN_EXPIRE_MINUTES", "15m"),
        ("TLS_CERT_FILE", &path_of(&cert)),
        ("DATABASE_SSL_MODE", "sometimes"),
        ("REDIS_URL", "http://cache:6379"),
        ("SMTP_TLS", "ssl3"),
        ("TRUSTED_PROXIES", "10.0.0.0/8,not-an-ip"),
    ]);
    let mut found = problems.variables();
    found.sort_unstable();
    let mut expected = vec![
        "ACCESS_TOKEN_EXPIRE_MINUTES",
        "BASE_URL",
        "DATABASE_SSL_MODE",
        "ENABLE_SSO",
        "ENVIRONMENT",
        "JWT_ALGORITHM",
        "PORT",
        "REDIS_URL",
        "SMTP_TLS",
        "TLS_CERT_FILE",
        "TRUSTED_PROXIES",
    ];
    expected.sort_unstable();
    assert_eq!(found, expected, "{problems}");
    assert_eq!(problems.to_string().lines().count(), expected.len());
    assert!(problems
        .to_string()
        .contains("PORT: must be a port number between 0 and 65535 (got `eighty`)"));
}

#[test]
fn tls_files_must_come_in_pairs_and_exist() {
    let cert = secret_file("cert");
    let key = secret_file("key");
    let both = config(&[
        ("TLS_CERT_FILE", &path_of(&cert)),
        ("TLS_KEY_FILE", &path_of(&key)),
    ]);
    assert_eq!(both.server.tls_key_file.as_deref(), Some(key.path()));
    assert_eq!(
        errors(&[("TLS_KEY_FILE", &path_of(&key))]).variables(),
        vec!["TLS_KEY_FILE"]
    );
    let missing = errors(&[
        ("TLS_CERT_FILE", &path_of(&cert)),
        ("TLS_KEY_FILE", "/nonexistent/key.pem"),
    ]);
    assert_eq!(missing.variables(), vec!["TLS_KEY_FILE"]);
}

#[test]
fn database_and_redis_urls_are_checked_without_quoting_passwords() {
    let problems = errors(&[
        ("DATABASE_URL", "mysql://root:hunter2-db@db/janua"),
        ("REDIS_URL", "memcached://:hunter2-redis@cache"),
    ]);
    let text = problems.to_string();
    assert_eq!(problems.variables(), vec!["DATABASE_URL", "REDIS_URL"]);
    assert!(!text.contains("hunter2"), "{text}");
    for ok in [
        "sqlite::memory:",
        "sqlite:data/janua.db",
        "postgres://u:p@h/db",
        "postgresql://h:5432/db",
    ] {
        assert_eq!(config(&[("DATABASE_URL", ok)]).database.url, ok);
    }
    for ok in [
        "redis://h:6379/0",
        "rediss://:p@h:6380",
        "redis+cluster://h1:6379,h2:6379",
    ] {
        assert!(config(&[("REDIS_URL", ok)]).cache.uses_redis(), "{ok}");
    }
}

#[test]
fn unknown_variables_that_look_like_ours_are_reported_with_a_suggestion() {
    let warnings = Config::unknown_variables(vars(&[
        ("SMTP_HOTS", "mail.example.com"),
        ("ENVIROMENT", "production"),
        ("JANUA_FOO", "1"),
        ("SMTP_PASWORD_FILE", "/run/secrets/smtp"),
        ("SMTP_HOST", "mail.example.com"),
        ("SECRET_KEY_FILE", "/run/secrets/key"),
        ("TEST_DATABASE_URL", "postgres://h/db"),
        ("PATH", "/usr/bin"),
        ("HOME", "/root"),
        ("POSTGRES_PASSWORD", "postgres"),
        ("REDIS_PORT", "tcp://10.0.0.5:6379"),
        ("OTEL_RESOURCE_ATTRIBUTES", "team=id"),
    ]));
    assert_eq!(
        warnings,
        vec![
            "ENVIROMENT is not a Janua setting and is ignored; did you mean ENVIRONMENT?".to_owned(),
            "JANUA_FOO is not a Janua setting and is ignored".to_owned(),
            "SMTP_HOTS is not a Janua setting and is ignored; did you mean SMTP_HOST?".to_owned(),
            "SMTP_PASWORD_FILE is not a Janua setting and is ignored; did you mean SMTP_PASSWORD_FILE?".to_owned(),
        ]
    );
}

#[test]
fn redacted_json_never_contains_a_secret_value() {
    let secrets = [
        ("SECRET_KEY", "sk-0123456789abcdef0123456789abcdef"),
        ("JWT_SECRET_KEY", "jwt-0123456789abcdef0123456789abcdef"),
        (
            "FIELD_ENCRYPTION_KEY",
            "fek-0123456789abcdef0123456789abcdef",
        ),
        ("INTERNAL_API_KEY", "internal-api-key-value"),
        (
            "JWT_PRIVATE_KEY",
            "-----BEGIN PRIVATE KEY-----\nprivate-key-body\n-----END PRIVATE KEY-----",
        ),
        ("REDIS_URL", "redis://:redis-password-value@cache:6379/0"),
        (
            "DATABASE_URL",
            "postgres://janua:database-password-value@db/janua",
        ),
        (
            "DATABASE_REPLICA_URLS",
            "postgres://janua:replica-password-value@replica/janua",
        ),
        ("SMTP_USERNAME", "mailer"),
        ("SMTP_PASSWORD", "smtp-password-value"),
        (
            "SENTRY_DSN",
            "https://sentry-key-value@o1.ingest.sentry.io/42",
        ),
        ("METRICS_TOKEN", "metrics-token-value"),
        ("ADMIN_PASSWORD", "Admin-Password-Value-1"),
        ("OAUTH_GOOGLE_CLIENT_ID", "google-id"),
        ("OAUTH_GOOGLE_CLIENT_SECRET", "google-secret-value"),
        (
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "https://otel:otel-password-value@collector:4318",
        ),
    ];
    let c = config(&secrets);
    let json = c.redacted().to_string();
    for needle in [
        "0123456789abcdef",
        "internal-api-key-value",
        "private-key-body",
        "redis-password-value",
        "database-password-value",
        "replica-password-value",
        "smtp-password-value",
        "sentry-key-value",
        "metrics-token-value",
        "Admin-Password-Value-1",
        "google-secret-value",
        "otel-password-value",
    ] {
        assert!(!json.contains(needle), "{needle} leaked into {json}");
    }
    assert!(json.contains("\"***\""));
    assert_eq!(
        c.redacted()["database"]["url"],
        "postgres://janua:***@db/janua"
    );
    assert_eq!(c.redacted()["server"]["shutdown_drain"], 5);
    assert_eq!(c.redacted()["rate_limits"]["signin"], "5/60s");
    let debug = format!("{c:?}");
    assert!(!debug.contains("database-password-value") && !debug.contains("smtp-password-value"));
}
