//! `/api/v1/invitations` and the invitation routes under `/api/v1/organizations` (API.md §11):
//! invite (single, bulk), list, read, change, revoke, resend; validate and accept by token.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::Router;
use chrono::Duration;
use janua_core::auth::email::Email;
use janua_core::auth::principal::{authenticate, UserPrincipal};
use janua_core::clock::format_timestamp;
use janua_core::error::FieldError;
use janua_core::ids::{InvitationId, OrgId};
use janua_core::orgs::invitations::{
    self as cases, Accept, Invite, Issued, DEFAULT_EXPIRY_DAYS, MAX_BULK, MAX_EXPIRY_DAYS,
    MAX_MESSAGE_LEN,
};
use janua_core::orgs::{Invitation, InvitationStatus};
use janua_core::rbac::check::{authorize, OrgAccess};
use janua_core::rbac::roles::OrgRole;
use serde::{Deserialize, Deserializer};
use serde_json::{json, Value};

use crate::http::api::fields::{path_id, Problems};
use crate::http::api::orgs::parse_role;
use crate::http::api::scoped::Scoped;
use crate::http::audit::AuditContext;
use crate::http::auth::{bearer_from_headers, Caller};
use crate::http::error::ApiError;
use crate::http::extract::Json;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/invitations/accept", post(post_accept))
        .route("/api/v1/invitations/validate/{token}", get(get_validate))
}

pub fn scoped() -> Scoped {
    Scoped::default()
        .route(
            "/api/v1/invitations",
            &["GET", "POST"],
            get(get_invitations).post(post_invitation),
        )
        .route("/api/v1/invitations/bulk", &["POST"], post(post_bulk))
        .route(
            "/api/v1/invitations/{id}",
            &["GET", "PATCH", "DELETE"],
            get(get_invitation)
                .patch(patch_invitation)
                .delete(delete_invitation),
        )
        .route(
            "/api/v1/invitations/{id}/resend",
            &["POST"],
            post(post_resend),
        )
}

fn view(state: &AppState, i: &Invitation, invite_url: Option<String>) -> Value {
    json!({
        "id": i.id, "organization_id": i.organization_id, "email": i.email,
        "role": i.role.as_str(), "status": i.status_at(state.core.clock.now()).as_str(),
        "invited_by": i.invited_by, "message": i.message,
        "expires_at": format_timestamp(i.expires_at), "created_at": format_timestamp(i.created_at),
        "invite_url": invite_url, "email_sent": i.email_sent
    })
}

fn issued_view(state: &AppState, issued: &Issued) -> Value {
    view(state, &issued.invitation, Some(issued.invite_url.clone()))
}

#[derive(Debug, Deserialize)]
pub struct InviteBody {
    organization_id: Option<String>,
    email: Option<String>,
    role: Option<String>,
    message: Option<String>,
    expires_in: Option<u32>,
    expires_in_days: Option<u32>,
}

fn parse_invite(body: InviteBody) -> Result<(Option<String>, Invite), ApiError> {
    let mut p = Problems::default();
    let email = match body.email {
        Some(raw) => p.check(Email::parse(&raw)),
        None => {
            p.required("email", None);
            None
        }
    };
    let role = parse_role(&mut p, "role", body.role, Some(OrgRole::Member));
    let message = p.text("message", body.message, MAX_MESSAGE_LEN);
    let days = body
        .expires_in_days
        .or(body.expires_in)
        .unwrap_or(DEFAULT_EXPIRY_DAYS);
    if !(1..=MAX_EXPIRY_DAYS).contains(&days) {
        p.add(FieldError::new("expires_in", "must be 1 to 30 days"));
    }
    p.finish()?;
    let (Some(email), Some(role)) = (email, role) else {
        return Err(ApiError::validation(vec![]));
    };
    Ok((
        body.organization_id,
        Invite {
            email,
            role,
            message,
            expires_in_days: days,
        },
    ))
}

fn org_field(raw: Option<String>) -> Result<OrgId, ApiError> {
    match raw {
        Some(raw) => path_id(&raw),
        None => Err(ApiError::validation(vec![FieldError::new(
            "organization_id",
            "is required",
        )])),
    }
}

pub async fn post_org_invitation(
    State(state): State<AppState>,
    Caller(caller): Caller,
    AuditContext(ctx): AuditContext,
    Path(org_id): Path<String>,
    Json(body): Json<InviteBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let access = authorize(&state.core, &caller, path_id(&org_id)?, "users:invite").await?;
    let (_, invite) = parse_invite(body)?;
    let issued = cases::create(&state.core, &caller, &access, invite, &ctx).await?;
    Ok((StatusCode::CREATED, Json(issued_view(&state, &issued))))
}

pub async fn post_invitation(
    State(state): State<AppState>,
    Caller(caller): Caller,
    AuditContext(ctx): AuditContext,
    Json(body): Json<InviteBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let org = org_field(body.organization_id.clone())?;
    let access = authorize(&state.core, &caller, org, "users:invite").await?;
    let (_, invite) = parse_invite(body)?;
    let issued = cases::create(&state.core, &caller, &access, invite, &ctx).await?;
    Ok((StatusCode::CREATED, Json(issued_view(&state, &issued))))
}

#[derive(Debug, Deserialize)]
pub struct BulkBody {
    organization_id: Option<String>,
    emails: Option<Vec<String>>,
    role: Option<String>,
    message: Option<String>,
}

pub async fn post_bulk(
    State(state): State<AppState>,
    Caller(caller): Caller,
    AuditContext(ctx): AuditContext,
    Json(body): Json<BulkBody>,
) -> Result<Json<Value>, ApiError> {
    let access = authorize(
        &state.core,
        &caller,
        org_field(body.organization_id)?,
        "users:invite",
    )
    .await?;
    let mut p = Problems::default();
    let emails = body.emails.unwrap_or_default();
    if emails.is_empty() || emails.len() > MAX_BULK {
        p.add(FieldError::new("emails", "must list 1 to 100 addresses"));
    }
    let role = parse_role(&mut p, "role", body.role, Some(OrgRole::Member));
    let message = p.text("message", body.message, MAX_MESSAGE_LEN);
    p.finish()?;
    let role = role.unwrap_or(OrgRole::Member);
    let (mut successful, mut failed) = (Vec::new(), Vec::new());
    for raw in emails {
        match bulk_one(&state, &caller, &access, &raw, role, message.clone(), &ctx).await {
            Ok(v) => successful.push(v),
            Err(e) => failed.push(json!({"email": raw, "error": e.code, "message": e.message})),
        }
    }
    Ok(Json(json!({
        "total_sent": successful.len(), "total_failed": failed.len(),
        "successful": successful, "failed": failed
    })))
}

async fn bulk_one(
    state: &AppState,
    caller: &janua_core::auth::principal::Principal,
    access: &OrgAccess,
    raw: &str,
    role: OrgRole,
    message: Option<String>,
    ctx: &janua_core::audit::RequestContext,
) -> Result<Value, ApiError> {
    let email = Email::parse(raw).map_err(|e| ApiError::validation(vec![e]))?;
    let invite = Invite {
        email,
        role,
        message,
        expires_in_days: DEFAULT_EXPIRY_DAYS,
    };
    let issued = cases::create(&state.core, caller, access, invite, ctx).await?;
    Ok(issued_view(state, &issued))
}

#[derive(Debug, Deserialize)]
pub struct OrgQuery {
    organization_id: Option<String>,
}

async fn list(state: &AppState, access: &OrgAccess) -> Result<Value, ApiError> {
    let now = state.core.clock.now();
    let invitations = state.core.store.list_invitations(access.org.id).await?;
    let count = |s: InvitationStatus| invitations.iter().filter(|i| i.status_at(now) == s).count();
    Ok(json!({
        "invitations": invitations.iter().map(|i| view(state, i, None)).collect::<Vec<_>>(),
        "total": invitations.len(),
        "pending_count": count(InvitationStatus::Pending),
        "accepted_count": count(InvitationStatus::Accepted),
        "expired_count": count(InvitationStatus::Expired),
    }))
}

pub async fn get_invitations(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Query(q): Query<OrgQuery>,
) -> Result<Json<Value>, ApiError> {
    let access = authorize(
        &state.core,
        &caller,
        org_field(q.organization_id)?,
        "users:read",
    )
    .await?;
    Ok(Json(list(&state, &access).await?))
}

pub async fn get_org_invitations(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(org_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let access = authorize(&state.core, &caller, path_id(&org_id)?, "users:read").await?;
    Ok(Json(list(&state, &access).await?))
}

pub async fn get_invitation(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id: InvitationId = path_id(&id)?;
    let (invitation, _) =
        cases::authorize_invitation(&state.core, &caller, id, "users:invite").await?;
    Ok(Json(view(&state, &invitation, None)))
}

fn nullable<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

#[derive(Debug, Deserialize)]
pub struct PatchBody {
    role: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    message: Option<Option<String>>,
    expires_in: Option<u32>,
}

pub async fn patch_invitation(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    Json(body): Json<PatchBody>,
) -> Result<Json<Value>, ApiError> {
    let id: InvitationId = path_id(&id)?;
    let (_, access) = cases::authorize_invitation(&state.core, &caller, id, "users:invite").await?;
    let mut p = Problems::default();
    let role = match body.role {
        Some(raw) => parse_role(&mut p, "role", Some(raw), None),
        None => None,
    };
    let message = body.message.map(|m| p.text("message", m, MAX_MESSAGE_LEN));
    if body
        .expires_in
        .is_some_and(|d| !(1..=MAX_EXPIRY_DAYS).contains(&d))
    {
        p.add(FieldError::new("expires_in", "must be 1 to 30 days"));
    }
    p.finish()?;
    if role.is_some_and(|r| r.level() > access.level()) {
        return Err(janua_core::Error::auth(
            janua_core::error::AuthFailure::InsufficientPermissions,
        )
        .into());
    }
    let now = state.core.clock.now();
    let expires_at = body.expires_in.map(|d| now + Duration::days(i64::from(d)));
    let updated = state
        .core
        .store
        .update_invitation(id, role, message, expires_at, now)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(view(&state, &updated, None)))
}

pub async fn delete_invitation(
    State(state): State<AppState>,
    Caller(caller): Caller,
    AuditContext(ctx): AuditContext,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: InvitationId = path_id(&id)?;
    let (_, access) = cases::authorize_invitation(&state.core, &caller, id, "users:invite").await?;
    cases::revoke(&state.core, &caller, &access, id, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn post_resend(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id: InvitationId = path_id(&id)?;
    let (_, access) = cases::authorize_invitation(&state.core, &caller, id, "users:invite").await?;
    let issued = cases::resend(&state.core, &caller, &access, id).await?;
    Ok(Json(issued_view(&state, &issued)))
}

pub async fn get_validate(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let (invitation, org) = cases::validate(&state.core, &token)
        .await
        .map_err(|_| ApiError::not_found())?;
    Ok(Json(json!({
        "valid": true, "organization_id": org.id, "organization_name": org.name,
        "email": invitation.email, "role": invitation.role.as_str(),
        "expires_at": format_timestamp(invitation.expires_at)
    })))
}

#[derive(Debug, Default, Deserialize)]
pub struct AcceptBody {
    token: Option<String>,
    password: Option<String>,
    name: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
}

/// The signed-in user, when the request carries a bearer token (which must then be valid).
async fn optional_user(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<UserPrincipal>, ApiError> {
    match bearer_from_headers(headers) {
        Some(token) => authenticate(&state.core, token)
            .await
            .map(Some)
            .map_err(|_| ApiError::unauthorized()),
        None => Ok(None),
    }
}

async fn accept(
    state: &AppState,
    headers: &HeaderMap,
    ctx: &janua_core::audit::RequestContext,
    token: Option<String>,
    body: AcceptBody,
) -> Result<Json<Value>, ApiError> {
    let mut p = Problems::default();
    let token = p.required("token", token);
    let name = p.text("name", body.name, 200);
    let first_name = p.text("first_name", body.first_name, 100);
    let last_name = p.text("last_name", body.last_name, 100);
    if body.password.as_deref().is_some_and(|pw| pw.len() > 256) {
        p.add(FieldError::new(
            "password",
            "must be at most 256 characters",
        ));
    }
    p.finish()?;
    let (first_name, last_name) = match (first_name, last_name, name) {
        (None, None, Some(name)) => match name.split_once(' ') {
            Some((f, l)) => (Some(f.to_owned()), Some(l.trim().to_owned())),
            None => (Some(name), None),
        },
        (f, l, _) => (f, l),
    };
    let caller = optional_user(state, headers).await?;
    let request = Accept {
        token: token.unwrap_or_default(),
        password: body.password,
        first_name,
        last_name,
    };
    let accepted = cases::accept(&state.core, caller.as_ref(), request, ctx).await?;
    Ok(Json(json!({
        "success": true, "user_id": accepted.user_id,
        "organization_id": accepted.invitation.organization_id,
        "message": "Invitation accepted", "is_new_user": accepted.is_new_user
    })))
}

pub async fn post_accept(
    State(state): State<AppState>,
    AuditContext(ctx): AuditContext,
    headers: HeaderMap,
    Json(body): Json<AcceptBody>,
) -> Result<Json<Value>, ApiError> {
    let token = body.token.clone();
    accept(&state, &headers, &ctx, token, body).await
}

/// `POST /organizations/invitations/{token}/accept` (alias; body optional fields only).
pub async fn post_accept_by_path(
    State(state): State<AppState>,
    AuditContext(ctx): AuditContext,
    headers: HeaderMap,
    Path(token): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let body: AcceptBody = if body.iter().all(u8::is_ascii_whitespace) {
        AcceptBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "INVALID_JSON",
                "The body is not valid JSON",
            )
        })?
    };
    accept(&state, &headers, &ctx, Some(token), body).await
}

/// `POST /organizations/{org_id}/members/invitations/accept` (signed in; **token**).
pub async fn post_accept_in_org(
    State(state): State<AppState>,
    AuditContext(ctx): AuditContext,
    headers: HeaderMap,
    Path(_org_id): Path<String>,
    Json(body): Json<AcceptBody>,
) -> Result<Json<Value>, ApiError> {
    if bearer_from_headers(&headers).is_none() {
        return Err(ApiError::unauthorized());
    }
    let token = body.token.clone();
    accept(&state, &headers, &ctx, token, body).await
}
