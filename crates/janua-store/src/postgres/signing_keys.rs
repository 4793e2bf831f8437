//! The JWT key ring on PostgreSQL: the `signing_keys` table. Reads use the primary: a key
//! published by one instance must reach the others at their next refresh, not after replica lag.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use janua_core::error::{Error, Result};
use janua_core::ids::SigningKeyId;
use janua_core::tokens::keys::SigningAlgorithm;
use janua_core::tokens::store::{KeySource, KeyState, SigningKeyStore, StoredSigningKey};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

use super::PgStore;
use crate::errors::from_sqlx;

const COLUMNS: &str =
    "id, kid, alg, source, private_key_encrypted, public_jwk, state, created_at, \
                       activates_at, activated_at, retired_at, expires_at";

#[derive(sqlx::FromRow)]
struct KeyRow {
    id: Uuid,
    kid: String,
    alg: String,
    source: String,
    private_key_encrypted: Option<String>,
    public_jwk: Json<Value>,
    state: String,
    created_at: DateTime<Utc>,
    activates_at: DateTime<Utc>,
    activated_at: Option<DateTime<Utc>>,
    retired_at: Option<DateTime<Utc>>,
    expires_at: Option<DateTime<Utc>>,
}

#[async_trait]
impl SigningKeyStore for PgStore {
    async fn list_signing_keys(&self) -> Result<Vec<StoredSigningKey>> {
        let rows: Vec<KeyRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM signing_keys ORDER BY created_at, kid"
        ))
        .fetch_all(self.primary())
        .await
        .map_err(from_sqlx)?;
        rows.into_iter().map(key_from_row).collect()
    }

    async fn insert_signing_key(&self, key: &StoredSigningKey) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO signing_keys ({COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        ))
        .bind(key.id.as_uuid())
        .bind(&key.kid)
        .bind(key.alg.as_str())
        .bind(key.source.as_str())
        .bind(&key.private_key_encrypted)
        .bind(Json(&key.public_jwk))
        .bind(key.state.as_str())
        .bind(key.created_at)
        .bind(key.activates_at)
        .bind(key.activated_at)
        .bind(key.retired_at)
        .bind(key.expires_at)
        .execute(self.primary())
        .await
        .map_err(from_sqlx)?;
        Ok(())
    }

    async fn set_key_state(&self, kid: &str, state: KeyState, at: DateTime<Utc>) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE signing_keys SET state = $2, \
             activated_at = CASE WHEN $2 = 'active' THEN $3 ELSE activated_at END, \
             retired_at = CASE WHEN $2 = 'retired' THEN $3 ELSE retired_at END \
             WHERE kid = $1 AND state <> $2",
        )
        .bind(kid)
        .bind(state.as_str())
        .bind(at)
        .execute(self.primary())
        .await
        .map_err(from_sqlx)?;
        Ok(done.rows_affected() > 0)
    }

    async fn delete_retired_before(&self, at: DateTime<Utc>) -> Result<u64> {
        let done =
            sqlx::query("DELETE FROM signing_keys WHERE state = 'retired' AND retired_at < $1")
                .bind(at)
                .execute(self.primary())
                .await
                .map_err(from_sqlx)?;
        Ok(done.rows_affected())
    }
}

fn key_from_row(row: KeyRow) -> Result<StoredSigningKey> {
    Ok(StoredSigningKey {
        id: SigningKeyId::from_uuid(row.id),
        alg: SigningAlgorithm::parse(&row.alg)
            .map_err(|_| Error::internal(format!("stored signing key alg {:?}", row.alg)))?,
        kid: row.kid,
        source: KeySource::parse(&row.source)?,
        private_key_encrypted: row.private_key_encrypted,
        public_jwk: row.public_jwk.0,
        state: KeyState::parse(&row.state)?,
        created_at: row.created_at,
        activates_at: row.activates_at,
        activated_at: row.activated_at,
        retired_at: row.retired_at,
        expires_at: row.expires_at,
    })
}
