//! The JWT key ring on SQLite: the `signing_keys` table.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use janua_core::error::{Error, Result};
use janua_core::ids::SigningKeyId;
use janua_core::tokens::keys::SigningAlgorithm;
use janua_core::tokens::store::{KeySource, KeyState, SigningKeyStore, StoredSigningKey};

use super::codec::{decode_json, decode_time, encode_json, encode_time};
use super::SqliteStore;
use crate::errors::from_sqlx;

const COLUMNS: &str =
    "id, kid, alg, source, private_key_encrypted, public_jwk, state, created_at, \
                       activates_at, activated_at, retired_at, expires_at";

#[derive(sqlx::FromRow)]
struct KeyRow {
    id: String,
    kid: String,
    alg: String,
    source: String,
    private_key_encrypted: Option<String>,
    public_jwk: String,
    state: String,
    created_at: String,
    activates_at: String,
    activated_at: Option<String>,
    retired_at: Option<String>,
    expires_at: Option<String>,
}

#[async_trait]
impl SigningKeyStore for SqliteStore {
    async fn list_signing_keys(&self) -> Result<Vec<StoredSigningKey>> {
        // The writer connection: a key another instance just wrote must be seen, and the
        // reader pool may hold an older WAL snapshot for a moment.
        let rows: Vec<KeyRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM signing_keys ORDER BY created_at, kid"
        ))
        .fetch_all(self.writer())
        .await
        .map_err(from_sqlx)?;
        rows.into_iter().map(key_from_row).collect()
    }

    async fn insert_signing_key(&self, key: &StoredSigningKey) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO signing_keys ({COLUMNS}) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
        ))
        .bind(key.id.to_string())
        .bind(&key.kid)
        .bind(key.alg.as_str())
        .bind(key.source.as_str())
        .bind(&key.private_key_encrypted)
        .bind(encode_json(&key.public_jwk)?)
        .bind(key.state.as_str())
        .bind(encode_time(key.created_at))
        .bind(encode_time(key.activates_at))
        .bind(key.activated_at.map(encode_time))
        .bind(key.retired_at.map(encode_time))
        .bind(key.expires_at.map(encode_time))
        .execute(self.writer())
        .await
        .map_err(from_sqlx)?;
        Ok(())
    }

    async fn set_key_state(&self, kid: &str, state: KeyState, at: DateTime<Utc>) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE signing_keys SET state = ?2, \
             activated_at = CASE WHEN ?2 = 'active' THEN ?3 ELSE activated_at END, \
             retired_at = CASE WHEN ?2 = 'retired' THEN ?3 ELSE retired_at END \
             WHERE kid = ?1 AND state <> ?2",
        )
        .bind(kid)
        .bind(state.as_str())
        .bind(encode_time(at))
        .execute(self.writer())
        .await
        .map_err(from_sqlx)?;
        Ok(done.rows_affected() > 0)
    }

    async fn delete_retired_before(&self, at: DateTime<Utc>) -> Result<u64> {
        let done =
            sqlx::query("DELETE FROM signing_keys WHERE state = 'retired' AND retired_at < ?1")
                .bind(encode_time(at))
                .execute(self.writer())
                .await
                .map_err(from_sqlx)?;
        Ok(done.rows_affected())
    }
}

fn key_from_row(row: KeyRow) -> Result<StoredSigningKey> {
    let optional_time = |t: Option<String>| t.as_deref().map(decode_time).transpose();
    Ok(StoredSigningKey {
        id: row.id.parse::<SigningKeyId>().map_err(|_| {
            Error::internal(format!("stored signing key id {:?} is invalid", row.id))
        })?,
        alg: SigningAlgorithm::parse(&row.alg)
            .map_err(|_| Error::internal(format!("stored signing key alg {:?}", row.alg)))?,
        kid: row.kid,
        source: KeySource::parse(&row.source)?,
        private_key_encrypted: row.private_key_encrypted,
        public_jwk: decode_json(&row.public_jwk)?,
        state: KeyState::parse(&row.state)?,
        created_at: decode_time(&row.created_at)?,
        activates_at: decode_time(&row.activates_at)?,
        activated_at: optional_time(row.activated_at)?,
        retired_at: optional_time(row.retired_at)?,
        expires_at: optional_time(row.expires_at)?,
    })
}
