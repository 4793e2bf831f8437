//! What platform administration needs from storage beyond the accounts store: counts for
//! `/admin/stats`, and the admin-managed CORS origins.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::admin::{CorsOrigin, PlatformStats};
use crate::audit::AuditEntry;
use crate::error::Result;
use crate::ids::{CorsOriginId, UserId};

#[async_trait]
pub trait AdminStore: Send + Sync {
    async fn platform_stats(&self, now: DateTime<Utc>) -> Result<PlatformStats>;
    async fn set_email_verified(
        &self,
        user: UserId,
        verified: bool,
        at: DateTime<Utc>,
        audit: &[AuditEntry],
    ) -> Result<()>;
    async fn list_cors_origins(&self) -> Result<Vec<CorsOrigin>>;
    /// `Conflict { what: "origin" }` when it is already listed.
    async fn add_cors_origin(
        &self,
        origin: &CorsOrigin,
        audit: &[AuditEntry],
    ) -> Result<CorsOrigin>;
    async fn delete_cors_origin(&self, id: CorsOriginId, audit: &[AuditEntry]) -> Result<bool>;
}
