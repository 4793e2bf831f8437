//! Operations on the PostgreSQL database itself: ping (primary as an error, replicas as
//! warnings), migrations, close.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use janua_core::error::Result;
use janua_core::ports::{Backend, MigrationStatus, SystemStore};
use tokio::task::JoinSet;

use super::{PgStore, Replica, MIGRATOR};
use crate::errors::{from_migrate, from_sqlx};
use crate::migrations::{status, AppliedRow};

/// A replica gets this long to answer a ping; all are pinged at once, so a ping never takes
/// much longer than the primary's round trip plus this.
const REPLICA_PING_TIMEOUT: Duration = Duration::from_secs(1);

#[async_trait]
impl SystemStore for PgStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(self.primary())
            .await
            .map_err(from_sqlx)?;
        let mut pings = JoinSet::new();
        for replica in &self.replicas {
            pings.spawn(ping_replica(Arc::clone(replica)));
        }
        while pings.join_next().await.is_some() {}
        Ok(())
    }

    async fn migrate(&self) -> Result<()> {
        // sqlx holds an advisory lock while migrating, so instances starting together are safe.
        MIGRATOR.run(self.primary()).await.map_err(from_migrate)
    }

    async fn migration_status(&self) -> Result<MigrationStatus> {
        let (has_table,): (bool,) =
            sqlx::query_as("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
                .fetch_one(self.primary())
                .await
                .map_err(from_sqlx)?;
        let rows: Vec<(i64, Vec<u8>, bool)> = if has_table {
            sqlx::query_as(
                "SELECT version, checksum, success FROM _sqlx_migrations ORDER BY version",
            )
            .fetch_all(self.primary())
            .await
            .map_err(from_sqlx)?
        } else {
            Vec::new()
        };
        let rows: Vec<AppliedRow> = rows
            .into_iter()
            .map(|(version, checksum, success)| AppliedRow {
                version,
                checksum,
                success,
            })
            .collect();
        Ok(status(&MIGRATOR, &rows))
    }

    async fn close(&self) {
        for replica in &self.replicas {
            replica.pool.close().await;
        }
        self.primary.close().await;
    }
}

/// Pings one replica and records whether it answered. Failures are warnings: reads fall back to
/// the primary, so a replica never makes this instance unready.
async fn ping_replica(replica: Arc<Replica>) {
    let outcome = tokio::time::timeout(
        REPLICA_PING_TIMEOUT,
        sqlx::query("SELECT 1").execute(&replica.pool),
    )
    .await;
    let failure = match outcome {
        Ok(Ok(_)) => None,
        Ok(Err(error)) => Some(error.to_string()),
        Err(_) => Some(format!(
            "no answer within {} s",
            REPLICA_PING_TIMEOUT.as_secs()
        )),
    };
    let was_healthy = replica.healthy.swap(failure.is_none(), Ordering::Relaxed);
    metrics::gauge!(super::REPLICA_UP, "replica" => replica.label.clone())
        .set(if failure.is_none() { 1.0 } else { 0.0 });
    match failure {
        Some(error) => tracing::warn!(
            replica = %replica.label,
            %error,
            "database replica did not answer; lag-tolerant reads go to the primary until it does. \
             Check DATABASE_REPLICA_URLS and the replica's health"
        ),
        None if !was_healthy => {
            tracing::info!(replica = %replica.label, "database replica answers again")
        }
        None => {}
    }
}
