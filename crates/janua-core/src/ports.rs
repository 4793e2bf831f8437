//! The ports: traits that the adapters implement. `janua-store` implements [`Store`] for
//! PostgreSQL and SQLite; `janua` implements [`Cache`] in process and on Redis.
//!
//! [`Store`] is the union of one trait per capability, so each capability's storage needs are
//! declared next to it and a backend is complete only when it implements them all. The mail
//! port, [`Mailer`](crate::mail::Mailer), lives with the mails it sends in `mail`.

use std::time::Duration;

use async_trait::async_trait;

use crate::admin::store::AdminStore;
use crate::api_keys::store::ApiKeyStore;
use crate::audit::store::AuditStore;
use crate::auth::store::AuthStore;
use crate::error::Result;
use crate::jobs::store::JobStore;
use crate::mfa::store::MfaStore;
use crate::oidc::store::OAuthStore;
use crate::orgs::store::OrgStore;
use crate::passkeys::store::PasskeyStore;
use crate::rbac::store::RbacStore;
use crate::settings::SettingsStore;
use crate::tokens::store::SigningKeyStore;
use crate::webhooks::store::WebhookStore;

/// Which database engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(&self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Where the schema stands against the migrations compiled into this binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    /// Versions of every migration embedded in the binary.
    pub known: Vec<i64>,
    /// Versions applied successfully in the database.
    pub applied: Vec<i64>,
    /// Applied versions whose checksum differs from the embedded file (edited after release).
    pub modified: Vec<i64>,
    /// Applied versions this binary does not know (the database is newer than the binary).
    pub unknown: Vec<i64>,
}

impl MigrationStatus {
    pub fn pending(&self) -> Vec<i64> {
        self.known
            .iter()
            .copied()
            .filter(|v| !self.applied.contains(v))
            .collect()
    }

    pub fn is_current(&self) -> bool {
        self.pending().is_empty() && self.modified.is_empty()
    }
}

/// Operations on the database itself rather than on a capability's data.
#[async_trait]
pub trait SystemStore: Send + Sync {
    fn backend(&self) -> Backend;
    /// A round trip to the primary (and every replica, when configured).
    async fn ping(&self) -> Result<()>;
    async fn migrate(&self) -> Result<()>;
    async fn migration_status(&self) -> Result<MigrationStatus>;
    /// Closes the pools so that in-flight statements finish and no new ones start.
    async fn close(&self);
}

/// Everything core needs from storage.
pub trait Store:
    SystemStore
    + SettingsStore
    + AuthStore
    + MfaStore
    + PasskeyStore
    + AuditStore
    + JobStore
    + SigningKeyStore
    + OrgStore
    + RbacStore
    + ApiKeyStore
    + AdminStore
    + OAuthStore
    + WebhookStore
{
}

impl<T> Store for T where
    T: SystemStore
        + SettingsStore
        + AuthStore
        + MfaStore
        + PasskeyStore
        + AuditStore
        + JobStore
        + SigningKeyStore
        + OrgStore
        + RbacStore
        + ApiKeyStore
        + AdminStore
        + OAuthStore
        + WebhookStore
{
}

/// A shared, expiring key/value cache. In-process by default; Redis (single or cluster) when
/// configured, and then it is what makes revocations, rate limits and ceremonies visible to every
/// instance. Keys are plain strings; adapters may prefix them.
#[async_trait]
pub trait Cache: Send + Sync {
    fn backend(&self) -> &'static str;
    async fn ping(&self) -> Result<()>;
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>>;
    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> Result<()>;
    /// Stores the value only if the key is absent; true when this call stored it.
    async fn set_if_absent(&self, key: &str, value: &[u8], ttl: Duration) -> Result<bool>;
    /// Returns and removes the value in one step, so a one-time value is consumed exactly once.
    async fn take(&self, key: &str) -> Result<Option<Vec<u8>>>;
    async fn delete(&self, key: &str) -> Result<()>;
    /// Adds one to the counter of a fixed window and returns the new count and the time left in
    /// the window. The first hit of a window starts its `window`-long expiry.
    async fn hit(&self, key: &str, window: Duration) -> Result<WindowCount>;
}

/// The state of a rate-limit window after one hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowCount {
    pub count: u64,
    pub resets_in: Duration,
}
