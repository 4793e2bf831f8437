//! The SQLite backend: one file, WAL journal, one writer connection beside a pool of readers.
//! One file per capability, named as in `postgres/`.
//!
//! - `audit`: the `AuditStore` trait (standalone entries; see `audit_rows`; the reads are
//!   shared: `audit_sql`).
//! - `auth`: the `AuthStore` trait, each method handed to the file below that owns its table.
//! - `codec`: how times and JSON are written to SQLite's TEXT columns.
//! - `avatars`: profile pictures (`user_avatars`), kept in step with `users.profile_image_url`
//!   (the statements are shared: `avatars_sql`).
//! - `jobs`: the durable job queue (`jobs`), claims through the single writer (the other
//!   statements are shared: `jobs_sql`).
//! - `oauth`, `oauth_clients`, `oauth_flows`: the OAuth provider's clients, secrets, requests,
//!   codes, grant sessions, consents and device codes.
//! - `lockouts`: failed sign-ins per normalised email (`login_lockouts`).
//! - `mfa`: the TOTP factor and backup codes (`mfa_totp`, `mfa_backup_codes`).
//! - `passkeys`: WebAuthn credentials (`passkeys`), uses recorded by compare-and-set.
//! - `orgs`: organizations, members, invitations, custom roles, API keys, admin data (the
//!   statements are shared: `orgs_sql`).
//! - `one_time_tokens`: single-use mailed tokens (`one_time_tokens`; the statements are
//!   shared: `one_time_tokens_sql`).
//! - `sessions`: sessions, their refresh-token families and the access-token deny list (most
//!   statements are shared: `sessions_sql`).
//! - `settings`: system settings (`system_settings`; the statements are shared:
//!   `settings_sql`).
//! - `signing_keys`: the JWT key ring (`signing_keys`; the statements are shared:
//!   `signing_keys_sql`).
//! - `system`: ping, migrations, close.
//! - `users`: accounts, profiles, status, soft delete and the admin list (`users`).
//! - `webhooks`: endpoints, the outbox fan-out and the delivery queue (the statements are
//!   shared, `webhooks_sql`, except the fan-out and the claims).

mod audit;
mod auth;
mod avatars;
pub(crate) mod codec;
mod jobs;
mod lockouts;
mod mfa;
mod oauth;
mod oauth_clients;
mod oauth_flows;
mod one_time_tokens;
mod orgs;
mod passkeys;
mod row_codec;
mod sessions;
mod settings;
mod signing_keys;
mod system;
mod users;
mod webhooks;

use std::str::FromStr;
use std::time::Duration;

use janua_core::error::{Error, Result};
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::DatabaseConfig;

/// The SQLite migrations, embedded in the binary.
pub(crate) static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// How long a statement waits for another connection's lock before failing with "busy".
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A store on one SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// The only connection that writes. SQLite admits one writer at a time, and with several
    /// writing connections a transaction that reads and then writes can fail at once with
    /// SQLITE_BUSY: the busy timeout cannot help when upgrading its lock would deadlock. Queuing
    /// every write on one pooled connection makes writers wait their turn, in order, instead.
    writer: SqlitePool,
    /// Readers run beside the writer thanks to WAL; `query_only` turns an accidental write here
    /// into an error rather than a lock fight with the writer.
    reader: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating it if missing) the database file named by `cfg.url`. Readers get
    /// `cfg.max_connections()` connections; writes always go through one.
    pub async fn connect(cfg: &DatabaseConfig) -> Result<Self> {
        if cfg.url.contains(":memory:") {
            return Err(crate::invalid_setting(
                "DATABASE_URL",
                "in-memory SQLite is not supported; name a file, e.g. sqlite://janua.db",
            ));
        }
        let options = SqliteConnectOptions::from_str(&cfg.url)
            .map_err(|e| {
                crate::invalid_setting("DATABASE_URL", &format!("not a valid SQLite URL: {e}"))
            })?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);

        // No ping before handing out a connection (sqlx's default): a SQLite connection is a
        // file handle that cannot go stale like a network one, and each ping is a round trip to
        // the connection's worker thread: two thread hand-offs per query, for nothing.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .acquire_timeout(cfg.acquire_timeout)
            .connect_with(options.clone())
            .await
            .map_err(|e| cannot_open(cfg, e))?;
        let reader = SqlitePoolOptions::new()
            .max_connections(cfg.max_connections())
            .test_before_acquire(false)
            .acquire_timeout(cfg.acquire_timeout)
            .connect_with(options.pragma("query_only", "ON"))
            .await
            .map_err(|e| cannot_open(cfg, e))?;
        Ok(Self { writer, reader })
    }

    /// The single writing connection: every INSERT, UPDATE, DELETE and read-modify-write
    /// transaction goes here.
    pub(crate) fn writer(&self) -> &SqlitePool {
        &self.writer
    }

    /// The pool for plain reads.
    pub(crate) fn reader(&self) -> &SqlitePool {
        &self.reader
    }
}

fn cannot_open(cfg: &DatabaseConfig, error: sqlx::Error) -> Error {
    Error::Unavailable(format!(
        "cannot open the SQLite database {}: {error}. Check DATABASE_URL, and that its directory \
         exists and is writable by this process",
        crate::redact_url(&cfg.url)
    ))
}
