//! `/api/v1/api-keys` (API.md §13): create (the key is shown once), list, read, change, rotate,
//! revoke, and the public `verify`. Managing keys needs `api_keys:write` in the key's
//! organization (or being its creator); reading needs `api_keys:read`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};
use janua_core::api_keys::issue::{self, CreateKey};
use janua_core::api_keys::verify::verify;
use janua_core::api_keys::{ApiKey, ApiKeyUpdate, DEFAULT_RATE_LIMIT, MAX_RATE_LIMIT};
use janua_core::clock::format_timestamp;
use janua_core::error::FieldError;
use janua_core::ids::{ApiKeyId, OrgId};
use janua_core::rbac::check::authorize;
use janua_core::rbac::permissions::Permission;
use serde::{Deserialize, Deserializer};
use serde_json::{json, Value};

use crate::http::api::fields::{path_id, Problems};
use crate::http::api::scoped::Scoped;
use crate::http::audit::AuditContext;
use crate::http::auth::Caller;
use crate::http::error::ApiError;
use crate::http::extract::Json;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/api-keys/verify", post(post_verify))
}

pub fn scoped() -> Scoped {
    Scoped::default()
        .route(
            "/api/v1/api-keys",
            &["GET", "POST"],
            get(get_keys).post(post_key),
        )
        .route(
            "/api/v1/api-keys/{id}",
            &["GET", "PATCH", "DELETE"],
            get(get_key).patch(patch_key).delete(delete_key),
        )
        .route("/api/v1/api-keys/{id}/rotate", &["POST"], post(post_rotate))
}

fn view(k: &ApiKey) -> Value {
    json!({
        "id": k.id, "user_id": k.user_id, "organization_id": k.organization_id, "name": k.name,
        "prefix": k.display_prefix(), "key_prefix": k.key_prefix, "scopes": k.scopes,
        "rate_limit_per_min": k.rate_limit_per_min, "is_active": k.is_active,
        "last_used": k.last_used_at.map(format_timestamp),
        "expires_at": k.expires_at.map(format_timestamp),
        "revoked_at": k.revoked_at.map(format_timestamp),
        "created_at": format_timestamp(k.created_at), "updated_at": format_timestamp(k.updated_at)
    })
}

fn with_key(k: &ApiKey, secret: &str) -> Value {
    let mut v = view(k);
    v["key"] = Value::String(secret.to_owned());
    v
}

#[derive(Debug, Deserialize)]
pub struct OrgQuery {
    organization_id: Option<String>,
    page: Option<u32>,
    per_page: Option<u32>,
    include_inactive: Option<bool>,
}

fn required_org(raw: Option<String>) -> Result<OrgId, ApiError> {
    match raw.filter(|s| !s.is_empty()) {
        Some(raw) => path_id(&raw),
        None => Err(ApiError::validation(vec![FieldError::new(
            "organization_id",
            "is required",
        )])),
    }
}

pub async fn get_keys(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Query(q): Query<OrgQuery>,
) -> Result<Json<Value>, ApiError> {
    let access = authorize(
        &state.core,
        &caller,
        required_org(q.organization_id)?,
        "api_keys:read",
    )
    .await?;
    let page = crate::http::api::orgs::page(q.page, q.per_page);
    let (keys, total) = state
        .core
        .store
        .list_api_keys(access.org.id, q.include_inactive.unwrap_or(false), page)
        .await?;
    Ok(Json(json!({
        "items": keys.iter().map(view).collect::<Vec<_>>(),
        "total": total, "page": page.page, "per_page": page.per_page
    })))
}

fn nullable_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

#[derive(Debug, Deserialize)]
pub struct KeyBody {
    organization_id: Option<String>,
    name: Option<String>,
    scopes: Option<Vec<String>>,
    rate_limit_per_min: Option<i64>,
    is_active: Option<bool>,
    #[serde(default, deserialize_with = "nullable_time")]
    expires_at: Option<Option<String>>,
}

fn parse_scopes(p: &mut Problems, raw: Vec<String>) -> Vec<Permission> {
    if raw.len() > 100 {
        p.add(FieldError::new("scopes", "must list at most 100 scopes"));
        return Vec::new();
    }
    let mut out = Vec::new();
    for item in raw {
        match Permission::parse(&item) {
            Some(s) if !out.contains(&s) => out.push(s),
            Some(_) => {}
            None => p.add(FieldError::new("scopes", format!("unknown scope {item:?}"))),
        }
    }
    out
}

fn parse_limit(p: &mut Problems, raw: Option<i64>) -> Option<u32> {
    let raw = raw?;
    match u32::try_from(raw) {
        Ok(n) if (1..=MAX_RATE_LIMIT).contains(&n) => Some(n),
        _ => {
            p.add(FieldError::new("rate_limit_per_min", "must be 1 to 10000"));
            None
        }
    }
}

fn parse_time(p: &mut Problems, raw: Option<Option<String>>) -> Option<Option<DateTime<Utc>>> {
    match raw? {
        None => Some(None),
        Some(text) => match DateTime::parse_from_rfc3339(&text) {
            Ok(at) => Some(Some(at.with_timezone(&Utc))),
            Err(_) => {
                p.add(FieldError::new("expires_at", "must be an RFC 3339 time"));
                None
            }
        },
    }
}

pub async fn post_key(
    State(state): State<AppState>,
    Caller(caller): Caller,
    AuditContext(ctx): AuditContext,
    Query(q): Query<OrgQuery>,
    Json(body): Json<KeyBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let org = required_org(q.organization_id.or(body.organization_id))?;
    let access = authorize(&state.core, &caller, org, "api_keys:write").await?;
    let mut p = Problems::default();
    let name = p.required_text("name", body.name, 255);
    let scopes = parse_scopes(&mut p, body.scopes.unwrap_or_default());
    let limit = parse_limit(&mut p, body.rate_limit_per_min).unwrap_or(DEFAULT_RATE_LIMIT);
    let expires_at = parse_time(&mut p, body.expires_at).flatten();
    p.finish()?;
    let request = CreateKey {
        name: name.unwrap_or_default(),
        scopes,
        rate_limit_per_min: limit,
        expires_at,
    };
    let (key, secret) = issue::create(&state.core, &caller, &access, request, &ctx).await?;
    Ok((StatusCode::CREATED, Json(with_key(&key, &secret))))
}

pub async fn get_key(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id: ApiKeyId = path_id(&id)?;
    let (key, _) = issue::authorize_key(&state.core, &caller, id, false).await?;
    Ok(Json(view(&key)))
}

pub async fn patch_key(
    State(state): State<AppState>,
    Caller(caller): Caller,
    AuditContext(ctx): AuditContext,
    Path(id): Path<String>,
    Json(body): Json<KeyBody>,
) -> Result<Json<Value>, ApiError> {
    let id: ApiKeyId = path_id(&id)?;
    let mut p = Problems::default();
    let name = match body.name {
        Some(raw) => p.required_text("name", Some(raw), 255),
        None => None,
    };
    let scopes = body.scopes.map(|s| parse_scopes(&mut p, s));
    let rate_limit_per_min = parse_limit(&mut p, body.rate_limit_per_min);
    let expires_at = parse_time(&mut p, body.expires_at);
    p.finish()?;
    let update = ApiKeyUpdate {
        name,
        scopes,
        rate_limit_per_min,
        is_active: body.is_active,
        expires_at,
    };
    let key = issue::update(&state.core, &caller, id, update, &ctx).await?;
    Ok(Json(view(&key)))
}

pub async fn delete_key(
    State(state): State<AppState>,
    Caller(caller): Caller,
    AuditContext(ctx): AuditContext,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: ApiKeyId = path_id(&id)?;
    issue::revoke(&state.core, &caller, id, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn post_rotate(
    State(state): State<AppState>,
    Caller(caller): Caller,
    AuditContext(ctx): AuditContext,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id: ApiKeyId = path_id(&id)?;
    let (key, secret, previous) = issue::rotate(&state.core, &caller, id, &ctx).await?;
    let mut v = with_key(&key, &secret);
    v["previous_prefix"] = Value::String(previous);
    Ok(Json(v))
}

#[derive(Debug, Deserialize)]
pub struct VerifyBody {
    key: Option<String>,
}

pub async fn post_verify(
    State(state): State<AppState>,
    Json(body): Json<VerifyBody>,
) -> Result<Json<Value>, ApiError> {
    let mut p = Problems::default();
    let key = p.required("key", body.key);
    p.finish()?;
    let key = verify(&state.core, &key.unwrap_or_default()).await?;
    Ok(Json(json!({
        "valid": true, "org_id": key.organization_id, "scopes": key.scopes, "key_id": key.key_id
    })))
}
