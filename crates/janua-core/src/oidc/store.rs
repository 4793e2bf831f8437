//! What the OAuth provider needs from storage: clients and their secrets, parked authorization
//! requests, authorization codes, grant sessions, consents and device codes. Each method is one
//! transaction; mutating client methods write their audit entries in it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::audit::AuditEntry;
use crate::auth::sessions::Session;
use crate::error::Result;
use crate::ids::{OAuthClientId, OrgId, SessionId, UserId};
use crate::oidc::clients::{ClientSecret, OAuthClient};

/// Which column identifies a client for the idempotent `POST /register`.
#[derive(Debug, Clone, Copy)]
pub enum ClientLookup<'a> {
    ClientKey(&'a str),
    Audience(&'a str),
    Name(&'a str),
}

/// Filters of the client list.
#[derive(Debug, Clone, Default)]
pub struct ClientQuery {
    /// Only clients created by this user (`None`: all, for admins).
    pub created_by: Option<UserId>,
    pub organization_id: Option<OrgId>,
    pub page: u32,
    pub per_page: u32,
}

/// An `/authorize` request parked while the user signs in or consents (10 minutes).
#[derive(Debug, Clone, PartialEq)]
pub struct AuthorizationRequest {
    pub id: uuid::Uuid,
    pub client: OAuthClientId,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub prompt: Option<String>,
    pub max_age: Option<i64>,
    pub login_hint: Option<String>,
    pub organization_id: Option<OrgId>,
    /// The browser session that reached the consent step, once one did.
    pub session_id: Option<SessionId>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub consumed_at: Option<DateTime<Utc>>,
}

/// An authorization code, bound to everything the token request must repeat.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthorizationCode {
    pub id: uuid::Uuid,
    pub code_hash: String,
    pub client: OAuthClientId,
    pub user_id: UserId,
    /// The browser session the code was issued under.
    pub session_id: SessionId,
    /// Set by the exchange, so a replay can revoke what the code produced.
    pub grant_session_id: Option<SessionId>,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub organization_id: Option<OrgId>,
    pub auth_time: DateTime<Utc>,
    pub amr: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

/// What redeeming a code found.
#[derive(Debug, Clone, PartialEq)]
pub enum CodeRedemption {
    /// The code was live and is now used.
    Redeemed(AuthorizationCode),
    /// The code had been used before: a replay.
    Replayed(AuthorizationCode),
    Unknown,
}

/// An OAuth grant session (one refresh-token family) to open for a client.
#[derive(Debug, Clone)]
pub struct NewGrantSession {
    pub id: SessionId,
    pub user_id: UserId,
    pub client: OAuthClientId,
    pub parent_session_id: Option<SessionId>,
    pub scopes: Vec<String>,
    pub organization_id: Option<OrgId>,
    pub amr: Vec<String>,
    pub auth_time: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub absolute_expires_at: DateTime<Utc>,
    /// `None` when the client has no `refresh_token` grant (the session still backs `sid`).
    pub refresh_token_hash: Option<String>,
    /// The code exchanged for this grant, marked with it in the same transaction.
    pub code_id: Option<uuid::Uuid>,
}

/// A grant session with the client and scopes it was granted for.
#[derive(Debug, Clone, PartialEq)]
pub struct Grant {
    pub session: Session,
    pub client: OAuthClientId,
    pub scopes: Vec<String>,
    pub parent_session_id: Option<SessionId>,
    pub organization_id: Option<OrgId>,
}

/// A user's stored consent to a client's scopes.
#[derive(Debug, Clone, PartialEq)]
pub struct Consent {
    pub user_id: UserId,
    pub client: OAuthClientId,
    pub scopes: Vec<String>,
    pub granted_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// RFC 8628 device authorization state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceCodeStatus {
    Pending,
    Approved,
    Denied,
    Consumed,
}

impl DeviceCodeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceCodeStatus::Pending => "pending",
            DeviceCodeStatus::Approved => "approved",
            DeviceCodeStatus::Denied => "denied",
            DeviceCodeStatus::Consumed => "consumed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "pending" => DeviceCodeStatus::Pending,
            "approved" => DeviceCodeStatus::Approved,
            "denied" => DeviceCodeStatus::Denied,
            "consumed" => DeviceCodeStatus::Consumed,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct DeviceCode {
    pub id: uuid::Uuid,
    pub device_code_hash: String,
    pub user_code: String,
    pub client: OAuthClientId,
    pub scopes: Vec<String>,
    pub status: DeviceCodeStatus,
    pub user_id: Option<UserId>,
    pub interval_seconds: i64,
    pub last_polled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[async_trait]
pub trait OAuthStore: Send + Sync {
    // --- clients
    /// Inserts the client and, for confidential clients, its primary secret. `Conflict`
    /// names `oauth_clients.client_id` or `oauth_clients.client_key`.
    async fn create_client(
        &self,
        client: &OAuthClient,
        secret: Option<&ClientSecret>,
        audit: &[AuditEntry],
    ) -> Result<()>;
    async fn get_client(&self, id: OAuthClientId) -> Result<Option<OAuthClient>>;
    async fn find_client(&self, client_id: &str) -> Result<Option<OAuthClient>>;
    /// The oldest client matching the lookup.
    async fn find_client_by(&self, lookup: ClientLookup<'_>) -> Result<Option<OAuthClient>>;
    async fn list_clients(&self, query: &ClientQuery) -> Result<(Vec<OAuthClient>, u64)>;
    /// Writes every field of `client.spec` and `updated_at`; `NotFound` when it is gone.
    async fn update_client(&self, client: &OAuthClient, audit: &[AuditEntry]) -> Result<()>;
    /// Deletes the client with everything that cascades (secrets, codes, grants, consents).
    async fn delete_client(&self, id: OAuthClientId, audit: &[AuditEntry]) -> Result<bool>;

    // --- secrets
    async fn list_client_secrets(&self, client: OAuthClientId) -> Result<Vec<ClientSecret>>;
    /// Demotes the current primary (expiring it, and any other live secret, no later than
    /// `old_expire_at`) and inserts `new` as the primary.
    async fn rotate_client_secret(
        &self,
        new: &ClientSecret,
        old_expire_at: DateTime<Utc>,
        audit: &[AuditEntry],
    ) -> Result<()>;
    /// Revokes one non-primary secret (`Some`) or every non-primary one (`None`); the count.
    async fn revoke_client_secrets(
        &self,
        client: OAuthClientId,
        secret_id: Option<uuid::Uuid>,
        at: DateTime<Utc>,
        audit: &[AuditEntry],
    ) -> Result<u64>;

    // --- authorization requests and codes
    async fn create_authorization_request(&self, request: &AuthorizationRequest) -> Result<()>;
    async fn get_authorization_request(
        &self,
        id: uuid::Uuid,
    ) -> Result<Option<AuthorizationRequest>>;
    /// Marks the request consumed; false when it already was.
    async fn consume_authorization_request(
        &self,
        id: uuid::Uuid,
        at: DateTime<Utc>,
    ) -> Result<bool>;
    async fn create_authorization_code(&self, code: &AuthorizationCode) -> Result<()>;
    /// Claims the code with the given digest atomically.
    async fn redeem_authorization_code(
        &self,
        code_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<CodeRedemption>;

    // --- grant sessions
    async fn open_grant_session(&self, grant: &NewGrantSession, audit: &[AuditEntry])
        -> Result<()>;
    async fn get_grant(&self, session: SessionId) -> Result<Option<Grant>>;
    /// Live grant sessions opened under a browser session.
    async fn list_child_grants(&self, parent: SessionId, now: DateTime<Utc>) -> Result<Vec<Grant>>;

    // --- consents
    async fn get_consent(&self, user: UserId, client: OAuthClientId) -> Result<Option<Consent>>;
    /// Stores (or widens/replaces) the consent.
    async fn save_consent(&self, consent: &Consent, audit: &[AuditEntry]) -> Result<()>;

    // --- device codes
    async fn create_device_code(&self, code: &DeviceCode) -> Result<()>;
    async fn find_device_code_by_hash(&self, device_code_hash: &str) -> Result<Option<DeviceCode>>;
    async fn find_device_code_by_user_code(&self, user_code: &str) -> Result<Option<DeviceCode>>;
    /// Moves a pending code to `status` (approved or denied) for `user`; false if not pending.
    async fn decide_device_code(
        &self,
        id: uuid::Uuid,
        user: UserId,
        status: DeviceCodeStatus,
        at: DateTime<Utc>,
    ) -> Result<bool>;
    /// Records a poll; moves an approved code to consumed when `consume`. False when the code
    /// was not in the state the caller saw (a concurrent poll won).
    async fn poll_device_code(
        &self,
        id: uuid::Uuid,
        at: DateTime<Utc>,
        consume: bool,
    ) -> Result<bool>;
}
