//! `/api/v1/webhooks` (API.md §14): endpoint CRUD (the secret shown on create and regenerate
//! only), test deliveries, the delivery log with redelivery, stats, the event catalogue and a
//! signature checker. URLs are checked against the SSRF rules here, at the edge, before core
//! sees them; delivery checks them again after resolution.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use janua_core::audit::RequestContext;
use janua_core::clock::format_timestamp;
use janua_core::error::{AuthFailure, Error, FieldError};
use janua_core::webhooks::delivery::{self, TransportOutcome};
use janua_core::webhooks::endpoints::{self, EndpointChanges, EndpointInput};
use janua_core::webhooks::events::{is_subscribable, EVENT_TYPES};
use janua_core::webhooks::{signing, Delivery, Endpoint, EndpointOwner};
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::http::api::fields::path_id;
use crate::http::audit::AuditContext;
use crate::http::auth::CurrentUser;
use crate::http::error::ApiError;
use crate::http::extract::Json;
use crate::state::AppState;
use crate::webhooks::outbound::check_target;

const MAX_EVENTS: usize = 50;
const MAX_HEADERS: usize = 20;
const MAX_DESCRIPTION: usize = 500;
/// Deliveries shown by the delivery log.
const LOG_LIMIT: u32 = 100;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/webhooks", get(get_webhooks).post(post_webhook))
        .route("/api/v1/webhooks/events/types", get(get_event_types))
        .route(
            "/api/v1/webhooks/verify-signature",
            post(post_verify_signature),
        )
        .route(
            "/api/v1/webhooks/{id}",
            get(get_webhook).patch(patch_webhook).delete(delete_webhook),
        )
        .route("/api/v1/webhooks/{id}/test", post(post_webhook_test))
        .route("/api/v1/webhooks/{id}/stats", get(get_webhook_stats))
        .route("/api/v1/webhooks/{id}/events", get(get_webhook_events))
        .route(
            "/api/v1/webhooks/{id}/deliveries",
            get(get_webhook_deliveries),
        )
        .route(
            "/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver",
            post(post_redeliver),
        )
        .route(
            "/api/v1/webhooks/{id}/regenerate-secret",
            post(post_regenerate_secret),
        )
}

fn enabled(state: &AppState) -> Result<(), ApiError> {
    if state.config.features.enable_webhooks {
        Ok(())
    } else {
        Err(Error::auth(AuthFailure::FeatureDisabled).into())
    }
}

/// `Endpoint` of API.md §14 (`secret` only when just created or regenerated).
fn endpoint_view(e: &Endpoint, secret: Option<&str>) -> Value {
    let organization_id = match e.owner {
        EndpointOwner::Organization(org) => Some(org.to_string()),
        _ => None,
    };
    let mut view = json!({
        "id": e.id.to_string(),
        "url": e.url,
        "events": e.events,
        "is_active": e.is_active,
        "description": e.description,
        "headers": e.headers,
        "organization_id": organization_id,
        "created_at": format_timestamp(e.created_at),
        "updated_at": format_timestamp(e.updated_at),
    });
    if let Some(secret) = secret {
        view["secret"] = Value::from(secret);
    }
    view
}

fn delivery_view(d: &Delivery) -> Value {
    json!({
        "id": d.id.to_string(),
        "event_id": d.event_id.to_string(),
        "event_type": d.event_type,
        "status": d.status.as_str(),
        "status_code": d.response_status,
        "response_body": d.response_body,
        "error": d.error,
        "attempt": d.attempt,
        "latency_ms": d.latency_ms,
        "delivered_at": d.delivered_at.map(format_timestamp),
        "next_retry_at": d.next_attempt_at.filter(|_| d.status.as_str() == "retrying").map(format_timestamp),
        "created_at": format_timestamp(d.created_at),
    })
}

fn check_events(raw: Vec<String>, problems: &mut Vec<FieldError>) -> Vec<String> {
    if raw.is_empty() || raw.len() > MAX_EVENTS {
        problems.push(FieldError::new(
            "events",
            "between 1 and 50 event types, or [\"*\"]",
        ));
    }
    for name in &raw {
        if !is_subscribable(name) {
            let shown: String = name.chars().take(60).collect();
            problems.push(FieldError::new(
                "events",
                format!("unknown event type {shown:?}"),
            ));
        }
    }
    let mut events = raw;
    events.sort();
    events.dedup();
    events
}

fn check_headers(
    raw: BTreeMap<String, String>,
    problems: &mut Vec<FieldError>,
) -> BTreeMap<String, String> {
    if raw.len() > MAX_HEADERS {
        problems.push(FieldError::new("headers", "at most 20 headers"));
    }
    for (name, value) in &raw {
        let lower = name.to_ascii_lowercase();
        let valid_name = !name.is_empty()
            && name.len() <= 100
            && axum::http::HeaderName::from_bytes(name.as_bytes()).is_ok();
        let reserved = matches!(
            lower.as_str(),
            "host"
                | "content-length"
                | "content-type"
                | "transfer-encoding"
                | "connection"
                | "user-agent"
        ) || lower.starts_with("janua-webhook-");
        let valid_value = value.len() <= 1000 && axum::http::HeaderValue::from_str(value).is_ok();
        if !valid_name || reserved || !valid_value {
            let shown: String = name.chars().take(60).collect();
            problems.push(FieldError::new(
                "headers",
                format!("header {shown:?} is not allowed or not valid"),
            ));
        }
    }
    raw
}

fn check_description(raw: Option<String>, problems: &mut Vec<FieldError>) -> Option<String> {
    let value = raw.map(|d| d.trim().to_owned()).filter(|d| !d.is_empty())?;
    if value.chars().count() > MAX_DESCRIPTION || value.contains('\0') {
        problems.push(FieldError::new("description", "at most 500 characters"));
    }
    Some(value)
}

async fn check_url(state: &AppState, raw: &str, problems: &mut Vec<FieldError>) -> Option<String> {
    match check_target(raw, state.webhooks.allow_private).await {
        Ok(url) => Some(url),
        Err(refused) => {
            problems.push(FieldError::new("url", refused.0));
            None
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct CreateBody {
    url: Option<String>,
    events: Option<Vec<String>>,
    description: Option<String>,
    headers: Option<BTreeMap<String, String>>,
    organization_id: Option<String>,
}

pub async fn post_webhook(
    State(state): State<AppState>,
    AuditContext(audit): AuditContext,
    CurrentUser(me): CurrentUser,
    Json(body): Json<CreateBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    enabled(&state)?;
    let mut problems = Vec::new();
    let url = match body.url.as_deref() {
        Some(raw) => check_url(&state, raw, &mut problems).await,
        None => {
            problems.push(FieldError::new("url", "is required"));
            None
        }
    };
    let events = match body.events {
        Some(events) => check_events(events, &mut problems),
        None => {
            problems.push(FieldError::new("events", "is required"));
            Vec::new()
        }
    };
    let headers = check_headers(body.headers.unwrap_or_default(), &mut problems);
    let description = check_description(body.description, &mut problems);
    let organization_id = match body.organization_id.filter(|o| !o.is_empty()) {
        Some(raw) => match Uuid::try_parse(&raw) {
            Ok(id) => Some(id),
            Err(_) => {
                problems.push(FieldError::new("organization_id", "must be a UUID"));
                None
            }
        },
        None => None,
    };
    let Some(url) = url.filter(|_| problems.is_empty()) else {
        return Err(ApiError::validation(problems));
    };
    let input = EndpointInput {
        url,
        events,
        headers,
        description,
        organization_id,
    };
    let created =
        endpoints::create(&state.core, &state.webhooks.sealer, &me, input, &audit).await?;
    Ok((
        StatusCode::CREATED,
        Json(endpoint_view(&created.endpoint, Some(&created.secret))),
    ))
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    is_active: Option<String>,
    organization_id: Option<String>,
}

pub async fn get_webhooks(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    enabled(&state)?;
    let is_active = match q.is_active.as_deref() {
        None | Some("") => None,
        Some(raw) => Some(crate::config::env::parse_bool(raw).ok_or_else(|| {
            ApiError::validation(vec![FieldError::new("is_active", "true or false")])
        })?),
    };
    let organization = match q.organization_id.as_deref().filter(|o| !o.is_empty()) {
        None => None,
        Some(raw) => Some(Uuid::try_parse(raw).map_err(|_| {
            ApiError::validation(vec![FieldError::new("organization_id", "must be a UUID")])
        })?),
    };
    let list = endpoints::list(&state.core, &me, organization, is_active).await?;
    Ok(Json(json!({
        "endpoints": list.iter().map(|e| endpoint_view(e, None)).collect::<Vec<_>>(),
        "total": list.len(),
    })))
}

pub async fn get_webhook(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    enabled(&state)?;
    let id: Uuid = path_id(&id)?;
    let endpoint = endpoints::get(&state.core, &me, id).await?;
    Ok(Json(endpoint_view(&endpoint, None)))
}

#[derive(Debug, Deserialize)]
pub struct PatchBody {
    url: Option<String>,
    events: Option<Vec<String>>,
    description: Option<Option<String>>,
    headers: Option<BTreeMap<String, String>>,
    is_active: Option<bool>,
}

pub async fn patch_webhook(
    State(state): State<AppState>,
    AuditContext(audit): AuditContext,
    CurrentUser(me): CurrentUser,
    Path(id): Path<String>,
    Json(body): Json<PatchBody>,
) -> Result<Json<Value>, ApiError> {
    enabled(&state)?;
    let id: Uuid = path_id(&id)?;
    let mut problems = Vec::new();
    let url = match body.url.as_deref() {
        Some(raw) => check_url(&state, raw, &mut problems).await,
        None => None,
    };
    let events = body.events.map(|e| check_events(e, &mut problems));
    let headers = body.headers.map(|h| check_headers(h, &mut problems));
    let description = body
        .description
        .map(|d| check_description(d, &mut problems));
    if !problems.is_empty() {
        return Err(ApiError::validation(problems));
    }
    let changes = EndpointChanges {
        url,
        events,
        headers,
        description,
        is_active: body.is_active,
    };
    let endpoint = endpoints::update(&state.core, &me, id, changes, &audit).await?;
    Ok(Json(endpoint_view(&endpoint, None)))
}

pub async fn delete_webhook(
    State(state): State<AppState>,
    AuditContext(audit): AuditContext,
    CurrentUser(me): CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    enabled(&state)?;
    let id: Uuid = path_id(&id)?;
    endpoints::delete(&state.core, &me, id, &audit).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn post_regenerate_secret(
    State(state): State<AppState>,
    AuditContext(audit): AuditContext,
    CurrentUser(me): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    enabled(&state)?;
    let id: Uuid = path_id(&id)?;
    let renewed =
        endpoints::regenerate_secret(&state.core, &state.webhooks.sealer, &me, id, &audit).await?;
    Ok(Json(endpoint_view(
        &renewed.endpoint,
        Some(&renewed.secret),
    )))
}

pub async fn post_webhook_test(
    State(state): State<AppState>,
    AuditContext(audit): AuditContext,
    CurrentUser(me): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    enabled(&state)?;
    let id: Uuid = path_id(&id)?;
    let runtime = &state.webhooks;
    let (delivery, outcome, latency) = delivery::send_test(
        &state.core,
        &runtime.sealer,
        runtime.transport.as_ref(),
        &me,
        id,
    )
    .await?;
    record_test(&state, &me, id, &delivery, &audit).await;
    let (status_code, error) = match &outcome {
        TransportOutcome::Response { status, .. } => (Some(*status), delivery.error.clone()),
        TransportOutcome::Refused(why) | TransportOutcome::Failed(why) => (None, Some(why.clone())),
    };
    Ok(Json(json!({
        "delivery_id": delivery.id.to_string(),
        "success": delivery.status.as_str() == "delivered",
        "status_code": status_code,
        "duration_ms": latency,
        "error": error,
    })))
}

/// `webhook.tested` in the audit log (the delivery log has the details).
async fn record_test(
    state: &AppState,
    me: &janua_core::auth::principal::UserPrincipal,
    endpoint: Uuid,
    delivery: &Delivery,
    context: &RequestContext,
) {
    let entry = janua_core::audit::AuditEntry::new(
        "webhook.tested",
        janua_core::audit::Actor::user(me.user_id, None),
        context,
        state.clock.now(),
    )
    .target("webhook", endpoint)
    .details(json!({"delivery_id": delivery.id.to_string(), "status": delivery.status.as_str()}));
    if let Err(error) = state.store.record_audit(&[entry]).await {
        tracing::warn!(%error, "cannot record a webhook test in the audit log");
    }
}

#[derive(Debug, Deserialize)]
pub struct StatsQuery {
    days: Option<String>,
}

pub async fn get_webhook_stats(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<StatsQuery>,
) -> Result<Json<Value>, ApiError> {
    enabled(&state)?;
    let id: Uuid = path_id(&id)?;
    let days = match q.days.as_deref() {
        None | Some("") => 7,
        Some(raw) => raw
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|d| (1..=365).contains(d))
            .ok_or_else(|| {
                ApiError::validation(vec![FieldError::new(
                    "days",
                    "a whole number from 1 to 365",
                )])
            })?,
    };
    let stats = delivery::stats(&state.core, &me, id, days).await?;
    let finished = stats.successful + stats.failed;
    let rate = if finished == 0 {
        0.0
    } else {
        stats.successful as f64 / finished as f64
    };
    Ok(Json(json!({
        "total_deliveries": stats.total,
        "successful": stats.successful,
        "failed": stats.failed,
        "success_rate": rate,
        "average_delivery_time": stats.average_latency_ms,
        "period_days": days,
    })))
}

pub async fn get_webhook_deliveries(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    enabled(&state)?;
    let id: Uuid = path_id(&id)?;
    let deliveries = delivery::list(&state.core, &me, id, LOG_LIMIT).await?;
    Ok(Json(Value::Array(
        deliveries.iter().map(delivery_view).collect(),
    )))
}

/// The events this endpoint was sent, newest first.
pub async fn get_webhook_events(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    enabled(&state)?;
    let id: Uuid = path_id(&id)?;
    let deliveries = delivery::list(&state.core, &me, id, LOG_LIMIT).await?;
    let events: Vec<Value> = deliveries
        .iter()
        .map(|d| {
            json!({
                "id": d.event_id.to_string(),
                "type": d.event_type,
                "created_at": format_timestamp(d.created_at),
                "delivery_status": d.status.as_str(),
            })
        })
        .collect();
    Ok(Json(json!({"total": events.len(), "events": events})))
}

pub async fn post_redeliver(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    Path((id, delivery_id)): Path<(String, String)>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    enabled(&state)?;
    let id: Uuid = path_id(&id)?;
    let delivery_id: Uuid = path_id(&delivery_id)?;
    let queued = delivery::redeliver(&state.core, &me, id, delivery_id).await?;
    Ok((StatusCode::ACCEPTED, Json(delivery_view(&queued))))
}

pub async fn get_event_types(CurrentUser(_): CurrentUser) -> Json<Value> {
    let events: Vec<Value> = EVENT_TYPES
        .iter()
        .map(|(t, d)| json!({"type": t, "description": d}))
        .collect();
    Json(json!({"events": events}))
}

#[derive(Debug, Deserialize)]
pub struct VerifyBody {
    secret: Option<String>,
    payload: Option<String>,
    signature: Option<String>,
    timestamp: Option<Value>,
}

/// Checks a signature as a receiver would (for debugging receivers).
pub async fn post_verify_signature(
    CurrentUser(_): CurrentUser,
    Json(body): Json<VerifyBody>,
) -> Result<Json<Value>, ApiError> {
    let mut problems = Vec::new();
    let mut required = |field: &str, value: Option<String>| {
        if value.is_none() {
            problems.push(FieldError::new(field, "is required"));
        }
        value.unwrap_or_default()
    };
    let secret = required("secret", body.secret);
    let payload = required("payload", body.payload);
    let signature = required("signature", body.signature);
    let timestamp = match &body.timestamp {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    if timestamp.is_none() {
        problems.push(FieldError::new("timestamp", "Unix seconds"));
    }
    if !problems.is_empty() {
        return Err(ApiError::validation(problems));
    }
    let valid = signing::verify(
        &secret,
        timestamp.unwrap_or_default(),
        payload.as_bytes(),
        &signature,
    );
    Ok(Json(json!({"valid": valid})))
}
