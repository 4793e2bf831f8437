//! What accounts need from storage: users, lockouts, sessions with their refresh-token
//! families, one-time tokens and the access-token deny list. Each method is one transaction;
//! methods that change something take `audit: &[AuditEntry]` and write those entries (and their
//! outbox events) in that same transaction.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::audit::AuditEntry;
use crate::auth::avatars::Avatar;
use crate::auth::sessions::{NewSession, Session, SessionLimit};
use crate::auth::users::{NewUser, ProfileUpdate, User, UserStatus};
use crate::error::Result;
use crate::ids::{SessionId, UserId};

/// Failed sign-in bookkeeping for one normalised email (whether or not an account exists).
#[derive(Debug, Clone, PartialEq)]
pub struct Lockout {
    pub email_normalized: String,
    pub failed_attempts: u32,
    pub locked_until: Option<DateTime<Utc>>,
}

/// A stored refresh token (the secret itself is never stored, only its SHA-256 digest).
#[derive(Debug, Clone, PartialEq)]
pub struct RefreshTokenRecord {
    pub id: uuid::Uuid,
    pub session_id: SessionId,
    pub family_id: uuid::Uuid,
    pub user_id: UserId,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// The successor of a refresh token, created when it is used.
#[derive(Debug, Clone)]
pub struct RefreshRotation {
    pub used_token_id: uuid::Uuid,
    pub new_token_id: uuid::Uuid,
    pub new_token_hash: String,
    pub new_expires_at: DateTime<Utc>,
    /// The session's new sliding expiry.
    pub session_expires_at: DateTime<Utc>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OneTimeTokenKind {
    EmailVerification,
    PasswordReset,
    MagicLink,
    MfaRecovery,
}

impl OneTimeTokenKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            OneTimeTokenKind::EmailVerification => "email_verification",
            OneTimeTokenKind::PasswordReset => "password_reset",
            OneTimeTokenKind::MagicLink => "magic_link",
            OneTimeTokenKind::MfaRecovery => "mfa_recovery",
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewOneTimeToken {
    pub id: uuid::Uuid,
    pub kind: OneTimeTokenKind,
    pub token_hash: String,
    pub user_id: Option<UserId>,
    pub email_normalized: Option<String>,
    /// Kind-specific data, such as a magic link's redirect URL.
    pub payload: Value,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OneTimeToken {
    pub id: uuid::Uuid,
    pub kind: OneTimeTokenKind,
    pub user_id: Option<UserId>,
    pub email_normalized: Option<String>,
    pub payload: Value,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// Filters for the admin user list.
#[derive(Debug, Clone, Default)]
pub struct UserQuery {
    /// Matches email, username, first or last name (case-insensitive substring).
    pub search: Option<String>,
    pub status: Option<UserStatus>,
    pub page: u32,
    pub per_page: u32,
}

#[async_trait]
pub trait AuthStore: Send + Sync {
    // --- users
    /// `Conflict { what }` names `users.email_normalized` or `users.username_normalized`.
    async fn create_user(&self, user: &NewUser, audit: &[AuditEntry]) -> Result<User>;
    async fn get_user(&self, id: UserId) -> Result<Option<User>>;
    async fn find_user_by_email(&self, email_normalized: &str) -> Result<Option<User>>;
    async fn find_user_by_username(&self, username_normalized: &str) -> Result<Option<User>>;
    async fn set_password_hash(
        &self,
        id: UserId,
        hash: &str,
        at: DateTime<Utc>,
        audit: &[AuditEntry],
    ) -> Result<()>;
    async fn mark_email_verified(
        &self,
        id: UserId,
        at: DateTime<Utc>,
        audit: &[AuditEntry],
    ) -> Result<()>;
    async fn update_profile(
        &self,
        id: UserId,
        update: &ProfileUpdate,
        at: DateTime<Utc>,
        audit: &[AuditEntry],
    ) -> Result<User>;
    async fn set_profile_image(
        &self,
        id: UserId,
        url: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<()>;
    /// Stores (or replaces) the user's avatar and points `profile_image_url` at `url`, in one
    /// transaction; [`crate::error::Error::NotFound`] when no such user exists.
    async fn put_avatar(
        &self,
        id: UserId,
        content_type: &str,
        data: &[u8],
        url: &str,
        at: DateTime<Utc>,
        audit: &[AuditEntry],
    ) -> Result<()>;
    async fn get_avatar(&self, id: UserId) -> Result<Option<Avatar>>;
    /// Removes the avatar, if any, and clears `profile_image_url`, in one transaction;
    /// [`crate::error::Error::NotFound`] when no such user exists.
    async fn delete_avatar(
        &self,
        id: UserId,
        at: DateTime<Utc>,
        audit: &[AuditEntry],
    ) -> Result<()>;
    async fn set_user_status(
        &self,
        id: UserId,
        status: UserStatus,
        reason: Option<&str>,
        at: DateTime<Utc>,
        audit: &[AuditEntry],
    ) -> Result<()>;
    async fn set_admin(
        &self,
        id: UserId,
        is_admin: bool,
        at: DateTime<Utc>,
        audit: &[AuditEntry],
    ) -> Result<()>;
    /// Soft delete: status `deleted`, email rewritten to `deleted_{id}_{email}`, username and
    /// password cleared, avatar removed, every session revoked.
    async fn soft_delete_user(
        &self,
        id: UserId,
        at: DateTime<Utc>,
        audit: &[AuditEntry],
    ) -> Result<()>;
    async fn list_users(&self, query: &UserQuery) -> Result<(Vec<User>, u64)>;
    async fn count_admins(&self) -> Result<u64>;

    // --- lockouts
    async fn get_lockout(&self, email_normalized: &str) -> Result<Option<Lockout>>;
    /// Adds one failure; when the count reaches `threshold`, locks until `at + lock_for`.
    /// A lock that has expired is forgotten first, so counting starts again.
    async fn record_failed_sign_in(
        &self,
        email_normalized: &str,
        threshold: u32,
        lock_for: chrono::Duration,
        at: DateTime<Utc>,
    ) -> Result<Lockout>;
    async fn clear_lockout(&self, email_normalized: &str) -> Result<()>;

    // --- sessions
    /// Inserts the session and its first refresh token, sets the user's `last_sign_in_at`, and
    /// with a `limit` revokes the user's live sessions beyond the newest `limit.keep`: one
    /// transaction. Returns the session and the ids the limit revoked.
    async fn open_session_within_limit(
        &self,
        session: &NewSession,
        audit: &[AuditEntry],
        limit: Option<&SessionLimit>,
    ) -> Result<(Session, Vec<SessionId>)>;
    /// [`Self::open_session_within_limit`] without a limit.
    async fn open_session(&self, session: &NewSession, audit: &[AuditEntry]) -> Result<Session> {
        Ok(self
            .open_session_within_limit(session, audit, None)
            .await?
            .0)
    }
    async fn get_session(&self, id: SessionId) -> Result<Option<Session>>;
    /// The session whose cookie secret has this SHA-256 digest (revoked and expired included:
    /// the caller decides whether it is live).
    async fn find_session_by_secret_hash(&self, secret_hash: &str) -> Result<Option<Session>>;
    /// Sessions not revoked and not expired at `now`, newest first.
    async fn list_live_sessions(&self, user_id: UserId, now: DateTime<Utc>)
        -> Result<Vec<Session>>;
    /// Revokes the session and its whole refresh family; false if it was already revoked (the
    /// audit entries are then not written: nothing changed).
    async fn revoke_session(
        &self,
        id: SessionId,
        reason: &str,
        at: DateTime<Utc>,
        audit: &[AuditEntry],
    ) -> Result<bool>;
    /// Revokes every live session of the user except `keep`; returns the revoked ids. The audit
    /// entries are written only when at least one session was revoked.
    async fn revoke_user_sessions(
        &self,
        user_id: UserId,
        keep: Option<SessionId>,
        reason: &str,
        at: DateTime<Utc>,
        audit: &[AuditEntry],
    ) -> Result<Vec<SessionId>>;
    async fn touch_session(
        &self,
        id: SessionId,
        expires_at: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<()>;

    // --- refresh tokens
    async fn find_refresh_token(&self, token_hash: &str) -> Result<Option<RefreshTokenRecord>>;
    /// Marks the used token and inserts its successor, sliding the session, atomically. False
    /// when the token was used or revoked concurrently (the caller treats that as reuse).
    async fn rotate_refresh_token(&self, rotation: &RefreshRotation) -> Result<bool>;

    // --- one-time tokens
    async fn create_one_time_token(&self, token: &NewOneTimeToken) -> Result<()>;
    /// Marks the token used and returns it, only if it is of `kind`, unused and unexpired.
    async fn consume_one_time_token(
        &self,
        kind: OneTimeTokenKind,
        token_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<OneTimeToken>>;

    // --- access-token deny list
    async fn deny_access_token(
        &self,
        jti: uuid::Uuid,
        expires_at: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<()>;
    async fn is_access_token_denied(&self, jti: uuid::Uuid) -> Result<bool>;
}
