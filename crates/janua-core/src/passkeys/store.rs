//! What passkeys need from storage: the `passkeys` table. The credential (public key, counter,
//! flags) is kept as the library's JSON; `sign_count` is mirrored in a column so a use can be
//! recorded with a compare-and-set on it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::audit::AuditEntry;
use crate::error::Result;
use crate::ids::{PasskeyId, UserId};

#[derive(Debug, Clone, PartialEq)]
pub struct PasskeyRecord {
    pub id: PasskeyId,
    pub user_id: UserId,
    /// Unpadded base64url of the raw credential id; unique across users.
    pub credential_id: String,
    /// The `webauthn-rs` `Passkey`, serialised.
    pub passkey: Value,
    pub sign_count: i64,
    pub name: String,
    /// `platform` or `cross-platform`, as requested at registration.
    pub authenticator_attachment: Option<String>,
    pub backup_eligible: bool,
    pub backup_state: bool,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

#[async_trait]
pub trait PasskeyStore: Send + Sync {
    /// Oldest first.
    async fn list_passkeys(&self, user: UserId) -> Result<Vec<PasskeyRecord>>;
    async fn find_passkey_by_credential_id(
        &self,
        credential_id: &str,
    ) -> Result<Option<PasskeyRecord>>;
    /// `Conflict` when the credential id is registered already (to anyone).
    async fn add_passkey(&self, passkey: &PasskeyRecord, audit: &[AuditEntry]) -> Result<()>;
    /// Stores the credential after a successful assertion, only if the stored count is still
    /// `expected_sign_count` (two concurrent uses of one assertion cannot both succeed).
    async fn record_passkey_use(
        &self,
        id: PasskeyId,
        expected_sign_count: i64,
        sign_count: i64,
        passkey: &Value,
        at: DateTime<Utc>,
        audit: &[AuditEntry],
    ) -> Result<bool>;
    async fn rename_passkey(
        &self,
        user: UserId,
        id: PasskeyId,
        name: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<PasskeyRecord>>;
    async fn delete_passkey(
        &self,
        user: UserId,
        id: PasskeyId,
        audit: &[AuditEntry],
    ) -> Result<bool>;
}
