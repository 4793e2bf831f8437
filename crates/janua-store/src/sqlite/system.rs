//! Operations on the SQLite database itself: ping, migrations, close.

use async_trait::async_trait;
use janua_core::error::Result;
use janua_core::ports::{Backend, MigrationStatus, SystemStore};

use super::{SqliteStore, MIGRATOR};
use crate::errors::{from_migrate, from_sqlx};
use crate::migrations::{status, AppliedRow};

#[async_trait]
impl SystemStore for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn ping(&self) -> Result<()> {
        for pool in [self.reader(), self.writer()] {
            sqlx::query("SELECT 1")
                .execute(pool)
                .await
                .map_err(from_sqlx)?;
        }
        Ok(())
    }

    async fn migrate(&self) -> Result<()> {
        MIGRATOR.run(self.writer()).await.map_err(from_migrate)
    }

    async fn migration_status(&self) -> Result<MigrationStatus> {
        let (has_table,): (bool,) = sqlx::query_as(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master \
             WHERE type = 'table' AND name = '_sqlx_migrations')",
        )
        .fetch_one(self.reader())
        .await
        .map_err(from_sqlx)?;
        let rows: Vec<(i64, Vec<u8>, bool)> = if has_table {
            sqlx::query_as(
                "SELECT version, checksum, success FROM _sqlx_migrations ORDER BY version",
            )
            .fetch_all(self.reader())
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
        self.reader.close().await;
        self.writer.close().await;
    }
}
