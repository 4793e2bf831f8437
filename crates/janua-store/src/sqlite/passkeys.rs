//! Passkeys on SQLite (`PasskeyStore`): the `passkeys` table. A use is recorded with a
//! compare-and-set on `sign_count`; registration and removal write their audit entries in
//! their own transaction.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use janua_core::audit::AuditEntry;
use janua_core::error::Result;
use janua_core::ids::{PasskeyId, UserId};
use janua_core::passkeys::store::{PasskeyRecord, PasskeyStore};
use serde_json::Value;

use super::codec::{decode_json, decode_time, encode_json, encode_time};
use super::SqliteStore;
use crate::audit_rows;
use crate::errors::from_sqlx;

const COLUMNS: &str = "id, user_id, credential_id, passkey, sign_count, name, \
                       authenticator_attachment, backup_eligible, backup_state, created_at, \
                       last_used_at";

type Row = (
    String,
    String,
    String,
    String,
    i64,
    String,
    Option<String>,
    bool,
    bool,
    String,
    Option<String>,
);

fn record(row: Row) -> Result<PasskeyRecord> {
    let (id, user_id, credential_id, passkey, sign_count, name, attachment, be, bs, created, used) =
        row;
    Ok(PasskeyRecord {
        id: id.parse().map_err(janua_core::error::Error::internal)?,
        user_id: user_id
            .parse()
            .map_err(janua_core::error::Error::internal)?,
        credential_id,
        passkey: decode_json(&passkey)?,
        sign_count,
        name,
        authenticator_attachment: attachment,
        backup_eligible: be,
        backup_state: bs,
        created_at: decode_time(&created)?,
        last_used_at: used.as_deref().map(decode_time).transpose()?,
    })
}

#[async_trait]
impl PasskeyStore for SqliteStore {
    async fn list_passkeys(&self, user: UserId) -> Result<Vec<PasskeyRecord>> {
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM passkeys WHERE user_id = ?1 ORDER BY created_at, id"
        ))
        .bind(user.to_string())
        .fetch_all(self.writer())
        .await
        .map_err(from_sqlx)?;
        rows.into_iter().map(record).collect()
    }

    async fn find_passkey_by_credential_id(
        &self,
        credential_id: &str,
    ) -> Result<Option<PasskeyRecord>> {
        let row: Option<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM passkeys WHERE credential_id = ?1"
        ))
        .bind(credential_id)
        .fetch_optional(self.writer())
        .await
        .map_err(from_sqlx)?;
        row.map(record).transpose()
    }

    async fn add_passkey(&self, passkey: &PasskeyRecord, audit: &[AuditEntry]) -> Result<()> {
        let mut tx = self.writer().begin().await.map_err(from_sqlx)?;
        sqlx::query(&format!(
            "INSERT INTO passkeys ({COLUMNS}, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?10)"
        ))
        .bind(passkey.id.to_string())
        .bind(passkey.user_id.to_string())
        .bind(&passkey.credential_id)
        .bind(encode_json(&passkey.passkey)?)
        .bind(passkey.sign_count)
        .bind(&passkey.name)
        .bind(passkey.authenticator_attachment.as_deref())
        .bind(passkey.backup_eligible)
        .bind(passkey.backup_state)
        .bind(encode_time(passkey.created_at))
        .bind(passkey.last_used_at.map(encode_time))
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        audit_rows::insert_sqlite(&mut tx, audit).await?;
        tx.commit().await.map_err(from_sqlx)
    }

    async fn record_passkey_use(
        &self,
        id: PasskeyId,
        expected_sign_count: i64,
        sign_count: i64,
        passkey: &Value,
        at: DateTime<Utc>,
        audit: &[AuditEntry],
    ) -> Result<bool> {
        let mut tx = self.writer().begin().await.map_err(from_sqlx)?;
        let done = sqlx::query(
            "UPDATE passkeys SET passkey = ?3, sign_count = ?4, last_used_at = ?5, \
             updated_at = ?5 WHERE id = ?1 AND sign_count = ?2",
        )
        .bind(id.to_string())
        .bind(expected_sign_count)
        .bind(encode_json(passkey)?)
        .bind(sign_count)
        .bind(encode_time(at))
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?
        .rows_affected()
            == 1;
        if done {
            audit_rows::insert_sqlite(&mut tx, audit).await?;
            tx.commit().await.map_err(from_sqlx)?;
        }
        Ok(done)
    }

    async fn rename_passkey(
        &self,
        user: UserId,
        id: PasskeyId,
        name: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<PasskeyRecord>> {
        let row: Option<Row> = sqlx::query_as(&format!(
            "UPDATE passkeys SET name = ?3, updated_at = ?4 WHERE id = ?1 AND user_id = ?2 \
             RETURNING {COLUMNS}"
        ))
        .bind(id.to_string())
        .bind(user.to_string())
        .bind(name)
        .bind(encode_time(at))
        .fetch_optional(self.writer())
        .await
        .map_err(from_sqlx)?;
        row.map(record).transpose()
    }

    async fn delete_passkey(
        &self,
        user: UserId,
        id: PasskeyId,
        audit: &[AuditEntry],
    ) -> Result<bool> {
        let mut tx = self.writer().begin().await.map_err(from_sqlx)?;
        let done = sqlx::query("DELETE FROM passkeys WHERE id = ?1 AND user_id = ?2")
            .bind(id.to_string())
            .bind(user.to_string())
            .execute(&mut *tx)
            .await
            .map_err(from_sqlx)?
            .rows_affected()
            == 1;
        if done {
            audit_rows::insert_sqlite(&mut tx, audit).await?;
            tx.commit().await.map_err(from_sqlx)?;
        }
        Ok(done)
    }
}
