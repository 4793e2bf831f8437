//! OAuth clients on SQLite: `oauth_clients` and their secrets (`oauth_client_secrets`). Every
//! change writes its audit entries in its own transaction.

use chrono::{DateTime, Utc};
use janua_core::audit::AuditEntry;
use janua_core::error::{Error, Result};
use janua_core::ids::{OAuthClientId, OrgId, UserId};
use janua_core::oidc::clients::{ClientSecret, ClientSpec, OAuthClient};
use janua_core::oidc::store::{ClientLookup, ClientQuery};
use janua_core::tokens::keys::SigningAlgorithm;

use super::codec::{decode_json, decode_time, encode_json, encode_time};
use super::users::decode_uuid;
use super::SqliteStore;
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
    id: String,
    client_id: String,
    name: String,
    description: Option<String>,
    redirect_uris: String,
    allowed_scopes: String,
    grant_types: String,
    audience: Option<String>,
    client_key: Option<String>,
    logo_url: Option<String>,
    website_url: Option<String>,
    is_active: bool,
    is_confidential: bool,
    is_first_party: bool,
    signing_alg: Option<String>,
    organization_id: Option<String>,
    created_by: Option<String>,
    last_used_at: Option<String>,
    created_at: String,
    updated_at: String,
}

pub(super) fn decode_list(stored: &str) -> Result<Vec<String>> {
    serde_json::from_value(decode_json(stored)?)
        .map_err(|e| Error::internal(format!("stored list is not a string list: {e}")))
}

impl TryFrom<ClientRow> for OAuthClient {
    type Error = Error;

    fn try_from(row: ClientRow) -> Result<Self> {
        Ok(OAuthClient {
            id: OAuthClientId::from_uuid(decode_uuid(&row.id)?),
            client_id: row.client_id,
            spec: ClientSpec {
                name: row.name,
                description: row.description,
                redirect_uris: decode_list(&row.redirect_uris)?,
                allowed_scopes: decode_list(&row.allowed_scopes)?,
                grant_types: decode_list(&row.grant_types)?,
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
                organization_id: row
                    .organization_id
                    .as_deref()
                    .map(|id| decode_uuid(id).map(OrgId::from_uuid))
                    .transpose()?,
            },
            created_by: row
                .created_by
                .as_deref()
                .map(|id| decode_uuid(id).map(UserId::from_uuid))
                .transpose()?,
            last_used_at: row.last_used_at.as_deref().map(decode_time).transpose()?,
            created_at: decode_time(&row.created_at)?,
            updated_at: decode_time(&row.updated_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
struct SecretRow {
    id: String,
    oauth_client_id: String,
    secret_hash: String,
    prefix: String,
    is_primary: bool,
    created_at: String,
    expires_at: Option<String>,
    revoked_at: Option<String>,
    last_used_at: Option<String>,
}

impl TryFrom<SecretRow> for ClientSecret {
    type Error = Error;

    fn try_from(row: SecretRow) -> Result<Self> {
        Ok(ClientSecret {
            id: decode_uuid(&row.id)?,
            client: OAuthClientId::from_uuid(decode_uuid(&row.oauth_client_id)?),
            secret_hash: row.secret_hash,
            prefix: row.prefix,
            is_primary: row.is_primary,
            created_at: decode_time(&row.created_at)?,
            expires_at: row.expires_at.as_deref().map(decode_time).transpose()?,
            revoked_at: row.revoked_at.as_deref().map(decode_time).transpose()?,
            last_used_at: row.last_used_at.as_deref().map(decode_time).transpose()?,
        })
    }
}

fn list_json(list: &[String]) -> Result<String> {
    encode_json(&serde_json::json!(list))
}

impl SqliteStore {
    pub(super) async fn create_client(
        &self,
        client: &OAuthClient,
        secret: Option<&ClientSecret>,
        audit: &[AuditEntry],
    ) -> Result<()> {
        let s = &client.spec;
        let mut tx = self.writer().begin().await.map_err(from_sqlx)?;
        sqlx::query(&format!(
            "INSERT INTO oauth_clients ({CLIENT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, \
             ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)"
        ))
        .bind(client.id.to_string())
        .bind(&client.client_id)
        .bind(&s.name)
        .bind(s.description.as_deref())
        .bind(list_json(&s.redirect_uris)?)
        .bind(list_json(&s.allowed_scopes)?)
        .bind(list_json(&s.grant_types)?)
        .bind(s.audience.as_deref())
        .bind(s.client_key.as_deref())
        .bind(s.logo_url.as_deref())
        .bind(s.website_url.as_deref())
        .bind(s.is_active)
        .bind(s.is_confidential)
        .bind(s.is_first_party)
        .bind(s.signing_alg.map(|a| a.as_str()))
        .bind(s.organization_id.map(|o| o.to_string()))
        .bind(client.created_by.map(|u| u.to_string()))
        .bind(client.last_used_at.map(encode_time))
        .bind(encode_time(client.created_at))
        .bind(encode_time(client.updated_at))
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        if let Some(secret) = secret {
            insert_secret(&mut tx, secret).await?;
        }
        audit_rows::insert_sqlite(&mut tx, audit).await?;
        tx.commit().await.map_err(from_sqlx)
    }

    pub(super) async fn get_client(&self, id: OAuthClientId) -> Result<Option<OAuthClient>> {
        let row: Option<ClientRow> = sqlx::query_as(&format!(
            "SELECT {CLIENT_COLUMNS} FROM oauth_clients WHERE id = ?1"
        ))
        .bind(id.to_string())
        .fetch_optional(self.reader())
        .await
        .map_err(from_sqlx)?;
        row.map(OAuthClient::try_from).transpose()
    }

    pub(super) async fn find_client(&self, client_id: &str) -> Result<Option<OAuthClient>> {
        let row: Option<ClientRow> = sqlx::query_as(&format!(
            "SELECT {CLIENT_COLUMNS} FROM oauth_clients WHERE client_id = ?1"
        ))
        .bind(client_id)
        .fetch_optional(self.reader())
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
            "SELECT {CLIENT_COLUMNS} FROM oauth_clients WHERE {column} = ?1 \
             ORDER BY created_at, id LIMIT 1"
        ))
        .bind(value)
        .fetch_optional(self.reader())
        .await
        .map_err(from_sqlx)?;
        row.map(OAuthClient::try_from).transpose()
    }

    pub(super) async fn list_clients(
        &self,
        query: &ClientQuery,
    ) -> Result<(Vec<OAuthClient>, u64)> {
        let (limit, offset) = limit_offset(query.page, query.per_page);
        let filter = "(?1 IS NULL OR created_by = ?1) AND (?2 IS NULL OR organization_id = ?2)";
        let created_by = query.created_by.map(|u| u.to_string());
        let org = query.organization_id.map(|o| o.to_string());
        let rows: Vec<ClientRow> = sqlx::query_as(&format!(
            "SELECT {CLIENT_COLUMNS} FROM oauth_clients WHERE {filter} \
             ORDER BY created_at DESC, id DESC LIMIT ?3 OFFSET ?4"
        ))
        .bind(created_by.as_deref())
        .bind(org.as_deref())
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await
        .map_err(from_sqlx)?;
        let (total,): (i64,) = sqlx::query_as(&format!(
            "SELECT COUNT(*) FROM oauth_clients WHERE {filter}"
        ))
        .bind(created_by.as_deref())
        .bind(org.as_deref())
        .fetch_one(self.reader())
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
        let mut tx = self.writer().begin().await.map_err(from_sqlx)?;
        let done = sqlx::query(
            "UPDATE oauth_clients SET name = ?2, description = ?3, redirect_uris = ?4, \
             allowed_scopes = ?5, grant_types = ?6, audience = ?7, client_key = ?8, \
             logo_url = ?9, website_url = ?10, is_active = ?11, is_confidential = ?12, \
             is_first_party = ?13, signing_alg = ?14, organization_id = ?15, updated_at = ?16 \
             WHERE id = ?1",
        )
        .bind(client.id.to_string())
        .bind(&s.name)
        .bind(s.description.as_deref())
        .bind(list_json(&s.redirect_uris)?)
        .bind(list_json(&s.allowed_scopes)?)
        .bind(list_json(&s.grant_types)?)
        .bind(s.audience.as_deref())
        .bind(s.client_key.as_deref())
        .bind(s.logo_url.as_deref())
        .bind(s.website_url.as_deref())
        .bind(s.is_active)
        .bind(s.is_confidential)
        .bind(s.is_first_party)
        .bind(s.signing_alg.map(|a| a.as_str()))
        .bind(s.organization_id.map(|o| o.to_string()))
        .bind(encode_time(client.updated_at))
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        if done.rows_affected() == 0 {
            return Err(Error::NotFound);
        }
        audit_rows::insert_sqlite(&mut tx, audit).await?;
        tx.commit().await.map_err(from_sqlx)
    }

    pub(super) async fn delete_client(
        &self,
        id: OAuthClientId,
        audit: &[AuditEntry],
    ) -> Result<bool> {
        let mut tx = self.writer().begin().await.map_err(from_sqlx)?;
        let done = sqlx::query("DELETE FROM oauth_clients WHERE id = ?1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(from_sqlx)?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        audit_rows::insert_sqlite(&mut tx, audit).await?;
        tx.commit().await.map_err(from_sqlx)?;
        Ok(true)
    }

    pub(super) async fn list_client_secrets(
        &self,
        client: OAuthClientId,
    ) -> Result<Vec<ClientSecret>> {
        let rows: Vec<SecretRow> = sqlx::query_as(&format!(
            "SELECT {SECRET_COLUMNS} FROM oauth_client_secrets WHERE oauth_client_id = ?1 \
             ORDER BY created_at DESC, id DESC"
        ))
        .bind(client.to_string())
        .fetch_all(self.reader())
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
        let expire = encode_time(old_expire_at);
        let mut tx = self.writer().begin().await.map_err(from_sqlx)?;
        sqlx::query(
            "UPDATE oauth_client_secrets SET is_primary = 0, \
             expires_at = CASE WHEN expires_at IS NULL OR expires_at > ?2 THEN ?2 ELSE expires_at END \
             WHERE oauth_client_id = ?1 AND revoked_at IS NULL",
        )
        .bind(new.client.to_string())
        .bind(&expire)
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        insert_secret(&mut tx, new).await?;
        audit_rows::insert_sqlite(&mut tx, audit).await?;
        tx.commit().await.map_err(from_sqlx)
    }

    pub(super) async fn revoke_client_secrets(
        &self,
        client: OAuthClientId,
        secret_id: Option<uuid::Uuid>,
        at: DateTime<Utc>,
        audit: &[AuditEntry],
    ) -> Result<u64> {
        let mut tx = self.writer().begin().await.map_err(from_sqlx)?;
        let done = sqlx::query(
            "UPDATE oauth_client_secrets SET revoked_at = ?3 WHERE oauth_client_id = ?1 \
             AND is_primary = 0 AND revoked_at IS NULL AND (?2 IS NULL OR id = ?2)",
        )
        .bind(client.to_string())
        .bind(secret_id.map(|s| s.to_string()))
        .bind(encode_time(at))
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        audit_rows::insert_sqlite(&mut tx, audit).await?;
        tx.commit().await.map_err(from_sqlx)?;
        Ok(done.rows_affected())
    }
}

async fn insert_secret(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    secret: &ClientSecret,
) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO oauth_client_secrets ({SECRET_COLUMNS}) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
    ))
    .bind(secret.id.to_string())
    .bind(secret.client.to_string())
    .bind(&secret.secret_hash)
    .bind(&secret.prefix)
    .bind(secret.is_primary)
    .bind(encode_time(secret.created_at))
    .bind(secret.expires_at.map(encode_time))
    .bind(secret.revoked_at.map(encode_time))
    .bind(secret.last_used_at.map(encode_time))
    .execute(&mut **tx)
    .await
    .map_err(from_sqlx)?;
    Ok(())
}
