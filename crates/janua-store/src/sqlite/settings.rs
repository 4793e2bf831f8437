//! System settings on SQLite: the `system_settings` table.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use janua_core::audit::AuditEntry;
use janua_core::error::{Error, Result};
use janua_core::settings::{Setting, SettingKey, SettingsStore};
use serde_json::Value;

use super::codec::{decode_json, decode_time, encode_json, encode_time};
use super::SqliteStore;
use crate::errors::from_sqlx;
use crate::json::ensure_storable;

/// `key`, `value` (JSON text), `updated_at` (RFC 3339 text).
type SettingRow = (String, String, String);

#[async_trait]
impl SettingsStore for SqliteStore {
    async fn get_setting(&self, key: &SettingKey) -> Result<Option<Setting>> {
        let row: Option<SettingRow> =
            sqlx::query_as("SELECT key, value, updated_at FROM system_settings WHERE key = ?1")
                .bind(key.as_str())
                .fetch_optional(self.reader())
                .await
                .map_err(from_sqlx)?;
        row.map(setting_from_row).transpose()
    }

    async fn put_setting(
        &self,
        key: &SettingKey,
        value: &Value,
        at: DateTime<Utc>,
        audit: &[AuditEntry],
    ) -> Result<Setting> {
        ensure_storable("value", value)?;
        let mut tx = self.writer().begin().await.map_err(from_sqlx)?;
        let row: SettingRow = sqlx::query_as(
            "INSERT INTO system_settings (key, value, updated_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at \
             RETURNING key, value, updated_at",
        )
        .bind(key.as_str())
        .bind(encode_json(value)?)
        .bind(encode_time(at))
        .fetch_one(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        crate::audit_rows::insert_sqlite(&mut tx, audit).await?;
        tx.commit().await.map_err(from_sqlx)?;
        setting_from_row(row)
    }

    async fn list_settings(&self) -> Result<Vec<Setting>> {
        let rows: Vec<SettingRow> =
            sqlx::query_as("SELECT key, value, updated_at FROM system_settings ORDER BY key")
                .fetch_all(self.reader())
                .await
                .map_err(from_sqlx)?;
        rows.into_iter().map(setting_from_row).collect()
    }

    async fn delete_setting(&self, key: &SettingKey) -> Result<bool> {
        let done = sqlx::query("DELETE FROM system_settings WHERE key = ?1")
            .bind(key.as_str())
            .execute(self.writer())
            .await
            .map_err(from_sqlx)?;
        Ok(done.rows_affected() > 0)
    }
}

fn setting_from_row((key, value, updated_at): SettingRow) -> Result<Setting> {
    Ok(Setting {
        key: SettingKey::parse(&key)
            .map_err(|_| Error::internal(format!("stored setting key {key:?} is invalid")))?,
        value: decode_json(&value)?,
        updated_at: decode_time(&updated_at)?,
    })
}
