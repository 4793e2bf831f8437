//! Operations endpoints (API.md §2): `/`, `/health` (liveness), `/ready` (readiness: storage and
//! cache answer, not draining), the `/api/v1/health*` aliases, and `/metrics`.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use janua_core::clock::format_timestamp;
use janua_core::health::{check_cache, check_store, CheckResult};
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::auth::AdminUser;
use crate::http::error::{AlreadyShaped, ApiError};
use crate::http::extract::Json;
use crate::state::AppState;
use crate::telemetry::metrics::{record_process_metrics, DEPENDENCY_UP, READY};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(get_root))
        .route("/health", get(get_health))
        .route("/ready", get(get_ready))
        .route("/api/v1/health", get(get_api_health))
        .route("/api/v1/health/live", get(get_api_live))
        .route("/api/v1/health/ready", get(get_ready))
        .route("/api/v1/health/detailed", get(get_detailed))
        .route("/metrics", get(get_metrics))
}

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

#[derive(Serialize, ToSchema)]
pub struct RootView {
    status: &'static str,
    message: &'static str,
    version: &'static str,
}

/// Identifies the service.
#[utoipa::path(get, path = "/", tag = "operations", responses((status = 200, body = RootView)))]
pub async fn get_root() -> Json<RootView> {
    Json(RootView {
        status: "ok",
        message: "Janua API",
        version: VERSION,
    })
}

#[derive(Serialize, ToSchema)]
pub struct HealthView {
    status: &'static str,
    version: &'static str,
    environment: &'static str,
}

/// Liveness: 200 whenever the process serves requests, whatever its dependencies do.
#[utoipa::path(get, path = "/health", tag = "operations", responses((status = 200, body = HealthView)))]
pub async fn get_health(State(state): State<AppState>) -> Json<HealthView> {
    Json(HealthView {
        status: "healthy",
        version: VERSION,
        environment: state.config.server.environment.as_str(),
    })
}

#[derive(Serialize, ToSchema)]
pub struct CheckView {
    /// `ok`, `error` or `draining`.
    status: &'static str,
    latency_ms: f64,
    /// Which implementation answered (`sqlite`, `postgres`, `memory`, `redis`, `redis-cluster`).
    backend: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ReadyChecks {
    database: CheckView,
    cache: CheckView,
    #[serde(skip_serializing_if = "Option::is_none")]
    shutdown: Option<CheckView>,
}

#[derive(Serialize, ToSchema)]
pub struct ReadyView {
    /// `ready` or `not_ready`.
    status: &'static str,
    checks: ReadyChecks,
}

fn check_view(result: CheckResult, backend: &'static str) -> CheckView {
    CheckView {
        status: if result.ok { "ok" } else { "error" },
        latency_ms: (result.latency.as_secs_f64() * 1000.0 * 100.0).round() / 100.0,
        backend,
        error: result.error,
    }
}

/// Storage and cache, checked in parallel: what `/ready` and the admin health report.
pub struct DependencyChecks {
    pub database: CheckView,
    pub cache: CheckView,
}

impl DependencyChecks {
    pub fn all_ok(&self) -> bool {
        self.database.status == "ok" && self.cache.status == "ok"
    }
}

/// Checks the storage and the cache (and records `DEPENDENCY_UP`).
pub async fn check_dependencies(state: &AppState) -> DependencyChecks {
    let (db, cache) = tokio::join!(
        check_store(state.store.as_ref()),
        check_cache(state.cache.as_ref())
    );
    metrics::gauge!(DEPENDENCY_UP, "dependency" => "database").set(if db.ok { 1.0 } else { 0.0 });
    metrics::gauge!(DEPENDENCY_UP, "dependency" => "cache").set(if cache.ok { 1.0 } else { 0.0 });
    DependencyChecks {
        database: check_view(db, state.store.backend().as_str()),
        cache: check_view(cache, state.cache.backend()),
    }
}

/// Readiness: 200 when the database and the cache answer and the instance is not draining;
/// 503 naming the failing check otherwise. Load balancers route on this.
#[utoipa::path(get, path = "/ready", tag = "operations", responses(
    (status = 200, body = ReadyView), (status = 503, body = ReadyView)))]
pub async fn get_ready(State(state): State<AppState>) -> Response {
    let checks = check_dependencies(&state).await;
    let draining = state.lifecycle.is_draining();
    let ready = checks.all_ok() && !draining;
    metrics::gauge!(READY).set(if ready { 1.0 } else { 0.0 });
    let view = ReadyView {
        status: if ready { "ready" } else { "not_ready" },
        checks: ReadyChecks {
            database: checks.database,
            cache: checks.cache,
            shutdown: draining.then(|| CheckView {
                status: "draining",
                latency_ms: 0.0,
                backend: "process",
                error: Some("the instance received a stop signal and is draining".into()),
            }),
        },
    };
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    // The readiness body is the contract for probes, so the error shaping leaves it alone.
    let mut response = (status, axum::Extension(AlreadyShaped), Json(view)).into_response();
    if !ready {
        response.headers_mut().insert(
            header::RETRY_AFTER,
            axum::http::HeaderValue::from_static("5"),
        );
    }
    response
}

#[derive(Serialize, ToSchema)]
pub struct ApiHealthView {
    status: &'static str,
    timestamp: String,
    service: &'static str,
    version: &'static str,
}

/// Health under the API prefix.
#[utoipa::path(get, path = "/api/v1/health", tag = "operations", responses((status = 200, body = ApiHealthView)))]
pub async fn get_api_health(State(state): State<AppState>) -> Json<ApiHealthView> {
    Json(ApiHealthView {
        status: "healthy",
        timestamp: format_timestamp(state.clock.now()),
        service: "janua-api",
        version: VERSION,
    })
}

#[derive(Serialize, ToSchema)]
pub struct LiveView {
    status: &'static str,
    timestamp: String,
}

/// Liveness under the API prefix.
#[utoipa::path(get, path = "/api/v1/health/live", tag = "operations", responses((status = 200, body = LiveView)))]
pub async fn get_api_live(State(state): State<AppState>) -> Json<LiveView> {
    Json(LiveView {
        status: "alive",
        timestamp: format_timestamp(state.clock.now()),
    })
}

/// Prometheus metrics. With `METRICS_TOKEN` set, only `Authorization: Bearer <token>` may read.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses(
    (status = 200, description = "Prometheus text exposition", content_type = "text/plain"),
    (status = 401, description = "METRICS_TOKEN is set and was not presented")))]
pub async fn get_metrics(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if !state.config.features.enable_metrics {
        return Err(ApiError::not_found());
    }
    if let Some(token) = &state.config.telemetry.metrics_token {
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if !janua_core::crypto::constant_time_eq(presented.as_bytes(), token.expose().as_bytes()) {
            return Err(ApiError::unauthorized());
        }
    }
    record_process_metrics(state.started_at.timestamp_millis() as f64 / 1000.0);
    let body = state.metrics.render();
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response())
}

#[derive(Serialize, ToSchema)]
pub struct DetailedCheck {
    status: &'static str,
    duration_ms: f64,
    critical: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DetailedView {
    status: &'static str,
    timestamp: String,
    checks: std::collections::BTreeMap<&'static str, DetailedCheck>,
}

fn detailed_check(result: CheckResult, critical: bool) -> DetailedCheck {
    DetailedCheck {
        status: if result.ok { "healthy" } else { "unhealthy" },
        duration_ms: (result.latency.as_secs_f64() * 100_000.0).round() / 100.0,
        critical,
        error: result.error,
    }
}

/// Every dependency with its latency, plus the job queue and shutdown state, for
/// administrators (API.md §2).
#[utoipa::path(get, path = "/api/v1/health/detailed", tag = "operations", responses(
    (status = 200, body = DetailedView), (status = 401), (status = 403)))]
pub async fn get_detailed(State(state): State<AppState>, _admin: AdminUser) -> Json<DetailedView> {
    let (db, cache, jobs) = tokio::join!(
        check_store(state.store.as_ref()),
        check_cache(state.cache.as_ref()),
        state.store.job_counts(state.clock.now())
    );
    let draining = state.lifecycle.is_draining();
    let healthy = db.ok && cache.ok && !draining;
    let jobs = match jobs {
        Ok(counts) => DetailedCheck {
            status: if counts.failed == 0 {
                "healthy"
            } else {
                "degraded"
            },
            duration_ms: 0.0,
            critical: false,
            error: (counts.failed > 0).then(|| format!("{} dead-lettered job(s)", counts.failed)),
        },
        Err(e) => DetailedCheck {
            status: "unhealthy",
            duration_ms: 0.0,
            critical: false,
            error: Some(e.to_string()),
        },
    };
    let shutdown = DetailedCheck {
        status: if draining { "draining" } else { "healthy" },
        duration_ms: 0.0,
        critical: true,
        error: None,
    };
    let checks = [
        ("database", detailed_check(db, true)),
        ("cache", detailed_check(cache, true)),
        ("jobs", jobs),
        ("shutdown", shutdown),
    ]
    .into_iter()
    .collect();
    Json(DetailedView {
        status: if healthy { "healthy" } else { "unhealthy" },
        timestamp: format_timestamp(state.clock.now()),
        checks,
    })
}
