//! Janua's storage: sqlx implementations of the `janua-core` store traits for PostgreSQL and
//! SQLite, side by side, with their migrations (`migrations/{postgres,sqlite}`, same numbers).
//!
//! # Layout
//! - [`connect`]: opens the database named by [`DatabaseConfig::url`], picking the backend by URL
//!   scheme, migrates when configured, and hands back an `Arc<dyn Store>`.
//! - [`redact_url`]: a database URL with its password masked, for logs and `janua doctor`.
//! - `errors`: the one place where `sqlx::Error` becomes a core [`Error`].
//! - `json`: rules for JSON values that both backends enforce alike.
//! - `migrations`: compares embedded migrations with the applied ones (shared by both backends).
//! - `paging`: page bounds and escaped `LIKE` patterns for list queries (shared by both backends).
//! - `audit_rows`: writes audit entries and outbox events inside a caller's transaction.
//! - `auth_dispatch`: the `AuthStore` trait written once for both backends (a macro).
//! - `orgs_sql`: the statements of organizations, RBAC, API keys and admin data, written once
//!   for both backends (a macro; each backend supplies its encodings).
//! - `mfa_sql`: the MFA statements (TOTP factor, backup codes), written once for both backends
//!   (a macro; nothing differs but the encodings and pools).
//! - `passkeys_sql`: the passkey statements, written once for both backends (a macro; nothing
//!   differs but the encodings and pools).
//! - `users_sql`: the user statements, written once for both backends (a macro; revoking a
//!   deleted user's sessions and the admin list's reader stay per backend).
//! - `sessions_sql`: the session statements, written once for both backends (a macro; revoking
//!   a user's sessions, refresh-token rotation and the session limit stay per backend).
//! - `signing_keys_sql`: the statements of the JWT key ring, written once for both backends (a
//!   macro, like `orgs_sql`).
//! - `webhooks_sql`: the webhook statements, written once for both backends (a macro; the
//!   outbox fan-out and the delivery claims stay per backend).
//! - `oauth_dispatch`: the `OAuthStore` trait written once for both backends (a macro).
//! - `oauth_clients_sql`: the statements of OAuth clients and their secrets, written once for
//!   both backends (a macro, like `orgs_sql`).
//! - `oauth_flows_sql`: the statements of OAuth requests, codes, grant sessions, consents and
//!   device codes, written once for both backends (a macro, like `orgs_sql`).
//! - `one_time_tokens_sql`: the statements of one-time tokens, written once for both backends (a
//!   macro, like `orgs_sql`).
//! - `avatars_sql`: the statements of avatars, written once for both backends (a macro, like
//!   `orgs_sql`).
//! - `settings_sql`: the statements of system settings, written once for both backends (a
//!   macro, like `orgs_sql`).
//! - `audit_sql`: the reading side of the audit log (lists, counts, stats, retention),
//!   written once for both backends (a macro; the day expression of the stats stays per backend).
//! - `jobs_sql`: the job queue's statements except claiming and counting, written once for
//!   both backends (a macro; claims and counts stay per backend).
//! - [`postgres`]: primary pool + optional replica pools, one file per capability.
//! - [`sqlite`]: one writer connection + a reader pool (WAL), one file per capability, same names.

mod audit_rows;
mod audit_sql;
mod avatars_sql;
mod errors;
mod jobs_sql;
mod json;
mod mfa_sql;
mod migrations;
mod oauth_clients_sql;
mod oauth_flows_sql;
#[macro_use]
mod orgs_sql;
mod one_time_tokens_sql;
mod paging;
mod passkeys_sql;
mod sessions_sql;
mod settings_sql;
mod signing_keys_sql;
mod users_sql;
mod webhooks_sql;
#[macro_use]
mod auth_dispatch;
mod oauth_dispatch;
pub mod postgres;
pub mod sqlite;

use std::sync::Arc;
use std::time::Duration;

use janua_core::error::{Error, FieldError};
use janua_core::ports::Store;

/// How to reach the database; built once from configuration (`DATABASE_*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseConfig {
    /// `sqlite://path` (created if missing), `postgres://…` or `postgresql://…`.
    pub url: String,
    /// PostgreSQL replicas for lag-tolerant reads; ignored for SQLite.
    pub replica_urls: Vec<String>,
    pub pool_size: u32,
    /// Connections allowed beyond `pool_size` under load; the pool maximum is the sum.
    pub max_overflow: u32,
    /// `disable|allow|prefer|require|verify-ca|verify-full`; an `sslmode` in the URL wins.
    pub ssl_mode: String,
    pub apply_migrations: bool,
    /// How long a query waits for a free connection (and start-up for the first one).
    pub acquire_timeout: Duration,
}

impl DatabaseConfig {
    /// The defaults of API.md §18 for the given URL.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            replica_urls: Vec::new(),
            pool_size: 5,
            max_overflow: 5,
            ssl_mode: "prefer".to_owned(),
            apply_migrations: true,
            acquire_timeout: Duration::from_secs(10),
        }
    }

    /// Largest number of connections a pool may open.
    pub fn max_connections(&self) -> u32 {
        self.pool_size.saturating_add(self.max_overflow).max(1)
    }
}

/// Opens the database named by `cfg.url`, applies the migrations when `cfg.apply_migrations`,
/// and returns the store. An unknown scheme is a validation error naming `DATABASE_URL`; a
/// database that does not answer is [`Error::Unavailable`] with a message for the operator.
pub async fn connect(cfg: &DatabaseConfig) -> janua_core::Result<Arc<dyn Store>> {
    let store: Arc<dyn Store> = if cfg.url.starts_with("sqlite:") {
        Arc::new(sqlite::SqliteStore::connect(cfg).await?)
    } else if cfg.url.starts_with("postgres://") || cfg.url.starts_with("postgresql://") {
        Arc::new(postgres::PgStore::connect(cfg).await?)
    } else {
        return Err(invalid_setting(
            "DATABASE_URL",
            "must start with sqlite:, postgres:// or postgresql://",
        ));
    };
    if cfg.apply_migrations {
        store.migrate().await?;
    }
    Ok(store)
}

/// A configuration value that cannot work, named by its environment variable.
pub(crate) fn invalid_setting(variable: &str, message: &str) -> Error {
    Error::Validation(vec![FieldError::new(variable, message)])
}

/// Setting a user's status to `deleted` directly is refused: `soft_delete_user` is the only way
/// there, because it also frees the email and ends the sessions. The bare status would leave a
/// half-deleted account.
pub(crate) fn deleting_needs_soft_delete() -> Error {
    Error::Validation(vec![FieldError::new(
        "status",
        "use soft delete to delete an account",
    )])
}

/// The URL with any password (in the user-info part or a `password=` parameter) replaced by
/// `***`, so it can be logged or shown by `janua doctor`.
pub fn redact_url(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let mut redacted = redact_user_info(base);
    if let Some(query) = query {
        redacted.push('?');
        redacted.push_str(&redact_query(query));
    }
    redacted
}

fn redact_user_info(base: &str) -> String {
    let Some((scheme, rest)) = base.split_once("://") else {
        return base.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}{path}"),
            None => base.to_owned(),
        },
        None => base.to_owned(),
    }
}

fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if name.eq_ignore_ascii_case("password") => format!("{name}=***"),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_url_masks_the_password_and_keeps_user_host_port_and_database() {
        assert_eq!(
            redact_url("postgres://janua:s3cr%40t@db.internal:5432/janua?sslmode=require"),
            "postgres://janua:***@db.internal:5432/janua?sslmode=require"
        );
    }

    #[test]
    fn redact_url_masks_a_password_given_as_a_parameter() {
        assert_eq!(
            redact_url("postgresql://db/janua?user=janua&password=hunter2"),
            "postgresql://db/janua?user=janua&password=***"
        );
    }

    #[test]
    fn redact_url_leaves_urls_without_a_password_alone() {
        for url in [
            "postgres://postgres@127.0.0.1:5433/postgres",
            "sqlite://janua.db",
            "sqlite::memory:",
            "not a url",
        ] {
            assert_eq!(redact_url(url), url);
        }
    }

    #[test]
    fn redact_url_handles_an_at_sign_inside_the_password() {
        assert_eq!(
            redact_url("postgres://u:p@ss@host/db"),
            "postgres://u:***@host/db"
        );
    }

    #[test]
    fn pool_maximum_is_pool_size_plus_overflow() {
        let cfg = DatabaseConfig {
            pool_size: 7,
            max_overflow: 3,
            ..DatabaseConfig::new("sqlite://x.db")
        };
        assert_eq!(cfg.max_connections(), 10);
    }
}
