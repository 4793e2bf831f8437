//! Passkeys on PostgreSQL (`PasskeyStore`): the `passkeys` table. A use is recorded with a
//! compare-and-set on `sign_count`; registration and removal write their audit entries in
//! their own transaction.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use janua_core::audit::AuditEntry;
use janua_core::error::Result;
use janua_core::ids::{PasskeyId, UserId};
use janua_core::passkeys::store::{PasskeyRecord, PasskeyStore};
use serde_json::Value;

use super::PgStore;
use crate::audit_rows;
use crate::errors::from_sqlx;
use sqlx::types::Json;

const COLUMNS: &str = "id, user_id, credential_id, passkey, sign_count, name, \
                       authenticator_attachment, backup_eligible, backup_state, created_at, \
                       last_used_at";

type Row = (
    uuid::Uuid,
    uuid::Uuid,
    String,
    Json<Value>,
    i64,
    String,
    Option<String>,
    bool,
    bool,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
);

fn record(row: Row) -> Result<PasskeyRecord> {
    let (id, user_id, credential_id, passkey, sign_count, name, attachment, be, bs, created, used) =
        row;
    Ok(PasskeyRecord {
        id: PasskeyId::from_uuid(id),
        user_id: UserId::from_uuid(user_id),
        credential_id,
        passkey: passkey.0,
        sign_count,
        name,
        authenticator_attachment: attachment,
        backup_eligible: be,
        backup_state: bs,
        created_at: created,
        last_used_at: used,
    })
}

#[async_trait]
impl PasskeyStore for PgStore {
    async fn list_passkeys(&self, user: UserId) -> Result<Vec<PasskeyRecord>> {
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM passkeys WHERE user_id = $1 ORDER BY created_at, id"
        ))
        .bind(user.as_uuid())
        .fetch_all(self.primary())
        .await
        .map_err(from_sqlx)?;
        rows.into_iter().map(record).collect()
    }

    async fn find_passkey_by_credential_id(
        &self,
        credential_id: &str,
    ) -> Result<Option<PasskeyRecord>> {
        let row: Option<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM passkeys WHERE credential_id = $1"
        ))
        .bind(credential_id)
        .fetch_optional(self.primary())
        .await
        .map_err(from_sqlx)?;
        row.map(record).transpose()
    }

    async fn add_passkey(&self, passkey: &PasskeyRecord, audit: &[AuditEntry]) -> Result<()> {
        let mut tx = self.primary().begin().await.map_err(from_sqlx)?;
        sqlx::query(&format!(
            "INSERT INTO passkeys ({COLUMNS}, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $10)"
        ))
        .bind(passkey.id.as_uuid())
        .bind(passkey.user_id.as_uuid())
        .bind(&passkey.credential_id)
        .bind(Json(&passkey.passkey))
        .bind(passkey.sign_count)
        .bind(&passkey.name)
        .bind(passkey.authenticator_attachment.as_deref())
        .bind(passkey.backup_eligible)
        .bind(passkey.backup_state)
        .bind(passkey.created_at)
        .bind(passkey.last_used_at)
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        audit_rows::insert_pg(&mut tx, audit).await?;
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
        let mut tx = self.primary().begin().await.map_err(from_sqlx)?;
        let done = sqlx::query(
            "UPDATE passkeys SET passkey = $3, sign_count = $4, last_used_at = $5, \
             updated_at = $5 WHERE id = $1 AND sign_count = $2",
        )
        .bind(id.as_uuid())
        .bind(expected_sign_count)
        .bind(Json(passkey))
        .bind(sign_count)
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?
        .rows_affected()
            == 1;
        if done {
            audit_rows::insert_pg(&mut tx, audit).await?;
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
            "UPDATE passkeys SET name = $3, updated_at = $4 WHERE id = $1 AND user_id = $2 \
             RETURNING {COLUMNS}"
        ))
        .bind(id.as_uuid())
        .bind(user.as_uuid())
        .bind(name)
        .bind(at)
        .fetch_optional(self.primary())
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
        let mut tx = self.primary().begin().await.map_err(from_sqlx)?;
        let done = sqlx::query("DELETE FROM passkeys WHERE id = $1 AND user_id = $2")
            .bind(id.as_uuid())
            .bind(user.as_uuid())
            .execute(&mut *tx)
            .await
            .map_err(from_sqlx)?
            .rows_affected()
            == 1;
        if done {
            audit_rows::insert_pg(&mut tx, audit).await?;
            tx.commit().await.map_err(from_sqlx)?;
        }
        Ok(done)
    }
}
