//! `/api/v1/oauth/clients` (API.md §10): OAuth client management for their creators and
//! admins, secret rotation, and the internal registration used by deployment tooling
//! (`X-Internal-API-Key`). Handlers parse, authorize and shape; rules live in
//! `janua_core::oidc::{client_admin, client_secrets}`.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use janua_core::auth::principal::{Principal, UserPrincipal};
use janua_core::clock::format_timestamp;
use janua_core::crypto::constant_time_eq;
use janua_core::error::FieldError;
use janua_core::ids::{OAuthClientId, OrgId};
use janua_core::oidc::client_admin::{self, CreateClient, Manager};
use janua_core::oidc::client_secrets::{self, MAX_SECRET_AGE_DAYS};
use janua_core::oidc::clients::{ClientSpec, OAuthClient};
use janua_core::oidc::store::ClientLookup;
use janua_core::tokens::keys::SigningAlgorithm;
use serde::de::Deserializer;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::http::api::fields::path_id;
use crate::http::audit::AuditContext;
use crate::http::auth::{AdminUser, CurrentUser};
use crate::http::error::ApiError;
use crate::http::extract::Json;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/oauth/clients",
            get(list_clients).post(create_client),
        )
        .route("/api/v1/oauth/clients/register", post(register_client))
        .route(
            "/api/v1/oauth/clients/internal/by-name/{name}",
            get(get_client_by_name),
        )
        .route("/api/v1/oauth/clients/admin/all", get(list_all_clients))
        .route(
            "/api/v1/oauth/clients/{id}",
            get(get_client).patch(update_client).delete(delete_client),
        )
        .route("/api/v1/oauth/clients/{id}/rotate", post(rotate_secret))
        .route("/api/v1/oauth/clients/{id}/secrets", get(list_secrets))
        .route(
            "/api/v1/oauth/clients/{id}/secrets/revoke",
            post(revoke_secret),
        )
        .route(
            "/api/v1/oauth/clients/{id}/secrets/revoke-all-old",
            post(revoke_old_secrets),
        )
}

fn manager(principal: &UserPrincipal) -> Manager {
    Manager {
        user_id: principal.user_id,
        email: principal.claims.email.clone(),
        is_admin: principal.is_admin,
        principal: Principal::User(principal.clone()),
    }
}

/// `Client` of API.md §10 (`client_secret` only on creation).
#[derive(Debug, Serialize)]
pub struct ClientView {
    id: String,
    client_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret: Option<String>,
    name: String,
    description: Option<String>,
    redirect_uris: Vec<String>,
    allowed_scopes: Vec<String>,
    grant_types: Vec<String>,
    audience: Option<String>,
    logo_url: Option<String>,
    website_url: Option<String>,
    is_active: bool,
    is_confidential: bool,
    is_first_party: bool,
    signing_alg: Option<&'static str>,
    last_used_at: Option<String>,
    organization_id: Option<String>,
    created_at: String,
    updated_at: String,
}

fn view(client: OAuthClient, secret: Option<String>) -> ClientView {
    let s = client.spec;
    ClientView {
        id: client.id.to_string(),
        client_id: client.client_id,
        client_secret: secret,
        name: s.name,
        description: s.description,
        redirect_uris: s.redirect_uris,
        allowed_scopes: s.allowed_scopes,
        grant_types: s.grant_types,
        audience: s.audience,
        logo_url: s.logo_url,
        website_url: s.website_url,
        is_active: s.is_active,
        is_confidential: s.is_confidential,
        is_first_party: s.is_first_party,
        signing_alg: s.signing_alg.map(SigningAlgorithm::as_str),
        last_used_at: client.last_used_at.map(format_timestamp),
        organization_id: s.organization_id.map(|o| o.to_string()),
        created_at: format_timestamp(client.created_at),
        updated_at: format_timestamp(client.updated_at),
    }
}

#[derive(Debug, Deserialize)]
pub struct CreateClientBody {
    name: String,
    description: Option<String>,
    redirect_uris: Option<Vec<String>>,
    allowed_scopes: Option<Vec<String>>,
    grant_types: Option<Vec<String>>,
    audience: Option<String>,
    organization_id: Option<String>,
    client_key: Option<String>,
    logo_url: Option<String>,
    website_url: Option<String>,
    is_confidential: Option<bool>,
    is_first_party: Option<bool>,
    signing_alg: Option<String>,
    client_id: Option<String>,
    allow_duplicate: Option<bool>,
}

fn parse_alg(raw: Option<&str>) -> Result<Option<SigningAlgorithm>, ApiError> {
    raw.map(|a| {
        SigningAlgorithm::parse(a).map_err(|_| {
            ApiError::validation(vec![FieldError::new(
                "signing_alg",
                "must be one of RS256, ES256, EdDSA",
            )])
        })
    })
    .transpose()
}

fn parse_org(raw: Option<&str>) -> Result<Option<OrgId>, ApiError> {
    raw.map(|o| {
        o.parse::<OrgId>().map_err(|_| {
            ApiError::validation(vec![FieldError::new("organization_id", "must be a UUID")])
        })
    })
    .transpose()
}

impl CreateClientBody {
    fn into_input(self, org: Option<OrgId>) -> Result<CreateClient, ApiError> {
        let mut spec = ClientSpec::named(self.name);
        spec.description = self.description;
        if let Some(uris) = self.redirect_uris {
            spec.redirect_uris = uris;
        }
        if let Some(scopes) = self.allowed_scopes {
            spec.allowed_scopes = scopes;
        }
        if let Some(grants) = self.grant_types {
            spec.grant_types = grants;
        }
        spec.audience = self.audience;
        spec.client_key = self.client_key;
        spec.logo_url = self.logo_url;
        spec.website_url = self.website_url;
        spec.is_confidential = self.is_confidential.unwrap_or(true);
        spec.is_first_party = self.is_first_party.unwrap_or(false);
        spec.signing_alg = parse_alg(self.signing_alg.as_deref())?;
        spec.organization_id = match org {
            Some(org) => Some(org),
            None => parse_org(self.organization_id.as_deref())?,
        };
        Ok(CreateClient {
            spec,
            client_id: self.client_id,
            allow_duplicate: self.allow_duplicate.unwrap_or(false),
        })
    }
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    organization_id: Option<String>,
    page: Option<u32>,
    per_page: Option<u32>,
}

/// Creates a client; the secret is shown in this answer only.
pub async fn create_client(
    CurrentUser(principal): CurrentUser,
    State(state): State<AppState>,
    AuditContext(context): AuditContext,
    Query(query): Query<ListQuery>,
    Json(body): Json<CreateClientBody>,
) -> Result<Response, ApiError> {
    let org = parse_org(query.organization_id.as_deref())?;
    let input = body.into_input(org)?;
    let created =
        client_admin::create_client(&state.core, &manager(&principal), input, &context).await?;
    Ok((
        StatusCode::CREATED,
        Json(view(created.client, created.secret)),
    )
        .into_response())
}

/// A page of clients as `{clients,total,page,per_page}`.
fn client_page(
    clients: Vec<janua_core::oidc::clients::OAuthClient>,
    total: u64,
    page: u32,
    per_page: u32,
) -> Json<serde_json::Value> {
    let clients: Vec<ClientView> = clients.into_iter().map(|c| view(c, None)).collect();
    Json(json!({
        "clients": clients,
        "total": total,
        "page": page,
        "per_page": per_page,
    }))
}

fn paging(query: &ListQuery) -> (u32, u32) {
    (
        query.page.unwrap_or(1).max(1),
        query.per_page.unwrap_or(20).clamp(1, 100),
    )
}

/// The caller's clients.
pub async fn list_clients(
    CurrentUser(principal): CurrentUser,
    State(state): State<AppState>,
    Query(query): Query<ListQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let org = parse_org(query.organization_id.as_deref())?;
    let (page, per_page) = paging(&query);
    let (clients, total) =
        client_admin::list_clients(&state.core, &manager(&principal), org, page, per_page).await?;
    Ok(client_page(clients, total, page, per_page))
}

/// Every client (admins).
pub async fn list_all_clients(
    AdminUser(principal): AdminUser,
    State(state): State<AppState>,
    Query(query): Query<ListQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let org = parse_org(query.organization_id.as_deref())?;
    let (page, per_page) = paging(&query);
    let (clients, total) =
        client_admin::list_all_clients(&state.core, &principal, org, page, per_page).await?;
    Ok(client_page(clients, total, page, per_page))
}

pub async fn get_client(
    CurrentUser(principal): CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ClientView>, ApiError> {
    let id: OAuthClientId = path_id(&id)?;
    let client = client_admin::get_visible_client(&state.core, &manager(&principal), id).await?;
    Ok(Json(view(client, None)))
}

/// `Some(None)` for an explicit `null`, `None` when the field is absent.
fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[derive(Debug, Deserialize)]
pub struct UpdateClientBody {
    name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    description: Option<Option<String>>,
    redirect_uris: Option<Vec<String>>,
    allowed_scopes: Option<Vec<String>>,
    grant_types: Option<Vec<String>>,
    #[serde(default, deserialize_with = "nullable")]
    audience: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    client_key: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    logo_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    website_url: Option<Option<String>>,
    is_active: Option<bool>,
    is_confidential: Option<bool>,
    is_first_party: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    signing_alg: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    organization_id: Option<Option<String>>,
}

/// Changes any field but `client_id`.
pub async fn update_client(
    CurrentUser(principal): CurrentUser,
    State(state): State<AppState>,
    AuditContext(context): AuditContext,
    Path(id): Path<String>,
    Json(body): Json<UpdateClientBody>,
) -> Result<Json<ClientView>, ApiError> {
    let id: OAuthClientId = path_id(&id)?;
    let alg = match &body.signing_alg {
        Some(raw) => Some(parse_alg(raw.as_deref())?),
        None => None,
    };
    let org = match &body.organization_id {
        Some(raw) => Some(parse_org(raw.as_deref())?),
        None => None,
    };
    let change = move |spec: &mut ClientSpec| {
        let b = body;
        if let Some(v) = b.name {
            spec.name = v;
        }
        if let Some(v) = b.description {
            spec.description = v;
        }
        if let Some(v) = b.redirect_uris {
            spec.redirect_uris = v;
        }
        if let Some(v) = b.allowed_scopes {
            spec.allowed_scopes = v;
        }
        if let Some(v) = b.grant_types {
            spec.grant_types = v;
        }
        if let Some(v) = b.audience {
            spec.audience = v;
        }
        if let Some(v) = b.client_key {
            spec.client_key = v;
        }
        if let Some(v) = b.logo_url {
            spec.logo_url = v;
        }
        if let Some(v) = b.website_url {
            spec.website_url = v;
        }
        if let Some(v) = b.is_active {
            spec.is_active = v;
        }
        if let Some(v) = b.is_confidential {
            spec.is_confidential = v;
        }
        if let Some(v) = b.is_first_party {
            spec.is_first_party = v;
        }
        if let Some(v) = alg {
            spec.signing_alg = v;
        }
        if let Some(v) = org {
            spec.organization_id = v;
        }
    };
    let client =
        client_admin::update_client(&state.core, &manager(&principal), id, change, &context)
            .await?;
    Ok(Json(view(client, None)))
}

pub async fn delete_client(
    CurrentUser(principal): CurrentUser,
    State(state): State<AppState>,
    AuditContext(context): AuditContext,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: OAuthClientId = path_id(&id)?;
    client_admin::delete_client(&state.core, &manager(&principal), id, &context).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize)]
pub struct RotateBody {
    grace_period_hours: Option<i64>,
}

/// A new primary secret; the old ones keep working for the grace period (0–168 h).
pub async fn rotate_secret(
    CurrentUser(principal): CurrentUser,
    State(state): State<AppState>,
    AuditContext(context): AuditContext,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let id: OAuthClientId = path_id(&id)?;
    // The body is optional: no body means the configured grace period.
    let grace = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        let parsed: RotateBody = serde_json::from_slice(&body).map_err(|e| {
            if e.is_syntax() || e.is_eof() {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "INVALID_JSON",
                    "The request body is not valid JSON",
                )
            } else {
                ApiError::validation(vec![FieldError::new(
                    "grace_period_hours",
                    "must be an integer",
                )])
            }
        })?;
        parsed.grace_period_hours
    };
    let rotated =
        client_secrets::rotate_secret(&state.core, &manager(&principal), id, grace, &context)
            .await?;
    Ok(Json(json!({
        "client_id": rotated.client_id,
        "client_secret": rotated.secret,
        "rotated_at": format_timestamp(rotated.rotated_at),
        "grace_period_hours": rotated.grace_period_hours,
        "old_secrets_expire_at": format_timestamp(rotated.old_secrets_expire_at),
        "message": "Secret rotated; store the new secret now, it is not shown again",
    })))
}

pub async fn list_secrets(
    CurrentUser(principal): CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let id: OAuthClientId = path_id(&id)?;
    let (client, secrets) =
        client_secrets::list_secrets(&state.core, &manager(&principal), id).await?;
    let now = state.clock.now();
    let primary = secrets
        .iter()
        .find(|s| s.is_primary && s.revoked_at.is_none());
    let age_days = primary.map(|p| (now - p.created_at).num_days());
    let listed: Vec<serde_json::Value> = secrets
        .iter()
        .map(|s| {
            json!({
                "id": s.id.to_string(),
                "prefix": s.prefix,
                "is_primary": s.is_primary,
                "created_at": format_timestamp(s.created_at),
                "expires_at": s.expires_at.map(format_timestamp),
                "revoked_at": s.revoked_at.map(format_timestamp),
                "last_used_at": s.last_used_at.map(format_timestamp),
                "is_valid": s.is_valid(now),
            })
        })
        .collect();
    Ok(Json(json!({
        "client_id": client.client_id,
        "active_count": secrets.iter().filter(|s| s.is_valid(now)).count(),
        "total_count": secrets.len(),
        "has_primary": primary.is_some(),
        "primary_created_at": primary.map(|p| format_timestamp(p.created_at)),
        "primary_age_days": age_days,
        "rotation_recommended": age_days.is_some_and(|d| d >= MAX_SECRET_AGE_DAYS),
        "max_age_days": MAX_SECRET_AGE_DAYS,
        "secrets": listed,
    })))
}

#[derive(Debug, Deserialize)]
pub struct RevokeSecretBody {
    secret_id: String,
}

/// Revokes one rotated secret (409 for the primary).
pub async fn revoke_secret(
    CurrentUser(principal): CurrentUser,
    State(state): State<AppState>,
    AuditContext(context): AuditContext,
    Path(id): Path<String>,
    Json(body): Json<RevokeSecretBody>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let id: OAuthClientId = path_id(&id)?;
    let secret_id = uuid::Uuid::try_parse(&body.secret_id)
        .map_err(|_| ApiError::validation(vec![FieldError::new("secret_id", "must be a UUID")]))?;
    client_secrets::revoke_secret(&state.core, &manager(&principal), id, secret_id, &context)
        .await?;
    Ok(Json(json!({"message": "Secret revoked"})))
}

pub async fn revoke_old_secrets(
    CurrentUser(principal): CurrentUser,
    State(state): State<AppState>,
    AuditContext(context): AuditContext,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let id: OAuthClientId = path_id(&id)?;
    let count =
        client_secrets::revoke_old_secrets(&state.core, &manager(&principal), id, &context).await?;
    Ok(Json(json!({
        "message": "Every secret but the primary was revoked",
        "revoked_count": count,
    })))
}

/// `X-Internal-API-Key` = `INTERNAL_API_KEY` (unset: 503 `NOT_CONFIGURED`; wrong: 401).
fn require_internal_key(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(expected) = state.config.security.internal_api_key.as_ref() else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "NOT_CONFIGURED",
            "INTERNAL_API_KEY is not set",
        ));
    };
    let given = headers
        .get("x-internal-api-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if given.is_empty() || !constant_time_eq(given.as_bytes(), expected.expose().as_bytes()) {
        return Err(ApiError::unauthorized());
    }
    Ok(())
}

/// Idempotent registration by `client_key`, `audience`, then `name`: 200 for an existing
/// client (no secret), 201 with the secret for a new one.
pub async fn register_client(
    State(state): State<AppState>,
    headers: HeaderMap,
    AuditContext(context): AuditContext,
    Json(body): Json<CreateClientBody>,
) -> Result<Response, ApiError> {
    require_internal_key(&state, &headers)?;
    let input = body.into_input(None)?;
    let registered = client_admin::register_client(&state.core, input, &context)
        .await
        .map_err(|e| match e {
            janua_core::Error::Unavailable(_) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "SERVICE_UNAVAILABLE",
                "No administrator exists yet; create one first",
            ),
            other => ApiError::from(other),
        })?;
    let status = if registered.is_new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let created = registered.created;
    Ok((status, Json(view(created.client, created.secret))).into_response())
}

pub async fn get_client_by_name(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<Json<ClientView>, ApiError> {
    require_internal_key(&state, &headers)?;
    let client = state
        .core
        .store
        .find_client_by(ClientLookup::Name(&name))
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(view(client, None)))
}
