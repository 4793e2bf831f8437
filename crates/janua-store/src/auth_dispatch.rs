//! The `AuthStore` trait for a backend, written once: every method hands over to the inherent
//! method of the same name in the backend's capability files (`users`, `avatars`, `lockouts`,
//! `sessions`, `one_time_tokens`). Both backends expand it, so the trait's shape cannot drift
//! between them.

/// Implements `AuthStore` for `$store` by delegating to its inherent methods.
macro_rules! impl_auth_store {
    ($store:ident) => {
        use async_trait::async_trait;
        use chrono::{DateTime, Utc};
        use janua_core::audit::AuditEntry;
        use janua_core::auth::avatars::Avatar;
        use janua_core::auth::sessions::{NewSession, Session, SessionLimit};
        use janua_core::auth::store::{
            AuthStore, Lockout, NewOneTimeToken, OneTimeToken, OneTimeTokenKind, RefreshRotation,
            RefreshTokenRecord, UserQuery,
        };
        use janua_core::auth::users::{NewUser, ProfileUpdate, User, UserStatus};
        use janua_core::error::Result;
        use janua_core::ids::{SessionId, UserId};

        #[async_trait]
        impl AuthStore for $store {
            async fn create_user(&self, user: &NewUser, audit: &[AuditEntry]) -> Result<User> {
                $store::create_user(self, user, audit).await
            }

            async fn get_user(&self, id: UserId) -> Result<Option<User>> {
                $store::get_user(self, id).await
            }

            async fn find_user_by_email(&self, email_normalized: &str) -> Result<Option<User>> {
                $store::find_user_by_email(self, email_normalized).await
            }

            async fn find_user_by_username(
                &self,
                username_normalized: &str,
            ) -> Result<Option<User>> {
                $store::find_user_by_username(self, username_normalized).await
            }

            async fn set_password_hash(
                &self,
                id: UserId,
                hash: &str,
                at: DateTime<Utc>,
                audit: &[AuditEntry],
            ) -> Result<()> {
                $store::set_password_hash(self, id, hash, at, audit).await
            }

            async fn mark_email_verified(
                &self,
                id: UserId,
                at: DateTime<Utc>,
                audit: &[AuditEntry],
            ) -> Result<()> {
                $store::mark_email_verified(self, id, at, audit).await
            }

            async fn update_profile(
                &self,
                id: UserId,
                update: &ProfileUpdate,
                at: DateTime<Utc>,
                audit: &[AuditEntry],
            ) -> Result<User> {
                $store::update_profile(self, id, update, at, audit).await
            }

            async fn set_profile_image(
                &self,
                id: UserId,
                url: Option<&str>,
                at: DateTime<Utc>,
            ) -> Result<()> {
                $store::set_profile_image(self, id, url, at).await
            }

            async fn put_avatar(
                &self,
                id: UserId,
                content_type: &str,
                data: &[u8],
                url: &str,
                at: DateTime<Utc>,
                audit: &[AuditEntry],
            ) -> Result<()> {
                $store::put_avatar(self, id, content_type, data, url, at, audit).await
            }

            async fn get_avatar(&self, id: UserId) -> Result<Option<Avatar>> {
                $store::get_avatar(self, id).await
            }

            async fn delete_avatar(
                &self,
                id: UserId,
                at: DateTime<Utc>,
                audit: &[AuditEntry],
            ) -> Result<()> {
                $store::delete_avatar(self, id, at, audit).await
            }

            async fn set_user_status(
                &self,
                id: UserId,
                status: UserStatus,
                reason: Option<&str>,
                at: DateTime<Utc>,
                audit: &[AuditEntry],
            ) -> Result<()> {
                $store::set_user_status(self, id, status, reason, at, audit).await
            }

            async fn set_admin(
                &self,
                id: UserId,
                is_admin: bool,
                at: DateTime<Utc>,
                audit: &[AuditEntry],
            ) -> Result<()> {
                $store::set_admin(self, id, is_admin, at, audit).await
            }

            async fn soft_delete_user(
                &self,
                id: UserId,
                at: DateTime<Utc>,
                audit: &[AuditEntry],
            ) -> Result<()> {
                $store::soft_delete_user(self, id, at, audit).await
            }

            async fn list_users(&self, query: &UserQuery) -> Result<(Vec<User>, u64)> {
                $store::list_users(self, query).await
            }

            async fn count_admins(&self) -> Result<u64> {
                $store::count_admins(self).await
            }

            async fn get_lockout(&self, email_normalized: &str) -> Result<Option<Lockout>> {
                $store::get_lockout(self, email_normalized).await
            }

            async fn record_failed_sign_in(
                &self,
                email_normalized: &str,
                threshold: u32,
                lock_for: chrono::Duration,
                at: DateTime<Utc>,
            ) -> Result<Lockout> {
                $store::record_failed_sign_in(self, email_normalized, threshold, lock_for, at).await
            }

            async fn clear_lockout(&self, email_normalized: &str) -> Result<()> {
                $store::clear_lockout(self, email_normalized).await
            }

            async fn open_session_within_limit(
                &self,
                session: &NewSession,
                audit: &[AuditEntry],
                limit: Option<&SessionLimit>,
            ) -> Result<(Session, Vec<SessionId>)> {
                $store::open_session_within_limit(self, session, audit, limit).await
            }

            async fn get_session(&self, id: SessionId) -> Result<Option<Session>> {
                $store::get_session(self, id).await
            }

            async fn find_session_by_secret_hash(
                &self,
                secret_hash: &str,
            ) -> Result<Option<Session>> {
                $store::find_session_by_secret_hash(self, secret_hash).await
            }

            async fn list_live_sessions(
                &self,
                user_id: UserId,
                now: DateTime<Utc>,
            ) -> Result<Vec<Session>> {
                $store::list_live_sessions(self, user_id, now).await
            }

            async fn revoke_session(
                &self,
                id: SessionId,
                reason: &str,
                at: DateTime<Utc>,
                audit: &[AuditEntry],
            ) -> Result<bool> {
                $store::revoke_session(self, id, reason, at, audit).await
            }

            async fn revoke_user_sessions(
                &self,
                user_id: UserId,
                keep: Option<SessionId>,
                reason: &str,
                at: DateTime<Utc>,
                audit: &[AuditEntry],
            ) -> Result<Vec<SessionId>> {
                $store::revoke_user_sessions(self, user_id, keep, reason, at, audit).await
            }

            async fn touch_session(
                &self,
                id: SessionId,
                expires_at: DateTime<Utc>,
                at: DateTime<Utc>,
            ) -> Result<()> {
                $store::touch_session(self, id, expires_at, at).await
            }

            async fn find_refresh_token(
                &self,
                token_hash: &str,
            ) -> Result<Option<RefreshTokenRecord>> {
                $store::find_refresh_token(self, token_hash).await
            }

            async fn rotate_refresh_token(&self, rotation: &RefreshRotation) -> Result<bool> {
                $store::rotate_refresh_token(self, rotation).await
            }

            async fn create_one_time_token(&self, token: &NewOneTimeToken) -> Result<()> {
                $store::create_one_time_token(self, token).await
            }

            async fn consume_one_time_token(
                &self,
                kind: OneTimeTokenKind,
                token_hash: &str,
                at: DateTime<Utc>,
            ) -> Result<Option<OneTimeToken>> {
                $store::consume_one_time_token(self, kind, token_hash, at).await
            }

            async fn deny_access_token(
                &self,
                jti: uuid::Uuid,
                expires_at: DateTime<Utc>,
                at: DateTime<Utc>,
            ) -> Result<()> {
                $store::deny_access_token(self, jti, expires_at, at).await
            }

            async fn is_access_token_denied(&self, jti: uuid::Uuid) -> Result<bool> {
                $store::is_access_token_denied(self, jti).await
            }
        }
    };
}
