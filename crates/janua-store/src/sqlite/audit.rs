//! Audit entries on SQLite that accompany no change of their own (`AuditStore`); entries that
//! describe a change are written by that change's transaction through `audit_rows`.

use async_trait::async_trait;
use janua_core::audit::{AuditEntry, AuditStore};
use janua_core::error::Result;

use super::SqliteStore;
use crate::audit_rows;
use crate::errors::from_sqlx;

#[async_trait]
impl AuditStore for SqliteStore {
    async fn record_audit(&self, entries: &[AuditEntry]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut tx = self.writer().begin().await.map_err(from_sqlx)?;
        audit_rows::insert_sqlite(&mut tx, entries).await?;
        tx.commit().await.map_err(from_sqlx)
    }
}
