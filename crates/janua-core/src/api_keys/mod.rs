//! API keys (API.md §13): `sk_live_` + 64 hex, shown once, stored as SHA-256, scoped to one
//! organization, with scopes that act as permissions there.
//!
//! - [`issue`]: create, update, rotate, revoke, list (with the authorization rules).
//! - [`verify`]: a presented key → the principal it stands for.
//! - [`store`]: the [`ApiKeyStore`](store::ApiKeyStore) trait.

pub mod issue;
pub mod store;
pub mod verify;

use chrono::{DateTime, Utc};

use crate::ids::{ApiKeyId, OrgId, UserId};
use crate::rbac::permissions::Permission;

pub const KEY_PREFIX: &str = "sk_live_";
/// Default and bounds of `rate_limit_per_min`.
pub const DEFAULT_RATE_LIMIT: u32 = 60;
pub const MAX_RATE_LIMIT: u32 = 10_000;
/// API.md §19: at most this many keys per organization.
pub const MAX_KEYS_PER_ORG: u64 = 100;

#[derive(Debug, Clone, PartialEq)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub organization_id: OrgId,
    pub user_id: Option<UserId>,
    pub name: String,
    /// `sk_live_` + the first 4 hex of the secret.
    pub key_prefix: String,
    pub scopes: Vec<Permission>,
    pub rate_limit_per_min: u32,
    pub is_active: bool,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ApiKey {
    /// The display prefix: the first 12 characters of the key and `...`.
    pub fn display_prefix(&self) -> String {
        format!("{}...", self.key_prefix)
    }

    pub fn is_usable(&self, now: DateTime<Utc>) -> bool {
        self.is_active && self.revoked_at.is_none() && self.expires_at.is_none_or(|e| e > now)
    }
}

/// A key row to insert, with the digest of its secret.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub key: ApiKey,
    pub key_hash: String,
}

/// Changes to a key; `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct ApiKeyUpdate {
    pub name: Option<String>,
    pub scopes: Option<Vec<Permission>>,
    pub rate_limit_per_min: Option<u32>,
    pub is_active: Option<bool>,
    pub expires_at: Option<Option<DateTime<Utc>>>,
}
