//! OAuth flows on PostgreSQL: parked authorization requests, authorization codes, grant
//! sessions (`sessions` rows of kind `oauth_grant` with their refresh family), consents and
//! device codes. All on the primary: a code or device poll must see the latest state.

use chrono::{DateTime, Utc};
use janua_core::audit::AuditEntry;
use janua_core::auth::sessions::Session;
use janua_core::error::{Error, Result};
use janua_core::ids::{OAuthClientId, OrgId, SessionId, UserId};
use janua_core::oidc::store::{
    AuthorizationCode, AuthorizationRequest, CodeRedemption, Consent, DeviceCode, DeviceCodeStatus,
    Grant, NewGrantSession,
};
use sqlx::types::Json;

use super::sessions::{SessionRow, SESSION_COLUMNS};
use super::PgStore;
use crate::audit_rows;
use crate::errors::from_sqlx;

const REQUEST_COLUMNS: &str = "id, oauth_client_id, redirect_uri, scopes, state, nonce, \
     code_challenge, code_challenge_method, prompt, max_age, login_hint, organization_id, \
     session_id, created_at, expires_at, consumed_at";

const CODE_COLUMNS: &str = "id, code_hash, oauth_client_id, user_id, session_id, \
     grant_session_id, redirect_uri, scopes, nonce, code_challenge, organization_id, auth_time, \
     amr, created_at, expires_at, used_at";

const DEVICE_COLUMNS: &str = "id, device_code_hash, user_code, oauth_client_id, scopes, status, \
     user_id, interval_seconds, last_polled_at, created_at, expires_at";

/// scopes, granted_at, revoked_at of an `oauth_consents` row.
type ConsentRow = (Json<Vec<String>>, DateTime<Utc>, Option<DateTime<Utc>>);

const GRANT_COLUMNS: &str = "oauth_client_id, scopes, parent_session_id, organization_id";

#[derive(sqlx::FromRow)]
struct RequestRow {
    id: uuid::Uuid,
    oauth_client_id: uuid::Uuid,
    redirect_uri: String,
    scopes: Json<Vec<String>>,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    prompt: Option<String>,
    max_age: Option<i64>,
    login_hint: Option<String>,
    organization_id: Option<uuid::Uuid>,
    session_id: Option<uuid::Uuid>,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    consumed_at: Option<DateTime<Utc>>,
}

impl TryFrom<RequestRow> for AuthorizationRequest {
    type Error = Error;

    fn try_from(row: RequestRow) -> Result<Self> {
        Ok(AuthorizationRequest {
            id: row.id,
            client: OAuthClientId::from_uuid(row.oauth_client_id),
            redirect_uri: row.redirect_uri,
            scopes: row.scopes.0,
            state: row.state,
            nonce: row.nonce,
            code_challenge: row.code_challenge,
            code_challenge_method: row.code_challenge_method,
            prompt: row.prompt,
            max_age: row.max_age,
            login_hint: row.login_hint,
            organization_id: row.organization_id.map(OrgId::from_uuid),
            session_id: row.session_id.map(SessionId::from_uuid),
            created_at: row.created_at,
            expires_at: row.expires_at,
            consumed_at: row.consumed_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct CodeRow {
    id: uuid::Uuid,
    code_hash: String,
    oauth_client_id: uuid::Uuid,
    user_id: uuid::Uuid,
    session_id: uuid::Uuid,
    grant_session_id: Option<uuid::Uuid>,
    redirect_uri: String,
    scopes: Json<Vec<String>>,
    nonce: Option<String>,
    code_challenge: Option<String>,
    organization_id: Option<uuid::Uuid>,
    auth_time: DateTime<Utc>,
    amr: Json<Vec<String>>,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    used_at: Option<DateTime<Utc>>,
}

impl TryFrom<CodeRow> for AuthorizationCode {
    type Error = Error;

    fn try_from(row: CodeRow) -> Result<Self> {
        Ok(AuthorizationCode {
            id: row.id,
            code_hash: row.code_hash,
            client: OAuthClientId::from_uuid(row.oauth_client_id),
            user_id: UserId::from_uuid(row.user_id),
            session_id: SessionId::from_uuid(row.session_id),
            grant_session_id: row.grant_session_id.map(SessionId::from_uuid),
            redirect_uri: row.redirect_uri,
            scopes: row.scopes.0,
            nonce: row.nonce,
            code_challenge: row.code_challenge,
            organization_id: row.organization_id.map(OrgId::from_uuid),
            auth_time: row.auth_time,
            amr: row.amr.0,
            created_at: row.created_at,
            expires_at: row.expires_at,
            used_at: row.used_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct GrantRow {
    #[sqlx(flatten)]
    session: SessionRow,
    oauth_client_id: Option<uuid::Uuid>,
    scopes: Json<Vec<String>>,
    parent_session_id: Option<uuid::Uuid>,
    organization_id: Option<uuid::Uuid>,
}

impl TryFrom<GrantRow> for Grant {
    type Error = Error;

    fn try_from(row: GrantRow) -> Result<Self> {
        let client = row
            .oauth_client_id
            .ok_or_else(|| Error::internal("grant session without client"))?;
        Ok(Grant {
            session: Session::from(row.session),
            client: OAuthClientId::from_uuid(client),
            scopes: row.scopes.0,
            parent_session_id: row.parent_session_id.map(SessionId::from_uuid),
            organization_id: row.organization_id.map(OrgId::from_uuid),
        })
    }
}

#[derive(sqlx::FromRow)]
struct DeviceRow {
    id: uuid::Uuid,
    device_code_hash: String,
    user_code: String,
    oauth_client_id: uuid::Uuid,
    scopes: Json<Vec<String>>,
    status: String,
    user_id: Option<uuid::Uuid>,
    interval_seconds: i32,
    last_polled_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
}

impl TryFrom<DeviceRow> for DeviceCode {
    type Error = Error;

    fn try_from(row: DeviceRow) -> Result<Self> {
        Ok(DeviceCode {
            id: row.id,
            device_code_hash: row.device_code_hash,
            user_code: row.user_code,
            client: OAuthClientId::from_uuid(row.oauth_client_id),
            scopes: row.scopes.0,
            status: DeviceCodeStatus::parse(&row.status)
                .ok_or_else(|| Error::internal("stored device code status is unknown"))?,
            user_id: row.user_id.map(UserId::from_uuid),
            interval_seconds: i64::from(row.interval_seconds),
            last_polled_at: row.last_polled_at,
            created_at: row.created_at,
            expires_at: row.expires_at,
        })
    }
}

impl PgStore {
    pub(super) async fn create_authorization_request(
        &self,
        r: &AuthorizationRequest,
    ) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO authorization_requests ({REQUEST_COLUMNS}) VALUES ($1, $2, $3, $4, $5, \
             $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
        ))
        .bind(r.id)
        .bind(r.client.as_uuid())
        .bind(&r.redirect_uri)
        .bind(Json(&r.scopes))
        .bind(r.state.as_deref())
        .bind(r.nonce.as_deref())
        .bind(r.code_challenge.as_deref())
        .bind(r.code_challenge_method.as_deref())
        .bind(r.prompt.as_deref())
        .bind(r.max_age)
        .bind(r.login_hint.as_deref())
        .bind(r.organization_id.map(|o| o.as_uuid()))
        .bind(r.session_id.map(|s| s.as_uuid()))
        .bind(r.created_at)
        .bind(r.expires_at)
        .bind(r.consumed_at)
        .execute(self.primary())
        .await
        .map_err(from_sqlx)?;
        Ok(())
    }

    pub(super) async fn get_authorization_request(
        &self,
        id: uuid::Uuid,
    ) -> Result<Option<AuthorizationRequest>> {
        let row: Option<RequestRow> = sqlx::query_as(&format!(
            "SELECT {REQUEST_COLUMNS} FROM authorization_requests WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.primary())
        .await
        .map_err(from_sqlx)?;
        row.map(AuthorizationRequest::try_from).transpose()
    }

    pub(super) async fn consume_authorization_request(
        &self,
        id: uuid::Uuid,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE authorization_requests SET consumed_at = $2 \
             WHERE id = $1 AND consumed_at IS NULL",
        )
        .bind(id)
        .bind(at)
        .execute(self.primary())
        .await
        .map_err(from_sqlx)?;
        Ok(done.rows_affected() > 0)
    }

    pub(super) async fn create_authorization_code(&self, c: &AuthorizationCode) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO authorization_codes ({CODE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, \
             $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
        ))
        .bind(c.id)
        .bind(&c.code_hash)
        .bind(c.client.as_uuid())
        .bind(c.user_id.as_uuid())
        .bind(c.session_id.as_uuid())
        .bind(c.grant_session_id.map(|s| s.as_uuid()))
        .bind(&c.redirect_uri)
        .bind(Json(&c.scopes))
        .bind(c.nonce.as_deref())
        .bind(c.code_challenge.as_deref())
        .bind(c.organization_id.map(|o| o.as_uuid()))
        .bind(c.auth_time)
        .bind(Json(&c.amr))
        .bind(c.created_at)
        .bind(c.expires_at)
        .bind(c.used_at)
        .execute(self.primary())
        .await
        .map_err(from_sqlx)?;
        Ok(())
    }

    pub(super) async fn redeem_authorization_code(
        &self,
        code_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<CodeRedemption> {
        let claimed: Option<CodeRow> = sqlx::query_as(&format!(
            "UPDATE authorization_codes SET used_at = $2 WHERE code_hash = $1 AND used_at IS NULL \
             RETURNING {CODE_COLUMNS}"
        ))
        .bind(code_hash)
        .bind(at)
        .fetch_optional(self.primary())
        .await
        .map_err(from_sqlx)?;
        if let Some(row) = claimed {
            return Ok(CodeRedemption::Redeemed(row.try_into()?));
        }
        let used: Option<CodeRow> = sqlx::query_as(&format!(
            "SELECT {CODE_COLUMNS} FROM authorization_codes WHERE code_hash = $1"
        ))
        .bind(code_hash)
        .fetch_optional(self.primary())
        .await
        .map_err(from_sqlx)?;
        Ok(match used {
            Some(row) => CodeRedemption::Replayed(row.try_into()?),
            None => CodeRedemption::Unknown,
        })
    }

    pub(super) async fn open_grant_session(
        &self,
        g: &NewGrantSession,
        audit: &[AuditEntry],
    ) -> Result<()> {
        let family_id = uuid::Uuid::now_v7();
        let created_at = g.created_at;
        let mut tx = self.primary().begin().await.map_err(from_sqlx)?;
        sqlx::query(
            "INSERT INTO sessions (id, user_id, kind, refresh_family_id, parent_session_id, \
             oauth_client_id, scopes, organization_id, amr, auth_time, created_at, \
             last_activity_at, expires_at, absolute_expires_at) \
             VALUES ($1, $2, 'oauth_grant', $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $12)",
        )
        .bind(g.id.as_uuid())
        .bind(g.user_id.as_uuid())
        .bind(family_id)
        .bind(g.parent_session_id.map(|s| s.as_uuid()))
        .bind(g.client.as_uuid())
        .bind(Json(&g.scopes))
        .bind(g.organization_id.map(|o| o.as_uuid()))
        .bind(Json(&g.amr))
        .bind(g.auth_time)
        .bind(created_at)
        .bind(g.expires_at)
        .bind(g.absolute_expires_at)
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        if let Some(hash) = &g.refresh_token_hash {
            sqlx::query(
                "INSERT INTO refresh_tokens (id, token_hash, session_id, family_id, parent_id, \
                 user_id, oauth_client_id, scopes, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, NULL, $5, $6, $7, $8, $9)",
            )
            .bind(uuid::Uuid::now_v7())
            .bind(hash)
            .bind(g.id.as_uuid())
            .bind(family_id)
            .bind(g.user_id.as_uuid())
            .bind(g.client.as_uuid())
            .bind(Json(&g.scopes))
            .bind(created_at)
            .bind(g.expires_at)
            .execute(&mut *tx)
            .await
            .map_err(from_sqlx)?;
        }
        if let Some(code) = g.code_id {
            sqlx::query("UPDATE authorization_codes SET grant_session_id = $2 WHERE id = $1")
                .bind(code)
                .bind(g.id.as_uuid())
                .execute(&mut *tx)
                .await
                .map_err(from_sqlx)?;
        }
        audit_rows::insert_pg(&mut tx, audit).await?;
        tx.commit().await.map_err(from_sqlx)
    }

    pub(super) async fn get_grant(&self, session: SessionId) -> Result<Option<Grant>> {
        let row: Option<GrantRow> = sqlx::query_as(&format!(
            "SELECT {SESSION_COLUMNS}, {GRANT_COLUMNS} FROM sessions \
             WHERE id = $1 AND kind = 'oauth_grant'"
        ))
        .bind(session.as_uuid())
        .fetch_optional(self.primary())
        .await
        .map_err(from_sqlx)?;
        row.map(Grant::try_from).transpose()
    }

    pub(super) async fn list_child_grants(
        &self,
        parent: SessionId,
        now: DateTime<Utc>,
    ) -> Result<Vec<Grant>> {
        let rows: Vec<GrantRow> = sqlx::query_as(&format!(
            "SELECT {SESSION_COLUMNS}, {GRANT_COLUMNS} FROM sessions \
             WHERE parent_session_id = $1 AND kind = 'oauth_grant' AND revoked_at IS NULL \
             AND expires_at > $2"
        ))
        .bind(parent.as_uuid())
        .bind(now)
        .fetch_all(self.primary())
        .await
        .map_err(from_sqlx)?;
        rows.into_iter().map(Grant::try_from).collect()
    }

    pub(super) async fn get_consent(
        &self,
        user: UserId,
        client: OAuthClientId,
    ) -> Result<Option<Consent>> {
        let row: Option<ConsentRow> = sqlx::query_as(
            "SELECT scopes, granted_at, revoked_at FROM oauth_consents \
             WHERE user_id = $1 AND oauth_client_id = $2",
        )
        .bind(user.as_uuid())
        .bind(client.as_uuid())
        .fetch_optional(self.primary())
        .await
        .map_err(from_sqlx)?;
        row.map(|(scopes, granted_at, revoked_at)| {
            Ok(Consent {
                user_id: user,
                client,
                scopes: scopes.0,
                granted_at,
                revoked_at,
            })
        })
        .transpose()
    }

    pub(super) async fn save_consent(&self, c: &Consent, audit: &[AuditEntry]) -> Result<()> {
        let at = c.granted_at;
        let mut tx = self.primary().begin().await.map_err(from_sqlx)?;
        sqlx::query(
            "INSERT INTO oauth_consents (id, user_id, oauth_client_id, scopes, granted_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $5) \
             ON CONFLICT (user_id, oauth_client_id) DO UPDATE SET scopes = excluded.scopes, \
             granted_at = excluded.granted_at, updated_at = excluded.updated_at, revoked_at = NULL",
        )
        .bind(uuid::Uuid::now_v7())
        .bind(c.user_id.as_uuid())
        .bind(c.client.as_uuid())
        .bind(Json(&c.scopes))
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        audit_rows::insert_pg(&mut tx, audit).await?;
        tx.commit().await.map_err(from_sqlx)
    }

    pub(super) async fn create_device_code(&self, d: &DeviceCode) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO device_codes ({DEVICE_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        ))
        .bind(d.id)
        .bind(&d.device_code_hash)
        .bind(&d.user_code)
        .bind(d.client.as_uuid())
        .bind(Json(&d.scopes))
        .bind(d.status.as_str())
        .bind(d.user_id.map(|u| u.as_uuid()))
        .bind(i32::try_from(d.interval_seconds).unwrap_or(5))
        .bind(d.last_polled_at)
        .bind(d.created_at)
        .bind(d.expires_at)
        .execute(self.primary())
        .await
        .map_err(from_sqlx)?;
        Ok(())
    }

    async fn find_device_code(&self, column: &str, value: &str) -> Result<Option<DeviceCode>> {
        let row: Option<DeviceRow> = sqlx::query_as(&format!(
            "SELECT {DEVICE_COLUMNS} FROM device_codes WHERE {column} = $1"
        ))
        .bind(value)
        .fetch_optional(self.primary())
        .await
        .map_err(from_sqlx)?;
        row.map(DeviceCode::try_from).transpose()
    }

    pub(super) async fn find_device_code_by_hash(&self, hash: &str) -> Result<Option<DeviceCode>> {
        self.find_device_code("device_code_hash", hash).await
    }

    pub(super) async fn find_device_code_by_user_code(
        &self,
        user_code: &str,
    ) -> Result<Option<DeviceCode>> {
        self.find_device_code("user_code", user_code).await
    }

    pub(super) async fn decide_device_code(
        &self,
        id: uuid::Uuid,
        user: UserId,
        status: DeviceCodeStatus,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE device_codes SET status = $2, user_id = $3, decided_at = $4 \
             WHERE id = $1 AND status = 'pending'",
        )
        .bind(id)
        .bind(status.as_str())
        .bind(user.as_uuid())
        .bind(at)
        .execute(self.primary())
        .await
        .map_err(from_sqlx)?;
        Ok(done.rows_affected() > 0)
    }

    pub(super) async fn poll_device_code(
        &self,
        id: uuid::Uuid,
        at: DateTime<Utc>,
        consume: bool,
    ) -> Result<bool> {
        let sql = if consume {
            "UPDATE device_codes SET last_polled_at = $2, status = 'consumed', consumed_at = $2 \
             WHERE id = $1 AND status = 'approved'"
        } else {
            "UPDATE device_codes SET last_polled_at = $2 WHERE id = $1"
        };
        let done = sqlx::query(sql)
            .bind(id)
            .bind(at)
            .execute(self.primary())
            .await
            .map_err(from_sqlx)?;
        Ok(done.rows_affected() > 0)
    }
}
