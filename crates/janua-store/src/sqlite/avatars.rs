//! Avatars on SQLite: the `user_avatars` table, kept in step with `users.profile_image_url`.

use chrono::{DateTime, Utc};
use janua_core::audit::AuditEntry;
use janua_core::auth::avatars::Avatar;
use janua_core::error::{Error, Result};
use janua_core::ids::UserId;

use super::codec::{decode_time, encode_time};
use super::SqliteStore;
use crate::audit_rows;
use crate::errors::from_sqlx;

impl SqliteStore {
    pub(super) async fn put_avatar(
        &self,
        id: UserId,
        content_type: &str,
        data: &[u8],
        url: &str,
        at: DateTime<Utc>,
        audit: &[AuditEntry],
    ) -> Result<()> {
        let mut tx = self.writer().begin().await.map_err(from_sqlx)?;
        let at = encode_time(at);
        let done =
            sqlx::query("UPDATE users SET profile_image_url = ?2, updated_at = ?3 WHERE id = ?1")
                .bind(id.to_string())
                .bind(url)
                .bind(&at)
                .execute(&mut *tx)
                .await
                .map_err(from_sqlx)?;
        if done.rows_affected() == 0 {
            return Err(Error::NotFound);
        }
        sqlx::query(
            "INSERT INTO user_avatars (user_id, content_type, data, updated_at) \
             VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (user_id) DO UPDATE SET content_type = excluded.content_type, \
             data = excluded.data, updated_at = excluded.updated_at",
        )
        .bind(id.to_string())
        .bind(content_type)
        .bind(data)
        .bind(&at)
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        audit_rows::insert_sqlite(&mut tx, audit).await?;
        tx.commit().await.map_err(from_sqlx)
    }

    pub(super) async fn get_avatar(&self, id: UserId) -> Result<Option<Avatar>> {
        let row: Option<(String, Vec<u8>, String)> = sqlx::query_as(
            "SELECT content_type, data, updated_at FROM user_avatars WHERE user_id = ?1",
        )
        .bind(id.to_string())
        .fetch_optional(self.reader())
        .await
        .map_err(from_sqlx)?;
        row.map(|(content_type, data, updated_at)| {
            Ok(Avatar {
                content_type,
                data,
                updated_at: decode_time(&updated_at)?,
            })
        })
        .transpose()
    }

    pub(super) async fn delete_avatar(
        &self,
        id: UserId,
        at: DateTime<Utc>,
        audit: &[AuditEntry],
    ) -> Result<()> {
        let mut tx = self.writer().begin().await.map_err(from_sqlx)?;
        let done =
            sqlx::query("UPDATE users SET profile_image_url = NULL, updated_at = ?2 WHERE id = ?1")
                .bind(id.to_string())
                .bind(encode_time(at))
                .execute(&mut *tx)
                .await
                .map_err(from_sqlx)?;
        if done.rows_affected() == 0 {
            return Err(Error::NotFound);
        }
        sqlx::query("DELETE FROM user_avatars WHERE user_id = ?1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(from_sqlx)?;
        audit_rows::insert_sqlite(&mut tx, audit).await?;
        tx.commit().await.map_err(from_sqlx)
    }
}
