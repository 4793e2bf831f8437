//! One-time tokens on SQLite: the `one_time_tokens` table (email verification, password reset,
//! magic links, MFA recovery), consumed at most once.

use chrono::{DateTime, Utc};
use janua_core::auth::store::{NewOneTimeToken, OneTimeToken, OneTimeTokenKind};
use janua_core::error::Result;
use janua_core::ids::UserId;

use super::codec::{decode_json, decode_time, encode_json, encode_time};
use super::users::decode_uuid;
use super::SqliteStore;
use crate::errors::from_sqlx;
use crate::json::ensure_storable;

/// `id`, `user_id`, `email_normalized`, `payload`, `created_at`, `expires_at`.
type OneTimeTokenRow = (
    String,
    Option<String>,
    Option<String>,
    String,
    String,
    String,
);

impl SqliteStore {
    pub(super) async fn create_one_time_token(&self, token: &NewOneTimeToken) -> Result<()> {
        ensure_storable("payload", &token.payload)?;
        sqlx::query(
            "INSERT INTO one_time_tokens (id, kind, token_hash, user_id, email_normalized, \
             payload, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .bind(token.id.to_string())
        .bind(token.kind.as_str())
        .bind(&token.token_hash)
        .bind(token.user_id.map(|id| id.to_string()))
        .bind(token.email_normalized.as_deref())
        .bind(encode_json(&token.payload)?)
        .bind(encode_time(token.created_at))
        .bind(encode_time(token.expires_at))
        .execute(self.writer())
        .await
        .map_err(from_sqlx)?;
        Ok(())
    }

    /// One conditional update: of several concurrent consumers, exactly one gets the token.
    pub(super) async fn consume_one_time_token(
        &self,
        kind: OneTimeTokenKind,
        token_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<OneTimeToken>> {
        let row: Option<OneTimeTokenRow> = sqlx::query_as(
            "UPDATE one_time_tokens SET used_at = ?3 \
             WHERE token_hash = ?1 AND kind = ?2 AND used_at IS NULL AND expires_at > ?3 \
             RETURNING id, user_id, email_normalized, payload, created_at, expires_at",
        )
        .bind(token_hash)
        .bind(kind.as_str())
        .bind(encode_time(at))
        .fetch_optional(self.writer())
        .await
        .map_err(from_sqlx)?;
        let Some((id, user_id, email_normalized, payload, created_at, expires_at)) = row else {
            return Ok(None);
        };
        Ok(Some(OneTimeToken {
            id: decode_uuid(&id)?,
            kind,
            user_id: user_id
                .as_deref()
                .map(decode_uuid)
                .transpose()?
                .map(UserId::from_uuid),
            email_normalized,
            payload: decode_json(&payload)?,
            created_at: decode_time(&created_at)?,
            expires_at: decode_time(&expires_at)?,
        }))
    }
}
