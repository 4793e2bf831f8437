//! `/api/v1/sessions`: the caller's own sessions (API.md §5).

use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::Router;
use janua_core::audit::Actor;
use janua_core::auth::sessions::Session;
use janua_core::auth::sign_out;
use janua_core::clock::format_timestamp;
use janua_core::ids::SessionId;
use serde::{Deserialize, Serialize};

use crate::http::api::fields::path_id;
use crate::http::audit::AuditContext;
use crate::http::auth::CurrentUser;
use crate::http::error::ApiError;
use crate::http::extract::Json;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/sessions",
            get(get_sessions).delete(delete_sessions),
        )
        .route(
            "/api/v1/sessions/{id}",
            get(get_session).delete(delete_session),
        )
        .route("/api/v1/sessions/{id}/refresh", post(post_session_refresh))
        .route("/api/v1/sessions/activity/recent", get(get_recent_activity))
        .route("/api/v1/sessions/security/alerts", get(get_security_alerts))
}

/// `Session` of API.md §5.
#[derive(Debug, Serialize)]
pub struct SessionView {
    id: String,
    user_id: String,
    ip_address: Option<String>,
    user_agent: Option<String>,
    device_name: Option<String>,
    device_type: &'static str,
    browser: Option<String>,
    os: Option<String>,
    is_current: bool,
    created_at: String,
    last_activity_at: String,
    expires_at: String,
    revoked: bool,
}

fn view(session: &Session, current: Option<SessionId>) -> SessionView {
    SessionView {
        id: session.id.to_string(),
        user_id: session.user_id.to_string(),
        ip_address: session.ip_address.clone(),
        user_agent: session.user_agent.clone(),
        device_name: session.device.device_name.clone(),
        device_type: session.device.device_type.as_str(),
        browser: session.device.browser.clone(),
        os: session.device.os.clone(),
        is_current: Some(session.id) == current,
        created_at: format_timestamp(session.created_at),
        last_activity_at: format_timestamp(session.last_activity_at),
        expires_at: format_timestamp(session.expires_at),
        revoked: session.revoked_at.is_some(),
    }
}

#[derive(Debug, Serialize)]
pub struct SessionList {
    sessions: Vec<SessionView>,
    total: usize,
}

pub async fn get_sessions(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
) -> Result<Json<SessionList>, ApiError> {
    let sessions = sign_out::live_sessions(&state.core, me.user_id).await?;
    let views: Vec<SessionView> = sessions.iter().map(|s| view(s, me.session_id)).collect();
    Ok(Json(SessionList {
        total: views.len(),
        sessions: views,
    }))
}

pub async fn get_session(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<SessionView>, ApiError> {
    let id: SessionId = path_id(&id)?;
    let session = sign_out::own_session(&state.core, me.user_id, id).await?;
    Ok(Json(view(&session, me.session_id)))
}

#[derive(Debug, Serialize)]
pub struct MessageView {
    message: &'static str,
}

pub async fn delete_session(
    State(state): State<AppState>,
    AuditContext(audit): AuditContext,
    CurrentUser(me): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<MessageView>, ApiError> {
    let id: SessionId = path_id(&id)?;
    sign_out::revoke_own_session(&state.core, me.user_id, id, &audit).await?;
    Ok(Json(MessageView {
        message: "Session revoked successfully",
    }))
}

#[derive(Debug, Serialize)]
pub struct RevokedView {
    message: &'static str,
    revoked_count: usize,
}

pub async fn delete_sessions(
    State(state): State<AppState>,
    AuditContext(audit): AuditContext,
    CurrentUser(me): CurrentUser,
) -> Result<Json<RevokedView>, ApiError> {
    let revoked_count = sign_out::revoke_sessions(
        &state.core,
        me.user_id,
        me.session_id,
        "user_revoked_all",
        Actor::user(me.user_id, None),
        &audit,
    )
    .await?;
    Ok(Json(RevokedView {
        message: "All other sessions revoked",
        revoked_count,
    }))
}

pub async fn post_session_refresh(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<MessageView>, ApiError> {
    let id: SessionId = path_id(&id)?;
    sign_out::touch_own_session(&state.core, me.user_id, id).await?;
    Ok(Json(MessageView {
        message: "Session refreshed",
    }))
}

#[derive(Debug, Deserialize)]
pub struct RecentQuery {
    limit: Option<usize>,
}

#[derive(Debug, Serialize)]
pub struct Activity {
    session_id: String,
    activity_type: &'static str,
    timestamp: String,
    ip_address: Option<String>,
    device: Option<String>,
    device_type: &'static str,
    revoked: bool,
}

#[derive(Debug, Serialize)]
pub struct ActivityList {
    activities: Vec<Activity>,
    total: usize,
}

/// Sign-ins and last activity of the caller's live sessions, newest first (≤ 50).
pub async fn get_recent_activity(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    Query(query): Query<RecentQuery>,
) -> Result<Json<ActivityList>, ApiError> {
    let limit = query.limit.unwrap_or(10).clamp(1, 50);
    let sessions = sign_out::live_sessions(&state.core, me.user_id).await?;
    let mut activities: Vec<Activity> = sessions
        .iter()
        .flat_map(|s| {
            let entry = |kind: &'static str, at| Activity {
                session_id: s.id.to_string(),
                activity_type: kind,
                timestamp: format_timestamp(at),
                ip_address: s.ip_address.clone(),
                device: s.device.device_name.clone(),
                device_type: s.device.device_type.as_str(),
                revoked: s.revoked_at.is_some(),
            };
            let mut both = vec![entry("sign_in", s.created_at)];
            if s.last_activity_at > s.created_at {
                both.push(entry("activity", s.last_activity_at));
            }
            both
        })
        .collect();
    activities.sort_by(|a, b| b.timestamp.cmp(&a.timestamp));
    activities.truncate(limit);
    Ok(Json(ActivityList {
        total: activities.len(),
        activities,
    }))
}

#[derive(Debug, Serialize)]
pub struct Alert {
    #[serde(rename = "type")]
    kind: &'static str,
    severity: &'static str,
    message: String,
}

#[derive(Debug, Serialize)]
pub struct AlertList {
    alerts: Vec<Alert>,
    total: usize,
}

/// Heuristics over the caller's live sessions: several source addresses, sessions idle for a
/// long time, and clients that are scripts rather than browsers.
pub async fn get_security_alerts(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
) -> Result<Json<AlertList>, ApiError> {
    let now = state.clock.now();
    let sessions = sign_out::live_sessions(&state.core, me.user_id).await?;
    let mut alerts = Vec::new();
    let mut ips: Vec<&str> = sessions
        .iter()
        .filter_map(|s| s.ip_address.as_deref())
        .collect();
    ips.sort_unstable();
    ips.dedup();
    if ips.len() > 2 {
        alerts.push(Alert {
            kind: "multiple_locations",
            severity: "medium",
            message: format!(
                "Your account is signed in from {} different addresses",
                ips.len()
            ),
        });
    }
    let old = sessions
        .iter()
        .filter(|s| now - s.last_activity_at > chrono::Duration::days(3))
        .count();
    if old > 0 {
        alerts.push(Alert {
            kind: "old_sessions",
            severity: "low",
            message: format!("{old} session(s) unused for more than 3 days"),
        });
    }
    let scripted = sessions
        .iter()
        .filter(|s| {
            s.user_agent
                .as_deref()
                .is_none_or(|ua| ua.is_empty() || ua.contains("curl/") || ua.contains("python"))
        })
        .count();
    if scripted > 0 {
        alerts.push(Alert {
            kind: "suspicious_user_agent",
            severity: "low",
            message: format!("{scripted} session(s) opened by a non-browser client"),
        });
    }
    Ok(Json(AlertList {
        total: alerts.len(),
        alerts,
    }))
}
