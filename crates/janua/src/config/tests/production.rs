//! Production refusals (§18) and operator warnings.

use super::{config, errors, PRODUCTION};
use crate::config::security::is_placeholder_secret;

#[test]
fn a_strong_production_configuration_is_accepted() {
    let c = config(&PRODUCTION);
    assert!(c.server.environment.is_production());
    assert!(!c.security.secret_key_generated);
}

#[test]
fn production_lists_every_refusal_at_once_in_one_error() {
    let problems = errors(&[
        ("ENVIRONMENT", "production"),
        ("SECRET_KEY", "change-me-change-me-change-me-change-me"),
        (
            "JWT_SECRET_KEY",
            "your-secret-key-here-your-secret-key-here",
        ),
        ("ENABLE_DEBUG", "true"),
        ("BASE_URL", "http://id.example.com"),
        ("SECURE_COOKIES", "false"),
        ("ADMIN_EMAIL", "root@example.com"),
        ("ADMIN_PASSWORD", "password"),
        ("PORT", "not-a-port"),
    ]);
    assert_eq!(
        problems.variables(),
        vec![
            "PORT",
            "SECRET_KEY",
            "JWT_SECRET_KEY",
            "ENABLE_DEBUG",
            "ISSUER",
            "BASE_URL",
            "SECURE_COOKIES",
            "ADMIN_PASSWORD"
        ],
        "{problems}"
    );
    let text = problems.to_string();
    for secret in ["change-me", "your-secret-key", "password\n"] {
        assert!(!text.contains(secret), "{secret} leaked into {text}");
    }
}

#[test]
fn production_requires_a_secret_key_of_at_least_32_bytes() {
    let without: Vec<_> = PRODUCTION
        .iter()
        .copied()
        .filter(|(k, _)| *k != "SECRET_KEY")
        .collect();
    assert_eq!(errors(&without).variables(), vec!["SECRET_KEY"]);
    let mut short = without.clone();
    short.push(("SECRET_KEY", "Zx81-short-but-random"));
    let problems = errors(&short);
    assert_eq!(problems.variables(), vec!["SECRET_KEY"]);
    assert!(!problems.to_string().contains("Zx81"));
}

#[test]
fn an_http_issuer_is_refused_in_production_even_with_an_https_base_url() {
    let mut vars = PRODUCTION.to_vec();
    vars.push(("ISSUER", "http://id.example.com"));
    assert_eq!(errors(&vars).variables(), vec!["ISSUER"]);
}

#[test]
fn a_weak_admin_password_is_refused_for_each_missing_class() {
    for weak in [
        "Sh0rt!",
        "alllowercase1!",
        "ALLUPPERCASE1!",
        "NoDigitsHere!!",
        "NoSymbols12345",
    ] {
        let mut vars = PRODUCTION.to_vec();
        vars.push(("ADMIN_PASSWORD", weak));
        assert_eq!(errors(&vars).variables(), vec!["ADMIN_PASSWORD"], "{weak}");
    }
    let mut strong = PRODUCTION.to_vec();
    strong.push(("ADMIN_EMAIL", "root@example.com"));
    strong.push(("ADMIN_PASSWORD", "Str0ng-Enough!"));
    config(&strong);
}

#[test]
fn placeholders_are_recognized_and_random_keys_are_not() {
    for placeholder in [
        "change-me",
        "CHANGEME",
        "secret",
        "your-secret-key-here",
        "your_secret_key_change_in_production",
        "...",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "abcabcabcabcabcabcabcabcabcabcabcabc",
        "insecure-dev-key-0000000000000000000",
    ] {
        assert!(is_placeholder_secret(placeholder), "{placeholder}");
    }
    for random in [
        "q4Jx9vR2mT7wLk3pZ8nB5cY1hF6dG0sAeU",
        "3f9a1c7e0b5d2468ace13579bdf02468ace13579",
    ] {
        assert!(!is_placeholder_secret(random), "{random}");
    }
}

#[test]
fn outside_production_the_same_settings_only_warn() {
    let c = config(&[
        ("SECRET_KEY", "change-me-change-me-change-me-change-me"),
        ("ENABLE_DEBUG", "true"),
        ("SECURE_COOKIES", "false"),
        ("ADMIN_EMAIL", "root@example.com"),
        ("ADMIN_PASSWORD", "password"),
    ]);
    let warnings = c.warnings().join("\n");
    assert!(
        warnings.contains("SECRET_KEY looks like a placeholder"),
        "{warnings}"
    );
    assert!(warnings.contains("ADMIN_PASSWORD is weak"), "{warnings}");
}

#[test]
fn warnings_name_a_generated_key_sqlite_and_missing_redis_in_production() {
    assert!(config(&[])
        .warnings()
        .iter()
        .any(|w| w.starts_with("SECRET_KEY is not set")));
    let mut vars = PRODUCTION.to_vec();
    vars.retain(|(k, _)| *k != "DATABASE_URL");
    vars.push(("ENABLE_DOCS", "true"));
    let warnings = config(&vars).warnings();
    for start in [
        "DATABASE_URL is SQLite",
        "REDIS_URL is not set",
        "ENABLE_DOCS is true",
        "SMTP_HOST is not set",
    ] {
        assert!(
            warnings.iter().any(|w| w.starts_with(start)),
            "{start} missing from {warnings:?}"
        );
    }
    vars.push(("REDIS_URL", "rediss://cache:6380"));
    assert!(!config(&vars)
        .warnings()
        .iter()
        .any(|w| w.starts_with("REDIS_URL")));
}
