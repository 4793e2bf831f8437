//! `/api/v1/policies` (alias `/api/v1/rbac/policies`) and `POST /api/v1/policies/evaluate`
//! (API.md §12): access policies that decide before RBAC.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};
use janua_core::clock::format_timestamp;
use janua_core::error::FieldError;
use janua_core::ids::{OrgId, PolicyId, UserId};
use janua_core::rbac::policies::{Effect, Policy, TargetType, MAX_PRIORITY};
use janua_core::rbac::policy_admin::{self, Evaluate};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::http::api::fields::{path_id, Problems};
use crate::http::api::scoped::Scoped;
use crate::http::audit::AuditContext;
use crate::http::auth::{Caller, CurrentUser};
use crate::http::error::ApiError;
use crate::http::extract::Json;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/policies/evaluate", post(post_evaluate))
}

pub fn scoped() -> Scoped {
    let mut scoped = Scoped::default();
    for (list, one) in [
        ("/api/v1/policies", "/api/v1/policies/{id}"),
        ("/api/v1/rbac/policies", "/api/v1/rbac/policies/{id}"),
    ] {
        scoped = scoped
            .route(list, &["GET", "POST"], get(get_policies).post(post_policy))
            .route(
                one,
                &["GET", "PATCH", "DELETE"],
                get(get_policy).patch(patch_policy).delete(delete_policy),
            );
    }
    scoped
}

fn view(p: &Policy) -> Value {
    json!({
        "id": p.id, "organization_id": p.organization_id, "name": p.name,
        "description": p.description, "effect": p.effect.as_str(), "priority": p.priority,
        "enabled": p.enabled, "target_type": p.target_type.as_str(), "target_id": p.target_id,
        "resource_type": p.resource_type, "resource_pattern": p.resource_pattern,
        "actions": p.actions, "conditions": p.conditions, "rules": p.rules,
        "expires_at": p.expires_at.map(format_timestamp), "created_by": p.created_by,
        "created_at": format_timestamp(p.created_at), "updated_at": format_timestamp(p.updated_at)
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct PolicyBody {
    organization_id: Option<String>,
    name: Option<String>,
    description: Option<String>,
    rules: Option<Value>,
    effect: Option<String>,
    priority: Option<i64>,
    enabled: Option<bool>,
    target_type: Option<String>,
    target_id: Option<String>,
    resource_type: Option<String>,
    resource_pattern: Option<String>,
    actions: Option<Vec<String>>,
    conditions: Option<Value>,
    expires_at: Option<String>,
}

/// Applies the body's fields to `p`, collecting every problem.
fn apply(p: &mut Policy, body: PolicyBody, problems: &mut Problems) {
    if let Some(name) = body.name {
        if let Some(name) = problems.required_text("name", Some(name), 200) {
            p.name = name;
        }
    }
    if body.description.is_some() {
        p.description = problems.text("description", body.description, 1000);
    }
    if let Some(raw) = body.effect {
        match Effect::parse(&raw) {
            Some(e) => p.effect = e,
            None => problems.add(FieldError::new("effect", "must be allow or deny")),
        }
    }
    if let Some(priority) = body.priority {
        match i32::try_from(priority) {
            Ok(n) if (0..=MAX_PRIORITY).contains(&n) => p.priority = n,
            _ => problems.add(FieldError::new("priority", "must be 0 to 1000")),
        }
    }
    if let Some(enabled) = body.enabled {
        p.enabled = enabled;
    }
    if let Some(raw) = body.target_type {
        match TargetType::parse(&raw) {
            Some(t) => p.target_type = t,
            None => problems.add(FieldError::new(
                "target_type",
                "must be user, role, organization or global",
            )),
        }
    }
    if let Some(raw) = body.target_id {
        match uuid::Uuid::try_parse(&raw) {
            Ok(id) if raw.len() == 36 => p.target_id = Some(id),
            _ => problems.add(FieldError::new("target_id", "must be a UUID")),
        }
    }
    if p.target_type != TargetType::Global && p.target_id.is_none() {
        problems.add(FieldError::new(
            "target_id",
            "is required for this target_type",
        ));
    }
    if body.resource_type.is_some() {
        p.resource_type = problems.text("resource_type", body.resource_type, 100);
    }
    if body.resource_pattern.is_some() {
        p.resource_pattern = problems.text("resource_pattern", body.resource_pattern, 255);
    }
    if let Some(actions) = body.actions {
        if actions.len() > 50 || actions.iter().any(|a| a.is_empty() || a.len() > 100) {
            problems.add(FieldError::new(
                "actions",
                "at most 50 actions of 1-100 characters",
            ));
        } else {
            p.actions = actions;
        }
    }
    if let Some(conditions) = body.conditions {
        if conditions.is_object() && conditions.to_string().len() <= 16 * 1024 {
            p.conditions = conditions;
        } else {
            problems.add(FieldError::new(
                "conditions",
                "must be an object of at most 16 KiB",
            ));
        }
    }
    if let Some(rules) = body.rules {
        if rules.to_string().len() <= 16 * 1024 {
            p.rules = rules;
        } else {
            problems.add(FieldError::new("rules", "must be at most 16 KiB"));
        }
    }
    if let Some(raw) = body.expires_at {
        match DateTime::parse_from_rfc3339(&raw) {
            Ok(at) => p.expires_at = Some(at.with_timezone(&Utc)),
            Err(_) => problems.add(FieldError::new("expires_at", "must be an RFC 3339 time")),
        }
    }
}

fn optional_org(raw: Option<&str>) -> Result<Option<OrgId>, ApiError> {
    raw.filter(|s| !s.is_empty()).map(path_id).transpose()
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    organization_id: Option<String>,
    page: Option<u32>,
    per_page: Option<u32>,
}

pub async fn get_policies(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let org = optional_org(q.organization_id.as_deref())?;
    let page = crate::http::api::orgs::page(q.page, q.per_page);
    let (items, total) = policy_admin::list(&state.core, &caller, org, page).await?;
    Ok(Json(json!({
        "items": items.iter().map(view).collect::<Vec<_>>(),
        "total": total, "page": page.page, "per_page": page.per_page
    })))
}

pub async fn post_policy(
    State(state): State<AppState>,
    Caller(caller): Caller,
    AuditContext(ctx): AuditContext,
    Query(q): Query<ListQuery>,
    Json(body): Json<PolicyBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let org = optional_org(
        q.organization_id
            .as_deref()
            .or(body.organization_id.as_deref()),
    )?;
    let now = state.core.clock.now();
    let mut problems = Problems::default();
    if body.name.is_none() {
        problems.add(FieldError::new("name", "is required"));
    }
    let mut policy = Policy {
        id: PolicyId::new(),
        organization_id: org,
        name: String::new(),
        description: None,
        effect: Effect::Allow,
        priority: 0,
        enabled: true,
        target_type: TargetType::Global,
        target_id: None,
        resource_type: None,
        resource_pattern: None,
        actions: Vec::new(),
        conditions: json!({}),
        rules: json!({}),
        expires_at: None,
        created_by: caller.user_id(),
        created_at: now,
        updated_at: now,
    };
    apply(&mut policy, body, &mut problems);
    problems.finish()?;
    let created = policy_admin::create(&state.core, &caller, policy, &ctx).await?;
    Ok((StatusCode::CREATED, Json(view(&created))))
}

pub async fn get_policy(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id: PolicyId = path_id(&id)?;
    Ok(Json(view(
        &policy_admin::get(&state.core, &caller, id, false).await?,
    )))
}

pub async fn patch_policy(
    State(state): State<AppState>,
    Caller(caller): Caller,
    AuditContext(ctx): AuditContext,
    Path(id): Path<String>,
    Json(body): Json<PolicyBody>,
) -> Result<Json<Value>, ApiError> {
    let id: PolicyId = path_id(&id)?;
    let mut policy = policy_admin::get(&state.core, &caller, id, true).await?;
    let mut problems = Problems::default();
    apply(
        &mut policy,
        PolicyBody {
            organization_id: None,
            ..body
        },
        &mut problems,
    );
    problems.finish()?;
    policy.updated_at = state.core.clock.now();
    Ok(Json(view(
        &policy_admin::update(&state.core, &caller, policy, &ctx).await?,
    )))
}

pub async fn delete_policy(
    State(state): State<AppState>,
    Caller(caller): Caller,
    AuditContext(ctx): AuditContext,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: PolicyId = path_id(&id)?;
    policy_admin::delete(&state.core, &caller, id, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
pub struct EvaluateBody {
    subject_id: Option<String>,
    subject_type: Option<String>,
    organization_id: Option<String>,
    resource_type: Option<String>,
    resource_id: Option<String>,
    action: Option<String>,
    context: Option<Value>,
}

pub async fn post_evaluate(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    Json(body): Json<EvaluateBody>,
) -> Result<Json<Value>, ApiError> {
    let mut p = Problems::default();
    let resource_type = p.required_text("resource_type", body.resource_type, 100);
    let action = p.required_text("action", body.action, 100);
    let resource_id = p.text("resource_id", body.resource_id, 255);
    if body.subject_type.as_deref().is_some_and(|t| t != "user") {
        p.add(FieldError::new(
            "subject_type",
            "only user subjects are evaluated",
        ));
    }
    let context = body.context.unwrap_or_else(|| json!({}));
    if !context.is_object() {
        p.add(FieldError::new("context", "must be an object"));
    }
    p.finish()?;
    let subject: Option<UserId> = body
        .subject_id
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(path_id)
        .transpose()?;
    let request = Evaluate {
        subject,
        organization_id: optional_org(body.organization_id.as_deref())?,
        resource_type: resource_type.unwrap_or_default(),
        resource_id,
        action: action.unwrap_or_default(),
        context,
    };
    let caller = janua_core::auth::principal::Principal::User(me);
    let result = policy_admin::evaluate_request(&state.core, &caller, request).await?;
    Ok(Json(json!({
        "allowed": result.allowed, "matched_policies": result.matched,
        "denied_by": result.denied_by, "reason": result.reason,
        "metadata": {"subject_id": caller.user_id()}
    })))
}
