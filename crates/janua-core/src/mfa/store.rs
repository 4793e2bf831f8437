//! What MFA needs from storage: the TOTP factor (`mfa_totp`) and backup codes
//! (`mfa_backup_codes`). Every change writes its audit entries in its own transaction.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::audit::AuditEntry;
use crate::error::Result;
use crate::ids::UserId;

/// A user's TOTP factor. `verified_at` is `None` between `/mfa/enable` and `/mfa/verify`.
#[derive(Debug, Clone, PartialEq)]
pub struct TotpFactor {
    pub user_id: UserId,
    /// The seed, sealed (`Sealer`), never in clear.
    pub secret_sealed: String,
    pub verified_at: Option<DateTime<Utc>>,
    /// The last 30-second step whose code was accepted; no code of this step or earlier is.
    pub last_used_step: Option<i64>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[async_trait]
pub trait MfaStore: Send + Sync {
    async fn get_totp(&self, user: UserId) -> Result<Option<TotpFactor>>;
    /// Stores a new unverified factor and replaces the backup codes, unless a verified factor
    /// exists (then nothing changes and the answer is false).
    async fn begin_totp_enrollment(
        &self,
        user: UserId,
        secret_sealed: &str,
        code_hashes: &[String],
        at: DateTime<Utc>,
    ) -> Result<bool>;
    /// Marks the unverified factor verified with `step` as its last used step; false when there
    /// is no unverified factor or the step was already used.
    async fn activate_totp(
        &self,
        user: UserId,
        step: i64,
        at: DateTime<Utc>,
        audit: &[AuditEntry],
    ) -> Result<bool>;
    /// Records `step` as used if it is later than the last used one (atomically, so two
    /// instances cannot both accept one code); false when it is not.
    async fn use_totp_step(
        &self,
        user: UserId,
        step: i64,
        at: DateTime<Utc>,
        audit: &[AuditEntry],
    ) -> Result<bool>;
    /// Marks an unused backup code used; false when there is none with this hash.
    async fn use_backup_code(
        &self,
        user: UserId,
        code_hash: &str,
        at: DateTime<Utc>,
        audit: &[AuditEntry],
    ) -> Result<bool>;
    async fn replace_backup_codes(
        &self,
        user: UserId,
        code_hashes: &[String],
        at: DateTime<Utc>,
        audit: &[AuditEntry],
    ) -> Result<()>;
    async fn count_unused_backup_codes(&self, user: UserId) -> Result<u64>;
    /// Removes the TOTP factor and every backup code; false when there was no factor.
    async fn remove_mfa(&self, user: UserId, audit: &[AuditEntry]) -> Result<bool>;
}
