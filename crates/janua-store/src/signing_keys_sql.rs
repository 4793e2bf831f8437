//! The SQL of the JWT key ring (`SigningKeyStore`, the `signing_keys` table), written once:
//! listing the keys in creation order, inserting one, changing a key's state (stamping the time
//! of its activation or retirement once) and deleting long-retired keys. Both backends run the
//! same statements (sqlx binds `$N` placeholders on SQLite too); how a UUID, a time or a JSON
//! document is encoded and decoded comes from each backend's `row_codec` module.
//!
//! Not shared: which connection reads the ring. Each backend passes the pool its
//! `signing_keys.rs` names (PostgreSQL's primary, SQLite's writer), so a key published by one
//! instance is seen by the others at their next refresh.

/// Implements `SigningKeyStore` for `$store`.
///
/// - `$row`: the backend's row type; `$codec`: the module with `enc_*` and decoders;
/// - `$read` / `$write`: the pool methods for the listing and for the writes.
macro_rules! impl_signing_key_store {
    (
        $store:ident,
        $row:ty,
        $codec:ident,
        $read:ident,
        $write:ident
    ) => {
        use async_trait::async_trait;
        use chrono::{DateTime, Utc};
        use janua_core::error::{Error, Result};
        use janua_core::ids::SigningKeyId;
        use janua_core::tokens::keys::SigningAlgorithm;
        use janua_core::tokens::store::{KeySource, KeyState, SigningKeyStore, StoredSigningKey};
        use sqlx::Row;

        use crate::errors::from_sqlx;

        const COLUMNS: &str = "id, kid, alg, source, private_key_encrypted, public_jwk, state, \
            created_at, activates_at, activated_at, retired_at, expires_at";

        fn text(row: &$row, col: &str) -> Result<String> {
            row.try_get::<String, _>(col).map_err(from_sqlx)
        }

        fn key_from_row(row: &$row) -> Result<StoredSigningKey> {
            let alg = text(row, "alg")?;
            Ok(StoredSigningKey {
                id: SigningKeyId::from_uuid($codec::id(row, "id")?),
                alg: SigningAlgorithm::parse(&alg)
                    .map_err(|_| Error::internal(format!("stored signing key alg {alg:?}")))?,
                kid: text(row, "kid")?,
                source: KeySource::parse(&text(row, "source")?)?,
                private_key_encrypted: row
                    .try_get::<Option<String>, _>("private_key_encrypted")
                    .map_err(from_sqlx)?,
                public_jwk: $codec::json(row, "public_jwk")?,
                state: KeyState::parse(&text(row, "state")?)?,
                created_at: $codec::time(row, "created_at")?,
                activates_at: $codec::time(row, "activates_at")?,
                activated_at: $codec::opt_time(row, "activated_at")?,
                retired_at: $codec::opt_time(row, "retired_at")?,
                expires_at: $codec::opt_time(row, "expires_at")?,
            })
        }

        #[async_trait]
        impl SigningKeyStore for $store {
            async fn list_signing_keys(&self) -> Result<Vec<StoredSigningKey>> {
                let rows = sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM signing_keys ORDER BY created_at, kid"
                ))
                .fetch_all(self.$read())
                .await
                .map_err(from_sqlx)?;
                rows.iter().map(key_from_row).collect()
            }

            async fn insert_signing_key(&self, key: &StoredSigningKey) -> Result<()> {
                sqlx::query(&format!(
                    "INSERT INTO signing_keys ({COLUMNS}) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
                ))
                .bind($codec::enc_id(key.id.as_uuid()))
                .bind(&key.kid)
                .bind(key.alg.as_str())
                .bind(key.source.as_str())
                .bind(&key.private_key_encrypted)
                .bind($codec::enc_json(&key.public_jwk)?)
                .bind(key.state.as_str())
                .bind($codec::enc_time(key.created_at))
                .bind($codec::enc_time(key.activates_at))
                .bind(key.activated_at.map($codec::enc_time))
                .bind(key.retired_at.map($codec::enc_time))
                .bind(key.expires_at.map($codec::enc_time))
                .execute(self.$write())
                .await
                .map_err(from_sqlx)?;
                Ok(())
            }

            async fn set_key_state(
                &self,
                kid: &str,
                state: KeyState,
                at: DateTime<Utc>,
            ) -> Result<bool> {
                let done = sqlx::query(
                    "UPDATE signing_keys SET state = $2, \
                     activated_at = CASE WHEN $2 = 'active' THEN $3 ELSE activated_at END, \
                     retired_at = CASE WHEN $2 = 'retired' THEN $3 ELSE retired_at END \
                     WHERE kid = $1 AND state <> $2",
                )
                .bind(kid)
                .bind(state.as_str())
                .bind($codec::enc_time(at))
                .execute(self.$write())
                .await
                .map_err(from_sqlx)?;
                Ok(done.rows_affected() > 0)
            }

            async fn delete_retired_before(&self, at: DateTime<Utc>) -> Result<u64> {
                let done = sqlx::query(
                    "DELETE FROM signing_keys WHERE state = 'retired' AND retired_at < $1",
                )
                .bind($codec::enc_time(at))
                .execute(self.$write())
                .await
                .map_err(from_sqlx)?;
                Ok(done.rows_affected())
            }
        }
    };
}

pub(crate) use impl_signing_key_store;
