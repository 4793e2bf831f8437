//! `/api/v1/users`: the caller's profile, account deletion, and the admin user list with
//! suspension (API.md §6).

use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::Router;
use janua_core::auth::store::UserQuery;
use janua_core::auth::users::{ProfileUpdate, User, UserStatus};
use janua_core::auth::{account, admin_users};
use janua_core::clock::format_timestamp;
use janua_core::error::FieldError;
use janua_core::ids::UserId;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::http::api::fields::{path_id, Problems, MAX_NAME_LEN};
use crate::http::audit::AuditContext;
use crate::http::auth::{AdminUser, CurrentUser};
use crate::http::error::ApiError;
use crate::http::extract::Json;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/users", get(get_users))
        .route(
            "/api/v1/users/me",
            get(get_me).patch(patch_me).delete(delete_me),
        )
        .route("/api/v1/users/{id}", get(get_user))
        .route("/api/v1/users/{id}/suspend", post(post_suspend))
        .route("/api/v1/users/{id}/reactivate", post(post_reactivate))
}

/// `User` of API.md §6.
#[derive(Debug, Serialize)]
pub struct UserView {
    id: String,
    email: String,
    email_verified: bool,
    username: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    display_name: Option<String>,
    profile_image_url: Option<String>,
    bio: Option<String>,
    phone_number: Option<String>,
    phone_verified: bool,
    timezone: Option<String>,
    locale: Option<String>,
    status: &'static str,
    created_at: String,
    updated_at: String,
    last_sign_in_at: Option<String>,
    user_metadata: Value,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.to_string(),
            email: u.email.clone(),
            email_verified: u.email_verified,
            username: u.username.clone(),
            first_name: u.first_name.clone(),
            last_name: u.last_name.clone(),
            display_name: u.display_name.clone(),
            profile_image_url: u.profile_image_url.clone(),
            bio: u.bio.clone(),
            phone_number: u.phone_number.clone(),
            phone_verified: u.phone_verified,
            timezone: u.timezone.clone(),
            locale: u.locale.clone(),
            status: u.status.as_str(),
            created_at: format_timestamp(u.created_at),
            updated_at: format_timestamp(u.updated_at),
            last_sign_in_at: u.last_sign_in_at.map(format_timestamp),
            user_metadata: u.user_metadata.clone(),
        }
    }
}

pub async fn get_me(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
) -> Result<Json<UserView>, ApiError> {
    Ok(Json(UserView::from(
        &account::current_user(&state.core, &me).await?,
    )))
}

/// Distinguishes an absent field (leave alone) from `null` (clear).
fn nullable<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

#[derive(Debug, Deserialize)]
pub struct ProfileBody {
    #[serde(default, deserialize_with = "nullable")]
    first_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    last_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    display_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    bio: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    phone_number: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    timezone: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    locale: Option<Option<String>>,
    user_metadata: Option<Value>,
}

/// Largest `user_metadata` document (API.md §19).
const MAX_METADATA_BYTES: usize = 16 * 1024;

fn e164(phone: &str) -> bool {
    phone.len() >= 8
        && phone.len() <= 16
        && phone.starts_with('+')
        && phone[1..].bytes().all(|b| b.is_ascii_digit())
}

fn iana_timezone(tz: &str) -> bool {
    tz == "UTC"
        || (tz.len() <= 64
            && tz.contains('/')
            && tz.split('/').all(|part| {
                !part.is_empty()
                    && part
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"_-+".contains(&b))
            }))
}

pub async fn patch_me(
    State(state): State<AppState>,
    AuditContext(audit): AuditContext,
    CurrentUser(me): CurrentUser,
    Json(body): Json<ProfileBody>,
) -> Result<Json<UserView>, ApiError> {
    let mut p = Problems::default();
    let text = |p: &mut Problems, field: &str, value: Option<Option<String>>, max: usize| {
        value.map(|inner| inner.and_then(|v| p.text(field, Some(v), max)))
    };
    let update = ProfileUpdate {
        first_name: text(&mut p, "first_name", body.first_name, MAX_NAME_LEN),
        last_name: text(&mut p, "last_name", body.last_name, MAX_NAME_LEN),
        display_name: text(&mut p, "display_name", body.display_name, MAX_NAME_LEN),
        bio: text(&mut p, "bio", body.bio, 1000),
        phone_number: text(&mut p, "phone_number", body.phone_number, 16),
        timezone: text(&mut p, "timezone", body.timezone, 64),
        locale: text(&mut p, "locale", body.locale, 35),
        user_metadata: body.user_metadata,
    };
    if let Some(Some(phone)) = &update.phone_number {
        if !e164(phone) {
            p.add(FieldError::new(
                "phone_number",
                "must be in E.164 form, such as +14155550100",
            ));
        }
    }
    if let Some(Some(tz)) = &update.timezone {
        if !iana_timezone(tz) {
            p.add(FieldError::new(
                "timezone",
                "must be an IANA time zone, such as Europe/Paris",
            ));
        }
    }
    if let Some(meta) = &update.user_metadata {
        if !meta.is_object() {
            p.add(FieldError::new("user_metadata", "must be a JSON object"));
        } else if meta.to_string().len() > MAX_METADATA_BYTES {
            p.add(FieldError::new("user_metadata", "must be at most 16 KiB"));
        }
    }
    p.finish()?;
    Ok(Json(UserView::from(
        &account::update_profile(&state.core, &me, update, &audit).await?,
    )))
}

#[derive(Debug, Deserialize)]
pub struct DeleteQuery {
    password: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct MessageView {
    message: &'static str,
}

pub async fn delete_me(
    State(state): State<AppState>,
    AuditContext(audit): AuditContext,
    CurrentUser(me): CurrentUser,
    Query(query): Query<DeleteQuery>,
) -> Result<Json<MessageView>, ApiError> {
    account::delete_account(&state.core, &me, query.password.as_deref(), &audit).await?;
    Ok(Json(MessageView {
        message: "Account deleted",
    }))
}

/// A user by id: oneself or, for admins, anyone; others get 404 (no existence leak).
pub async fn get_user(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<UserView>, ApiError> {
    let id: UserId = path_id(&id)?;
    if id != me.user_id && !me.is_admin {
        return Err(ApiError::not_found());
    }
    Ok(Json(UserView::from(
        &admin_users::get_user(&state.core, id).await?,
    )))
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    page: Option<u32>,
    per_page: Option<u32>,
    search: Option<String>,
    status: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct UserList {
    users: Vec<UserView>,
    total: u64,
    page: u32,
    per_page: u32,
}

pub async fn get_users(
    State(state): State<AppState>,
    AdminUser(_): AdminUser,
    Query(q): Query<ListQuery>,
) -> Result<Json<UserList>, ApiError> {
    let status = match q.status.as_deref() {
        None | Some("") => None,
        Some(raw) => Some(UserStatus::parse(raw).ok_or_else(|| {
            ApiError::validation(vec![FieldError::new(
                "status",
                "one of active, inactive, suspended, pending, deleted",
            )])
        })?),
    };
    let page = q.page.unwrap_or(1).max(1);
    let per_page = q.per_page.unwrap_or(20).clamp(1, 100);
    let search = q
        .search
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.chars().take(100).collect());
    let query = UserQuery {
        search,
        status,
        page,
        per_page,
    };
    let (users, total) = admin_users::list_users(&state.core, &query).await?;
    Ok(Json(UserList {
        users: users.iter().map(UserView::from).collect(),
        total,
        page,
        per_page,
    }))
}

#[derive(Debug, Deserialize)]
pub struct SuspendQuery {
    reason: Option<String>,
}

pub async fn post_suspend(
    State(state): State<AppState>,
    AuditContext(audit): AuditContext,
    AdminUser(admin): AdminUser,
    Path(id): Path<String>,
    Query(q): Query<SuspendQuery>,
) -> Result<Json<UserView>, ApiError> {
    let id: UserId = path_id(&id)?;
    let reason: Option<String> = q.reason.map(|r| r.chars().take(500).collect());
    Ok(Json(UserView::from(
        &admin_users::suspend(&state.core, admin.actor(), id, reason.as_deref(), &audit).await?,
    )))
}

pub async fn post_reactivate(
    State(state): State<AppState>,
    AuditContext(audit): AuditContext,
    AdminUser(admin): AdminUser,
    Path(id): Path<String>,
) -> Result<Json<UserView>, ApiError> {
    let id: UserId = path_id(&id)?;
    Ok(Json(UserView::from(
        &admin_users::reactivate(&state.core, admin.actor(), id, &audit).await?,
    )))
}
