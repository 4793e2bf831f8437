//! The SQL of one-time tokens (the `one_time_tokens` table: email verification, password
//! reset, magic links, MFA recovery), written once: issuing a token and consuming it at most
//! once. Both backends run the same statements (sqlx binds `$N` placeholders on SQLite too); how
//! a UUID, a time or a JSON document is encoded and decoded comes from each backend's
//! `row_codec` module.
//!
//! Nothing stays per backend but the pool: consuming is one conditional update, which
//! PostgreSQL serializes with the row lock (a concurrent consumer then finds `used_at` set) and
//! SQLite with its single writer.

/// Implements `create_one_time_token` and `consume_one_time_token` as inherent methods of
/// `$store` (`auth_dispatch` hands the `AuthStore` trait's calls to them).
///
/// - `$row`: the backend's row type; `$codec`: the module with `enc_*` and decoders;
/// - `$write`: the pool method both statements run on.
macro_rules! impl_one_time_token_statements {
    ($store:ident, $row:ty, $codec:ident, $write:ident) => {
        use chrono::{DateTime, Utc};
        use janua_core::auth::store::{NewOneTimeToken, OneTimeToken, OneTimeTokenKind};
        use janua_core::error::Result;
        use janua_core::ids::UserId;
        use sqlx::Row;

        use crate::errors::from_sqlx;
        use crate::json::ensure_storable;

        fn token_from_row(row: &$row, kind: OneTimeTokenKind) -> Result<OneTimeToken> {
            Ok(OneTimeToken {
                id: $codec::id(row, "id")?,
                kind,
                user_id: $codec::opt_id(row, "user_id")?.map(UserId::from_uuid),
                email_normalized: row
                    .try_get::<Option<String>, _>("email_normalized")
                    .map_err(from_sqlx)?,
                payload: $codec::json(row, "payload")?,
                created_at: $codec::time(row, "created_at")?,
                expires_at: $codec::time(row, "expires_at")?,
            })
        }

        impl $store {
            pub(super) async fn create_one_time_token(
                &self,
                token: &NewOneTimeToken,
            ) -> Result<()> {
                ensure_storable("payload", &token.payload)?;
                sqlx::query(
                    "INSERT INTO one_time_tokens (id, kind, token_hash, user_id, \
                     email_normalized, payload, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind($codec::enc_id(token.id))
                .bind(token.kind.as_str())
                .bind(&token.token_hash)
                .bind(token.user_id.map(|id| $codec::enc_id(id.as_uuid())))
                .bind(token.email_normalized.as_deref())
                .bind($codec::enc_json(&token.payload)?)
                .bind($codec::enc_time(token.created_at))
                .bind($codec::enc_time(token.expires_at))
                .execute(self.$write())
                .await
                .map_err(from_sqlx)?;
                Ok(())
            }

            /// One conditional update: of several concurrent consumers, exactly one gets the
            /// token.
            pub(super) async fn consume_one_time_token(
                &self,
                kind: OneTimeTokenKind,
                token_hash: &str,
                at: DateTime<Utc>,
            ) -> Result<Option<OneTimeToken>> {
                let row = sqlx::query(
                    "UPDATE one_time_tokens SET used_at = $3 \
                     WHERE token_hash = $1 AND kind = $2 AND used_at IS NULL \
                     AND expires_at > $3 \
                     RETURNING id, user_id, email_normalized, payload, created_at, expires_at",
                )
                .bind(token_hash)
                .bind(kind.as_str())
                .bind($codec::enc_time(at))
                .fetch_optional(self.$write())
                .await
                .map_err(from_sqlx)?;
                row.map(|row| token_from_row(&row, kind)).transpose()
            }
        }
    };
}

pub(crate) use impl_one_time_token_statements;
