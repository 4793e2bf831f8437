//! What auditing needs from storage beyond the entries that capabilities write inside their own
//! transactions: recording entries that accompany no change (failed attempts, reads worth
//! recording), reading the log, and retention.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::query::{AuditCursor, AuditFilter, AuditStats};
use super::AuditEntry;
use crate::error::Result;

#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Writes `entries` (and their outbox events) in one transaction.
    async fn record_audit(&self, entries: &[AuditEntry]) -> Result<()>;
    /// Up to `limit` entries matching `filter`, newest first, strictly older than `after`.
    /// Read entries carry no webhook event and no `user_id`.
    async fn list_audit(
        &self,
        filter: &AuditFilter,
        after: Option<&AuditCursor>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>>;
    async fn count_audit(&self, filter: &AuditFilter) -> Result<u64>;
    async fn get_audit(&self, id: Uuid) -> Result<Option<AuditEntry>>;
    async fn audit_stats(&self, filter: &AuditFilter) -> Result<AuditStats>;
    /// Deletes entries that occurred before `cutoff`; returns how many.
    async fn delete_audit_before(&self, cutoff: DateTime<Utc>) -> Result<u64>;
}
