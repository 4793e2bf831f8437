//! The Redis cache: one node (`redis://`, `rediss://`) or a cluster (`redis+cluster://`,
//! `REDIS_CLUSTER_NODES`). This is what makes revocations, rate limits and WebAuthn ceremonies
//! visible to every instance behind the load balancer.
//!
//! Connections are made on first use and re-made after a failure, so an instance started while
//! Redis is down comes up not-ready and recovers by itself once Redis returns.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use janua_core::ports::{Cache, WindowCount};
use janua_core::Error;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::{Cmd, FromRedisValue, Script};
use tokio::sync::Mutex;

/// A command that takes longer than this counts as a Redis failure (the request fails fast
/// instead of hanging behind an unreachable server).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(2);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// Increments a window counter and starts its expiry on the first hit, atomically.
const HIT_SCRIPT: &str = r"
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {count, ttl}
";

enum Target {
    Single(redis::Client),
    Cluster(ClusterClient),
}

/// The connection, or when the last attempt to make one failed: while Redis is down, callers
/// fail fast for [`RECONNECT_BACKOFF`] instead of each waiting out a connect time-out.
#[derive(Default)]
struct Slot {
    connection: Option<Connection>,
    failed_at: Option<Instant>,
}

const RECONNECT_BACKOFF: Duration = Duration::from_millis(500);

#[derive(Clone)]
enum Connection {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

pub struct RedisCache {
    target: Target,
    /// The live connection, made lazily. Both connection types are cheap clones over one
    /// multiplexed socket (per node), so callers clone it out and release the lock at once.
    connection: Mutex<Slot>,
    hit_script: Script,
    kind: &'static str,
    /// Starts every key we write, so Janua can share a Redis with other software.
    prefix: String,
}

impl RedisCache {
    pub fn single(url: &str, prefix: &str) -> janua_core::Result<Self> {
        let client = redis::Client::open(url).map_err(|e| config_error("REDIS_URL", e))?;
        Ok(Self::with_target(Target::Single(client), "redis", prefix))
    }

    pub fn cluster(nodes: &[String], prefix: &str) -> janua_core::Result<Self> {
        let client = ClusterClient::builder(nodes.to_vec())
            .connection_timeout(CONNECT_TIMEOUT)
            .response_timeout(COMMAND_TIMEOUT)
            .retries(2)
            .build()
            .map_err(|e| config_error("REDIS_CLUSTER_NODES", e))?;
        Ok(Self::with_target(
            Target::Cluster(client),
            "redis-cluster",
            prefix,
        ))
    }

    fn with_target(target: Target, kind: &'static str, prefix: &str) -> Self {
        Self {
            target,
            connection: Mutex::new(Slot::default()),
            hit_script: Script::new(HIT_SCRIPT),
            kind,
            prefix: prefix.to_owned(),
        }
    }

    fn key(&self, k: &str) -> String {
        format!("{}{k}", self.prefix)
    }

    async fn connection(&self) -> janua_core::Result<Connection> {
        let mut slot = self.connection.lock().await;
        if let Some(conn) = slot.connection.as_ref() {
            return Ok(conn.clone());
        }
        if slot
            .failed_at
            .is_some_and(|at| at.elapsed() < RECONNECT_BACKOFF)
        {
            return Err(unavailable(
                "not connected (last attempt failed moments ago)",
            ));
        }
        let made = self.connect().await;
        match made {
            Ok(conn) => {
                slot.connection = Some(conn.clone());
                slot.failed_at = None;
                Ok(conn)
            }
            Err(e) => {
                slot.failed_at = Some(Instant::now());
                Err(e)
            }
        }
    }

    async fn connect(&self) -> janua_core::Result<Connection> {
        Ok(match &self.target {
            Target::Single(client) => {
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(CONNECT_TIMEOUT)
                    .set_response_timeout(COMMAND_TIMEOUT)
                    .set_number_of_retries(0);
                let manager = tokio::time::timeout(
                    CONNECT_TIMEOUT,
                    ConnectionManager::new_with_config(client.clone(), config),
                )
                .await
                .map_err(|_| unavailable("connecting timed out"))?
                .map_err(unavailable)?;
                Connection::Single(manager)
            }
            Target::Cluster(client) => {
                let conn = tokio::time::timeout(CONNECT_TIMEOUT, client.get_async_connection())
                    .await
                    .map_err(|_| unavailable("connecting timed out"))?
                    .map_err(unavailable)?;
                Connection::Cluster(conn)
            }
        })
    }

    async fn run<T: FromRedisValue>(&self, cmd: Cmd) -> janua_core::Result<T> {
        let conn = self.connection().await?;
        let outcome = tokio::time::timeout(COMMAND_TIMEOUT, async move {
            match conn {
                Connection::Single(mut c) => cmd.query_async::<T>(&mut c).await,
                Connection::Cluster(mut c) => cmd.query_async::<T>(&mut c).await,
            }
        })
        .await;
        match outcome {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(unavailable(e)),
            Err(_) => Err(unavailable("command timed out")),
        }
    }
}

fn millis(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)
}

fn unavailable(e: impl std::fmt::Display) -> Error {
    Error::Unavailable(format!("redis: {e}"))
}

fn config_error(variable: &str, e: impl std::fmt::Display) -> Error {
    Error::Validation(vec![janua_core::error::FieldError::new(
        variable,
        e.to_string(),
    )])
}

#[async_trait]
impl Cache for RedisCache {
    fn backend(&self) -> &'static str {
        self.kind
    }

    async fn ping(&self) -> janua_core::Result<()> {
        let pong: String = self.run(redis::cmd("PING")).await?;
        if pong == "PONG" {
            Ok(())
        } else {
            Err(unavailable(format!("unexpected PING answer {pong:?}")))
        }
    }

    async fn get(&self, k: &str) -> janua_core::Result<Option<Vec<u8>>> {
        self.run(redis::cmd("GET").arg(self.key(k)).to_owned())
            .await
    }

    async fn set(&self, k: &str, value: &[u8], ttl: Duration) -> janua_core::Result<()> {
        let cmd = redis::cmd("SET")
            .arg(self.key(k))
            .arg(value)
            .arg("PX")
            .arg(millis(ttl))
            .to_owned();
        self.run::<()>(cmd).await
    }

    async fn set_if_absent(
        &self,
        k: &str,
        value: &[u8],
        ttl: Duration,
    ) -> janua_core::Result<bool> {
        let cmd = redis::cmd("SET")
            .arg(self.key(k))
            .arg(value)
            .arg("NX")
            .arg("PX")
            .arg(millis(ttl))
            .to_owned();
        let stored: Option<String> = self.run(cmd).await?;
        Ok(stored.is_some())
    }

    async fn take(&self, k: &str) -> janua_core::Result<Option<Vec<u8>>> {
        self.run(redis::cmd("GETDEL").arg(self.key(k)).to_owned())
            .await
    }

    async fn delete(&self, k: &str) -> janua_core::Result<()> {
        self.run::<()>(redis::cmd("DEL").arg(self.key(k)).to_owned())
            .await
    }

    async fn hit(&self, k: &str, window: Duration) -> janua_core::Result<WindowCount> {
        let conn = self.connection().await?;
        let mut invocation = self.hit_script.key(self.key(k));
        invocation.arg(millis(window));
        let outcome = tokio::time::timeout(COMMAND_TIMEOUT, async {
            match conn {
                Connection::Single(mut c) => invocation.invoke_async::<(u64, i64)>(&mut c).await,
                Connection::Cluster(mut c) => invocation.invoke_async::<(u64, i64)>(&mut c).await,
            }
        })
        .await;
        let (count, ttl_ms) = match outcome {
            Ok(Ok(v)) => v,
            Ok(Err(e)) => return Err(unavailable(e)),
            Err(_) => return Err(unavailable("command timed out")),
        };
        let resets_in = Duration::from_millis(u64::try_from(ttl_ms).unwrap_or(0));
        Ok(WindowCount { count, resets_in })
    }
}
