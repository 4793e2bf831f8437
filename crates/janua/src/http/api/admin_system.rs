//! `/api/v1/admin` operational routes (API.md §16), for platform administrators: dependency
//! health, the platform-wide activity log, maintenance mode, the effective configuration with
//! secrets masked, and the recorded OIDC custom domain.

use axum::extract::{Query, State};
use axum::routing::get;
use axum::Router;
use janua_core::admin::custom_domain::{self, DomainName};
use janua_core::admin::maintenance::{self, MaintenanceMode};
use janua_core::audit::query::Scope;
use janua_core::clock::format_timestamp;
use janua_core::error::FieldError;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::http::api::audit::{list_within, parse_list, AuditList, ListParams};
use crate::http::api::fields::Problems;
use crate::http::audit::AuditContext;
use crate::http::auth::AdminUser;
use crate::http::error::ApiError;
use crate::http::extract::Json;
use crate::http::health::{check_dependencies, VERSION};
use crate::http::maintenance::CACHE_TTL_SECONDS;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/admin/health", get(get_admin_health))
        .route("/api/v1/admin/activity-logs", get(get_activity_logs))
        .route(
            "/api/v1/admin/maintenance-mode",
            get(get_maintenance_mode).post(post_maintenance_mode),
        )
        .route("/api/v1/admin/config", get(get_config))
        .route(
            "/api/v1/admin/settings/oidc/custom-domain",
            get(get_custom_domain).put(put_custom_domain),
        )
}

/// Storage and cache (as `/ready` checks them), version, uptime, draining and maintenance.
pub async fn get_admin_health(
    State(state): State<AppState>,
    AdminUser(_): AdminUser,
) -> Json<Value> {
    let checks = check_dependencies(&state).await;
    let draining = state.lifecycle.is_draining();
    let now = state.clock.now();
    let status = if !checks.all_ok() {
        "unhealthy"
    } else if draining {
        "draining"
    } else {
        "healthy"
    };
    let maintenance = state.maintenance.current(&state.core).await;
    Json(json!({
        "status": status,
        "timestamp": format_timestamp(now),
        "version": VERSION,
        "environment": state.config.server.environment.as_str(),
        "started_at": format_timestamp(state.started_at),
        "uptime_seconds": (now - state.started_at).num_seconds().max(0),
        "draining": draining,
        "maintenance_mode": maintenance.enabled,
        "checks": {"database": checks.database, "cache": checks.cache},
    }))
}

/// The audit log across the platform, with the filters and cursor of `GET /audit-logs`.
pub async fn get_activity_logs(
    State(state): State<AppState>,
    AdminUser(_): AdminUser,
    Query(params): Query<ListParams>,
) -> Result<Json<AuditList>, ApiError> {
    let request = parse_list(params)?;
    list_within(&state, request, Scope::All).await
}

fn maintenance_view(mode: &MaintenanceMode) -> Json<Value> {
    Json(json!({
        "enabled": mode.enabled,
        "message": mode.message,
        "updated_at": mode.updated_at.map(format_timestamp),
        "propagation_seconds": CACHE_TTL_SECONDS,
    }))
}

/// The switch as stored (read from the database, not this instance's cached copy).
pub async fn get_maintenance_mode(
    State(state): State<AppState>,
    AdminUser(_): AdminUser,
) -> Result<Json<Value>, ApiError> {
    Ok(maintenance_view(&maintenance::current(&state.core).await?))
}

#[derive(Debug, Deserialize)]
pub struct MaintenanceBody {
    enabled: Option<Value>,
    message: Option<Value>,
}

pub async fn post_maintenance_mode(
    State(state): State<AppState>,
    AdminUser(me): AdminUser,
    AuditContext(ctx): AuditContext,
    Json(body): Json<MaintenanceBody>,
) -> Result<Json<Value>, ApiError> {
    let mut p = Problems::default();
    let enabled = match body.enabled {
        Some(Value::Bool(enabled)) => Some(enabled),
        Some(_) => {
            p.add(FieldError::new("enabled", "must be true or false"));
            None
        }
        None => {
            p.add(FieldError::new("enabled", "is required"));
            None
        }
    };
    let message = match body.message {
        None | Some(Value::Null) => None,
        Some(Value::String(raw)) => p.check(maintenance::parse_message(Some(&raw))).flatten(),
        Some(_) => {
            p.add(FieldError::new("message", "must be a string"));
            None
        }
    };
    p.finish()?;
    let enabled = enabled.ok_or_else(|| ApiError::validation(vec![]))?;
    let mode = maintenance::set(&state.core, &me, enabled, message, &ctx).await?;
    // This instance applies it at once; the others within CACHE_TTL_SECONDS.
    state.maintenance.remember(mode.clone(), state.clock.now());
    Ok(maintenance_view(&mode))
}

/// The effective configuration: every secret is `"***"` and URL passwords are masked.
pub async fn get_config(State(state): State<AppState>, AdminUser(_): AdminUser) -> Json<Value> {
    Json(json!({
        "config": state.config.redacted(),
        "warnings": state.config.warnings(),
    }))
}

fn custom_domain_view(state: &AppState, domain: Option<&custom_domain::CustomDomain>) -> Value {
    let issuer = &state.config.tokens.issuer;
    let active = domain.is_some_and(|d| issuer_host(issuer) == Some(d.domain.as_str()));
    json!({
        "domain": domain.map(|d| d.domain.clone()),
        "updated_at": domain.map(|d| format_timestamp(d.updated_at)),
        "issuer": issuer,
        // Whether the running issuer already uses it: the issuer is read at start-up only.
        "active": active,
    })
}

/// The host of `https://host[:port]/…`.
fn issuer_host(issuer: &str) -> Option<&str> {
    let rest = issuer.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    authority
        .rsplit_once(':')
        .map_or(Some(authority), |(host, _)| Some(host))
}

pub async fn get_custom_domain(
    State(state): State<AppState>,
    AdminUser(_): AdminUser,
) -> Result<Json<Value>, ApiError> {
    let domain = custom_domain::current(&state.core).await?;
    Ok(Json(custom_domain_view(&state, domain.as_ref())))
}

#[derive(Debug, Deserialize)]
pub struct CustomDomainBody {
    domain: Option<Value>,
}

pub async fn put_custom_domain(
    State(state): State<AppState>,
    AdminUser(me): AdminUser,
    AuditContext(ctx): AuditContext,
    Json(body): Json<CustomDomainBody>,
) -> Result<Json<Value>, ApiError> {
    let mut p = Problems::default();
    let domain = match body.domain {
        Some(Value::String(raw)) => p.check(DomainName::parse(&raw)),
        Some(Value::Null) | None => {
            p.add(FieldError::new("domain", "is required"));
            None
        }
        Some(_) => {
            p.add(FieldError::new("domain", "must be a string"));
            None
        }
    };
    p.finish()?;
    let domain = domain.ok_or_else(|| ApiError::validation(vec![]))?;
    let stored = custom_domain::set(&state.core, &me, domain, &ctx).await?;
    Ok(Json(custom_domain_view(&state, Some(&stored))))
}

#[cfg(test)]
mod tests {
    use super::issuer_host;

    #[test]
    fn the_issuer_host_drops_scheme_port_and_path() {
        assert_eq!(
            issuer_host("https://auth.example.com"),
            Some("auth.example.com")
        );
        assert_eq!(issuer_host("http://127.0.0.1:8000/base"), Some("127.0.0.1"));
        assert_eq!(issuer_host("not a url"), None);
    }
}
