//! System settings on PostgreSQL: the `system_settings` table. Reads use the primary: an admin
//! expects to see a setting the moment it was saved.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use janua_core::audit::AuditEntry;
use janua_core::error::{Error, Result};
use janua_core::settings::{Setting, SettingKey, SettingsStore};
use serde_json::Value;
use sqlx::types::Json;

use super::PgStore;
use crate::errors::from_sqlx;
use crate::json::ensure_storable;

type SettingRow = (String, Json<Value>, DateTime<Utc>);

#[async_trait]
impl SettingsStore for PgStore {
    async fn get_setting(&self, key: &SettingKey) -> Result<Option<Setting>> {
        let row: Option<SettingRow> =
            sqlx::query_as("SELECT key, value, updated_at FROM system_settings WHERE key = $1")
                .bind(key.as_str())
                .fetch_optional(self.primary())
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
        let mut tx = self.primary().begin().await.map_err(from_sqlx)?;
        let row: SettingRow = sqlx::query_as(
            "INSERT INTO system_settings (key, value, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at \
             RETURNING key, value, updated_at",
        )
        .bind(key.as_str())
        .bind(Json(value))
        .bind(at)
        .fetch_one(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        crate::audit_rows::insert_pg(&mut tx, audit).await?;
        tx.commit().await.map_err(from_sqlx)?;
        setting_from_row(row)
    }

    async fn list_settings(&self) -> Result<Vec<Setting>> {
        let rows: Vec<SettingRow> =
            sqlx::query_as("SELECT key, value, updated_at FROM system_settings ORDER BY key")
                .fetch_all(self.primary())
                .await
                .map_err(from_sqlx)?;
        rows.into_iter().map(setting_from_row).collect()
    }

    async fn delete_setting(&self, key: &SettingKey) -> Result<bool> {
        let done = sqlx::query("DELETE FROM system_settings WHERE key = $1")
            .bind(key.as_str())
            .execute(self.primary())
            .await
            .map_err(from_sqlx)?;
        Ok(done.rows_affected() > 0)
    }
}

fn setting_from_row((key, Json(value), updated_at): SettingRow) -> Result<Setting> {
    Ok(Setting {
        key: SettingKey::parse(&key)
            .map_err(|_| Error::internal(format!("stored setting key {key:?} is invalid")))?,
        value,
        updated_at,
    })
}
