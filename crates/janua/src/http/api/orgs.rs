//! `/api/v1/organizations`: organizations, their settings and members (API.md §11). Every
//! org-scoped handler authorizes on its first line through `rbac::check::authorize`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, patch, post};
use axum::Router;
use janua_core::auth::email::Email;
use janua_core::clock::format_timestamp;
use janua_core::ids::{OrgId, UserId};
use janua_core::orgs::orgs::{self as org_cases, CreateOrg, Slug, MAX_NAME_LEN};
use janua_core::orgs::{members, Member, Org, OrgUpdate, Page};
use janua_core::rbac::check::authorize;
use janua_core::rbac::roles::OrgRole;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{json, Value};

use crate::http::api::fields::{path_id, Problems};
use crate::http::api::invitations;
use crate::http::api::scoped::Scoped;
use crate::http::audit::AuditContext;
use crate::http::auth::{Caller, CurrentUser};
use crate::http::error::ApiError;
use crate::http::extract::Json;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/organizations", get(get_orgs).post(post_org))
        .route(
            "/api/v1/organizations/invitations/{token}/accept",
            post(invitations::post_accept_by_path),
        )
        .route(
            "/api/v1/organizations/{org_id}/members/invitations/accept",
            post(invitations::post_accept_in_org),
        )
}

pub fn scoped() -> Scoped {
    Scoped::default()
        .route(
            "/api/v1/organizations/slug/{slug}",
            &["GET"],
            get(get_org_by_slug),
        )
        .route(
            "/api/v1/organizations/{org_id}",
            &["GET", "PATCH", "DELETE"],
            get(get_org).patch(patch_org).delete(delete_org),
        )
        .route(
            "/api/v1/organizations/{org_id}/settings",
            &["GET", "PUT"],
            get(get_settings).put(put_settings),
        )
        .route(
            "/api/v1/organizations/{org_id}/transfer-ownership",
            &["POST"],
            post(post_transfer),
        )
        .route(
            "/api/v1/organizations/{org_id}/members",
            &["GET"],
            get(get_members),
        )
        .route(
            "/api/v1/organizations/{org_id}/members/add",
            &["POST"],
            post(post_member),
        )
        .route(
            "/api/v1/organizations/{org_id}/members/{user_id}",
            &["DELETE", "PATCH"],
            delete(delete_member).patch(patch_member_role),
        )
        .route(
            "/api/v1/organizations/{org_id}/members/{user_id}/role",
            &["PATCH"],
            patch(patch_member_role),
        )
        .route(
            "/api/v1/organizations/{org_id}/members/invitations",
            &["POST"],
            post(invitations::post_org_invitation),
        )
        .route(
            "/api/v1/organizations/{org_id}/invite",
            &["POST"],
            post(invitations::post_org_invitation),
        )
        .route(
            "/api/v1/organizations/{org_id}/invitations",
            &["GET"],
            get(invitations::get_org_invitations),
        )
        .route(
            "/api/v1/organizations/{org_id}/roles",
            &["GET"],
            get(crate::http::api::rbac::get_org_roles),
        )
}

/// `Org` of API.md §11.
#[derive(Debug, Serialize)]
pub struct OrgView {
    id: String,
    name: String,
    slug: String,
    description: Option<String>,
    logo_url: Option<String>,
    billing_email: Option<String>,
    created_at: String,
    updated_at: String,
    member_count: i64,
    settings: Value,
    plan: String,
    owner_email: Option<String>,
    require_mfa: bool,
    parent_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    owner: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subscription_status: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subscription_plan: Option<String>,
}

impl OrgView {
    fn new(org: &Org, owner_email: Option<String>) -> Self {
        Self {
            id: org.id.to_string(),
            name: org.name.clone(),
            slug: org.slug.clone(),
            description: org.description.clone(),
            logo_url: org.logo_url.clone(),
            billing_email: org.billing_email.clone(),
            created_at: format_timestamp(org.created_at),
            updated_at: format_timestamp(org.updated_at),
            member_count: org.member_count,
            settings: org.settings.clone(),
            plan: org.plan.clone(),
            owner_email,
            require_mfa: org.require_mfa,
            parent_id: org.parent_id.map(|p| p.to_string()),
            role: None,
            owner: None,
            subscription_status: None,
            subscription_plan: None,
        }
    }
}

/// The view with the owner's details (single-organization reads).
async fn detailed(state: &AppState, org: &Org) -> Result<OrgView, ApiError> {
    let owner = match org.owner_id {
        Some(id) => state.core.store.get_user(id).await?,
        None => None,
    };
    let mut view = OrgView::new(org, owner.as_ref().map(|u| u.email.clone()));
    view.owner = owner.map(|u| {
        json!({"id": u.id, "email": u.email, "first_name": u.first_name,
               "last_name": u.last_name, "avatar_url": u.profile_image_url})
    });
    view.subscription_status = Some(org.subscription_status.clone());
    view.subscription_plan = Some(org.plan.clone());
    Ok(view)
}

pub async fn view(state: &AppState, org: &Org) -> Result<OrgView, ApiError> {
    let owner = match org.owner_id {
        Some(id) => state.core.store.get_user(id).await?.map(|u| u.email),
        None => None,
    };
    Ok(OrgView::new(org, owner))
}

/// Distinguishes an absent field (leave alone) from `null` (clear).
fn nullable<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

#[derive(Debug, Deserialize)]
pub struct CreateOrgBody {
    name: Option<String>,
    slug: Option<String>,
    description: Option<String>,
    billing_email: Option<String>,
    parent_id: Option<String>,
}

pub async fn post_org(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    AuditContext(ctx): AuditContext,
    Json(body): Json<CreateOrgBody>,
) -> Result<(StatusCode, Json<OrgView>), ApiError> {
    let mut p = Problems::default();
    let name = p.required_text("name", body.name, MAX_NAME_LEN);
    let slug = match body.slug {
        Some(raw) => p.check(Slug::parse(&raw)),
        None => {
            p.required("slug", None);
            None
        }
    };
    let description = p.text("description", body.description, 1000);
    let billing_email = match body.billing_email.filter(|e| !e.trim().is_empty()) {
        Some(raw) => p
            .check(Email::parse_field("billing_email", &raw))
            .map(|e| e.as_str().to_owned()),
        None => None,
    };
    let parent_id = match body.parent_id {
        Some(raw) => Some(raw.parse::<OrgId>().map_err(|_| ApiError::invalid_id())?),
        None => None,
    };
    p.finish()?;
    let (Some(name), Some(slug)) = (name, slug) else {
        return Err(ApiError::validation(vec![]));
    };
    let request = CreateOrg {
        name,
        slug,
        description,
        billing_email,
        parent_id,
    };
    let org = org_cases::create(&state.core, &me, request, &ctx).await?;
    Ok((StatusCode::CREATED, Json(view(&state, &org).await?)))
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    page: Option<u32>,
    per_page: Option<u32>,
}

pub fn page(page: Option<u32>, per_page: Option<u32>) -> Page {
    Page {
        page: page.unwrap_or(1).max(1),
        per_page: per_page.unwrap_or(20).clamp(1, 100),
    }
}

pub async fn get_orgs(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let page = page(q.page, q.per_page);
    let (orgs, total) = org_cases::list_mine(&state.core, me.user_id, page).await?;
    let mut items = Vec::with_capacity(orgs.len());
    for (org, role) in &orgs {
        let mut v = view(&state, org).await?;
        v.role = Some(role.as_str());
        items.push(v);
    }
    Ok(Json(json!({
        "organizations": items, "total": total, "page": page.page, "per_page": page.per_page
    })))
}

pub async fn get_org(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(org_id): Path<String>,
) -> Result<Json<OrgView>, ApiError> {
    let access = authorize(&state.core, &caller, path_id(&org_id)?, "org:read").await?;
    let mut v = detailed(&state, &access.org).await?;
    v.role = access.role.map(|r| r.as_str());
    Ok(Json(v))
}

pub async fn get_org_by_slug(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(slug): Path<String>,
) -> Result<Json<OrgView>, ApiError> {
    let access = org_cases::get_by_slug(&state.core, &caller, &slug).await?;
    let mut v = detailed(&state, &access.org).await?;
    v.role = access.role.map(|r| r.as_str());
    Ok(Json(v))
}

#[derive(Debug, Deserialize)]
pub struct PatchOrgBody {
    name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    description: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    logo_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    billing_email: Option<Option<String>>,
    settings: Option<Value>,
}

pub async fn patch_org(
    State(state): State<AppState>,
    Caller(caller): Caller,
    AuditContext(ctx): AuditContext,
    Path(org_id): Path<String>,
    Json(body): Json<PatchOrgBody>,
) -> Result<Json<OrgView>, ApiError> {
    let access = authorize(&state.core, &caller, path_id(&org_id)?, "org:update").await?;
    let mut p = Problems::default();
    let name = match body.name {
        Some(raw) => p.required_text("name", Some(raw), MAX_NAME_LEN),
        None => None,
    };
    let description = body.description.map(|d| p.text("description", d, 1000));
    let logo_url = body.logo_url.map(|u| {
        let url = p.text("logo_url", u, 2048);
        if url
            .as_deref()
            .is_some_and(|u| !u.starts_with("https://") && !u.starts_with("http://"))
        {
            p.add(janua_core::error::FieldError::new(
                "logo_url",
                "must be an http(s) URL",
            ));
        }
        url
    });
    let billing_email = body
        .billing_email
        .map(|e| match e.filter(|e| !e.trim().is_empty()) {
            Some(raw) => p
                .check(Email::parse_field("billing_email", &raw))
                .map(|e| e.as_str().to_owned()),
            None => None,
        });
    p.finish()?;
    let update = OrgUpdate {
        name,
        description,
        logo_url,
        billing_email,
        settings: body.settings,
        require_mfa: None,
    };
    let org = org_cases::update(&state.core, &caller, &access, update, &ctx).await?;
    Ok(Json(detailed(&state, &org).await?))
}

pub async fn delete_org(
    State(state): State<AppState>,
    Caller(caller): Caller,
    AuditContext(ctx): AuditContext,
    Path(org_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let access = authorize(&state.core, &caller, path_id(&org_id)?, "org:delete").await?;
    org_cases::delete(&state.core, &caller, access.org.id, &ctx).await?;
    Ok(Json(
        json!({"success": true, "message": "Organization deleted successfully"}),
    ))
}

fn settings_view(org: &Org) -> Value {
    json!({
        "id": org.id, "organization_id": org.id, "settings_data": org.settings,
        "created_at": format_timestamp(org.created_at), "updated_at": format_timestamp(org.updated_at)
    })
}

pub async fn get_settings(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(org_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let access = authorize(&state.core, &caller, path_id(&org_id)?, "settings:read").await?;
    Ok(Json(settings_view(&access.org)))
}

pub async fn put_settings(
    State(state): State<AppState>,
    Caller(caller): Caller,
    AuditContext(ctx): AuditContext,
    Path(org_id): Path<String>,
    Json(body): Json<Value>,
) -> Result<Json<Value>, ApiError> {
    let access = authorize(&state.core, &caller, path_id(&org_id)?, "settings:update").await?;
    // Either the settings object itself or `{"settings_data": {...}}` / `{"settings": {...}}`.
    let patch = match body {
        Value::Object(mut map) => match map
            .remove("settings_data")
            .or_else(|| map.remove("settings"))
        {
            Some(Value::Object(inner)) => inner,
            Some(_) => {
                return Err(ApiError::validation(vec![
                    janua_core::error::FieldError::new("settings_data", "must be an object"),
                ]))
            }
            None => map,
        },
        _ => {
            return Err(ApiError::validation(vec![
                janua_core::error::FieldError::new("settings", "must be an object"),
            ]))
        }
    };
    let org = org_cases::merge_settings(&state.core, &caller, &access, patch, &ctx).await?;
    Ok(Json(settings_view(&org)))
}

#[derive(Debug, Deserialize)]
pub struct TransferBody {
    new_owner_id: Option<String>,
}

pub async fn post_transfer(
    State(state): State<AppState>,
    Caller(caller): Caller,
    AuditContext(ctx): AuditContext,
    Path(org_id): Path<String>,
    Json(body): Json<TransferBody>,
) -> Result<Json<OrgView>, ApiError> {
    let access = authorize(&state.core, &caller, path_id(&org_id)?, "org:delete").await?;
    let mut p = Problems::default();
    let raw = p.required("new_owner_id", body.new_owner_id);
    p.finish()?;
    let new_owner: UserId = path_id(&raw.unwrap_or_default())?;
    let org = org_cases::transfer_ownership(&state.core, &caller, &access, new_owner, &ctx).await?;
    Ok(Json(detailed(&state, &org).await?))
}

/// A membership as API.md §11 lists it, with the member's email for convenience.
pub fn member_view(m: &Member, email: Option<String>) -> Value {
    json!({
        "id": m.id, "user_id": m.user_id, "organization_id": m.organization_id,
        "role": m.role.as_str(), "status": m.status, "joined_at": format_timestamp(m.joined_at),
        "metadata": m.metadata, "email": email
    })
}

pub async fn get_members(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(org_id): Path<String>,
) -> Result<Json<Vec<Value>>, ApiError> {
    let access = authorize(&state.core, &caller, path_id(&org_id)?, "users:read").await?;
    let members = state.core.store.list_members(access.org.id).await?;
    let mut out = Vec::with_capacity(members.len());
    for m in &members {
        let email = state.core.store.get_user(m.user_id).await?.map(|u| u.email);
        out.push(member_view(m, email));
    }
    Ok(Json(out))
}

/// A role field: one of owner, admin, member, viewer (guest).
pub fn parse_role(
    p: &mut Problems,
    field: &str,
    raw: Option<String>,
    default: Option<OrgRole>,
) -> Option<OrgRole> {
    match raw {
        Some(raw) => {
            let role = OrgRole::parse(&raw);
            if role.is_none() {
                p.add(janua_core::error::FieldError::new(
                    field,
                    "must be one of owner, admin, member, viewer",
                ));
            }
            role
        }
        None => {
            if default.is_none() {
                p.required(field, None);
            }
            default
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct AddMemberBody {
    user_id: Option<String>,
    role: Option<String>,
}

pub async fn post_member(
    State(state): State<AppState>,
    Caller(caller): Caller,
    AuditContext(ctx): AuditContext,
    Path(org_id): Path<String>,
    Json(body): Json<AddMemberBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let access = authorize(&state.core, &caller, path_id(&org_id)?, "users:invite").await?;
    let mut p = Problems::default();
    let user = p.required("user_id", body.user_id);
    let role = parse_role(&mut p, "role", body.role, Some(OrgRole::Member));
    p.finish()?;
    let user: UserId = path_id(&user.unwrap_or_default())?;
    let role = role.unwrap_or(OrgRole::Member);
    let member = members::add(&state.core, &caller, &access, user, role, &ctx).await?;
    Ok((StatusCode::CREATED, Json(member_view(&member, None))))
}

#[derive(Debug, Deserialize)]
pub struct RoleBody {
    new_role: Option<String>,
    role: Option<String>,
}

pub async fn patch_member_role(
    State(state): State<AppState>,
    Caller(caller): Caller,
    AuditContext(ctx): AuditContext,
    Path((org_id, user_id)): Path<(String, String)>,
    Json(body): Json<RoleBody>,
) -> Result<Json<Value>, ApiError> {
    let access = authorize(&state.core, &caller, path_id(&org_id)?, "users:update").await?;
    let user: UserId = path_id(&user_id)?;
    let mut p = Problems::default();
    let role = parse_role(&mut p, "new_role", body.new_role.or(body.role), None);
    p.finish()?;
    let role = role.ok_or_else(|| ApiError::validation(vec![]))?;
    let member = members::change_role(&state.core, &caller, &access, user, role, &ctx).await?;
    Ok(Json(member_view(&member, None)))
}

pub async fn delete_member(
    State(state): State<AppState>,
    Caller(caller): Caller,
    AuditContext(ctx): AuditContext,
    Path((org_id, user_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let org: OrgId = path_id(&org_id)?;
    let user: UserId = path_id(&user_id)?;
    // Authorization inside: leaving needs membership only, removing others `users:remove`.
    members::remove(&state.core, &caller, org, user, &ctx).await?;
    Ok(Json(json!({"message": "Member removed successfully"})))
}
