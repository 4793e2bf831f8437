//! `janua doctor`: the troubleshooting section of the deployment guide as one command. Checks
//! the configuration, database connectivity, migration state, the cache, mail (SMTP connect and
//! EHLO, template overrides), TLS and key material,
//! prints PASS/WARN/FAIL per check with what to do, and exits 1 when anything failed.

use std::time::Instant;

use janua_core::health::{check_cache, check_store};

use janua_core::tokens::keys::stored::open_stored_key;

use crate::app::{cache_target, database_config, imported_keys, key_sealer};
use crate::cache::{self, CacheTarget};
use crate::config::Config;
use crate::mail::render::MailRenderer;
use crate::mail::smtp::SmtpMailer;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Warn,
    Fail,
}

#[derive(Debug, Clone)]
pub struct Check {
    pub name: &'static str,
    pub verdict: Verdict,
    pub message: String,
}

impl Check {
    fn new(name: &'static str, verdict: Verdict, message: impl Into<String>) -> Self {
        Self {
            name,
            verdict,
            message: message.into(),
        }
    }
}

/// Runs every check and prints the report; true when nothing failed.
pub async fn run(config: &Config) -> bool {
    let checks = run_checks(config).await;
    for check in &checks {
        let label = match check.verdict {
            Verdict::Pass => "PASS",
            Verdict::Warn => "WARN",
            Verdict::Fail => "FAIL",
        };
        println!("{label}  {:<13} {}", check.name, check.message);
    }
    let failed = checks.iter().filter(|c| c.verdict == Verdict::Fail).count();
    if failed == 0 {
        println!("\nall checks passed");
    } else {
        println!("\n{failed} check(s) failed");
    }
    failed == 0
}

pub async fn run_checks(config: &Config) -> Vec<Check> {
    let mut checks = vec![configuration(config)];
    checks.extend(database(config).await);
    checks.push(cache_check(config).await);
    checks.push(mail_check(config).await);
    checks.push(tls(config));
    checks.push(secret_key(config));
    checks.push(signing_keys(config).await);
    checks
}

fn configuration(config: &Config) -> Check {
    let warnings = config.warnings();
    if warnings.is_empty() {
        Check::new(
            "configuration",
            Verdict::Pass,
            format!("valid ({} environment)", config.server.environment.as_str()),
        )
    } else {
        Check::new(
            "configuration",
            Verdict::Warn,
            format!("valid, with warnings: {}", warnings.join("; ")),
        )
    }
}

async fn database(config: &Config) -> Vec<Check> {
    let mut db = database_config(config);
    db.apply_migrations = false;
    let shown = janua_store::redact_url(&db.url);
    let started = Instant::now();
    let store = match janua_store::connect(&db).await {
        Ok(store) => store,
        Err(e) => {
            return vec![Check::new(
                "database",
                Verdict::Fail,
                format!(
                    "{shown} unreachable: {e}. Check DATABASE_URL, that the server runs and accepts \
                     connections from this host (e.g. `pg_isready -h HOST -p PORT`), and credentials."
                ),
            )]
        }
    };
    let ping = check_store(store.as_ref()).await;
    let mut checks = vec![if ping.ok {
        Check::new(
            "database",
            Verdict::Pass,
            format!(
                "{shown} ({}) answered in {:.1} ms",
                store.backend().as_str(),
                started.elapsed().as_secs_f64() * 1000.0
            ),
        )
    } else {
        Check::new(
            "database",
            Verdict::Fail,
            format!("{shown}: {}", ping.error.unwrap_or_default()),
        )
    }];
    checks.push(match store.migration_status().await {
        Ok(status) if status.is_current() => {
            Check::new("migrations", Verdict::Pass, format!("up to date ({} applied)", status.applied.len()))
        }
        Ok(status) if !status.modified.is_empty() => Check::new(
            "migrations",
            Verdict::Fail,
            format!("applied migrations {:?} differ from this binary's; the database was migrated by another build", status.modified),
        ),
        Ok(status) => Check::new(
            "migrations",
            if db.apply_migrations || config.database.apply_migrations { Verdict::Warn } else { Verdict::Fail },
            format!("pending {:?}: run `janua migrate` (or start with JANUA_APPLY_MIGRATIONS=true)", status.pending()),
        ),
        Err(e) => Check::new("migrations", Verdict::Fail, format!("cannot read migration state: {e}")),
    });
    store.close().await;
    checks
}

async fn cache_check(config: &Config) -> Check {
    let target = cache_target(config);
    let described = match &target {
        CacheTarget::InProcess => return Check::new(
            "cache",
            Verdict::Pass,
            "in-process (no REDIS_URL); fine for one instance, set REDIS_URL when running several",
        ),
        CacheTarget::Redis { url } => janua_store::redact_url(url),
        CacheTarget::Cluster { nodes } => format!("cluster {}", nodes.join(",")),
    };
    let cache = match cache::connect(&target).await {
        Ok(cache) => cache,
        Err(e) => return Check::new("cache", Verdict::Fail, format!("{described}: {e}")),
    };
    let ping = check_cache(cache.as_ref()).await;
    if ping.ok {
        Check::new(
            "cache",
            Verdict::Pass,
            format!(
                "{described} answered in {:.1} ms",
                ping.latency.as_secs_f64() * 1000.0
            ),
        )
    } else {
        Check::new(
            "cache",
            Verdict::Fail,
            format!(
                "{described} unreachable: {}. Check REDIS_URL, that Redis runs \
                 (`redis-cli -u URL ping`), its password and TLS settings.",
                ping.error.unwrap_or_default()
            ),
        )
    }
}

/// The mail check alone: templates load; SMTP answers EHLO, or why no relay is acceptable.
pub async fn mail_check(config: &Config) -> Check {
    let mail = &config.mail;
    if let Err(e) = MailRenderer::new(
        mail.templates_dir.as_deref(),
        &config.server.app_name,
        &config.urls.base_url,
    ) {
        return Check::new(
            "mail",
            Verdict::Fail,
            format!("{e}. Fix or remove the file in EMAIL_TEMPLATES_DIR."),
        );
    }
    if !mail.email_enabled {
        return Check::new(
            "mail",
            Verdict::Warn,
            "EMAIL_ENABLED=false: no mail is sent (no verification, reset or magic-link mails)",
        );
    }
    let smtp = match SmtpMailer::from_config(mail) {
        Ok(Some(smtp)) => smtp,
        Ok(None) if config.server.environment.is_production() => return Check::new(
            "mail",
            Verdict::Fail,
            "SMTP_HOST is not set: mail is not sent in production (mail jobs retry, then fail). \
                 Set SMTP_HOST, SMTP_PORT, SMTP_TLS and credentials, or EMAIL_ENABLED=false.",
        ),
        Ok(None) => {
            return Check::new(
                "mail",
                Verdict::Warn,
                "SMTP_HOST is not set: mails are logged (with their links), not sent",
            )
        }
        Err(e) => return Check::new("mail", Verdict::Fail, format!("{e}")),
    };
    match smtp.test_connection().await {
        Ok(()) => Check::new("mail", Verdict::Pass, format!("SMTP {} answered EHLO", smtp.describe())),
        Err(e) => Check::new(
            "mail",
            Verdict::Fail,
            format!(
                "{e}. Check SMTP_HOST and SMTP_PORT, that this host may reach the relay, that \
                 SMTP_TLS matches the port (starttls: 587, tls: 465), and SMTP_USERNAME/SMTP_PASSWORD."
            ),
        ),
    }
}

fn tls(config: &Config) -> Check {
    match (&config.server.tls_cert_file, &config.server.tls_key_file) {
        (Some(cert), Some(key)) => match crate::server::tls_acceptor(cert, key) {
            Ok(_) => Check::new(
                "tls",
                Verdict::Pass,
                format!("certificate {} and key load", cert.display()),
            ),
            Err(e) => Check::new("tls", Verdict::Fail, format!("{e:#}")),
        },
        _ => Check::new(
            "tls",
            Verdict::Pass,
            "off (terminate TLS at the load balancer, or set TLS_CERT_FILE and TLS_KEY_FILE)",
        ),
    }
}

fn secret_key(config: &Config) -> Check {
    if config.security.secret_key_generated {
        Check::new(
            "secret key",
            Verdict::Warn,
            "SECRET_KEY is unset: a random key is used, so sessions, CSRF tokens and encrypted data \
             do not survive a restart or work across instances. Set SECRET_KEY (≥ 32 bytes).",
        )
    } else {
        Check::new("secret key", Verdict::Pass, "SECRET_KEY is set")
    }
}

/// The env key parses, or every stored key decrypts with the configured secret.
async fn signing_keys(config: &Config) -> Check {
    const NAME: &str = "signing keys";
    match imported_keys(config) {
        Ok(Some(keys)) => {
            return Check::new(
                NAME,
                Verdict::Pass,
                format!(
                    "JWT_PRIVATE_KEY ({}, kid {}) and {} previous public key(s) parse",
                    keys.algorithm().as_str(),
                    keys.kid(),
                    keys.previous_kids().len()
                ),
            )
        }
        Ok(None) => {}
        Err(e) => return Check::new(NAME, Verdict::Fail, format!("{e:#}")),
    }
    let sealer = match key_sealer(config) {
        Ok(sealer) => sealer,
        Err(e) => return Check::new(NAME, Verdict::Fail, format!("{e:#}")),
    };
    let mut db = database_config(config);
    db.apply_migrations = false;
    let Ok(store) = janua_store::connect(&db).await else {
        return Check::new(NAME, Verdict::Warn, "skipped: the database is unreachable");
    };
    let listed = store.list_signing_keys().await;
    store.close().await;
    let keys = match listed {
        Ok(keys) => keys,
        Err(e) => {
            return Check::new(
                NAME,
                Verdict::Warn,
                format!("skipped: cannot read signing_keys ({e}); run `janua migrate`"),
            )
        }
    };
    let failures: Vec<String> = keys
        .iter()
        .filter(|key| key.private_key_encrypted.is_some())
        .filter_map(|key| open_stored_key(&sealer, key).err())
        .map(|e| e.to_string())
        .collect();
    match failures.first() {
        None if keys.is_empty() => Check::new(
            NAME,
            Verdict::Pass,
            "none stored yet; one per algorithm is generated at first start",
        ),
        None => Check::new(
            NAME,
            Verdict::Pass,
            format!(
                "{} stored key(s) decrypt with the configured secret",
                keys.len()
            ),
        ),
        Some(first) => Check::new(
            NAME,
            if config.security.secret_key_generated && config.tokens.jwt_secret_key.is_none() {
                Verdict::Warn
            } else {
                Verdict::Fail
            },
            format!(
                "{} of {} stored key(s) do not decrypt: {first}",
                failures.len(),
                keys.len()
            ),
        ),
    }
}
