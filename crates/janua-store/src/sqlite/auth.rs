//! [`AuthStore`] on SQLite: the trait in one place, each method handed to the capability file
//! that owns its table (`users`, `avatars`, `lockouts`, `sessions`, `one_time_tokens`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use janua_core::auth::avatars::Avatar;
use janua_core::auth::sessions::{NewSession, Session};
use janua_core::auth::store::{
    AuthStore, Lockout, NewOneTimeToken, OneTimeToken, OneTimeTokenKind, RefreshRotation,
    RefreshTokenRecord, UserQuery,
};
use janua_core::auth::users::{NewUser, ProfileUpdate, User, UserStatus};
use janua_core::error::Result;
use janua_core::ids::{SessionId, UserId};

use super::SqliteStore;

#[async_trait]
impl AuthStore for SqliteStore {
    async fn create_user(&self, user: &NewUser) -> Result<User> {
        SqliteStore::create_user(self, user).await
    }

    async fn get_user(&self, id: UserId) -> Result<Option<User>> {
        SqliteStore::get_user(self, id).await
    }

    async fn find_user_by_email(&self, email_normalized: &str) -> Result<Option<User>> {
        SqliteStore::find_user_by_email(self, email_normalized).await
    }

    async fn find_user_by_username(&self, username_normalized: &str) -> Result<Option<User>> {
        SqliteStore::find_user_by_username(self, username_normalized).await
    }

    async fn set_password_hash(&self, id: UserId, hash: &str, at: DateTime<Utc>) -> Result<()> {
        SqliteStore::set_password_hash(self, id, hash, at).await
    }

    async fn mark_email_verified(&self, id: UserId, at: DateTime<Utc>) -> Result<()> {
        SqliteStore::mark_email_verified(self, id, at).await
    }

    async fn update_profile(
        &self,
        id: UserId,
        update: &ProfileUpdate,
        at: DateTime<Utc>,
    ) -> Result<User> {
        SqliteStore::update_profile(self, id, update, at).await
    }

    async fn set_profile_image(
        &self,
        id: UserId,
        url: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        SqliteStore::set_profile_image(self, id, url, at).await
    }

    async fn put_avatar(
        &self,
        id: UserId,
        content_type: &str,
        data: &[u8],
        url: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        SqliteStore::put_avatar(self, id, content_type, data, url, at).await
    }

    async fn get_avatar(&self, id: UserId) -> Result<Option<Avatar>> {
        SqliteStore::get_avatar(self, id).await
    }

    async fn delete_avatar(&self, id: UserId, at: DateTime<Utc>) -> Result<()> {
        SqliteStore::delete_avatar(self, id, at).await
    }

    async fn set_user_status(
        &self,
        id: UserId,
        status: UserStatus,
        reason: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        SqliteStore::set_user_status(self, id, status, reason, at).await
    }

    async fn set_admin(&self, id: UserId, is_admin: bool, at: DateTime<Utc>) -> Result<()> {
        SqliteStore::set_admin(self, id, is_admin, at).await
    }

    async fn soft_delete_user(&self, id: UserId, at: DateTime<Utc>) -> Result<()> {
        SqliteStore::soft_delete_user(self, id, at).await
    }

    async fn list_users(&self, query: &UserQuery) -> Result<(Vec<User>, u64)> {
        SqliteStore::list_users(self, query).await
    }

    async fn count_admins(&self) -> Result<u64> {
        SqliteStore::count_admins(self).await
    }

    async fn get_lockout(&self, email_normalized: &str) -> Result<Option<Lockout>> {
        SqliteStore::get_lockout(self, email_normalized).await
    }

    async fn record_failed_sign_in(
        &self,
        email_normalized: &str,
        threshold: u32,
        lock_for: chrono::Duration,
        at: DateTime<Utc>,
    ) -> Result<Lockout> {
        SqliteStore::record_failed_sign_in(self, email_normalized, threshold, lock_for, at).await
    }

    async fn clear_lockout(&self, email_normalized: &str) -> Result<()> {
        SqliteStore::clear_lockout(self, email_normalized).await
    }

    async fn open_session(&self, session: &NewSession) -> Result<Session> {
        SqliteStore::open_session(self, session).await
    }

    async fn get_session(&self, id: SessionId) -> Result<Option<Session>> {
        SqliteStore::get_session(self, id).await
    }

    async fn find_session_by_secret_hash(&self, secret_hash: &str) -> Result<Option<Session>> {
        SqliteStore::find_session_by_secret_hash(self, secret_hash).await
    }

    async fn list_live_sessions(
        &self,
        user_id: UserId,
        now: DateTime<Utc>,
    ) -> Result<Vec<Session>> {
        SqliteStore::list_live_sessions(self, user_id, now).await
    }

    async fn revoke_session(&self, id: SessionId, reason: &str, at: DateTime<Utc>) -> Result<bool> {
        SqliteStore::revoke_session(self, id, reason, at).await
    }

    async fn revoke_user_sessions(
        &self,
        user_id: UserId,
        keep: Option<SessionId>,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<Vec<SessionId>> {
        SqliteStore::revoke_user_sessions(self, user_id, keep, reason, at).await
    }

    async fn touch_session(
        &self,
        id: SessionId,
        expires_at: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        SqliteStore::touch_session(self, id, expires_at, at).await
    }

    async fn find_refresh_token(&self, token_hash: &str) -> Result<Option<RefreshTokenRecord>> {
        SqliteStore::find_refresh_token(self, token_hash).await
    }

    async fn rotate_refresh_token(&self, rotation: &RefreshRotation) -> Result<bool> {
        SqliteStore::rotate_refresh_token(self, rotation).await
    }

    async fn create_one_time_token(&self, token: &NewOneTimeToken) -> Result<()> {
        SqliteStore::create_one_time_token(self, token).await
    }

    async fn consume_one_time_token(
        &self,
        kind: OneTimeTokenKind,
        token_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<OneTimeToken>> {
        SqliteStore::consume_one_time_token(self, kind, token_hash, at).await
    }

    async fn deny_access_token(
        &self,
        jti: uuid::Uuid,
        expires_at: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        SqliteStore::deny_access_token(self, jti, expires_at, at).await
    }

    async fn is_access_token_denied(&self, jti: uuid::Uuid) -> Result<bool> {
        SqliteStore::is_access_token_denied(self, jti).await
    }
}
