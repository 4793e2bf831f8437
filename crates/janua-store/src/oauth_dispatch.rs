//! The `OAuthStore` trait for a backend, written once: every method hands over to the inherent
//! method of the same name in the backend's `oauth_clients` and `oauth_flows` files. Both
//! backends expand it, so the trait's shape cannot drift between them.

/// Implements `OAuthStore` for `$store` by delegating to its inherent methods.
macro_rules! impl_oauth_store {
    ($store:ident) => {
        use async_trait::async_trait;
        use chrono::{DateTime, Utc};
        use janua_core::audit::AuditEntry;
        use janua_core::error::Result;
        use janua_core::ids::{OAuthClientId, SessionId, UserId};
        use janua_core::oidc::clients::{ClientSecret, OAuthClient};
        use janua_core::oidc::store::{
            AuthorizationCode, AuthorizationRequest, ClientLookup, ClientQuery, CodeRedemption,
            Consent, DeviceCode, DeviceCodeStatus, Grant, NewGrantSession, OAuthStore,
        };

        #[async_trait]
        impl OAuthStore for $store {
            async fn create_client(
                &self,
                client: &OAuthClient,
                secret: Option<&ClientSecret>,
                audit: &[AuditEntry],
            ) -> Result<()> {
                $store::create_client(self, client, secret, audit).await
            }

            async fn get_client(&self, id: OAuthClientId) -> Result<Option<OAuthClient>> {
                $store::get_client(self, id).await
            }

            async fn find_client(&self, client_id: &str) -> Result<Option<OAuthClient>> {
                $store::find_client(self, client_id).await
            }

            async fn find_client_by(
                &self,
                lookup: ClientLookup<'_>,
            ) -> Result<Option<OAuthClient>> {
                $store::find_client_by(self, lookup).await
            }

            async fn list_clients(&self, query: &ClientQuery) -> Result<(Vec<OAuthClient>, u64)> {
                $store::list_clients(self, query).await
            }

            async fn update_client(
                &self,
                client: &OAuthClient,
                audit: &[AuditEntry],
            ) -> Result<()> {
                $store::update_client(self, client, audit).await
            }

            async fn delete_client(&self, id: OAuthClientId, audit: &[AuditEntry]) -> Result<bool> {
                $store::delete_client(self, id, audit).await
            }

            async fn list_client_secrets(
                &self,
                client: OAuthClientId,
            ) -> Result<Vec<ClientSecret>> {
                $store::list_client_secrets(self, client).await
            }

            async fn rotate_client_secret(
                &self,
                new: &ClientSecret,
                old_expire_at: DateTime<Utc>,
                audit: &[AuditEntry],
            ) -> Result<()> {
                $store::rotate_client_secret(self, new, old_expire_at, audit).await
            }

            async fn revoke_client_secrets(
                &self,
                client: OAuthClientId,
                secret_id: Option<uuid::Uuid>,
                at: DateTime<Utc>,
                audit: &[AuditEntry],
            ) -> Result<u64> {
                $store::revoke_client_secrets(self, client, secret_id, at, audit).await
            }

            async fn create_authorization_request(
                &self,
                request: &AuthorizationRequest,
            ) -> Result<()> {
                $store::create_authorization_request(self, request).await
            }

            async fn get_authorization_request(
                &self,
                id: uuid::Uuid,
            ) -> Result<Option<AuthorizationRequest>> {
                $store::get_authorization_request(self, id).await
            }

            async fn consume_authorization_request(
                &self,
                id: uuid::Uuid,
                at: DateTime<Utc>,
            ) -> Result<bool> {
                $store::consume_authorization_request(self, id, at).await
            }

            async fn create_authorization_code(&self, code: &AuthorizationCode) -> Result<()> {
                $store::create_authorization_code(self, code).await
            }

            async fn redeem_authorization_code(
                &self,
                code_hash: &str,
                at: DateTime<Utc>,
            ) -> Result<CodeRedemption> {
                $store::redeem_authorization_code(self, code_hash, at).await
            }

            async fn open_grant_session(
                &self,
                grant: &NewGrantSession,
                audit: &[AuditEntry],
            ) -> Result<()> {
                $store::open_grant_session(self, grant, audit).await
            }

            async fn get_grant(&self, session: SessionId) -> Result<Option<Grant>> {
                $store::get_grant(self, session).await
            }

            async fn list_child_grants(
                &self,
                parent: SessionId,
                now: DateTime<Utc>,
            ) -> Result<Vec<Grant>> {
                $store::list_child_grants(self, parent, now).await
            }

            async fn get_consent(
                &self,
                user: UserId,
                client: OAuthClientId,
            ) -> Result<Option<Consent>> {
                $store::get_consent(self, user, client).await
            }

            async fn save_consent(&self, consent: &Consent, audit: &[AuditEntry]) -> Result<()> {
                $store::save_consent(self, consent, audit).await
            }

            async fn create_device_code(&self, code: &DeviceCode) -> Result<()> {
                $store::create_device_code(self, code).await
            }

            async fn find_device_code_by_hash(
                &self,
                device_code_hash: &str,
            ) -> Result<Option<DeviceCode>> {
                $store::find_device_code_by_hash(self, device_code_hash).await
            }

            async fn find_device_code_by_user_code(
                &self,
                user_code: &str,
            ) -> Result<Option<DeviceCode>> {
                $store::find_device_code_by_user_code(self, user_code).await
            }

            async fn decide_device_code(
                &self,
                id: uuid::Uuid,
                user: UserId,
                status: DeviceCodeStatus,
                at: DateTime<Utc>,
            ) -> Result<bool> {
                $store::decide_device_code(self, id, user, status, at).await
            }

            async fn poll_device_code(
                &self,
                id: uuid::Uuid,
                at: DateTime<Utc>,
                consume: bool,
            ) -> Result<bool> {
                $store::poll_device_code(self, id, at, consume).await
            }
        }
    };
}

pub(crate) use impl_oauth_store;
