//! Metric names (as constants, so dashboards, alerts and tests agree with the code) and the
//! Prometheus recorder. The recorder is one of the two process-wide globals we allow: the
//! `metrics` facade needs it, and every app in the process shares it.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

pub const HTTP_REQUESTS_TOTAL: &str = "http_requests_total";
pub const HTTP_REQUEST_DURATION_SECONDS: &str = "http_request_duration_seconds";
pub const AUTH_ATTEMPTS_TOTAL: &str = "janua_auth_attempts_total";
pub const TOKENS_ISSUED_TOTAL: &str = "janua_tokens_issued_total";
pub const MFA_VERIFICATIONS_TOTAL: &str = "janua_mfa_verifications_total";
pub const WEBHOOK_DELIVERIES_TOTAL: &str = "janua_webhook_deliveries_total";
pub const WEBHOOK_QUEUE_DEPTH: &str = "janua_webhook_queue_depth";
pub const WEBHOOK_OLDEST_PENDING_SECONDS: &str = "janua_webhook_oldest_pending_seconds";
pub const MAIL_SENT_TOTAL: &str = "janua_mail_sent_total";
pub const JOBS_PENDING: &str = "janua_jobs_pending";
pub const JOBS_FAILED: &str = "janua_jobs_failed";
pub const JOBS_OLDEST_DUE_SECONDS: &str = "janua_jobs_oldest_due_seconds";
pub const PASSWORD_HASH_SECONDS: &str = "janua_password_hash_seconds";
pub const RATE_LIMITED_TOTAL: &str = "janua_rate_limited_total";
pub const READY: &str = "janua_ready";
pub const DEPENDENCY_UP: &str = "janua_dependency_up";
pub const PROCESS_RESIDENT_MEMORY_BYTES: &str = "process_resident_memory_bytes";
pub const PROCESS_OPEN_FDS: &str = "process_open_fds";
pub const PROCESS_START_TIME_SECONDS: &str = "process_start_time_seconds";
pub const BUILD_INFO: &str = "janua_build_info";

/// Latency buckets in seconds: fine at the fast end, where token checks live.
const DURATION_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Password hashing is slower by design.
const HASH_BUCKETS: &[f64] = &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the recorder on first call and returns the handle that renders `/metrics`.
pub fn install() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full(HTTP_REQUEST_DURATION_SECONDS.into()),
                    DURATION_BUCKETS,
                )
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full(PASSWORD_HASH_SECONDS.into()),
                        HASH_BUCKETS,
                    )
                });
            let recorder = match builder {
                Ok(b) => b.build_recorder(),
                // Only an empty bucket list fails, and ours are constants.
                Err(_) => PrometheusBuilder::new().build_recorder(),
            };
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a metrics recorder was already installed; /metrics may be empty");
            }
            describe();
            handle
        })
        .clone()
}

fn describe() {
    metrics::describe_counter!(
        HTTP_REQUESTS_TOTAL,
        "HTTP requests by method, route template and status"
    );
    metrics::describe_histogram!(
        HTTP_REQUEST_DURATION_SECONDS,
        metrics::Unit::Seconds,
        "HTTP request latency by method and route template"
    );
    metrics::describe_counter!(
        AUTH_ATTEMPTS_TOTAL,
        "Authentication attempts by method and result"
    );
    metrics::describe_counter!(TOKENS_ISSUED_TOTAL, "Tokens issued by grant type");
    metrics::describe_counter!(
        MFA_VERIFICATIONS_TOTAL,
        "Second-factor verifications by method and result"
    );
    metrics::describe_counter!(
        WEBHOOK_DELIVERIES_TOTAL,
        "Webhook delivery attempts by result: success (2xx) or failure (anything else, refused targets included)"
    );
    metrics::describe_gauge!(
        WEBHOOK_QUEUE_DEPTH,
        "Webhook deliveries pending or retrying, plus outbox events not yet fanned out"
    );
    metrics::describe_gauge!(
        WEBHOOK_OLDEST_PENDING_SECONDS,
        metrics::Unit::Seconds,
        "How long the oldest due webhook work has waited; growing means no worker keeps up"
    );
    metrics::describe_counter!(
        MAIL_SENT_TOTAL,
        "Mail delivery attempts by result: sent, retried (will run again), failed (dead-lettered)"
    );
    metrics::describe_gauge!(
        JOBS_PENDING,
        "Jobs of every kind waiting in the durable queue (due or scheduled)"
    );
    metrics::describe_gauge!(
        JOBS_FAILED,
        "Dead-lettered jobs kept in the queue for inspection"
    );
    metrics::describe_gauge!(
        JOBS_OLDEST_DUE_SECONDS,
        metrics::Unit::Seconds,
        "How long the oldest due job has waited; growing means no worker keeps up"
    );
    metrics::describe_histogram!(
        PASSWORD_HASH_SECONDS,
        metrics::Unit::Seconds,
        "Time spent hashing or verifying passwords"
    );
    metrics::describe_counter!(
        RATE_LIMITED_TOTAL,
        "Requests refused by a rate limit, by limit name"
    );
    metrics::describe_gauge!(
        READY,
        "1 when this instance reports ready, 0 when not ready or draining"
    );
    metrics::describe_gauge!(
        DEPENDENCY_UP,
        "1 when a dependency (database, cache) answered its last readiness check"
    );
    metrics::describe_gauge!(
        PROCESS_RESIDENT_MEMORY_BYTES,
        metrics::Unit::Bytes,
        "Resident memory size"
    );
    metrics::describe_gauge!(PROCESS_OPEN_FDS, "Open file descriptors");
    metrics::describe_gauge!(
        PROCESS_START_TIME_SECONDS,
        metrics::Unit::Seconds,
        "Start time of the process since the Unix epoch"
    );
    metrics::describe_gauge!(BUILD_INFO, "Always 1; labels carry the version");
}

/// Refreshes the process gauges from /proc just before a scrape renders them.
pub fn record_process_metrics(start_time_unix: f64) {
    metrics::gauge!(PROCESS_START_TIME_SECONDS).set(start_time_unix);
    metrics::gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    if let Some(rss) = process::resident_bytes() {
        metrics::gauge!(PROCESS_RESIDENT_MEMORY_BYTES).set(rss as f64);
    }
    if let Some(fds) = process::open_fds() {
        metrics::gauge!(PROCESS_OPEN_FDS).set(fds as f64);
    }
}

/// Reads the process's own figures from procfs (Linux); absent elsewhere.
mod process {
    pub fn resident_bytes() -> Option<u64> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib * 1024)
    }

    pub fn open_fds() -> Option<usize> {
        Some(std::fs::read_dir("/proc/self/fd").ok()?.count())
    }
}
