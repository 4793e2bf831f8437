//! Sessions on PostgreSQL: the `sessions` table, each session's refresh-token family
//! (`refresh_tokens`), and the access-token deny list (`revoked_access_tokens`). All on the
//! primary: a revocation must be seen by the very next request.
//!
//! Lock order: every transaction that changes both a session and its refresh tokens locks the
//! session row first, and several sessions are locked in id order. Rotation and revocation
//! therefore queue instead of deadlocking, and a rotation can never add a live token to a
//! session revoked meanwhile.

use chrono::{DateTime, Utc};
use janua_core::audit::AuditEntry;
use janua_core::auth::sessions::{DeviceInfo, DeviceType, NewSession, Session, SessionLimit};
use janua_core::auth::store::{RefreshRotation, RefreshTokenRecord};
use janua_core::error::{Error, Result};
use janua_core::ids::{SessionId, UserId};
use sqlx::types::Json;
use sqlx::{Postgres, Transaction};

use super::PgStore;
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
    id: uuid::Uuid,
    user_id: uuid::Uuid,
    ip_address: Option<String>,
    user_agent: Option<String>,
    device_name: Option<String>,
    device_type: String,
    browser: Option<String>,
    os: Option<String>,
    amr: Json<Vec<String>>,
    auth_time: DateTime<Utc>,
    created_at: DateTime<Utc>,
    last_activity_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    absolute_expires_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
    revoked_reason: Option<String>,
}

impl From<SessionRow> for Session {
    fn from(row: SessionRow) -> Self {
        Session {
            id: SessionId::from_uuid(row.id),
            user_id: UserId::from_uuid(row.user_id),
            ip_address: row.ip_address,
            user_agent: row.user_agent,
            device: DeviceInfo {
                device_type: DeviceType::parse(&row.device_type),
                browser: row.browser,
                os: row.os,
                device_name: row.device_name,
            },
            amr: row.amr.0,
            auth_time: row.auth_time,
            created_at: row.created_at,
            last_activity_at: row.last_activity_at,
            expires_at: row.expires_at,
            absolute_expires_at: row.absolute_expires_at,
            revoked_at: row.revoked_at,
            revoked_reason: row.revoked_reason,
        }
    }
}

#[derive(sqlx::FromRow)]
struct RefreshTokenRow {
    id: uuid::Uuid,
    session_id: uuid::Uuid,
    family_id: uuid::Uuid,
    user_id: uuid::Uuid,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

impl From<RefreshTokenRow> for RefreshTokenRecord {
    fn from(row: RefreshTokenRow) -> Self {
        RefreshTokenRecord {
            id: row.id,
            session_id: SessionId::from_uuid(row.session_id),
            family_id: row.family_id,
            user_id: UserId::from_uuid(row.user_id),
            created_at: row.created_at,
            expires_at: row.expires_at,
            used_at: row.used_at,
            revoked_at: row.revoked_at,
        }
    }
}

impl PgStore {
    pub(super) async fn open_session_within_limit(
        &self,
        session: &NewSession,
        audit: &[AuditEntry],
        limit: Option<&SessionLimit>,
    ) -> Result<(Session, Vec<SessionId>)> {
        let family_id = uuid::Uuid::now_v7();
        let mut tx = self.primary().begin().await.map_err(from_sqlx)?;
        // The user row first: it waits for a concurrent soft delete, which then either sees
        // this session (and revokes it) or has deleted the account (and no session opens).
        let signed_in = sqlx::query(
            "UPDATE users SET last_sign_in_at = $2 WHERE id = $1 AND deleted_at IS NULL",
        )
        .bind(session.user_id.as_uuid())
        .bind(session.created_at)
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
             VALUES ($1, $2, 'user', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13, $14, $15) \
             RETURNING {SESSION_COLUMNS}"
        );
        let row: SessionRow = sqlx::query_as(&sql)
            .bind(session.id.as_uuid())
            .bind(session.user_id.as_uuid())
            .bind(family_id)
            .bind(session.ip_address.as_deref())
            .bind(session.user_agent.as_deref())
            .bind(session.device.device_name.as_deref())
            .bind(session.device.device_type.as_str())
            .bind(session.device.browser.as_deref())
            .bind(session.device.os.as_deref())
            .bind(Json(&session.amr))
            .bind(session.auth_time)
            .bind(session.created_at)
            .bind(session.expires_at)
            .bind(session.absolute_expires_at)
            .bind(session.cookie_secret_hash.as_deref())
            .fetch_one(&mut *tx)
            .await
            .map_err(from_sqlx)?;
        sqlx::query(
            "INSERT INTO refresh_tokens (id, token_hash, session_id, family_id, parent_id, \
             user_id, created_at, expires_at) VALUES ($1, $2, $3, $4, NULL, $5, $6, $7)",
        )
        .bind(uuid::Uuid::now_v7())
        .bind(&session.refresh_token_hash)
        .bind(session.id.as_uuid())
        .bind(family_id)
        .bind(session.user_id.as_uuid())
        .bind(session.created_at)
        .bind(session.refresh_expires_at)
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        audit_rows::insert_pg(&mut tx, audit).await?;
        let trimmed = match limit {
            Some(limit) => {
                trim_sessions(&mut tx, session.user_id, limit, session.created_at).await?
            }
            None => Vec::new(),
        };
        tx.commit().await.map_err(from_sqlx)?;
        Ok((row.into(), trimmed))
    }

    pub(super) async fn get_session(&self, id: SessionId) -> Result<Option<Session>> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE id = $1");
        let row: Option<SessionRow> = sqlx::query_as(&sql)
            .bind(id.as_uuid())
            .fetch_optional(self.primary())
            .await
            .map_err(from_sqlx)?;
        Ok(row.map(Session::from))
    }

    pub(super) async fn find_session_by_secret_hash(
        &self,
        secret_hash: &str,
    ) -> Result<Option<Session>> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE secret_hash = $1");
        let row: Option<SessionRow> = sqlx::query_as(&sql)
            .bind(secret_hash)
            .fetch_optional(self.primary())
            .await
            .map_err(from_sqlx)?;
        Ok(row.map(Session::from))
    }

    /// Browser sessions only (`kind = 'user'`): OAuth grant sessions are not devices.
    pub(super) async fn list_live_sessions(
        &self,
        user_id: UserId,
        now: DateTime<Utc>,
    ) -> Result<Vec<Session>> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = $1 AND kind = 'user' \
             AND revoked_at IS NULL AND expires_at > $2 AND absolute_expires_at > $2 \
             ORDER BY created_at DESC, id DESC"
        );
        let rows: Vec<SessionRow> = sqlx::query_as(&sql)
            .bind(user_id.as_uuid())
            .bind(now)
            .fetch_all(self.primary())
            .await
            .map_err(from_sqlx)?;
        Ok(rows.into_iter().map(Session::from).collect())
    }

    pub(super) async fn revoke_session(
        &self,
        id: SessionId,
        reason: &str,
        at: DateTime<Utc>,
        audit: &[AuditEntry],
    ) -> Result<bool> {
        let mut tx = self.primary().begin().await.map_err(from_sqlx)?;
        let done = sqlx::query(
            "UPDATE sessions SET revoked_at = $2, revoked_reason = $3 \
             WHERE id = $1 AND revoked_at IS NULL",
        )
        .bind(id.as_uuid())
        .bind(at)
        .bind(reason)
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        revoke_refresh_tokens(&mut tx, &[id.as_uuid()], at).await?;
        if done.rows_affected() > 0 {
            audit_rows::insert_pg(&mut tx, audit).await?;
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
        let mut tx = self.primary().begin().await.map_err(from_sqlx)?;
        let revoked: Vec<(uuid::Uuid,)> = sqlx::query_as(
            "UPDATE sessions SET revoked_at = $2, revoked_reason = $3 \
             WHERE revoked_at IS NULL AND id IN (SELECT id FROM sessions \
             WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 \
             AND absolute_expires_at > $2 AND ($4::uuid IS NULL OR id <> $4) \
             ORDER BY id FOR UPDATE) RETURNING id",
        )
        .bind(user_id.as_uuid())
        .bind(at)
        .bind(reason)
        .bind(keep.map(|k| k.as_uuid()))
        .fetch_all(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        let ids: Vec<uuid::Uuid> = revoked.into_iter().map(|(id,)| id).collect();
        revoke_refresh_tokens(&mut tx, &ids, at).await?;
        if !ids.is_empty() {
            audit_rows::insert_pg(&mut tx, audit).await?;
        }
        tx.commit().await.map_err(from_sqlx)?;
        Ok(ids.into_iter().map(SessionId::from_uuid).collect())
    }

    pub(super) async fn touch_session(
        &self,
        id: SessionId,
        expires_at: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let done =
            sqlx::query("UPDATE sessions SET expires_at = $2, last_activity_at = $3 WHERE id = $1")
                .bind(id.as_uuid())
                .bind(expires_at)
                .bind(at)
                .execute(self.primary())
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
            format!("SELECT {REFRESH_TOKEN_COLUMNS} FROM refresh_tokens WHERE token_hash = $1");
        let row: Option<RefreshTokenRow> = sqlx::query_as(&sql)
            .bind(token_hash)
            .fetch_optional(self.primary())
            .await
            .map_err(from_sqlx)?;
        Ok(row.map(RefreshTokenRecord::from))
    }

    /// Locks the session (see the lock order above), then claims the used token with a
    /// conditional update: of two concurrent rotations the second waits for the first to
    /// commit, finds `used_at` set and changes nothing.
    pub(super) async fn rotate_refresh_token(&self, rotation: &RefreshRotation) -> Result<bool> {
        let mut tx = self.primary().begin().await.map_err(from_sqlx)?;
        let slid: Option<(uuid::Uuid,)> = sqlx::query_as(
            "UPDATE sessions SET expires_at = $2, last_activity_at = $3 \
             WHERE id = (SELECT session_id FROM refresh_tokens WHERE id = $1) \
             AND revoked_at IS NULL RETURNING id",
        )
        .bind(rotation.used_token_id)
        .bind(rotation.session_expires_at)
        .bind(rotation.at)
        .fetch_optional(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        if slid.is_none() {
            return Ok(false);
        }
        let claimed: Option<(uuid::Uuid, uuid::Uuid, uuid::Uuid)> = sqlx::query_as(
            "UPDATE refresh_tokens SET used_at = $2 \
             WHERE id = $1 AND used_at IS NULL AND revoked_at IS NULL \
             RETURNING session_id, family_id, user_id",
        )
        .bind(rotation.used_token_id)
        .bind(rotation.at)
        .fetch_optional(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        // Returning without commit rolls the session's slide back.
        let Some((session_id, family_id, user_id)) = claimed else {
            return Ok(false);
        };
        sqlx::query(
            "INSERT INTO refresh_tokens (id, token_hash, session_id, family_id, parent_id, \
             user_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(rotation.new_token_id)
        .bind(&rotation.new_token_hash)
        .bind(session_id)
        .bind(family_id)
        .bind(rotation.used_token_id)
        .bind(user_id)
        .bind(rotation.at)
        .bind(rotation.new_expires_at)
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
            "INSERT INTO revoked_access_tokens (jti, expires_at, revoked_at) VALUES ($1, $2, $3) \
             ON CONFLICT (jti) DO NOTHING",
        )
        .bind(jti)
        .bind(expires_at)
        .bind(at)
        .execute(self.primary())
        .await
        .map_err(from_sqlx)?;
        Ok(())
    }

    pub(super) async fn is_access_token_denied(&self, jti: uuid::Uuid) -> Result<bool> {
        let (denied,): (bool,) =
            sqlx::query_as("SELECT EXISTS (SELECT 1 FROM revoked_access_tokens WHERE jti = $1)")
                .bind(jti)
                .fetch_one(self.primary())
                .await
                .map_err(from_sqlx)?;
        Ok(denied)
    }
}

/// Revokes the live refresh tokens of the given sessions.
async fn revoke_refresh_tokens(
    tx: &mut Transaction<'_, Postgres>,
    session_ids: &[uuid::Uuid],
    at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = $2 \
         WHERE session_id = ANY($1) AND revoked_at IS NULL",
    )
    .bind(session_ids)
    .bind(at)
    .execute(&mut **tx)
    .await
    .map_err(from_sqlx)?;
    Ok(())
}

/// Revokes the user's live sessions beyond the newest `limit.keep` inside `tx` (with their
/// refresh tokens, and the limit's audit entries when any was); returns their ids.
async fn trim_sessions(
    tx: &mut Transaction<'_, Postgres>,
    user_id: UserId,
    limit: &SessionLimit,
    now: DateTime<Utc>,
) -> Result<Vec<SessionId>> {
    let revoked: Vec<(uuid::Uuid,)> = sqlx::query_as(
        "UPDATE sessions SET revoked_at = $3, revoked_reason = $4 WHERE id IN (\
         SELECT id FROM sessions WHERE user_id = $1 AND kind = 'user' \
         AND revoked_at IS NULL AND expires_at > $3 AND absolute_expires_at > $3 \
         ORDER BY created_at DESC, id DESC OFFSET $2) RETURNING id",
    )
    .bind(user_id.as_uuid())
    .bind(i64::from(limit.keep))
    .bind(now)
    .bind(limit.reason)
    .fetch_all(&mut **tx)
    .await
    .map_err(from_sqlx)?;
    let ids: Vec<uuid::Uuid> = revoked.into_iter().map(|(id,)| id).collect();
    if !ids.is_empty() {
        revoke_refresh_tokens(tx, &ids, now).await?;
        audit_rows::insert_pg(tx, &limit.audit).await?;
    }
    Ok(ids.into_iter().map(SessionId::from_uuid).collect())
}
