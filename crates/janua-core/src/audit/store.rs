//! What auditing needs from storage beyond the entries that capabilities write inside their own
//! transactions: recording entries that accompany no change (failed attempts, reads worth
//! recording).

use async_trait::async_trait;

use super::AuditEntry;
use crate::error::Result;

#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Writes `entries` (and their outbox events) in one transaction.
    async fn record_audit(&self, entries: &[AuditEntry]) -> Result<()>;
}
