//! Sessions on PostgreSQL: the `sessions` table, each session's refresh-token family
//! (`refresh_tokens`), and the access-token deny list (`revoked_access_tokens`). The statements
//! shared with SQLite come from `crate::sessions_sql` (native UUID, TIMESTAMPTZ and JSONB);
//! this file keeps the session row type, revoking a user's sessions, rotating a refresh token,
//! revoking several sessions' refresh tokens (`= ANY`) and trimming to the session limit. All
//! on the primary: a revocation must be seen by the very next request.
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

use super::{row_codec, PgStore};
use crate::audit_rows;
use crate::errors::from_sqlx;

pub(super) const SESSION_COLUMNS: &str =
    "id, user_id, ip_address, user_agent, device_name, device_type, \
     browser, os, amr, auth_time, created_at, last_activity_at, expires_at, \
     absolute_expires_at, revoked_at, revoked_reason";

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

/// A session row as the shared statements and `oauth_flows` read it.
fn session_of(row: SessionRow) -> Result<Session> {
    Ok(row.into())
}

crate::sessions_sql::impl_session_statements!(
    PgStore,
    sqlx::postgres::PgRow,
    row_codec,
    primary,
    primary,
    audit_rows::insert_pg,
    SessionRow,
    session_of,
    revoke_refresh_tokens,
    trim_sessions
);

impl PgStore {
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
