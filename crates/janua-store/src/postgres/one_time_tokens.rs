//! One-time tokens on PostgreSQL: the `one_time_tokens` table (email verification, password
//! reset, magic links, MFA recovery), consumed at most once.

use chrono::{DateTime, Utc};
use janua_core::auth::store::{NewOneTimeToken, OneTimeToken, OneTimeTokenKind};
use janua_core::error::Result;
use janua_core::ids::UserId;
use serde_json::Value;
use sqlx::types::Json;

use super::PgStore;
use crate::errors::from_sqlx;
use crate::json::ensure_storable;

/// `id`, `user_id`, `email_normalized`, `payload`, `created_at`, `expires_at`.
type OneTimeTokenRow = (
    uuid::Uuid,
    Option<uuid::Uuid>,
    Option<String>,
    Json<Value>,
    DateTime<Utc>,
    DateTime<Utc>,
);

impl PgStore {
    pub(super) async fn create_one_time_token(&self, token: &NewOneTimeToken) -> Result<()> {
        ensure_storable("payload", &token.payload)?;
        sqlx::query(
            "INSERT INTO one_time_tokens (id, kind, token_hash, user_id, email_normalized, \
             payload, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(token.id)
        .bind(token.kind.as_str())
        .bind(&token.token_hash)
        .bind(token.user_id.map(|id| id.as_uuid()))
        .bind(token.email_normalized.as_deref())
        .bind(Json(&token.payload))
        .bind(token.created_at)
        .bind(token.expires_at)
        .execute(self.primary())
        .await
        .map_err(from_sqlx)?;
        Ok(())
    }

    /// One conditional update: a concurrent consumer waits for the row lock, then finds
    /// `used_at` set, so exactly one gets the token.
    pub(super) async fn consume_one_time_token(
        &self,
        kind: OneTimeTokenKind,
        token_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<OneTimeToken>> {
        let row: Option<OneTimeTokenRow> = sqlx::query_as(
            "UPDATE one_time_tokens SET used_at = $3 \
             WHERE token_hash = $1 AND kind = $2 AND used_at IS NULL AND expires_at > $3 \
             RETURNING id, user_id, email_normalized, payload, created_at, expires_at",
        )
        .bind(token_hash)
        .bind(kind.as_str())
        .bind(at)
        .fetch_optional(self.primary())
        .await
        .map_err(from_sqlx)?;
        Ok(row.map(
            |(id, user_id, email_normalized, Json(payload), created_at, expires_at)| OneTimeToken {
                id,
                kind,
                user_id: user_id.map(UserId::from_uuid),
                email_normalized,
                payload,
                created_at,
                expires_at,
            },
        ))
    }
}
