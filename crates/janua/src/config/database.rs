//! Storage and cache settings (§18 "Database", "Cache"): which database to open and how, and
//! the optional Redis that makes rate limits, revocations and caches shared between instances.

use std::fmt;

use serde::Serialize;

use crate::config::env::{mask_credentials, quote, Reader};
use crate::config::redact;
use crate::config::secret::Secret;

const SSL_MODES: [&str; 6] = [
    "disable",
    "allow",
    "prefer",
    "require",
    "verify-ca",
    "verify-full",
];

/// `Debug` and `redacted()` mask the passwords inside the URLs.
#[derive(Clone, Serialize)]
pub struct DatabaseSettings {
    /// `sqlite://path` (created on first run) or `postgres://` / `postgresql://`.
    #[serde(serialize_with = "redact::masked_url")]
    pub url: String,
    /// PostgreSQL read replicas for lag-tolerant reads.
    #[serde(serialize_with = "redact::masked_urls")]
    pub replica_urls: Vec<String>,
    pub pool_size: u32,
    /// Connections allowed above `pool_size` under load.
    pub max_overflow: u32,
    /// One of disable, allow, prefer, require, verify-ca, verify-full (PostgreSQL `sslmode`).
    pub ssl_mode: String,
    pub apply_migrations: bool,
}

impl DatabaseSettings {
    pub fn is_sqlite(&self) -> bool {
        self.url.starts_with("sqlite:")
    }
}

impl fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let replicas: Vec<String> = self
            .replica_urls
            .iter()
            .map(|u| mask_credentials(u))
            .collect();
        f.debug_struct("DatabaseSettings")
            .field("url", &mask_credentials(&self.url))
            .field("replica_urls", &replicas)
            .field("pool_size", &self.pool_size)
            .field("max_overflow", &self.max_overflow)
            .field("ssl_mode", &self.ssl_mode)
            .field("apply_migrations", &self.apply_migrations)
            .finish()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CacheSettings {
    /// `redis://`, `rediss://` or `redis+cluster://h1,h2`; a secret because it may hold a
    /// password. Unset (and no cluster nodes) = in-process cache, fine for one instance only.
    pub redis_url: Option<Secret>,
    /// `host:port` seed nodes of a Redis Cluster.
    pub cluster_nodes: Vec<String>,
    /// Starts every key Janua writes to Redis, so several deployments (or test runs) can
    /// share one Redis without seeing each other's sessions, limits or ceremonies.
    pub key_prefix: String,
}

impl CacheSettings {
    /// True when Redis (single or cluster) is configured.
    pub fn uses_redis(&self) -> bool {
        self.redis_url.is_some() || !self.cluster_nodes.is_empty()
    }
}

pub(super) fn read_database(r: &mut Reader) -> DatabaseSettings {
    let url = r.string_or(&["DATABASE_URL"], "sqlite://janua.db");
    let url_ok = match check_database_url(&url) {
        Ok(()) => true,
        Err(why) => {
            r.problem(
                "DATABASE_URL",
                format!("{why} (got {})", quote(&mask_credentials(&url))),
            );
            false
        }
    };
    let replica_urls = r.list(&["DATABASE_REPLICA_URLS"]);
    for replica in &replica_urls {
        if !is_postgres_url(replica) || check_database_url(replica).is_err() {
            let shown = quote(&mask_credentials(replica));
            r.problem(
                "DATABASE_REPLICA_URLS",
                format!("must list postgres:// URLs (got {shown})"),
            );
        }
    }
    if url_ok && !replica_urls.is_empty() && !is_postgres_url(&url) {
        r.problem(
            "DATABASE_REPLICA_URLS",
            "read replicas need a PostgreSQL DATABASE_URL",
        );
    }
    let pool_size = r.number(&["DATABASE_POOL_SIZE"], 5, "a whole number of connections");
    if pool_size == 0 {
        r.problem("DATABASE_POOL_SIZE", "must be at least 1 (got `0`)");
    }
    let max_overflow = r.number(
        &["DATABASE_MAX_OVERFLOW"],
        5,
        "a whole number of connections",
    );
    let ssl_mode = r
        .choice(
            &["DATABASE_SSL_MODE"],
            parse_ssl_mode,
            &SSL_MODES.join(", "),
        )
        .unwrap_or_else(|| "prefer".to_owned());
    let apply_migrations = r.bool(&["JANUA_APPLY_MIGRATIONS"], true);
    DatabaseSettings {
        url,
        replica_urls,
        pool_size,
        max_overflow,
        ssl_mode,
        apply_migrations,
    }
}

pub(super) fn read_cache(r: &mut Reader) -> CacheSettings {
    let redis_url = r.secret(&["REDIS_URL"]).map(|(_, s)| s);
    if let Some(url) = &redis_url {
        if let Err(why) = check_redis_url(url.expose()) {
            // The URL may hold a password: never quote it.
            r.problem("REDIS_URL", why);
        }
    }
    let cluster_nodes = r.list(&["REDIS_CLUSTER_NODES"]);
    for node in &cluster_nodes {
        let port_ok = node.rsplit_once(':').is_some_and(|(host, port)| {
            !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0)
        });
        if !port_ok {
            r.problem(
                "REDIS_CLUSTER_NODES",
                format!("must list host:port pairs (got {})", quote(node)),
            );
        }
    }
    let key_prefix = r.string_or(&["REDIS_KEY_PREFIX"], "janua:");
    if key_prefix.len() > 64
        || key_prefix
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
    {
        r.problem(
            "REDIS_KEY_PREFIX",
            "must be at most 64 characters without spaces or control characters",
        );
    }
    CacheSettings {
        redis_url,
        cluster_nodes,
        key_prefix,
    }
}

fn parse_ssl_mode(raw: &str) -> Option<String> {
    let lower = raw.to_ascii_lowercase();
    SSL_MODES.contains(&lower.as_str()).then_some(lower)
}

fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

fn check_database_url(url: &str) -> Result<(), &'static str> {
    const EXPECTED: &str = "must start with sqlite: or postgres:// (postgresql://)";
    if let Some(path) = url.strip_prefix("sqlite:") {
        let path = path.trim_start_matches("//");
        return if path.is_empty() {
            Err("names no SQLite file")
        } else {
            Ok(())
        };
    }
    if !is_postgres_url(url) {
        return Err(EXPECTED);
    }
    match url::Url::parse(url) {
        Ok(parsed) if parsed.host_str().is_some_and(|h| !h.is_empty()) => Ok(()),
        _ => Err("is not a valid PostgreSQL URL (postgres://user:password@host:5432/database)"),
    }
}

fn check_redis_url(url: &str) -> Result<(), &'static str> {
    if let Some(hosts) = url.strip_prefix("redis+cluster://") {
        let has_host = hosts.split(',').any(|h| !h.trim().is_empty());
        return if has_host {
            Ok(())
        } else {
            Err("redis+cluster:// must list at least one host")
        };
    }
    if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
        return Err("must start with redis://, rediss:// or redis+cluster://");
    }
    match url::Url::parse(url) {
        Ok(parsed) if parsed.host_str().is_some_and(|h| !h.is_empty()) => Ok(()),
        _ => Err("is not a valid Redis URL (redis://[:password@]host:6379/0)"),
    }
}
