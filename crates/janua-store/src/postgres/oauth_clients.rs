//! OAuth clients on PostgreSQL: `oauth_clients` and their secrets (`oauth_client_secrets`).
//! Every change writes its audit entries in its own transaction.

use chrono::{DateTime, Utc};
use janua_core::audit::AuditEntry;
use janua_core::error::{Error, Result};
use janua_core::ids::{OAuthClientId, OrgId, UserId};
use janua_core::oidc::clients::{ClientSecret, ClientSpec, OAuthClient};
use janua_core::oidc::store::{ClientLookup, ClientQuery};
use janua_core::tokens::keys::SigningAlgorithm;
use sqlx::types::Json;

use super::PgStore;
use crate::audit_rows;
use crate::errors::from_sqlx;
use crate::paging::limit_offset;

pub(super) const CLIENT_COLUMNS: &str = "id, client_id, name, description, redirect_uris, \
     allowed_scopes, grant_types, audience, client_key, logo_url, website_url, is_active, \
     is_confidential, is_first_party, signing_alg, organization_id, created_by, last_used_at, \
     created_at, updated_at";

const SECRET_COLUMNS: &str = "id, oauth_client_id, secret_hash, prefix, is_primary, created_at, \
     expires_at, revoked_at, last_used_at";

#[derive(sqlx::FromRow)]
pub(super) struct ClientRow {
    id: uuid::Uuid,
    client_id: String,
    name: String,
    description: Option<String>,
    redirect_uris: Json<Vec<String>>,
    allowed_scopes: Json<Vec<String>>,
    grant_types: Json<Vec<String>>,
    audience: Option<String>,
    client_key: Option<String>,
    logo_url: Option<String>,
    website_url: Option<String>,
    is_active: bool,
    is_confidential: bool,
    is_first_party: bool,
    signing_alg: Option<String>,
    organization_id: Option<uuid::Uuid>,
    created_by: Option<uuid::Uuid>,
    last_used_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<ClientRow> for OAuthClient {
    type Error = Error;

    fn try_from(row: ClientRow) -> Result<Self> {
        Ok(OAuthClient {
            id: OAuthClientId::from_uuid(row.id),
            client_id: row.client_id,
            spec: ClientSpec {
                name: row.name,
                description: row.description,
                redirect_uris: row.redirect_uris.0,
                allowed_scopes: row.allowed_scopes.0,
                grant_types: row.grant_types.0,
                audience: row.audience,
                client_key: row.client_key,
                logo_url: row.logo_url,
                website_url: row.website_url,
                is_active: row.is_active,
                is_confidential: row.is_confidential,
                is_first_party: row.is_first_party,
                signing_alg: row
                    .signing_alg
                    .as_deref()
                    .map(SigningAlgorithm::parse)
                    .transpose()
                    .map_err(|_| Error::internal("stored signing_alg is unknown"))?,
                organization_id: row.organization_id.map(OrgId::from_uuid),
            },
            created_by: row.created_by.map(UserId::from_uuid),
            last_used_at: row.last_used_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct SecretRow {
    id: uuid::Uuid,
    oauth_client_id: uuid::Uuid,
    secret_hash: String,
    prefix: String,
    is_primary: bool,
    created_at: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
    last_used_at: Option<DateTime<Utc>>,
}

impl TryFrom<SecretRow> for ClientSecret {
    type Error = Error;

    fn try_from(row: SecretRow) -> Result<Self> {
        Ok(ClientSecret {
            id: row.id,
            client: OAuthClientId::from_uuid(row.oauth_client_id),
            secret_hash: row.secret_hash,
            prefix: row.prefix,
            is_primary: row.is_primary,
            created_at: row.created_at,
            expires_at: row.expires_at,
            revoked_at: row.revoked_at,
            last_used_at: row.last_used_at,
        })
    }
}

impl PgStore {
    pub(super) async fn create_client(
        &self,
        client: &OAuthClient,
        secret: Option<&ClientSecret>,
        audit: &[AuditEntry],
    ) -> Result<()> {
        let s = &client.spec;
        let mut tx = self.primary().begin().await.map_err(from_sqlx)?;
        sqlx::query(&format!(
            "INSERT INTO oauth_clients ({CLIENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, \
             $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)"
        ))
        .bind(client.id.as_uuid())
        .bind(&client.client_id)
        .bind(&s.name)
        .bind(s.description.as_deref())
        .bind(Json(&s.redirect_uris))
        .bind(Json(&s.allowed_scopes))
        .bind(Json(&s.grant_types))
        .bind(s.audience.as_deref())
        .bind(s.client_key.as_deref())
        .bind(s.logo_url.as_deref())
        .bind(s.website_url.as_deref())
        .bind(s.is_active)
        .bind(s.is_confidential)
        .bind(s.is_first_party)
        .bind(s.signing_alg.map(|a| a.as_str()))
        .bind(s.organization_id.map(|o| o.as_uuid()))
        .bind(client.created_by.map(|u| u.as_uuid()))
        .bind(client.last_used_at)
        .bind(client.created_at)
        .bind(client.updated_at)
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        if let Some(secret) = secret {
            insert_secret(&mut tx, secret).await?;
        }
        audit_rows::insert_pg(&mut tx, audit).await?;
        tx.commit().await.map_err(from_sqlx)
    }

    pub(super) async fn get_client(&self, id: OAuthClientId) -> Result<Option<OAuthClient>> {
        let row: Option<ClientRow> = sqlx::query_as(&format!(
            "SELECT {CLIENT_COLUMNS} FROM oauth_clients WHERE id = $1"
        ))
        .bind(id.as_uuid())
        .fetch_optional(self.primary())
        .await
        .map_err(from_sqlx)?;
        row.map(OAuthClient::try_from).transpose()
    }

    pub(super) async fn find_client(&self, client_id: &str) -> Result<Option<OAuthClient>> {
        let row: Option<ClientRow> = sqlx::query_as(&format!(
            "SELECT {CLIENT_COLUMNS} FROM oauth_clients WHERE client_id = $1"
        ))
        .bind(client_id)
        .fetch_optional(self.primary())
        .await
        .map_err(from_sqlx)?;
        row.map(OAuthClient::try_from).transpose()
    }

    pub(super) async fn find_client_by(
        &self,
        lookup: ClientLookup<'_>,
    ) -> Result<Option<OAuthClient>> {
        let (column, value) = match lookup {
            ClientLookup::ClientKey(v) => ("client_key", v),
            ClientLookup::Audience(v) => ("audience", v),
            ClientLookup::Name(v) => ("name", v),
        };
        let row: Option<ClientRow> = sqlx::query_as(&format!(
            "SELECT {CLIENT_COLUMNS} FROM oauth_clients WHERE {column} = $1 \
             ORDER BY created_at, id LIMIT 1"
        ))
        .bind(value)
        .fetch_optional(self.primary())
        .await
        .map_err(from_sqlx)?;
        row.map(OAuthClient::try_from).transpose()
    }

    pub(super) async fn list_clients(
        &self,
        query: &ClientQuery,
    ) -> Result<(Vec<OAuthClient>, u64)> {
        let (limit, offset) = limit_offset(query.page, query.per_page);
        let filter =
            "($1::uuid IS NULL OR created_by = $1) AND ($2::uuid IS NULL OR organization_id = $2)";
        let created_by = query.created_by.map(|u| u.as_uuid());
        let org = query.organization_id.map(|o| o.as_uuid());
        let rows: Vec<ClientRow> = sqlx::query_as(&format!(
            "SELECT {CLIENT_COLUMNS} FROM oauth_clients WHERE {filter} \
             ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4"
        ))
        .bind(created_by)
        .bind(org)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.primary())
        .await
        .map_err(from_sqlx)?;
        let (total,): (i64,) = sqlx::query_as(&format!(
            "SELECT COUNT(*) FROM oauth_clients WHERE {filter}"
        ))
        .bind(created_by)
        .bind(org)
        .fetch_one(self.primary())
        .await
        .map_err(from_sqlx)?;
        let clients = rows
            .into_iter()
            .map(OAuthClient::try_from)
            .collect::<Result<_>>()?;
        Ok((clients, u64::try_from(total).unwrap_or(0)))
    }

    pub(super) async fn update_client(
        &self,
        client: &OAuthClient,
        audit: &[AuditEntry],
    ) -> Result<()> {
        let s = &client.spec;
        let mut tx = self.primary().begin().await.map_err(from_sqlx)?;
        let done = sqlx::query(
            "UPDATE oauth_clients SET name = $2, description = $3, redirect_uris = $4, \
             allowed_scopes = $5, grant_types = $6, audience = $7, client_key = $8, \
             logo_url = $9, website_url = $10, is_active = $11, is_confidential = $12, \
             is_first_party = $13, signing_alg = $14, organization_id = $15, updated_at = $16 \
             WHERE id = $1",
        )
        .bind(client.id.as_uuid())
        .bind(&s.name)
        .bind(s.description.as_deref())
        .bind(Json(&s.redirect_uris))
        .bind(Json(&s.allowed_scopes))
        .bind(Json(&s.grant_types))
        .bind(s.audience.as_deref())
        .bind(s.client_key.as_deref())
        .bind(s.logo_url.as_deref())
        .bind(s.website_url.as_deref())
        .bind(s.is_active)
        .bind(s.is_confidential)
        .bind(s.is_first_party)
        .bind(s.signing_alg.map(|a| a.as_str()))
        .bind(s.organization_id.map(|o| o.as_uuid()))
        .bind(client.updated_at)
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        if done.rows_affected() == 0 {
            return Err(Error::NotFound);
        }
        audit_rows::insert_pg(&mut tx, audit).await?;
        tx.commit().await.map_err(from_sqlx)
    }

    pub(super) async fn delete_client(
        &self,
        id: OAuthClientId,
        audit: &[AuditEntry],
    ) -> Result<bool> {
        let mut tx = self.primary().begin().await.map_err(from_sqlx)?;
        let done = sqlx::query("DELETE FROM oauth_clients WHERE id = $1")
            .bind(id.as_uuid())
            .execute(&mut *tx)
            .await
            .map_err(from_sqlx)?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        audit_rows::insert_pg(&mut tx, audit).await?;
        tx.commit().await.map_err(from_sqlx)?;
        Ok(true)
    }

    pub(super) async fn list_client_secrets(
        &self,
        client: OAuthClientId,
    ) -> Result<Vec<ClientSecret>> {
        let rows: Vec<SecretRow> = sqlx::query_as(&format!(
            "SELECT {SECRET_COLUMNS} FROM oauth_client_secrets WHERE oauth_client_id = $1 \
             ORDER BY created_at DESC, id DESC"
        ))
        .bind(client.as_uuid())
        .fetch_all(self.primary())
        .await
        .map_err(from_sqlx)?;
        rows.into_iter().map(ClientSecret::try_from).collect()
    }

    pub(super) async fn rotate_client_secret(
        &self,
        new: &ClientSecret,
        old_expire_at: DateTime<Utc>,
        audit: &[AuditEntry],
    ) -> Result<()> {
        let expire = old_expire_at;
        let mut tx = self.primary().begin().await.map_err(from_sqlx)?;
        sqlx::query(
            "UPDATE oauth_client_secrets SET is_primary = FALSE, \
             expires_at = CASE WHEN expires_at IS NULL OR expires_at > $2 THEN $2 ELSE expires_at END \
             WHERE oauth_client_id = $1 AND revoked_at IS NULL",
        )
        .bind(new.client.as_uuid())
        .bind(expire)
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        insert_secret(&mut tx, new).await?;
        audit_rows::insert_pg(&mut tx, audit).await?;
        tx.commit().await.map_err(from_sqlx)
    }

    pub(super) async fn revoke_client_secrets(
        &self,
        client: OAuthClientId,
        secret_id: Option<uuid::Uuid>,
        at: DateTime<Utc>,
        audit: &[AuditEntry],
    ) -> Result<u64> {
        let mut tx = self.primary().begin().await.map_err(from_sqlx)?;
        let done = sqlx::query(
            "UPDATE oauth_client_secrets SET revoked_at = $3 WHERE oauth_client_id = $1 \
             AND is_primary = FALSE AND revoked_at IS NULL AND ($2::uuid IS NULL OR id = $2)",
        )
        .bind(client.as_uuid())
        .bind(secret_id)
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        audit_rows::insert_pg(&mut tx, audit).await?;
        tx.commit().await.map_err(from_sqlx)?;
        Ok(done.rows_affected())
    }
}

async fn insert_secret(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    secret: &ClientSecret,
) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO oauth_client_secrets ({SECRET_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    ))
    .bind(secret.id)
    .bind(secret.client.as_uuid())
    .bind(&secret.secret_hash)
    .bind(&secret.prefix)
    .bind(secret.is_primary)
    .bind(secret.created_at)
    .bind(secret.expires_at)
    .bind(secret.revoked_at)
    .bind(secret.last_used_at)
    .execute(&mut **tx)
    .await
    .map_err(from_sqlx)?;
    Ok(())
}
