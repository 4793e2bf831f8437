//! Configuration: one typed tree, read once from environment variables (API.md §18).
//!
//! Any variable `NAME` may instead be given as a file path in `NAME_FILE` (Kubernetes and
//! Docker secrets). Every problem is collected and reported at once; production refuses the
//! unsafe settings of §18. Reference for operators: `docs/configuration.md` (a test keeps it in
//! step with [`Config::known_variables`]).
//!
//! # Layout
//! - [`env`](mod@env): the variable source (`NAME_FILE`) and typed getters that collect problems.
//! - [`secret`]: [`Secret`], never printed or serialized.
//! - [`errors`]: [`ConfigProblem`], [`ConfigErrors`].
//! - one module per §18 group: [`server`], [`database`] (and cache), [`tokens`], [`security`],
//!   [`rate_limits`], [`features`], [`mail`], [`urls`], [`telemetry`], [`bootstrap`] (and social
//!   providers), [`retention`], [`webhooks`].
//! - `production`: the production refusals and the operator warnings.
//! - `unknown`: unknown-variable detection with "did you mean" suggestions.

pub mod bootstrap;
pub mod database;
pub mod env;
pub mod errors;
pub mod features;
pub mod mail;
mod production;
pub mod rate_limits;
mod redact;
pub mod retention;
pub mod secret;
pub mod security;
pub mod server;
pub mod telemetry;
pub mod tokens;
mod unknown;
pub mod urls;
pub mod webhooks;

#[cfg(test)]
mod tests;

use serde::Serialize;

pub use bootstrap::{BootstrapConfig, SocialProviderConfig};
pub use database::{CacheSettings, DatabaseSettings};
pub use errors::{ConfigErrors, ConfigProblem};
pub use features::FeatureFlags;
pub use mail::{MailConfig, SmtpTls};
pub use rate_limits::{RateLimit, RateLimitConfig};
pub use retention::RetentionConfig;
pub use secret::Secret;
pub use security::{LockoutPolicy, PasswordHashParams, PasswordPolicy, SecurityConfig};
pub use server::{Environment, ServerConfig};
pub use telemetry::{LogFormat, TelemetryConfig};
pub use tokens::{JwtAlgorithm, TokenConfig};
pub use urls::UrlConfig;

use crate::config::env::Reader;

/// The whole configuration. Built once at start-up and passed down; never global.
#[derive(Debug, Clone, Serialize)]
pub struct Config {
    pub server: ServerConfig,
    pub database: DatabaseSettings,
    pub cache: CacheSettings,
    pub tokens: TokenConfig,
    pub security: SecurityConfig,
    pub rate_limits: RateLimitConfig,
    pub features: FeatureFlags,
    pub mail: MailConfig,
    pub urls: UrlConfig,
    pub telemetry: TelemetryConfig,
    pub bootstrap: BootstrapConfig,
    pub retention: RetentionConfig,
    pub webhooks: webhooks::WebhookConfig,
}

impl Config {
    /// Reads the process environment once. Variables whose name or value is not UTF-8 are
    /// skipped (none of ours can be; `std::env::vars` would panic on them).
    pub fn from_env() -> Result<Config, ConfigErrors> {
        Self::from_vars(process_vars())
    }

    /// Pure: builds the configuration from an explicit variable list (tests use this). `NAME_FILE`
    /// is resolved by reading the file; blank values count as unset.
    pub fn from_vars<I: IntoIterator<Item = (String, String)>>(
        vars: I,
    ) -> Result<Config, ConfigErrors> {
        let mut reader = Reader::new(vars);
        let config = read_all(&mut reader);
        production::refusals(&config, &mut reader);
        let (problems, _) = reader.finish();
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(ConfigErrors(problems))
        }
    }

    /// Every variable name Config understands: canonical names and aliases, not `_FILE` forms.
    pub fn known_variables() -> Vec<&'static str> {
        // Section readers consult every name unconditionally, so reading nothing lists them all.
        let mut reader = Reader::new(std::iter::empty());
        let _ = read_all(&mut reader);
        let (_, names) = reader.finish();
        names
    }

    /// Warnings for variables that look like ours (by prefix, or a typo away from a known
    /// name) but are not: `"SMTP_HOTS is not a Janua setting and is ignored; did you mean
    /// SMTP_HOST?"`. `TEST_*` and Kubernetes service links are left alone.
    pub fn unknown_variables<I: IntoIterator<Item = (String, String)>>(vars: I) -> Vec<String> {
        unknown::find(&Self::known_variables(), vars)
    }

    /// The effective configuration as JSON, for `janua config check` and admin GET `/config`:
    /// secrets are `"***"`, passwords inside URLs are masked, durations are whole seconds.
    pub fn redacted(&self) -> serde_json::Value {
        serde_json::to_value(self)
            .unwrap_or_else(|error| serde_json::json!({ "error": error.to_string() }))
    }

    /// Non-fatal advice for operators (generated secret key, SQLite in production, no Redis
    /// with several instances, docs public in production, …).
    pub fn warnings(&self) -> Vec<String> {
        production::warnings(self)
    }

    /// The secret that encrypts generated signing keys at rest: `JWT_SECRET_KEY`, else
    /// `SECRET_KEY` (generated when unset outside production).
    pub fn key_encryption_secret(&self) -> &Secret {
        self.tokens
            .jwt_secret_key
            .as_ref()
            .unwrap_or(&self.security.secret_key)
    }
}

/// Reads every section; the order matters only where one default derives from another.
fn read_all(r: &mut Reader) -> Config {
    let server = server::read(r);
    let urls = urls::read(r, &server.app_name);
    let bootstrap = bootstrap::read(r);
    let tokens = tokens::read(r, &urls.api_base_url, bootstrap.custom_domain.as_deref());
    Config {
        database: database::read_database(r),
        cache: database::read_cache(r),
        tokens,
        security: security::read(r),
        rate_limits: rate_limits::read(r),
        features: features::read(r, server.environment),
        mail: mail::read(r, &server.app_name, &urls.base_url),
        telemetry: telemetry::read(r, server.environment),
        retention: retention::read(r),
        webhooks: webhooks::read(r),
        bootstrap,
        urls,
        server,
    }
}

fn process_vars() -> Vec<(String, String)> {
    std::env::vars_os()
        .filter_map(|(name, value)| Some((name.into_string().ok()?, value.into_string().ok()?)))
        .collect()
}
