//! OAuth flows on SQLite: parked authorization requests, authorization codes, grant sessions
//! (`sessions` rows of kind `oauth_grant` with their refresh family), consents and device codes.

use chrono::{DateTime, Utc};
use janua_core::audit::AuditEntry;
use janua_core::auth::sessions::Session;
use janua_core::error::{Error, Result};
use janua_core::ids::{OAuthClientId, OrgId, SessionId, UserId};
use janua_core::oidc::store::{
    AuthorizationCode, AuthorizationRequest, CodeRedemption, Consent, DeviceCode, DeviceCodeStatus,
    Grant, NewGrantSession,
};

use super::codec::{decode_time, encode_json, encode_time};
use super::row_codec::decode_list;
use super::sessions::{SessionRow, SESSION_COLUMNS};
use super::users::decode_uuid;
use super::SqliteStore;
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

fn uuid_opt(value: Option<&str>) -> Result<Option<uuid::Uuid>> {
    value.map(decode_uuid).transpose()
}

fn time_opt(value: Option<&str>) -> Result<Option<DateTime<Utc>>> {
    value.map(decode_time).transpose()
}

fn list_json(list: &[String]) -> Result<String> {
    encode_json(&serde_json::json!(list))
}

#[derive(sqlx::FromRow)]
struct RequestRow {
    id: String,
    oauth_client_id: String,
    redirect_uri: String,
    scopes: String,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    prompt: Option<String>,
    max_age: Option<i64>,
    login_hint: Option<String>,
    organization_id: Option<String>,
    session_id: Option<String>,
    created_at: String,
    expires_at: String,
    consumed_at: Option<String>,
}

impl TryFrom<RequestRow> for AuthorizationRequest {
    type Error = Error;

    fn try_from(row: RequestRow) -> Result<Self> {
        Ok(AuthorizationRequest {
            id: decode_uuid(&row.id)?,
            client: OAuthClientId::from_uuid(decode_uuid(&row.oauth_client_id)?),
            redirect_uri: row.redirect_uri,
            scopes: decode_list(&row.scopes)?,
            state: row.state,
            nonce: row.nonce,
            code_challenge: row.code_challenge,
            code_challenge_method: row.code_challenge_method,
            prompt: row.prompt,
            max_age: row.max_age,
            login_hint: row.login_hint,
            organization_id: uuid_opt(row.organization_id.as_deref())?.map(OrgId::from_uuid),
            session_id: uuid_opt(row.session_id.as_deref())?.map(SessionId::from_uuid),
            created_at: decode_time(&row.created_at)?,
            expires_at: decode_time(&row.expires_at)?,
            consumed_at: time_opt(row.consumed_at.as_deref())?,
        })
    }
}

#[derive(sqlx::FromRow)]
struct CodeRow {
    id: String,
    code_hash: String,
    oauth_client_id: String,
    user_id: String,
    session_id: String,
    grant_session_id: Option<String>,
    redirect_uri: String,
    scopes: String,
    nonce: Option<String>,
    code_challenge: Option<String>,
    organization_id: Option<String>,
    auth_time: String,
    amr: String,
    created_at: String,
    expires_at: String,
    used_at: Option<String>,
}

impl TryFrom<CodeRow> for AuthorizationCode {
    type Error = Error;

    fn try_from(row: CodeRow) -> Result<Self> {
        Ok(AuthorizationCode {
            id: decode_uuid(&row.id)?,
            code_hash: row.code_hash,
            client: OAuthClientId::from_uuid(decode_uuid(&row.oauth_client_id)?),
            user_id: UserId::from_uuid(decode_uuid(&row.user_id)?),
            session_id: SessionId::from_uuid(decode_uuid(&row.session_id)?),
            grant_session_id: uuid_opt(row.grant_session_id.as_deref())?.map(SessionId::from_uuid),
            redirect_uri: row.redirect_uri,
            scopes: decode_list(&row.scopes)?,
            nonce: row.nonce,
            code_challenge: row.code_challenge,
            organization_id: uuid_opt(row.organization_id.as_deref())?.map(OrgId::from_uuid),
            auth_time: decode_time(&row.auth_time)?,
            amr: decode_list(&row.amr)?,
            created_at: decode_time(&row.created_at)?,
            expires_at: decode_time(&row.expires_at)?,
            used_at: time_opt(row.used_at.as_deref())?,
        })
    }
}

#[derive(sqlx::FromRow)]
struct GrantRow {
    #[sqlx(flatten)]
    session: SessionRow,
    oauth_client_id: Option<String>,
    scopes: String,
    parent_session_id: Option<String>,
    organization_id: Option<String>,
}

impl TryFrom<GrantRow> for Grant {
    type Error = Error;

    fn try_from(row: GrantRow) -> Result<Self> {
        let client = row
            .oauth_client_id
            .as_deref()
            .ok_or_else(|| Error::internal("grant session without client"))?;
        Ok(Grant {
            session: Session::try_from(row.session)?,
            client: OAuthClientId::from_uuid(decode_uuid(client)?),
            scopes: decode_list(&row.scopes)?,
            parent_session_id: uuid_opt(row.parent_session_id.as_deref())?
                .map(SessionId::from_uuid),
            organization_id: uuid_opt(row.organization_id.as_deref())?.map(OrgId::from_uuid),
        })
    }
}

#[derive(sqlx::FromRow)]
struct DeviceRow {
    id: String,
    device_code_hash: String,
    user_code: String,
    oauth_client_id: String,
    scopes: String,
    status: String,
    user_id: Option<String>,
    interval_seconds: i64,
    last_polled_at: Option<String>,
    created_at: String,
    expires_at: String,
}

impl TryFrom<DeviceRow> for DeviceCode {
    type Error = Error;

    fn try_from(row: DeviceRow) -> Result<Self> {
        Ok(DeviceCode {
            id: decode_uuid(&row.id)?,
            device_code_hash: row.device_code_hash,
            user_code: row.user_code,
            client: OAuthClientId::from_uuid(decode_uuid(&row.oauth_client_id)?),
            scopes: decode_list(&row.scopes)?,
            status: DeviceCodeStatus::parse(&row.status)
                .ok_or_else(|| Error::internal("stored device code status is unknown"))?,
            user_id: uuid_opt(row.user_id.as_deref())?.map(UserId::from_uuid),
            interval_seconds: row.interval_seconds,
            last_polled_at: time_opt(row.last_polled_at.as_deref())?,
            created_at: decode_time(&row.created_at)?,
            expires_at: decode_time(&row.expires_at)?,
        })
    }
}

const GRANT_COLUMNS: &str = "oauth_client_id, scopes, parent_session_id, organization_id";

impl SqliteStore {
    pub(super) async fn create_authorization_request(
        &self,
        r: &AuthorizationRequest,
    ) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO authorization_requests ({REQUEST_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, \
             ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"
        ))
        .bind(r.id.to_string())
        .bind(r.client.to_string())
        .bind(&r.redirect_uri)
        .bind(list_json(&r.scopes)?)
        .bind(r.state.as_deref())
        .bind(r.nonce.as_deref())
        .bind(r.code_challenge.as_deref())
        .bind(r.code_challenge_method.as_deref())
        .bind(r.prompt.as_deref())
        .bind(r.max_age)
        .bind(r.login_hint.as_deref())
        .bind(r.organization_id.map(|o| o.to_string()))
        .bind(r.session_id.map(|s| s.to_string()))
        .bind(encode_time(r.created_at))
        .bind(encode_time(r.expires_at))
        .bind(r.consumed_at.map(encode_time))
        .execute(self.writer())
        .await
        .map_err(from_sqlx)?;
        Ok(())
    }

    pub(super) async fn get_authorization_request(
        &self,
        id: uuid::Uuid,
    ) -> Result<Option<AuthorizationRequest>> {
        let row: Option<RequestRow> = sqlx::query_as(&format!(
            "SELECT {REQUEST_COLUMNS} FROM authorization_requests WHERE id = ?1"
        ))
        .bind(id.to_string())
        .fetch_optional(self.writer())
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
            "UPDATE authorization_requests SET consumed_at = ?2 \
             WHERE id = ?1 AND consumed_at IS NULL",
        )
        .bind(id.to_string())
        .bind(encode_time(at))
        .execute(self.writer())
        .await
        .map_err(from_sqlx)?;
        Ok(done.rows_affected() > 0)
    }

    pub(super) async fn create_authorization_code(&self, c: &AuthorizationCode) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO authorization_codes ({CODE_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, \
             ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"
        ))
        .bind(c.id.to_string())
        .bind(&c.code_hash)
        .bind(c.client.to_string())
        .bind(c.user_id.to_string())
        .bind(c.session_id.to_string())
        .bind(c.grant_session_id.map(|s| s.to_string()))
        .bind(&c.redirect_uri)
        .bind(list_json(&c.scopes)?)
        .bind(c.nonce.as_deref())
        .bind(c.code_challenge.as_deref())
        .bind(c.organization_id.map(|o| o.to_string()))
        .bind(encode_time(c.auth_time))
        .bind(list_json(&c.amr)?)
        .bind(encode_time(c.created_at))
        .bind(encode_time(c.expires_at))
        .bind(c.used_at.map(encode_time))
        .execute(self.writer())
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
            "UPDATE authorization_codes SET used_at = ?2 WHERE code_hash = ?1 AND used_at IS NULL \
             RETURNING {CODE_COLUMNS}"
        ))
        .bind(code_hash)
        .bind(encode_time(at))
        .fetch_optional(self.writer())
        .await
        .map_err(from_sqlx)?;
        if let Some(row) = claimed {
            return Ok(CodeRedemption::Redeemed(row.try_into()?));
        }
        let used: Option<CodeRow> = sqlx::query_as(&format!(
            "SELECT {CODE_COLUMNS} FROM authorization_codes WHERE code_hash = ?1"
        ))
        .bind(code_hash)
        .fetch_optional(self.writer())
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
        let family_id = uuid::Uuid::now_v7().to_string();
        let created_at = encode_time(g.created_at);
        let mut tx = self.writer().begin().await.map_err(from_sqlx)?;
        sqlx::query(
            "INSERT INTO sessions (id, user_id, kind, refresh_family_id, parent_session_id, \
             oauth_client_id, scopes, organization_id, amr, auth_time, created_at, \
             last_activity_at, expires_at, absolute_expires_at) \
             VALUES (?1, ?2, 'oauth_grant', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11, ?12)",
        )
        .bind(g.id.to_string())
        .bind(g.user_id.to_string())
        .bind(&family_id)
        .bind(g.parent_session_id.map(|s| s.to_string()))
        .bind(g.client.to_string())
        .bind(list_json(&g.scopes)?)
        .bind(g.organization_id.map(|o| o.to_string()))
        .bind(list_json(&g.amr)?)
        .bind(encode_time(g.auth_time))
        .bind(&created_at)
        .bind(encode_time(g.expires_at))
        .bind(encode_time(g.absolute_expires_at))
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        if let Some(hash) = &g.refresh_token_hash {
            sqlx::query(
                "INSERT INTO refresh_tokens (id, token_hash, session_id, family_id, parent_id, \
                 user_id, oauth_client_id, scopes, created_at, expires_at) \
                 VALUES (?1, ?2, ?3, ?4, NULL, ?5, ?6, ?7, ?8, ?9)",
            )
            .bind(uuid::Uuid::now_v7().to_string())
            .bind(hash)
            .bind(g.id.to_string())
            .bind(&family_id)
            .bind(g.user_id.to_string())
            .bind(g.client.to_string())
            .bind(list_json(&g.scopes)?)
            .bind(&created_at)
            .bind(encode_time(g.expires_at))
            .execute(&mut *tx)
            .await
            .map_err(from_sqlx)?;
        }
        if let Some(code) = g.code_id {
            sqlx::query("UPDATE authorization_codes SET grant_session_id = ?2 WHERE id = ?1")
                .bind(code.to_string())
                .bind(g.id.to_string())
                .execute(&mut *tx)
                .await
                .map_err(from_sqlx)?;
        }
        audit_rows::insert_sqlite(&mut tx, audit).await?;
        tx.commit().await.map_err(from_sqlx)
    }

    pub(super) async fn get_grant(&self, session: SessionId) -> Result<Option<Grant>> {
        let row: Option<GrantRow> = sqlx::query_as(&format!(
            "SELECT {SESSION_COLUMNS}, {GRANT_COLUMNS} FROM sessions \
             WHERE id = ?1 AND kind = 'oauth_grant'"
        ))
        .bind(session.to_string())
        .fetch_optional(self.reader())
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
             WHERE parent_session_id = ?1 AND kind = 'oauth_grant' AND revoked_at IS NULL \
             AND expires_at > ?2"
        ))
        .bind(parent.to_string())
        .bind(encode_time(now))
        .fetch_all(self.writer())
        .await
        .map_err(from_sqlx)?;
        rows.into_iter().map(Grant::try_from).collect()
    }

    pub(super) async fn get_consent(
        &self,
        user: UserId,
        client: OAuthClientId,
    ) -> Result<Option<Consent>> {
        let row: Option<(String, String, Option<String>)> = sqlx::query_as(
            "SELECT scopes, granted_at, revoked_at FROM oauth_consents \
             WHERE user_id = ?1 AND oauth_client_id = ?2",
        )
        .bind(user.to_string())
        .bind(client.to_string())
        .fetch_optional(self.reader())
        .await
        .map_err(from_sqlx)?;
        row.map(|(scopes, granted_at, revoked_at)| {
            Ok(Consent {
                user_id: user,
                client,
                scopes: decode_list(&scopes)?,
                granted_at: decode_time(&granted_at)?,
                revoked_at: time_opt(revoked_at.as_deref())?,
            })
        })
        .transpose()
    }

    pub(super) async fn save_consent(&self, c: &Consent, audit: &[AuditEntry]) -> Result<()> {
        let at = encode_time(c.granted_at);
        let mut tx = self.writer().begin().await.map_err(from_sqlx)?;
        sqlx::query(
            "INSERT INTO oauth_consents (id, user_id, oauth_client_id, scopes, granted_at, \
             updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5) \
             ON CONFLICT (user_id, oauth_client_id) DO UPDATE SET scopes = excluded.scopes, \
             granted_at = excluded.granted_at, updated_at = excluded.updated_at, revoked_at = NULL",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(c.user_id.to_string())
        .bind(c.client.to_string())
        .bind(list_json(&c.scopes)?)
        .bind(&at)
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        audit_rows::insert_sqlite(&mut tx, audit).await?;
        tx.commit().await.map_err(from_sqlx)
    }

    pub(super) async fn create_device_code(&self, d: &DeviceCode) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO device_codes ({DEVICE_COLUMNS}) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
        ))
        .bind(d.id.to_string())
        .bind(&d.device_code_hash)
        .bind(&d.user_code)
        .bind(d.client.to_string())
        .bind(list_json(&d.scopes)?)
        .bind(d.status.as_str())
        .bind(d.user_id.map(|u| u.to_string()))
        .bind(d.interval_seconds)
        .bind(d.last_polled_at.map(encode_time))
        .bind(encode_time(d.created_at))
        .bind(encode_time(d.expires_at))
        .execute(self.writer())
        .await
        .map_err(from_sqlx)?;
        Ok(())
    }

    async fn find_device_code(&self, column: &str, value: &str) -> Result<Option<DeviceCode>> {
        let row: Option<DeviceRow> = sqlx::query_as(&format!(
            "SELECT {DEVICE_COLUMNS} FROM device_codes WHERE {column} = ?1"
        ))
        .bind(value)
        .fetch_optional(self.writer())
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
            "UPDATE device_codes SET status = ?2, user_id = ?3, decided_at = ?4 \
             WHERE id = ?1 AND status = 'pending'",
        )
        .bind(id.to_string())
        .bind(status.as_str())
        .bind(user.to_string())
        .bind(encode_time(at))
        .execute(self.writer())
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
            "UPDATE device_codes SET last_polled_at = ?2, status = 'consumed', consumed_at = ?2 \
             WHERE id = ?1 AND status = 'approved'"
        } else {
            "UPDATE device_codes SET last_polled_at = ?2 WHERE id = ?1"
        };
        let done = sqlx::query(sql)
            .bind(id.to_string())
            .bind(encode_time(at))
            .execute(self.writer())
            .await
            .map_err(from_sqlx)?;
        Ok(done.rows_affected() > 0)
    }
}
