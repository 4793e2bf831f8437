//! `/api/v1/rbac` and `/api/v1/roles` (API.md §12): permission checks for the caller, the
//! catalogue and system roles, and an organization's custom roles and role assignment.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use janua_core::clock::format_timestamp;
use janua_core::error::{AuthFailure, FieldError};
use janua_core::ids::{OrgId, RoleId, UserId};
use janua_core::orgs::orgs::hide_foreign;
use janua_core::rbac::check::{access, authorize, OrgAccess};
use janua_core::rbac::custom::{self, MAX_ROLE_NAME_LEN};
use janua_core::rbac::permissions::{Permission, CATALOGUE};
use janua_core::rbac::roles::{OrgRole, Role, RoleUpdate, SUPER_ADMIN, SUPER_ADMIN_LEVEL};
use janua_core::Error;
use serde::{Deserialize, Deserializer};
use serde_json::{json, Value};

use crate::http::api::fields::{path_id, Problems};
use crate::http::api::scoped::Scoped;
use crate::http::audit::AuditContext;
use crate::http::auth::{Caller, CurrentUser};
use crate::http::error::ApiError;
use crate::http::extract::Json;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/rbac/check-permission", post(post_check))
        .route("/api/v1/rbac/check-permissions", post(post_check_many))
        .route("/api/v1/rbac/enforce", post(post_enforce))
        .route("/api/v1/rbac/permissions", get(get_my_permissions))
        .route("/api/v1/rbac/role", get(get_my_role))
        .route("/api/v1/roles/system", get(get_system_roles))
        .route("/api/v1/roles/permissions", get(get_catalogue))
}

pub fn scoped() -> Scoped {
    Scoped::default()
        .route(
            "/api/v1/roles",
            &["GET", "POST"],
            get(get_roles).post(post_role),
        )
        .route(
            "/api/v1/roles/{id}",
            &["GET", "PATCH", "DELETE"],
            get(get_role).patch(patch_role).delete(delete_role),
        )
        .route("/api/v1/roles/assign", &["POST"], post(post_assign))
}

fn parse_permission(p: &mut Problems, field: &str, raw: Option<String>) -> Option<Permission> {
    match raw {
        Some(raw) => {
            let parsed = Permission::parse(&raw);
            if parsed.is_none() {
                p.add(FieldError::new(field, "is not a known permission"));
            }
            parsed
        }
        None => {
            p.required(field, None);
            None
        }
    }
}

fn parse_permissions(p: &mut Problems, field: &str, raw: Vec<String>) -> Vec<Permission> {
    if raw.len() > 100 {
        p.add(FieldError::new(field, "must list at most 100 permissions"));
        return Vec::new();
    }
    let mut out = Vec::new();
    for item in raw {
        match Permission::parse(&item) {
            Some(permission) if !out.contains(&permission) => out.push(permission),
            Some(_) => {}
            None => p.add(FieldError::new(
                field,
                format!("unknown permission {item:?}"),
            )),
        }
    }
    out
}

fn optional_org(raw: Option<&str>) -> Result<Option<OrgId>, ApiError> {
    raw.filter(|s| !s.is_empty()).map(path_id).transpose()
}

/// The caller's access to the organization named (or its API key's organization); `None`
/// when the caller does not belong to it.
async fn access_for_check(
    state: &AppState,
    caller: &janua_core::auth::principal::Principal,
    org: Option<OrgId>,
) -> Result<Option<OrgAccess>, ApiError> {
    let org = match (org, caller) {
        (Some(org), _) => org,
        (None, janua_core::auth::principal::Principal::ApiKey(k)) => k.organization_id,
        (None, _) => return Ok(None),
    };
    match access(&state.core, caller, org).await {
        Ok(a) => Ok(Some(a)),
        Err(Error::NotFound | Error::Auth(AuthFailure::NotAMember | AuthFailure::MfaRequired)) => {
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

fn platform_admin(caller: &janua_core::auth::principal::Principal) -> bool {
    janua_core::admin::require_platform_admin(caller).is_ok()
}

#[derive(Debug, Deserialize)]
pub struct CheckBody {
    permission: Option<String>,
    permissions: Option<Vec<String>>,
    organization_id: Option<String>,
}

pub async fn post_check(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Json(body): Json<CheckBody>,
) -> Result<Json<Value>, ApiError> {
    let mut p = Problems::default();
    let permission = parse_permission(&mut p, "permission", body.permission);
    p.finish()?;
    let permission = permission.ok_or_else(|| ApiError::validation(vec![]))?;
    let org = optional_org(body.organization_id.as_deref())?;
    let allowed = match access_for_check(&state, &caller, org).await? {
        Some(a) => a.allows(&permission),
        None => platform_admin(&caller),
    };
    Ok(Json(json!({
        "has_permission": allowed, "permission": permission, "user_id": caller.user_id()
    })))
}

pub async fn post_check_many(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Json(body): Json<CheckBody>,
) -> Result<Json<Value>, ApiError> {
    let mut p = Problems::default();
    let permissions = match body.permissions {
        Some(list) if !list.is_empty() => parse_permissions(&mut p, "permissions", list),
        _ => {
            p.required("permissions", None);
            Vec::new()
        }
    };
    p.finish()?;
    let org = optional_org(body.organization_id.as_deref())?;
    let access = access_for_check(&state, &caller, org).await?;
    let admin = platform_admin(&caller);
    let result: serde_json::Map<String, Value> = permissions
        .iter()
        .map(|perm| {
            let allowed = access.as_ref().map_or(admin, |a| a.allows(perm));
            (perm.to_string(), Value::Bool(allowed))
        })
        .collect();
    Ok(Json(json!({"permissions": result})))
}

pub async fn post_enforce(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Json(body): Json<CheckBody>,
) -> Result<Json<Value>, ApiError> {
    let mut p = Problems::default();
    let permission = parse_permission(&mut p, "permission", body.permission);
    p.finish()?;
    let permission = permission.ok_or_else(|| ApiError::validation(vec![]))?;
    let org = optional_org(body.organization_id.as_deref())?;
    let allowed = match access_for_check(&state, &caller, org).await? {
        Some(a) => a.allows(&permission),
        None => platform_admin(&caller),
    };
    if allowed {
        Ok(Json(json!({"allowed": true})))
    } else {
        Err(Error::auth(AuthFailure::InsufficientPermissions).into())
    }
}

#[derive(Debug, Deserialize)]
pub struct OrgQuery {
    organization_id: Option<String>,
}

pub async fn get_my_permissions(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    Query(q): Query<OrgQuery>,
) -> Result<Json<Value>, ApiError> {
    let caller = janua_core::auth::principal::Principal::User(me);
    let org = optional_org(q.organization_id.as_deref())?;
    let access = access_for_check(&state, &caller, org).await?;
    let (permissions, role) = match &access {
        Some(a) => (a.grants.expanded(), a.role.map(|r| r.as_str())),
        None if platform_admin(&caller) => (
            CATALOGUE.iter().map(|(n, _)| (*n).to_owned()).collect(),
            None,
        ),
        None => (Vec::new(), None),
    };
    Ok(Json(json!({"permissions": permissions, "role": role})))
}

pub async fn get_my_role(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    Query(q): Query<OrgQuery>,
) -> Result<Json<Value>, ApiError> {
    let caller = janua_core::auth::principal::Principal::User(me);
    let org = optional_org(q.organization_id.as_deref())?;
    let access = access_for_check(&state, &caller, org).await?;
    let (role, level) = match access.as_ref().and_then(|a| a.role) {
        Some(role) => (Some(role.as_str()), Some(role.level())),
        None if platform_admin(&caller) => (Some(SUPER_ADMIN), Some(SUPER_ADMIN_LEVEL)),
        None => (None, None),
    };
    Ok(Json(
        json!({"role": role, "role_level": level, "organization_id": org}),
    ))
}

pub async fn get_system_roles(CurrentUser(_): CurrentUser) -> Json<Value> {
    let mut roles: Vec<Value> = OrgRole::ALL
        .iter()
        .map(|r| json!({"name": r.as_str(), "level": r.level(), "permissions": r.permission_names()}))
        .collect();
    roles.insert(
        0,
        json!({"name": SUPER_ADMIN, "level": SUPER_ADMIN_LEVEL, "permissions": ["*"]}),
    );
    Json(Value::Array(roles))
}

pub async fn get_catalogue(CurrentUser(_): CurrentUser) -> Json<Value> {
    let permissions: Vec<Value> = CATALOGUE
        .iter()
        .map(|(name, description)| json!({"name": name, "description": description}))
        .collect();
    Json(json!({"permissions": permissions}))
}

fn role_view(r: &Role) -> Value {
    json!({
        "id": r.id, "organization_id": r.organization_id, "name": r.name,
        "description": r.description, "permissions": r.permissions, "is_system": false,
        "created_at": format_timestamp(r.created_at), "updated_at": format_timestamp(r.updated_at)
    })
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    organization_id: Option<String>,
    page: Option<u32>,
    per_page: Option<u32>,
}

fn required_org(raw: Option<String>) -> Result<OrgId, ApiError> {
    match raw {
        Some(raw) => path_id(&raw),
        None => Err(ApiError::validation(vec![FieldError::new(
            "organization_id",
            "is required",
        )])),
    }
}

pub async fn get_roles(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let access = authorize(
        &state.core,
        &caller,
        required_org(q.organization_id)?,
        "roles:read",
    )
    .await?;
    let page = crate::http::api::orgs::page(q.page, q.per_page);
    let roles = state.core.store.list_roles(access.org.id).await?;
    let total = roles.len();
    let items: Vec<Value> = roles
        .iter()
        .skip(usize::try_from(page.offset()).unwrap_or(0))
        .take(page.per_page as usize)
        .map(role_view)
        .collect();
    Ok(Json(
        json!({"items": items, "total": total, "page": page.page, "per_page": page.per_page}),
    ))
}

/// `GET /organizations/{org_id}/roles`: the system roles and the organization's custom roles.
pub async fn get_org_roles(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(org_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let access = authorize(&state.core, &caller, path_id(&org_id)?, "roles:read").await?;
    let mut roles: Vec<Value> = OrgRole::ALL
        .iter()
        .map(|r| json!({"name": r.as_str(), "level": r.level(), "permissions": r.permission_names(), "is_system": true}))
        .collect();
    roles.extend(
        state
            .core
            .store
            .list_roles(access.org.id)
            .await?
            .iter()
            .map(role_view),
    );
    Ok(Json(json!({"roles": roles})))
}

#[derive(Debug, Deserialize)]
pub struct RoleBody {
    organization_id: Option<String>,
    name: Option<String>,
    description: Option<String>,
    permissions: Option<Vec<String>>,
}

pub async fn post_role(
    State(state): State<AppState>,
    Caller(caller): Caller,
    AuditContext(ctx): AuditContext,
    Query(q): Query<OrgQuery>,
    Json(body): Json<RoleBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let org = required_org(q.organization_id.or(body.organization_id))?;
    let access = authorize(&state.core, &caller, org, "roles:write").await?;
    let mut p = Problems::default();
    let name = p.required_text("name", body.name, MAX_ROLE_NAME_LEN);
    let description = p.text("description", body.description, 1000);
    let permissions =
        parse_permissions(&mut p, "permissions", body.permissions.unwrap_or_default());
    p.finish()?;
    let name = name.ok_or_else(|| ApiError::validation(vec![]))?;
    let role = custom::create(
        &state.core,
        &caller,
        &access,
        name,
        description,
        permissions,
        &ctx,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(role_view(&role))))
}

async fn role_access(
    state: &AppState,
    caller: &janua_core::auth::principal::Principal,
    id: RoleId,
    permission: &str,
) -> Result<OrgAccess, ApiError> {
    let role = state
        .core
        .store
        .get_role(id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(
        authorize(&state.core, caller, role.organization_id, permission)
            .await
            .map_err(hide_foreign)?,
    )
}

pub async fn get_role(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id: RoleId = path_id(&id)?;
    let access = role_access(&state, &caller, id, "roles:read").await?;
    Ok(Json(role_view(
        &custom::get_in(&state.core, &access, id).await?,
    )))
}

fn nullable<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

#[derive(Debug, Deserialize)]
pub struct PatchRoleBody {
    name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    description: Option<Option<String>>,
    permissions: Option<Vec<String>>,
}

pub async fn patch_role(
    State(state): State<AppState>,
    Caller(caller): Caller,
    AuditContext(ctx): AuditContext,
    Path(id): Path<String>,
    Json(body): Json<PatchRoleBody>,
) -> Result<Json<Value>, ApiError> {
    let id: RoleId = path_id(&id)?;
    let access = role_access(&state, &caller, id, "roles:write").await?;
    let mut p = Problems::default();
    let name = match body.name {
        Some(raw) => p.required_text("name", Some(raw), MAX_ROLE_NAME_LEN),
        None => None,
    };
    let description = body.description.map(|d| p.text("description", d, 1000));
    let permissions = body
        .permissions
        .map(|list| parse_permissions(&mut p, "permissions", list));
    p.finish()?;
    let update = RoleUpdate {
        name,
        description,
        permissions,
    };
    let role = custom::update(&state.core, &caller, &access, id, update, &ctx).await?;
    Ok(Json(role_view(&role)))
}

pub async fn delete_role(
    State(state): State<AppState>,
    Caller(caller): Caller,
    AuditContext(ctx): AuditContext,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: RoleId = path_id(&id)?;
    let access = role_access(&state, &caller, id, "roles:write").await?;
    custom::delete(&state.core, &caller, &access, id, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
pub struct AssignBody {
    organization_id: Option<String>,
    user_id: Option<String>,
    role_name: Option<String>,
}

pub async fn post_assign(
    State(state): State<AppState>,
    Caller(caller): Caller,
    AuditContext(ctx): AuditContext,
    Query(q): Query<OrgQuery>,
    Json(body): Json<AssignBody>,
) -> Result<Json<Value>, ApiError> {
    let org = required_org(q.organization_id.or(body.organization_id))?;
    let access = authorize(&state.core, &caller, org, "roles:write").await?;
    let mut p = Problems::default();
    let user = p.required("user_id", body.user_id);
    let role_name = p.required_text("role_name", body.role_name, MAX_ROLE_NAME_LEN);
    p.finish()?;
    let user: UserId = path_id(&user.unwrap_or_default())?;
    let role_name = role_name.unwrap_or_default();
    custom::assign(&state.core, &caller, &access, user, &role_name, &ctx).await?;
    Ok(Json(
        json!({"message": "Role assigned", "user_id": user, "role_name": role_name}),
    ))
}
