//! `/api/v1/admin` (API.md §16): platform administration, for platform admins only (the
//! `AdminUser` extractor, which calls `janua_core::admin::require_platform_admin`): accounts,
//! organizations, sessions, CORS origins and settings. The operational routes (health,
//! activity log, maintenance mode, configuration, custom domain) are in [`super::admin_system`].

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::Router;
use janua_core::admin::{self, CreateUser, UserFlags};
use janua_core::auth::email::Email;
use janua_core::auth::sign_out::revoke_sessions;
use janua_core::auth::users::UserStatus;
use janua_core::clock::format_timestamp;
use janua_core::error::FieldError;
use janua_core::ids::{CorsOriginId, OrgId, UserId};
use janua_core::settings::SettingKey;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::http::api::fields::{path_id, Problems, MAX_NAME_LEN};
use crate::http::api::orgs::{page, view as org_view};
use crate::http::api::users::{get_users, UserView};
use crate::http::audit::AuditContext;
use crate::http::auth::AdminUser;
use crate::http::cors;
use crate::http::error::ApiError;
use crate::http::extract::Json;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/admin/stats", get(get_stats))
        .route("/api/v1/admin/users", get(get_users).post(post_user))
        .route(
            "/api/v1/admin/users/{id}",
            get(get_user).patch(patch_user).delete(delete_user),
        )
        .route("/api/v1/admin/users/{id}/unlock", post(post_unlock))
        .route("/api/v1/admin/users/{id}/lockout-status", get(get_lockout))
        .route("/api/v1/admin/organizations", get(get_orgs))
        .route("/api/v1/admin/organizations/{id}", delete(delete_org))
        .route("/api/v1/admin/sessions/revoke-all", post(post_revoke_all))
        .route("/api/v1/admin/settings/cors", get(get_cors).post(post_cors))
        .route(
            "/api/v1/admin/settings/cors/cache-status",
            get(get_cors_cache),
        )
        .route(
            "/api/v1/admin/settings/cors/invalidate-cache",
            post(post_cors_invalidate),
        )
        .route("/api/v1/admin/settings/cors/{id}", delete(delete_cors))
        .route("/api/v1/admin/settings", get(get_settings))
        .route(
            "/api/v1/admin/settings/{key}",
            get(get_setting).put(put_setting),
        )
}

pub async fn get_stats(
    State(state): State<AppState>,
    AdminUser(_): AdminUser,
) -> Result<Json<Value>, ApiError> {
    let s = admin::stats(&state.core).await?;
    Ok(Json(json!({
        "total_users": s.total_users, "active_users": s.active_users,
        "mfa_enabled_users": s.mfa_enabled_users, "total_organizations": s.total_organizations,
        "active_sessions": s.active_sessions, "total_passkeys": s.total_passkeys
    })))
}

#[derive(Debug, Deserialize)]
pub struct CreateUserBody {
    email: Option<String>,
    password: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    is_admin: Option<bool>,
    email_verified: Option<bool>,
}

pub async fn post_user(
    State(state): State<AppState>,
    AdminUser(me): AdminUser,
    AuditContext(ctx): AuditContext,
    Json(body): Json<CreateUserBody>,
) -> Result<(StatusCode, Json<UserView>), ApiError> {
    let mut p = Problems::default();
    let email = match body.email {
        Some(raw) => p.check(Email::parse(&raw)),
        None => {
            p.required("email", None);
            None
        }
    };
    let first_name = p.text("first_name", body.first_name, MAX_NAME_LEN);
    let last_name = p.text("last_name", body.last_name, MAX_NAME_LEN);
    if body.password.as_deref().is_some_and(|pw| pw.len() > 256) {
        p.add(FieldError::new(
            "password",
            "must be at most 256 characters",
        ));
    }
    p.finish()?;
    let request = CreateUser {
        email: email.ok_or_else(|| ApiError::validation(vec![]))?,
        password: body.password.filter(|pw| !pw.is_empty()),
        first_name,
        last_name,
        is_admin: body.is_admin.unwrap_or(false),
        email_verified: body.email_verified.unwrap_or(false),
    };
    let user = admin::create_user(&state.core, &me, request, &ctx).await?;
    Ok((StatusCode::CREATED, Json(UserView::from(&user))))
}

pub async fn get_user(
    State(state): State<AppState>,
    AdminUser(_): AdminUser,
    Path(id): Path<String>,
) -> Result<Json<UserView>, ApiError> {
    let id: UserId = path_id(&id)?;
    let user = janua_core::auth::admin_users::get_user(&state.core, id).await?;
    Ok(Json(UserView::from(&user)))
}

#[derive(Debug, Deserialize)]
pub struct PatchUserBody {
    status: Option<String>,
    is_admin: Option<bool>,
    email_verified: Option<bool>,
}

pub async fn patch_user(
    State(state): State<AppState>,
    AdminUser(me): AdminUser,
    AuditContext(ctx): AuditContext,
    Path(id): Path<String>,
    Json(body): Json<PatchUserBody>,
) -> Result<Json<UserView>, ApiError> {
    let id: UserId = path_id(&id)?;
    let status = match body.status {
        Some(raw) => Some(UserStatus::parse(&raw).ok_or_else(|| {
            ApiError::validation(vec![FieldError::new(
                "status",
                "one of active, inactive, suspended, pending",
            )])
        })?),
        None => None,
    };
    let flags = UserFlags {
        status,
        is_admin: body.is_admin,
        email_verified: body.email_verified,
    };
    Ok(Json(UserView::from(
        &admin::update_user(&state.core, &me, id, flags, &ctx).await?,
    )))
}

pub async fn delete_user(
    State(state): State<AppState>,
    AdminUser(me): AdminUser,
    AuditContext(ctx): AuditContext,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id: UserId = path_id(&id)?;
    admin::delete_user(&state.core, &me, id, &ctx).await?;
    Ok(Json(json!({"message": "User deleted"})))
}

pub async fn post_unlock(
    State(state): State<AppState>,
    AdminUser(me): AdminUser,
    AuditContext(ctx): AuditContext,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id: UserId = path_id(&id)?;
    admin::unlock(&state.core, &me, id, &ctx).await?;
    Ok(Json(json!({"message": "Account unlocked"})))
}

pub async fn get_lockout(
    State(state): State<AppState>,
    AdminUser(_): AdminUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id: UserId = path_id(&id)?;
    let lockout = admin::lockout_status(&state.core, id).await?;
    let now = state.core.clock.now();
    let locked_until = lockout
        .as_ref()
        .and_then(|l| l.locked_until)
        .filter(|u| *u > now);
    Ok(Json(json!({
        "locked": locked_until.is_some(),
        "locked_until": locked_until.map(format_timestamp),
        "failed_attempts": lockout.map_or(0, |l| l.failed_attempts)
    })))
}

#[derive(Debug, Deserialize)]
pub struct OrgListQuery {
    page: Option<u32>,
    per_page: Option<u32>,
    search: Option<String>,
}

pub async fn get_orgs(
    State(state): State<AppState>,
    AdminUser(_): AdminUser,
    Query(q): Query<OrgListQuery>,
) -> Result<Json<Value>, ApiError> {
    let page = page(q.page, q.per_page);
    let search: Option<String> = q
        .search
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.chars().take(100).collect());
    let (orgs, total) = state
        .core
        .store
        .list_all_orgs(search.as_deref(), page)
        .await?;
    let mut items = Vec::with_capacity(orgs.len());
    for org in &orgs {
        items.push(org_view(&state, org).await?);
    }
    Ok(Json(json!({
        "organizations": items, "total": total, "page": page.page, "per_page": page.per_page
    })))
}

pub async fn delete_org(
    State(state): State<AppState>,
    AdminUser(me): AdminUser,
    AuditContext(ctx): AuditContext,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id: OrgId = path_id(&id)?;
    janua_core::orgs::orgs::delete(&state.core, &me, id, &ctx).await?;
    Ok(Json(
        json!({"success": true, "message": "Organization deleted successfully"}),
    ))
}

#[derive(Debug, Deserialize)]
pub struct RevokeAllBody {
    user_id: Option<String>,
}

pub async fn post_revoke_all(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    AuditContext(ctx): AuditContext,
    Json(body): Json<RevokeAllBody>,
) -> Result<Json<Value>, ApiError> {
    let mut p = Problems::default();
    let user = p.required("user_id", body.user_id);
    p.finish()?;
    let user: UserId = path_id(&user.unwrap_or_default())?;
    janua_core::auth::admin_users::get_user(&state.core, user).await?;
    let revoked = revoke_sessions(
        &state.core,
        user,
        None,
        "admin_revoked",
        admin.actor(),
        &ctx,
    )
    .await?;
    Ok(Json(
        json!({"message": "Sessions revoked", "revoked_count": revoked}),
    ))
}

pub async fn get_cors(
    State(state): State<AppState>,
    AdminUser(_): AdminUser,
) -> Result<Json<Value>, ApiError> {
    let origins = state.core.store.list_cors_origins().await?;
    let items: Vec<Value> = origins
        .iter()
        .map(|o| json!({"id": o.id, "origin": o.origin, "created_by": o.created_by, "created_at": format_timestamp(o.created_at)}))
        .collect();
    Ok(Json(json!({
        "origins": items, "total": origins.len(),
        "configured": state.config.security.cors_origins
    })))
}

#[derive(Debug, Deserialize)]
pub struct CorsBody {
    origin: Option<String>,
}

pub async fn post_cors(
    State(state): State<AppState>,
    AdminUser(me): AdminUser,
    AuditContext(ctx): AuditContext,
    Json(body): Json<CorsBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let mut p = Problems::default();
    let origin = match body.origin {
        Some(raw) => p.check(admin::parse_origin(&raw)),
        None => {
            p.required("origin", None);
            None
        }
    };
    p.finish()?;
    let origin = origin.ok_or_else(|| ApiError::validation(vec![]))?;
    let created = admin::add_cors_origin(&state.core, &me, origin, &ctx).await?;
    cors::invalidate(&state.core).await;
    Ok((
        StatusCode::CREATED,
        Json(
            json!({"id": created.id, "origin": created.origin, "created_by": created.created_by, "created_at": format_timestamp(created.created_at)}),
        ),
    ))
}

pub async fn delete_cors(
    State(state): State<AppState>,
    AdminUser(me): AdminUser,
    AuditContext(ctx): AuditContext,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: CorsOriginId = path_id(&id)?;
    admin::delete_cors_origin(&state.core, &me, id, &ctx).await?;
    cors::invalidate(&state.core).await;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn get_cors_cache(
    State(state): State<AppState>,
    AdminUser(_): AdminUser,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({
        "cached": cors::is_cached(&state.core).await,
        "backend": state.core.cache.backend(), "ttl_seconds": 60
    })))
}

pub async fn post_cors_invalidate(
    State(state): State<AppState>,
    AdminUser(_): AdminUser,
) -> Result<Json<Value>, ApiError> {
    cors::invalidate(&state.core).await;
    Ok(Json(json!({"message": "CORS origin cache invalidated"})))
}

pub async fn get_settings(
    State(state): State<AppState>,
    AdminUser(_): AdminUser,
) -> Result<Json<Value>, ApiError> {
    let settings = state.core.store.list_settings().await?;
    let items: Vec<Value> = settings
        .iter()
        .map(|s| json!({"key": s.key.as_str(), "value": s.value, "updated_at": format_timestamp(s.updated_at)}))
        .collect();
    Ok(Json(json!({"settings": items, "total": items.len()})))
}

pub async fn get_setting(
    State(state): State<AppState>,
    AdminUser(_): AdminUser,
    Path(key): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let key = SettingKey::parse(&key)?;
    let setting = state
        .core
        .store
        .get_setting(&key)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(
        json!({"key": setting.key.as_str(), "value": setting.value, "updated_at": format_timestamp(setting.updated_at)}),
    ))
}

#[derive(Debug, Deserialize)]
pub struct SettingBody {
    value: Option<Value>,
}

pub async fn put_setting(
    State(state): State<AppState>,
    AdminUser(me): AdminUser,
    AuditContext(ctx): AuditContext,
    Path(key): Path<String>,
    Json(body): Json<SettingBody>,
) -> Result<Json<Value>, ApiError> {
    let key = SettingKey::parse(&key)?;
    let value = body
        .value
        .ok_or_else(|| ApiError::validation(vec![FieldError::new("value", "is required")]))?;
    let setting = janua_core::settings::put(&state.core, &me, &key, &value, &ctx).await?;
    Ok(Json(
        json!({"key": setting.key.as_str(), "value": setting.value, "updated_at": format_timestamp(setting.updated_at)}),
    ))
}
