//! What API keys need from storage. Mutating methods write their audit entries in the same
//! transaction as the change.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::api_keys::{ApiKey, ApiKeyUpdate, NewApiKey};
use crate::audit::AuditEntry;
use crate::error::Result;
use crate::ids::{ApiKeyId, OrgId};
use crate::orgs::Page;

#[async_trait]
pub trait ApiKeyStore: Send + Sync {
    async fn create_api_key(&self, key: &NewApiKey, audit: &[AuditEntry]) -> Result<ApiKey>;
    async fn get_api_key(&self, id: ApiKeyId) -> Result<Option<ApiKey>>;
    /// The key whose secret has this SHA-256 digest, with the stored digest.
    async fn find_api_key_by_hash(&self, key_hash: &str) -> Result<Option<(ApiKey, String)>>;
    async fn list_api_keys(
        &self,
        org: OrgId,
        include_inactive: bool,
        page: Page,
    ) -> Result<(Vec<ApiKey>, u64)>;
    async fn count_api_keys(&self, org: OrgId) -> Result<u64>;
    async fn update_api_key(
        &self,
        id: ApiKeyId,
        update: &ApiKeyUpdate,
        at: DateTime<Utc>,
        audit: &[AuditEntry],
    ) -> Result<Option<ApiKey>>;
    /// Replaces the secret of a live key; false when the key is revoked or gone.
    async fn rotate_api_key(
        &self,
        id: ApiKeyId,
        key_hash: &str,
        key_prefix: &str,
        at: DateTime<Utc>,
        audit: &[AuditEntry],
    ) -> Result<bool>;
    /// Revokes a key; false when it was already revoked or does not exist.
    async fn revoke_api_key(
        &self,
        id: ApiKeyId,
        at: DateTime<Utc>,
        audit: &[AuditEntry],
    ) -> Result<bool>;
    async fn touch_api_key(&self, id: ApiKeyId, at: DateTime<Utc>) -> Result<()>;
}
