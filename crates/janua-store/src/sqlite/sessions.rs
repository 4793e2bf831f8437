//! Sessions on SQLite: the `sessions` table, each session's refresh-token family
//! (`refresh_tokens`), and the access-token deny list (`revoked_access_tokens`). The statements
//! shared with PostgreSQL come from `crate::sessions_sql` (UUIDs, times and JSON as TEXT); this
//! file keeps the session row type, revoking a user's sessions, rotating a refresh token,
//! revoking several sessions' refresh tokens (`json_each`) and trimming to the session limit.
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
use super::{row_codec, SqliteStore};
use crate::audit_rows;
use crate::errors::from_sqlx;

pub(super) const SESSION_COLUMNS: &str =
    "id, user_id, ip_address, user_agent, device_name, device_type, \
     browser, os, amr, auth_time, created_at, last_activity_at, expires_at, \
     absolute_expires_at, revoked_at, revoked_reason";

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

/// A session row as the shared statements and `oauth_flows` read it.
fn session_of(row: SessionRow) -> Result<Session> {
    Session::try_from(row)
}

crate::sessions_sql::impl_session_statements!(
    SqliteStore,
    sqlx::sqlite::SqliteRow,
    row_codec,
    reader,
    writer,
    audit_rows::insert_sqlite,
    SessionRow,
    session_of,
    revoke_session_tokens,
    trim_sessions
);

impl SqliteStore {
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
        // A revoked session's tokens are revoked with it; should one still be live, the
        // session refuses the rotation too (the transaction rolls back), as on PostgreSQL.
        let slid = sqlx::query(
            "UPDATE sessions SET expires_at = ?2, last_activity_at = ?3 \
             WHERE id = ?1 AND revoked_at IS NULL",
        )
        .bind(&session_id)
        .bind(encode_time(rotation.session_expires_at))
        .bind(&at)
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        if slid.rows_affected() == 0 {
            return Ok(false);
        }
        tx.commit().await.map_err(from_sqlx)?;
        Ok(true)
    }
}

/// Revokes the live refresh tokens of the given sessions (the shared statements' form).
async fn revoke_session_tokens(
    tx: &mut Transaction<'_, Sqlite>,
    session_ids: &[uuid::Uuid],
    at: DateTime<Utc>,
) -> Result<()> {
    let ids: Vec<String> = session_ids.iter().map(|id| id.to_string()).collect();
    revoke_refresh_tokens(tx, &serde_json::json!(ids), &encode_time(at)).await
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
    now: DateTime<Utc>,
) -> Result<Vec<SessionId>> {
    let now = &encode_time(now);
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
