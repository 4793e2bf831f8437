//! Telemetry settings (§18 "Telemetry"): log level and format, error reporting, tracing export
//! and the metrics endpoint's protection.

use serde::Serialize;

use crate::config::env::Reader;
use crate::config::redact;
use crate::config::secret::Secret;
use crate::config::server::Environment;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One JSON object per line, for log collectors.
    Json,
    /// Human-readable, for a terminal.
    Pretty,
}

impl LogFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            LogFormat::Json => "json",
            LogFormat::Pretty => "pretty",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw.to_ascii_lowercase().as_str() {
            "json" => Some(LogFormat::Json),
            "pretty" | "text" | "plain" => Some(LogFormat::Pretty),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct TelemetryConfig {
    /// A tracing `EnvFilter` directive: `info`, `debug`, `info,janua=debug`, …
    pub log_level: String,
    pub log_format: LogFormat,
    pub sentry_dsn: Option<Secret>,
    /// OTLP/HTTP collector; unset = no trace export.
    #[serde(serialize_with = "redact::masked_optional_url")]
    pub otel_endpoint: Option<String>,
    pub otel_service_name: String,
    /// Prometheus Pushgateway URL for push-mode metrics (jobs, short-lived commands).
    #[serde(serialize_with = "redact::masked_optional_url")]
    pub monitoring_endpoint: Option<String>,
    /// Bearer token `/metrics` requires; `None` = open (protect it at the network level).
    pub metrics_token: Option<Secret>,
}

pub(super) fn read(r: &mut Reader, environment: Environment) -> TelemetryConfig {
    let log_level = r.string_or(&["LOG_LEVEL"], "info");
    if let Err(error) = tracing_subscriber::EnvFilter::try_new(&log_level) {
        r.problem(
            "LOG_LEVEL",
            format!("is not a valid filter: {error} (got `{log_level}`)"),
        );
    }
    let default_format = if environment.is_production() {
        LogFormat::Json
    } else {
        LogFormat::Pretty
    };
    let log_format = r
        .choice(&["LOG_FORMAT"], LogFormat::parse, "json, pretty")
        .unwrap_or(default_format);
    let sentry_dsn = r.secret(&["SENTRY_DSN"]).map(|(_, s)| s);
    if sentry_dsn
        .as_ref()
        .is_some_and(|dsn| url::Url::parse(dsn.expose()).is_err())
    {
        r.problem("SENTRY_DSN", "must be a DSN URL (https://key@host/project)");
    }
    TelemetryConfig {
        log_level,
        log_format,
        sentry_dsn,
        otel_endpoint: r.http_url(&["OTEL_EXPORTER_OTLP_ENDPOINT"]),
        otel_service_name: r.string_or(&["OTEL_SERVICE_NAME"], "janua"),
        monitoring_endpoint: r.http_url(&["MONITORING_ENDPOINT"]),
        metrics_token: r.secret(&["METRICS_TOKEN"]).map(|(_, s)| s),
    }
}
