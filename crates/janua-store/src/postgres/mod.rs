//! The PostgreSQL backend: a primary pool for writes and consistent reads, plus optional replica
//! pools for lag-tolerant reads. One file per capability, named as in `sqlite/`.
//!
//! - `audit`: the `AuditStore` trait (standalone entries; see `audit_rows`; the reads are
//!   shared: `audit_sql`).
//! - `auth`: the `AuthStore` trait, each method handed to the file below that owns its table.
//! - `avatars`: profile pictures (`user_avatars`), kept in step with `users.profile_image_url`
//!   (the statements are shared: `avatars_sql`).
//! - `jobs`: the durable job queue (`jobs`), claims with `FOR UPDATE SKIP LOCKED` (the other
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
//! - `system`: ping (primary, then replicas as warnings), migrations, close.
//! - `users`: accounts, profiles, status, soft delete and the admin list (`users`).
//! - `webhooks`: endpoints, the outbox fan-out and the delivery queue (the statements are
//!   shared, `webhooks_sql`, except the fan-out and the claims).

mod audit;
mod auth;
mod avatars;
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

use std::future::Future;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use janua_core::error::{Error, Result};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgSslMode};
use sqlx::Connection;

use crate::errors::from_sqlx;
use crate::{invalid_setting, redact_url, DatabaseConfig};

/// The PostgreSQL migrations, embedded in the binary.
pub(crate) static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// The longest start-up waits for a second, diagnostic connection attempt after the pool timed
/// out (the pool retries "connection refused" silently, so its error says only "timed out").
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// The longest a lag-tolerant read waits for a replica connection before the primary serves it
/// instead: a replica that went away should cost a request this much at most, once.
const REPLICA_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);

/// A store on a PostgreSQL primary and its optional read replicas.
#[derive(Debug)]
pub struct PgStore {
    primary: PgPool,
    replicas: Vec<Arc<Replica>>,
    /// Round-robin cursor over `replicas`.
    next_replica: AtomicUsize,
}

/// A read replica and whether its last ping answered.
#[derive(Debug)]
struct Replica {
    pool: PgPool,
    /// The replica's URL without password, for warnings.
    label: String,
    /// Cleared by a failed ping and set again by a successful one, so `reader()` skips replicas
    /// that are down instead of failing reads; readiness probes keep it current.
    healthy: AtomicBool,
}

impl PgStore {
    /// Connects to the primary (failing with an operator message when it does not answer) and
    /// prepares the replica pools, which connect lazily: a replica that is down at start-up only
    /// costs a warning at the next ping.
    pub async fn connect(cfg: &DatabaseConfig) -> Result<Self> {
        let options = connect_options(&cfg.url, &cfg.ssl_mode, "DATABASE_URL")?;
        let primary = pool_options(cfg).connect_with(options.clone()).await;
        let primary = match primary {
            Ok(pool) => pool,
            Err(error) => return Err(cannot_connect(&options, error, cfg.acquire_timeout).await),
        };
        let replicas = cfg
            .replica_urls
            .iter()
            .map(|url| {
                let options = connect_options(url, &cfg.ssl_mode, "DATABASE_REPLICA_URLS")?;
                Ok(Arc::new(Replica {
                    pool: pool_options(cfg)
                        .acquire_timeout(cfg.acquire_timeout.min(REPLICA_ACQUIRE_TIMEOUT))
                        .connect_lazy_with(options),
                    label: redact_url(url),
                    healthy: AtomicBool::new(true),
                }))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            primary,
            replicas,
            next_replica: AtomicUsize::new(0),
        })
    }

    /// The primary: every write, and every read that must see the latest write.
    pub fn primary(&self) -> &PgPool {
        &self.primary
    }

    /// A pool for reads that tolerate replication lag: the next healthy replica round-robin, or
    /// the primary when there are no replicas or none answered its last ping.
    pub fn reader(&self) -> &PgPool {
        self.pick_replica()
            .map_or(&self.primary, |replica| &replica.pool)
    }

    fn pick_replica(&self) -> Option<&Arc<Replica>> {
        let count = self.replicas.len();
        let start = self.next_replica.fetch_add(1, Ordering::Relaxed);
        (0..count)
            .map(|offset| &self.replicas[(start + offset) % count])
            .find(|replica| replica.healthy.load(Ordering::Relaxed))
    }

    /// Runs a lag-tolerant read on the next healthy replica (or the primary when there is
    /// none). When the replica cannot serve it (connection refused or lost, shut down, pool
    /// exhausted, a recovery conflict) the replica is marked down until its next successful
    /// ping and the read runs again on the primary, so losing a replica costs no failed
    /// request. Other errors (bad SQL, constraint) are returned as they are.
    pub(crate) async fn read_tolerant<'a, T, F, Fut>(&'a self, run: F) -> Result<T>
    where
        F: Fn(&'a PgPool) -> Fut,
        Fut: Future<Output = std::result::Result<T, sqlx::Error>>,
    {
        let Some(replica) = self.pick_replica() else {
            metrics::counter!(LAG_TOLERANT_READS_TOTAL, "pool" => "primary").increment(1);
            return run(&self.primary).await.map_err(from_sqlx);
        };
        match run(&replica.pool).await {
            Ok(value) => {
                metrics::counter!(LAG_TOLERANT_READS_TOTAL, "pool" => "replica").increment(1);
                Ok(value)
            }
            Err(error) if replica_cannot_serve(&error) => {
                if replica.healthy.swap(false, Ordering::Relaxed) {
                    tracing::warn!(
                        replica = %replica.label,
                        %error,
                        "database replica failed a read; lag-tolerant reads go to the primary \
                         until it answers a ping again"
                    );
                }
                metrics::gauge!(REPLICA_UP, "replica" => replica.label.clone()).set(0.0);
                metrics::counter!(REPLICA_FALLBACKS_TOTAL).increment(1);
                metrics::counter!(LAG_TOLERANT_READS_TOTAL, "pool" => "primary").increment(1);
                run(&self.primary).await.map_err(from_sqlx)
            }
            Err(error) => Err(from_sqlx(error)),
        }
    }
}

/// Lag-tolerant reads by the pool that served them (`primary` or `replica`).
pub const LAG_TOLERANT_READS_TOTAL: &str = "janua_db_lag_tolerant_reads_total";
/// Reads retried on the primary because a replica could not serve them.
pub const REPLICA_FALLBACKS_TOTAL: &str = "janua_db_replica_fallbacks_total";
/// 1 while a replica answers (pings and reads), 0 while lag-tolerant reads avoid it.
pub const REPLICA_UP: &str = "janua_db_replica_up";

/// Whether `error` says the replica (not the query) is the problem, so the primary may serve it.
fn replica_cannot_serve(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            // 08: connection exception; 57P: operator intervention (shutdown, cannot connect
            // now); 40001: a hot standby cancelling a read that conflicts with recovery.
            code.starts_with("08") || code.starts_with("57P") || code == "40001"
        }),
        _ => false,
    }
}

fn pool_options(cfg: &DatabaseConfig) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(cfg.max_connections())
        .acquire_timeout(cfg.acquire_timeout)
}

/// Parses a URL; `ssl_mode` (DATABASE_SSL_MODE) applies unless the URL sets `sslmode` itself.
fn connect_options(url: &str, ssl_mode: &str, variable: &str) -> Result<PgConnectOptions> {
    let options = PgConnectOptions::from_str(url)
        .map_err(|e| invalid_setting(variable, &format!("not a valid PostgreSQL URL: {e}")))?
        .application_name("janua");
    if url_sets_ssl_mode(url) {
        return Ok(options);
    }
    Ok(options.ssl_mode(parse_ssl_mode(ssl_mode)?))
}

fn url_sets_ssl_mode(url: &str) -> bool {
    url.split_once('?').is_some_and(|(_, query)| {
        query
            .split('&')
            .any(|pair| pair.starts_with("sslmode=") || pair.starts_with("ssl-mode="))
    })
}

fn parse_ssl_mode(mode: &str) -> Result<PgSslMode> {
    match mode {
        "disable" => Ok(PgSslMode::Disable),
        "allow" => Ok(PgSslMode::Allow),
        "prefer" => Ok(PgSslMode::Prefer),
        "require" => Ok(PgSslMode::Require),
        "verify-ca" => Ok(PgSslMode::VerifyCa),
        "verify-full" => Ok(PgSslMode::VerifyFull),
        _ => Err(invalid_setting(
            "DATABASE_SSL_MODE",
            "must be one of disable, allow, prefer, require, verify-ca, verify-full",
        )),
    }
}

/// An operator message naming host, port and database (never the password) and the reason.
async fn cannot_connect(options: &PgConnectOptions, error: sqlx::Error, waited: Duration) -> Error {
    let reason = match error {
        sqlx::Error::PoolTimedOut => probe(options, waited).await,
        other => other.to_string(),
    };
    Error::Unavailable(format!(
        "cannot connect to PostgreSQL at {}:{}, database {}: {reason}. Check DATABASE_URL, that \
         the server is running and reachable from this host, and the credentials",
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or("(default)"),
    ))
}

/// One direct connection attempt, to learn why the pool could not connect.
async fn probe(options: &PgConnectOptions, waited: Duration) -> String {
    let no_answer = format!("no connection within {:.1} s", waited.as_secs_f64());
    match tokio::time::timeout(PROBE_TIMEOUT, sqlx::PgConnection::connect_with(options)).await {
        Ok(Err(error)) => error.to_string(),
        Ok(Ok(connection)) => {
            let _ = connection.close().await;
            no_answer
        }
        Err(_) => no_answer,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_ssl_mode_is_accepted_and_others_are_refused() {
        for mode in [
            "disable",
            "allow",
            "prefer",
            "require",
            "verify-ca",
            "verify-full",
        ] {
            assert!(parse_ssl_mode(mode).is_ok(), "{mode}");
        }
        let Err(Error::Validation(fields)) = parse_ssl_mode("sometimes") else {
            panic!("expected a validation error");
        };
        assert_eq!(fields[0].field, "DATABASE_SSL_MODE");
    }

    #[test]
    fn an_sslmode_in_the_url_is_detected() {
        assert!(url_sets_ssl_mode("postgres://h/db?sslmode=require"));
        assert!(url_sets_ssl_mode(
            "postgres://h/db?application_name=x&ssl-mode=disable"
        ));
        assert!(!url_sets_ssl_mode("postgres://h/db"));
        assert!(!url_sets_ssl_mode(
            "postgres://h/db?application_name=sslmode"
        ));
    }

    #[tokio::test]
    async fn reader_goes_round_robin_over_healthy_replicas_and_falls_back_to_the_primary() {
        let lazy = |db: &str| {
            PgPoolOptions::new().connect_lazy_with(
                PgConnectOptions::new()
                    .host("127.0.0.1")
                    .port(1)
                    .database(db),
            )
        };
        let replica = |db: &str| {
            Arc::new(Replica {
                pool: lazy(db),
                label: db.to_owned(),
                healthy: AtomicBool::new(true),
            })
        };
        let store = PgStore {
            primary: lazy("primary"),
            replicas: vec![replica("r1"), replica("r2")],
            next_replica: AtomicUsize::new(0),
        };
        let database = |pool: &PgPool| pool.connect_options().get_database().map(str::to_owned);
        let picked: Vec<_> = (0..4).map(|_| database(store.reader())).collect();
        assert_eq!(
            picked,
            ["r1", "r2", "r1", "r2"]
                .map(|d| Some(d.to_owned()))
                .to_vec()
        );

        store.replicas[0].healthy.store(false, Ordering::Relaxed);
        assert_eq!(database(store.reader()).as_deref(), Some("r2"));
        assert_eq!(database(store.reader()).as_deref(), Some("r2"));

        store.replicas[1].healthy.store(false, Ordering::Relaxed);
        assert_eq!(database(store.reader()).as_deref(), Some("primary"));
    }
}
