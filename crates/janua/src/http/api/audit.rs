//! `/api/v1/audit-logs` (API.md §15): list with filters and a keyset cursor, one entry, stats,
//! the action list, streamed exports (JSON lines, CSV) and the cleanup. Who sees what is
//! decided by `janua_core::audit::access`.

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::Router;
use chrono::{DateTime, Utc};
use janua_core::audit::access::{export_scope, scope_for};
use janua_core::audit::query::{ActionFilter, AuditCursor, AuditFilter, DEFAULT_LIMIT, MAX_LIMIT};
use janua_core::audit::read;
use janua_core::audit::{ActorType, AuditEntry, Outcome};
use janua_core::clock::format_timestamp;
use janua_core::error::FieldError;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use uuid::Uuid;

use crate::http::api::fields::path_id;
use crate::http::auth::{AdminUser, CurrentUser};
use crate::http::error::ApiError;
use crate::http::extract::Json;
use crate::state::AppState;

/// Entries fetched per page while an export streams.
const EXPORT_PAGE: u32 = 500;
/// Longest free-text filter value (ids, types, addresses).
const MAX_FILTER_LEN: usize = 200;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/audit-logs", get(get_audit_logs))
        .route("/api/v1/audit-logs/stats", get(get_audit_stats))
        .route("/api/v1/audit-logs/actions/list", get(get_audit_actions))
        .route("/api/v1/audit-logs/export", post(post_audit_export))
        .route("/api/v1/audit-logs/cleanup", delete(delete_audit_cleanup))
        .route("/api/v1/audit-logs/{id}", get(get_audit_log))
}

/// The filters of API.md §15, as sent (query string, or the export's JSON body).
#[derive(Debug, Default, Deserialize)]
pub struct FilterParams {
    actor: Option<String>,
    actor_type: Option<String>,
    action: Option<String>,
    org_id: Option<String>,
    organization_id: Option<String>,
    resource: Option<String>,
    resource_type: Option<String>,
    outcome: Option<String>,
    start_date: Option<String>,
    end_date: Option<String>,
    ip_address: Option<String>,
}

struct Parsed {
    filter: AuditFilter,
    organization: Option<Uuid>,
}

fn text(field: &str, raw: Option<String>, problems: &mut Vec<FieldError>) -> Option<String> {
    let value = raw.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())?;
    if value.len() > MAX_FILTER_LEN || value.contains('\0') {
        problems.push(FieldError::new(field, "must be at most 200 characters"));
        return None;
    }
    Some(value)
}

fn time(field: &str, raw: Option<String>, problems: &mut Vec<FieldError>) -> Option<DateTime<Utc>> {
    let raw = text(field, raw, problems)?;
    match DateTime::parse_from_rfc3339(&raw) {
        Ok(at) => Some(at.with_timezone(&Utc)),
        Err(_) => {
            problems.push(FieldError::new(field, "must be an RFC 3339 timestamp"));
            None
        }
    }
}

/// Validates every filter, reporting all problems at once (422).
fn parse_filters(p: FilterParams) -> Result<Parsed, ApiError> {
    let mut problems = Vec::new();
    let actor_type = text("actor_type", p.actor_type, &mut problems).and_then(|raw| {
        let parsed = ActorType::parse(&raw);
        if parsed.is_none() {
            problems.push(FieldError::new(
                "actor_type",
                "one of user, api_key, oauth_client, system",
            ));
        }
        parsed
    });
    let action = text("action", p.action, &mut problems).and_then(|raw| {
        let parsed = ActionFilter::parse(&raw);
        if parsed.is_none() {
            problems.push(FieldError::new(
                "action",
                "a dotted action such as user.signed_in or user.*",
            ));
        }
        parsed
    });
    let outcome = text("outcome", p.outcome, &mut problems).and_then(|raw| {
        let parsed = Outcome::parse(&raw);
        if parsed.is_none() {
            problems.push(FieldError::new("outcome", "one of success, failure"));
        }
        parsed
    });
    let org_raw = text("org_id", p.org_id.or(p.organization_id), &mut problems);
    let organization = org_raw.and_then(|raw| match Uuid::try_parse(&raw) {
        Ok(id) => Some(id),
        Err(_) => {
            problems.push(FieldError::new("org_id", "must be a UUID"));
            None
        }
    });
    let ip_address = text("ip_address", p.ip_address, &mut problems);
    if let Some(ip) = &ip_address {
        if ip.parse::<std::net::IpAddr>().is_err() {
            problems.push(FieldError::new("ip_address", "must be an IP address"));
        }
    }
    let start = time("start_date", p.start_date, &mut problems);
    let end = time("end_date", p.end_date, &mut problems);
    if let (Some(s), Some(e)) = (start, end) {
        if s > e {
            problems.push(FieldError::new("end_date", "must not be before start_date"));
        }
    }
    let filter = AuditFilter {
        actor_type,
        actor_id: text("actor", p.actor, &mut problems),
        action,
        organization_id: organization,
        target_type: text("resource_type", p.resource_type, &mut problems),
        target_id: text("resource", p.resource, &mut problems),
        outcome,
        start,
        end,
        ip_address,
        ..AuditFilter::within(janua_core::audit::query::Scope::All)
    };
    if problems.is_empty() {
        Ok(Parsed {
            filter,
            organization,
        })
    } else {
        Err(ApiError::validation(problems))
    }
}

/// `Entry` of API.md §15 with its flat aliases.
pub fn entry_view(entry: &AuditEntry) -> Value {
    let user_id = (entry.actor.kind == ActorType::User)
        .then(|| entry.actor.id.clone())
        .flatten();
    let at = format_timestamp(entry.occurred_at);
    json!({
        "id": entry.id.to_string(),
        "occurred_at": at,
        "actor": {"type": entry.actor.kind.as_str(), "id": entry.actor.id, "email": entry.actor.email},
        "action": entry.action,
        "target": entry.target.as_ref().map(|t| json!({"type": t.kind, "id": t.id})),
        "org_id": entry.organization_id.map(|o| o.to_string()),
        "ip": entry.context.ip_address,
        "user_agent": entry.context.user_agent,
        "request_id": entry.context.request_id,
        "outcome": entry.outcome.as_str(),
        "details": entry.details,
        "user_id": user_id,
        "user_email": entry.actor.email,
        "resource_type": entry.target.as_ref().map(|t| t.kind.clone()),
        "resource_id": entry.target.as_ref().map(|t| t.id.clone()),
        "ip_address": entry.context.ip_address,
        "timestamp": at,
    })
}

#[derive(Debug, Deserialize)]
pub struct ListParams {
    #[serde(flatten)]
    filters: FilterParams,
    limit: Option<String>,
    cursor: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct AuditList {
    logs: Vec<Value>,
    total: u64,
    cursor: Option<String>,
    has_more: bool,
}

/// A validated list request: filters, cursor and page size.
pub struct ListRequest {
    parsed: Parsed,
    cursor: Option<AuditCursor>,
    limit: u32,
}

impl ListRequest {
    /// The organization the reader asked for (`org_id`), which decides their scope.
    pub fn organization(&self) -> Option<Uuid> {
        self.parsed.organization
    }
}

/// Validates `limit`, `cursor` and the filters of a list request.
pub fn parse_list(params: ListParams) -> Result<ListRequest, ApiError> {
    let limit = match params.limit.as_deref().map(str::trim) {
        None | Some("") => DEFAULT_LIMIT,
        Some(raw) => raw
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| {
                ApiError::validation(vec![FieldError::new(
                    "limit",
                    "a whole number from 1 to 1000",
                )])
            })?,
    };
    let cursor = match params.cursor.as_deref().filter(|c| !c.is_empty()) {
        None => None,
        Some(raw) => Some(AuditCursor::decode(raw).ok_or_else(|| {
            ApiError::validation(vec![FieldError::new(
                "cursor",
                "not a cursor from a previous page",
            )])
        })?),
    };
    Ok(ListRequest {
        parsed: parse_filters(params.filters)?,
        cursor,
        limit,
    })
}

/// One page of the entries `request` asks for within `scope`, newest first.
pub async fn list_within(
    state: &AppState,
    request: ListRequest,
    scope: janua_core::audit::query::Scope,
) -> Result<Json<AuditList>, ApiError> {
    let filter = AuditFilter {
        scope,
        ..request.parsed.filter
    };
    let page = read::list(&state.core, &filter, request.cursor.as_ref(), request.limit).await?;
    Ok(Json(AuditList {
        logs: page.entries.iter().map(entry_view).collect(),
        total: page.total,
        has_more: page.next.is_some(),
        cursor: page.next.map(|c| c.encode()),
    }))
}

pub async fn get_audit_logs(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    Query(params): Query<ListParams>,
) -> Result<Json<AuditList>, ApiError> {
    let request = parse_list(params)?;
    let scope = scope_for(&state.core, &me, request.organization()).await?;
    list_within(&state, request, scope).await
}

pub async fn get_audit_log(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id: Uuid = path_id::<Uuid>(&id)?;
    let scope = scope_for(&state.core, &me, None).await?;
    let entry = read::get(&state.core, &scope, id).await?;
    Ok(Json(entry_view(&entry)))
}

fn counts(pairs: Vec<(String, u64)>) -> Map<String, Value> {
    pairs
        .into_iter()
        .map(|(k, n)| (k, Value::from(n)))
        .collect()
}

pub async fn get_audit_stats(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    Query(params): Query<FilterParams>,
) -> Result<Json<Value>, ApiError> {
    let parsed = parse_filters(params)?;
    let filter = AuditFilter {
        scope: scope_for(&state.core, &me, parsed.organization).await?,
        ..parsed.filter
    };
    let stats = read::stats(&state.core, &filter).await?;
    Ok(Json(json!({
        "total": stats.total,
        "by_action": counts(stats.by_action),
        "by_outcome": counts(stats.by_outcome),
        "by_day": counts(stats.by_day),
    })))
}

pub async fn get_audit_actions(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
) -> Result<Json<Value>, ApiError> {
    let filter = AuditFilter::within(scope_for(&state.core, &me, None).await?);
    let stats = read::stats(&state.core, &filter).await?;
    let mut actions: Vec<String> = stats.by_action.iter().map(|(a, _)| a.clone()).collect();
    actions.sort();
    Ok(Json(
        json!({"actions": actions, "counts": counts(stats.by_action)}),
    ))
}

#[derive(Debug, Deserialize)]
pub struct ExportBody {
    format: Option<String>,
    #[serde(flatten)]
    filters: FilterParams,
}

#[derive(Debug, Clone, Copy)]
enum Format {
    JsonLines,
    Csv,
}

/// Streams every matching entry, newest first, page by page: memory stays one page deep
/// whatever the size of the log.
pub async fn post_audit_export(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    Json(body): Json<ExportBody>,
) -> Result<Response, ApiError> {
    let format = match body.format.as_deref().unwrap_or("jsonl") {
        "jsonl" | "json" => Format::JsonLines,
        "csv" => Format::Csv,
        _ => {
            return Err(ApiError::validation(vec![FieldError::new(
                "format",
                "one of jsonl, csv",
            )]))
        }
    };
    let parsed = parse_filters(body.filters)?;
    let filter = AuditFilter {
        scope: export_scope(&state.core, &me, parsed.organization).await?,
        ..parsed.filter
    };
    let (content_type, filename) = match format {
        Format::JsonLines => ("application/x-ndjson", "audit-logs.jsonl"),
        Format::Csv => ("text/csv; charset=utf-8", "audit-logs.csv"),
    };
    let body = Body::from_stream(export_stream(state, filter, format));
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response())
}

struct ExportCursor {
    next: Option<AuditCursor>,
    started: bool,
    done: bool,
}

fn export_stream(
    state: AppState,
    filter: AuditFilter,
    format: Format,
) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> {
    let start = ExportCursor {
        next: None,
        started: false,
        done: false,
    };
    futures::stream::try_unfold(start, move |mut at| {
        let state = state.clone();
        let filter = filter.clone();
        async move {
            if at.done {
                return Ok(None);
            }
            let (entries, next) =
                read::list_page(state.store.as_ref(), &filter, at.next.as_ref(), EXPORT_PAGE)
                    .await
                    .map_err(|e| {
                        tracing::error!(error = %e, "audit export failed mid-stream");
                        std::io::Error::other("audit export failed")
                    })?;
            let mut chunk = String::new();
            if !at.started {
                if let Format::Csv = format {
                    chunk.push_str(CSV_HEADER);
                }
                at.started = true;
            }
            for entry in &entries {
                match format {
                    Format::JsonLines => {
                        chunk.push_str(&entry_view(entry).to_string());
                        chunk.push('\n');
                    }
                    Format::Csv => chunk.push_str(&csv_row(entry)),
                }
            }
            at.done = next.is_none();
            at.next = next;
            Ok(Some((Bytes::from(chunk), at)))
        }
    })
}

const CSV_HEADER: &str = "id,occurred_at,actor_type,actor_id,actor_email,action,target_type,\
target_id,org_id,ip_address,user_agent,request_id,outcome,details\r\n";

/// One RFC 4180 record. Text that a spreadsheet would run as a formula (leading `=`, `+`, `-`,
/// `@`, tab or carriage return) is prefixed with `'`.
fn csv_row(e: &AuditEntry) -> String {
    let fields = [
        e.id.to_string(),
        format_timestamp(e.occurred_at),
        e.actor.kind.as_str().to_owned(),
        e.actor.id.clone().unwrap_or_default(),
        e.actor.email.clone().unwrap_or_default(),
        e.action.clone(),
        e.target
            .as_ref()
            .map(|t| t.kind.clone())
            .unwrap_or_default(),
        e.target.as_ref().map(|t| t.id.clone()).unwrap_or_default(),
        e.organization_id.map(|o| o.to_string()).unwrap_or_default(),
        e.context.ip_address.clone().unwrap_or_default(),
        e.context.user_agent.clone().unwrap_or_default(),
        e.context.request_id.clone().unwrap_or_default(),
        e.outcome.as_str().to_owned(),
        e.details.to_string(),
    ];
    let mut row = fields
        .iter()
        .map(|f| csv_field(f))
        .collect::<Vec<_>>()
        .join(",");
    row.push_str("\r\n");
    row
}

fn csv_field(value: &str) -> String {
    let neutral = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if neutral.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", neutral.replace('"', "\"\""))
    } else {
        neutral
    }
}

#[derive(Debug, Deserialize)]
pub struct CleanupQuery {
    days: Option<String>,
}

pub async fn delete_audit_cleanup(
    State(state): State<AppState>,
    AdminUser(_): AdminUser,
    Query(q): Query<CleanupQuery>,
) -> Result<Json<Value>, ApiError> {
    let days = match q.days.as_deref() {
        None | Some("") => 90,
        Some(raw) => raw
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|d| (1..=36_500).contains(d))
            .ok_or_else(|| {
                ApiError::validation(vec![FieldError::new(
                    "days",
                    "a whole number from 1 to 36500",
                )])
            })?,
    };
    let deleted = read::delete_older_than(&state.core, days).await?;
    Ok(Json(json!({"deleted_count": deleted})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_neutralised() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=1+1"), "'=1+1");
        assert_eq!(csv_field("line\nbreak"), "\"line\nbreak\"");
    }
}
