//! Sessions on SQLite: the `sessions` table, each session's refresh-token family
//! (`refresh_tokens`), and the access-token deny list (`revoked_access_tokens`).
//!
//! Every write runs on the single writer connection, so the read-then-write steps of a rotation
//! or revocation cannot interleave with another writer's.

use chrono::{DateTime, Utc};
use janua_core::audit::AuditEntry;
use janua_core::auth::sessions::{DeviceInfo, DeviceType, NewSession, Session, SessionLimit};
use janua_core::auth::store::{RefreshRotation, RefreshTokenRecord};
use janua_core::error::{Error, Result};
use janua_core::ids::{SessionId, UserId};
use sqlx::{Sqlite, Transaction};

use super::codec::{decode_json, decode_time, encode_json, encode_time};
use super::users::decode_uuid;
use super::SqliteStore;
use crate::audit_rows;
use crate::errors::from_sqlx;

pub(super) const SESSION_COLUMNS: &str =
    "id, user_id, ip_address, user_agent, device_name, device_type, \
     browser, os, amr, auth_time, created_at, last_activity_at, expires_at, \
     absolute_expires_at, revoked_at, revoked_reason";

const REFRESH_TOKEN_COLUMNS: &str =
    "id, session_id, family_id, user_id, created_at, expires_at, used_at, revoked_at";

#[derive(sqlx::FromRow)]
pub(super) struct SessionRow {
    id: String,
    user_id: String,
    ip_address: Option<String>,
    user_agent: Option<String>,
    device_name: Option<String>,
    device_type: String,
    browser: Option<String>,
    os: Option<String>,
    amr: String,
    auth_time: String,
    created_at: String,
    last_activity_at: String,
    expires_at: String,
    absolute_expires_at: String,
    revoked_at: Option<String>,
    revoked_reason: Option<String>,
}

impl TryFrom<SessionRow> for Session {
    type Error = Error;

    fn try_from(row: SessionRow) -> Result<Self> {
        Ok(Session {
            id: SessionId::from_uuid(decode_uuid(&row.id)?),
            user_id: UserId::from_uuid(decode_uuid(&row.user_id)?),
            ip_address: row.ip_address,
            user_agent: row.user_agent,
            device: DeviceInfo {
                device_type: DeviceType::parse(&row.device_type),
                browser: row.browser,
                os: row.os,
                device_name: row.device_name,
            },
            amr: serde_json::from_value(decode_json(&row.amr)?)
                .map_err(|e| Error::internal(format!("stored amr is not a string list: {e}")))?,
            auth_time: decode_time(&row.auth_time)?,
            created_at: decode_time(&row.created_at)?,
            last_activity_at: decode_time(&row.last_activity_at)?,
            expires_at: decode_time(&row.expires_at)?,
            absolute_expires_at: decode_time(&row.absolute_expires_at)?,
            revoked_at: row.revoked_at.as_deref().map(decode_time).transpose()?,
            revoked_reason: row.revoked_reason,
        })
    }
}

#[derive(sqlx::FromRow)]
struct RefreshTokenRow {
    id: String,
    session_id: String,
    family_id: String,
    user_id: String,
    created_at: String,
    expires_at: String,
    used_at: Option<String>,
    revoked_at: Option<String>,
}

impl TryFrom<RefreshTokenRow> for RefreshTokenRecord {
    type Error = Error;

    fn try_from(row: RefreshTokenRow) -> Result<Self> {
        Ok(RefreshTokenRecord {
            id: decode_uuid(&row.id)?,
            session_id: SessionId::from_uuid(decode_uuid(&row.session_id)?),
            family_id: decode_uuid(&row.family_id)?,
            user_id: UserId::from_uuid(decode_uuid(&row.user_id)?),
            created_at: decode_time(&row.created_at)?,
            expires_at: decode_time(&row.expires_at)?,
            used_at: row.used_at.as_deref().map(decode_time).transpose()?,
            revoked_at: row.revoked_at.as_deref().map(decode_time).transpose()?,
        })
    }
}

impl SqliteStore {
    pub(super) async fn open_session_within_limit(
        &self,
        session: &NewSession,
        audit: &[AuditEntry],
        limit: Option<&SessionLimit>,
    ) -> Result<(Session, Vec<SessionId>)> {
        let family_id = uuid::Uuid::now_v7().to_string();
        let created_at = encode_time(session.created_at);
        let amr = encode_json(&serde_json::json!(session.amr))?;
        let mut tx = self.writer().begin().await.map_err(from_sqlx)?;
        // The user row first: it waits for a concurrent soft delete, which then either sees
        // this session (and revokes it) or has deleted the account (and no session opens).
        let signed_in = sqlx::query(
            "UPDATE users SET last_sign_in_at = ?2 WHERE id = ?1 AND deleted_at IS NULL",
        )
        .bind(session.user_id.to_string())
        .bind(&created_at)
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        if signed_in.rows_affected() == 0 {
            return Err(Error::NotFound);
        }
        let sql = format!(
            "INSERT INTO sessions (id, user_id, kind, refresh_family_id, ip_address, user_agent, \
             device_name, device_type, browser, os, amr, auth_time, created_at, \
             last_activity_at, expires_at, absolute_expires_at, secret_hash) \
             VALUES (?1, ?2, 'user', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12, ?13, ?14, ?15) \
             RETURNING {SESSION_COLUMNS}"
        );
        let row: SessionRow = sqlx::query_as(&sql)
            .bind(session.id.to_string())
            .bind(session.user_id.to_string())
            .bind(&family_id)
            .bind(session.ip_address.as_deref())
            .bind(session.user_agent.as_deref())
            .bind(session.device.device_name.as_deref())
            .bind(session.device.device_type.as_str())
            .bind(session.device.browser.as_deref())
            .bind(session.device.os.as_deref())
            .bind(amr)
            .bind(encode_time(session.auth_time))
            .bind(&created_at)
            .bind(encode_time(session.expires_at))
            .bind(encode_time(session.absolute_expires_at))
            .bind(session.cookie_secret_hash.as_deref())
            .fetch_one(&mut *tx)
            .await
            .map_err(from_sqlx)?;
        sqlx::query(
            "INSERT INTO refresh_tokens (id, token_hash, session_id, family_id, parent_id, \
             user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, NULL, ?5, ?6, ?7)",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(&session.refresh_token_hash)
        .bind(session.id.to_string())
        .bind(&family_id)
        .bind(session.user_id.to_string())
        .bind(&created_at)
        .bind(encode_time(session.refresh_expires_at))
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        audit_rows::insert_sqlite(&mut tx, audit).await?;
        let trimmed = match limit {
            Some(limit) => trim_sessions(&mut tx, session.user_id, limit, &created_at).await?,
            None => Vec::new(),
        };
        tx.commit().await.map_err(from_sqlx)?;
        Ok((row.try_into()?, trimmed))
    }

    pub(super) async fn get_session(&self, id: SessionId) -> Result<Option<Session>> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE id = ?1");
        let row: Option<SessionRow> = sqlx::query_as(&sql)
            .bind(id.to_string())
            .fetch_optional(self.reader())
            .await
            .map_err(from_sqlx)?;
        row.map(Session::try_from).transpose()
    }

    pub(super) async fn find_session_by_secret_hash(
        &self,
        secret_hash: &str,
    ) -> Result<Option<Session>> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE secret_hash = ?1");
        let row: Option<SessionRow> = sqlx::query_as(&sql)
            .bind(secret_hash)
            .fetch_optional(self.reader())
            .await
            .map_err(from_sqlx)?;
        row.map(Session::try_from).transpose()
    }

    /// Browser sessions only (`kind = 'user'`): OAuth grant sessions are not devices.
    pub(super) async fn list_live_sessions(
        &self,
        user_id: UserId,
        now: DateTime<Utc>,
    ) -> Result<Vec<Session>> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = ?1 AND kind = 'user' \
             AND revoked_at IS NULL AND expires_at > ?2 AND absolute_expires_at > ?2 \
             ORDER BY created_at DESC, id DESC"
        );
        let rows: Vec<SessionRow> = sqlx::query_as(&sql)
            .bind(user_id.to_string())
            .bind(encode_time(now))
            .fetch_all(self.reader())
            .await
            .map_err(from_sqlx)?;
        rows.into_iter().map(Session::try_from).collect()
    }

    pub(super) async fn revoke_session(
        &self,
        id: SessionId,
        reason: &str,
        at: DateTime<Utc>,
        audit: &[AuditEntry],
    ) -> Result<bool> {
        let at = encode_time(at);
        let mut tx = self.writer().begin().await.map_err(from_sqlx)?;
        let done = sqlx::query(
            "UPDATE sessions SET revoked_at = ?2, revoked_reason = ?3 \
             WHERE id = ?1 AND revoked_at IS NULL",
        )
        .bind(id.to_string())
        .bind(&at)
        .bind(reason)
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        revoke_refresh_tokens(&mut tx, &serde_json::json!([id.to_string()]), &at).await?;
        if done.rows_affected() > 0 {
            audit_rows::insert_sqlite(&mut tx, audit).await?;
        }
        tx.commit().await.map_err(from_sqlx)?;
        Ok(done.rows_affected() > 0)
    }

    pub(super) async fn revoke_user_sessions(
        &self,
        user_id: UserId,
        keep: Option<SessionId>,
        reason: &str,
        at: DateTime<Utc>,
        audit: &[AuditEntry],
    ) -> Result<Vec<SessionId>> {
        let at = encode_time(at);
        let mut tx = self.writer().begin().await.map_err(from_sqlx)?;
        let revoked: Vec<(String,)> = sqlx::query_as(
            "UPDATE sessions SET revoked_at = ?2, revoked_reason = ?3 \
             WHERE user_id = ?1 AND revoked_at IS NULL AND expires_at > ?2 \
             AND absolute_expires_at > ?2 AND (?4 IS NULL OR id <> ?4) RETURNING id",
        )
        .bind(user_id.to_string())
        .bind(&at)
        .bind(reason)
        .bind(keep.map(|k| k.to_string()))
        .fetch_all(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        let ids: Vec<String> = revoked.into_iter().map(|(id,)| id).collect();
        revoke_refresh_tokens(&mut tx, &serde_json::json!(ids), &at).await?;
        if !ids.is_empty() {
            audit_rows::insert_sqlite(&mut tx, audit).await?;
        }
        tx.commit().await.map_err(from_sqlx)?;
        ids.iter()
            .map(|id| decode_uuid(id).map(SessionId::from_uuid))
            .collect()
    }

    pub(super) async fn touch_session(
        &self,
        id: SessionId,
        expires_at: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let done =
            sqlx::query("UPDATE sessions SET expires_at = ?2, last_activity_at = ?3 WHERE id = ?1")
                .bind(id.to_string())
                .bind(encode_time(expires_at))
                .bind(encode_time(at))
                .execute(self.writer())
                .await
                .map_err(from_sqlx)?;
        if done.rows_affected() == 0 {
            return Err(Error::NotFound);
        }
        Ok(())
    }

    pub(super) async fn find_refresh_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<RefreshTokenRecord>> {
        let sql =
            format!("SELECT {REFRESH_TOKEN_COLUMNS} FROM refresh_tokens WHERE token_hash = ?1");
        let row: Option<RefreshTokenRow> = sqlx::query_as(&sql)
            .bind(token_hash)
            .fetch_optional(self.reader())
            .await
            .map_err(from_sqlx)?;
        row.map(RefreshTokenRecord::try_from).transpose()
    }

    /// Claims the used token with a conditional update; only the claimant inserts a successor.
    pub(super) async fn rotate_refresh_token(&self, rotation: &RefreshRotation) -> Result<bool> {
        let at = encode_time(rotation.at);
        let mut tx = self.writer().begin().await.map_err(from_sqlx)?;
        let claimed: Option<(String, String, String)> = sqlx::query_as(
            "UPDATE refresh_tokens SET used_at = ?2 \
             WHERE id = ?1 AND used_at IS NULL AND revoked_at IS NULL \
             RETURNING session_id, family_id, user_id",
        )
        .bind(rotation.used_token_id.to_string())
        .bind(&at)
        .fetch_optional(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        let Some((session_id, family_id, user_id)) = claimed else {
            return Ok(false);
        };
        sqlx::query(
            "INSERT INTO refresh_tokens (id, token_hash, session_id, family_id, parent_id, \
             user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .bind(rotation.new_token_id.to_string())
        .bind(&rotation.new_token_hash)
        .bind(&session_id)
        .bind(family_id)
        .bind(rotation.used_token_id.to_string())
        .bind(user_id)
        .bind(&at)
        .bind(encode_time(rotation.new_expires_at))
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        sqlx::query("UPDATE sessions SET expires_at = ?2, last_activity_at = ?3 WHERE id = ?1")
            .bind(&session_id)
            .bind(encode_time(rotation.session_expires_at))
            .bind(&at)
            .execute(&mut *tx)
            .await
            .map_err(from_sqlx)?;
        tx.commit().await.map_err(from_sqlx)?;
        Ok(true)
    }

    pub(super) async fn deny_access_token(
        &self,
        jti: uuid::Uuid,
        expires_at: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO revoked_access_tokens (jti, expires_at, revoked_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT (jti) DO NOTHING",
        )
        .bind(jti.to_string())
        .bind(encode_time(expires_at))
        .bind(encode_time(at))
        .execute(self.writer())
        .await
        .map_err(from_sqlx)?;
        Ok(())
    }

    pub(super) async fn is_access_token_denied(&self, jti: uuid::Uuid) -> Result<bool> {
        let (denied,): (bool,) =
            sqlx::query_as("SELECT EXISTS (SELECT 1 FROM revoked_access_tokens WHERE jti = ?1)")
                .bind(jti.to_string())
                .fetch_one(self.reader())
                .await
                .map_err(from_sqlx)?;
        Ok(denied)
    }
}

/// Revokes the live refresh tokens of the sessions whose ids `session_ids` (a JSON array) lists.
async fn revoke_refresh_tokens(
    tx: &mut Transaction<'_, Sqlite>,
    session_ids: &serde_json::Value,
    at: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = ?2 WHERE revoked_at IS NULL \
         AND session_id IN (SELECT value FROM json_each(?1))",
    )
    .bind(encode_json(session_ids)?)
    .bind(at)
    .execute(&mut **tx)
    .await
    .map_err(from_sqlx)?;
    Ok(())
}

/// Revokes the user's live sessions beyond the newest `limit.keep` inside `tx` (with their
/// refresh tokens, and the limit's audit entries when any was); returns their ids.
async fn trim_sessions(
    tx: &mut Transaction<'_, Sqlite>,
    user_id: UserId,
    limit: &SessionLimit,
    now: &str,
) -> Result<Vec<SessionId>> {
    let revoked: Vec<(String,)> = sqlx::query_as(
        "UPDATE sessions SET revoked_at = ?3, revoked_reason = ?4 WHERE id IN (\
         SELECT id FROM sessions WHERE user_id = ?1 AND kind = 'user' \
         AND revoked_at IS NULL AND expires_at > ?3 AND absolute_expires_at > ?3 \
         ORDER BY created_at DESC, id DESC LIMIT -1 OFFSET ?2) RETURNING id",
    )
    .bind(user_id.to_string())
    .bind(i64::from(limit.keep))
    .bind(now)
    .bind(limit.reason)
    .fetch_all(&mut **tx)
    .await
    .map_err(from_sqlx)?;
    let ids: Vec<String> = revoked.into_iter().map(|(id,)| id).collect();
    if !ids.is_empty() {
        revoke_refresh_tokens(tx, &serde_json::json!(ids), now).await?;
        audit_rows::insert_sqlite(tx, &limit.audit).await?;
    }
    ids.iter()
        .map(|id| {
            id.parse::<SessionId>()
                .map_err(|_| Error::internal(format!("stored session id {id:?} is not a UUID")))
        })
        .collect()
}
