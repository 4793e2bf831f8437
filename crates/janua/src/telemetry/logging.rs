//! Logging: JSON (production) or pretty lines, filtered by `LOG_LEVEL`, plus the optional Sentry
//! and OpenTelemetry layers. The subscriber is one of the two process-wide globals we allow.
//!
//! Nothing here logs request bodies or headers that carry secrets; spans carry the method, the
//! route template and the request id only.

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::{Config, LogFormat};

/// Keeps the exporters alive; dropping it flushes Sentry and OpenTelemetry.
#[must_use = "dropping the guard stops error and trace export"]
pub struct TelemetryGuard {
    sentry: Option<sentry::ClientInitGuard>,
    tracer_provider: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
}

impl TelemetryGuard {
    pub fn sentry_enabled(&self) -> bool {
        self.sentry.as_ref().is_some_and(|g| g.is_enabled())
    }

    pub fn otel_enabled(&self) -> bool {
        self.tracer_provider.is_some()
    }
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(provider) = self.tracer_provider.take() {
            if let Err(e) = provider.shutdown() {
                eprintln!("janua: flushing OpenTelemetry spans failed: {e}");
            }
        }
    }
}

/// The filter: `LOG_LEVEL` for our crates and a quieter default for dependencies.
fn filter(level: &str) -> EnvFilter {
    let directives =
        format!("warn,janua={level},janua_core={level},janua_store={level},tower_http=warn");
    EnvFilter::try_new(directives).unwrap_or_else(|_| EnvFilter::new("info"))
}

/// Installs the global subscriber. Call once, from the CLI, before anything logs. A second
/// call (tests that build several apps) leaves the first subscriber in place.
pub fn init(config: &Config) -> TelemetryGuard {
    let telemetry = &config.telemetry;
    let fmt_layer = match telemetry.log_format {
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .boxed(),
        LogFormat::Pretty => tracing_subscriber::fmt::layer().compact().boxed(),
    };
    let sentry = telemetry
        .sentry_dsn
        .as_ref()
        .map(|dsn| init_sentry(dsn.expose(), config));
    let tracer_provider = telemetry.otel_endpoint.as_deref().and_then(|endpoint| {
        match init_otel(endpoint, &telemetry.otel_service_name) {
            Ok(provider) => Some(provider),
            Err(e) => {
                eprintln!("janua: OpenTelemetry export disabled: {e}");
                None
            }
        }
    });
    let otel_layer = tracer_provider.as_ref().map(|provider| {
        use opentelemetry::trace::TracerProvider as _;
        tracing_opentelemetry::layer().with_tracer(provider.tracer("janua"))
    });
    let sentry_layer = sentry
        .as_ref()
        .map(|_| sentry::integrations::tracing::layer());
    let installed = tracing_subscriber::registry()
        .with(filter(&telemetry.log_level))
        .with(fmt_layer)
        .with(otel_layer)
        .with(sentry_layer)
        .try_init();
    if installed.is_err() {
        tracing::debug!("a tracing subscriber was already installed");
    }
    TelemetryGuard {
        sentry,
        tracer_provider,
    }
}

fn init_sentry(dsn: &str, config: &Config) -> sentry::ClientInitGuard {
    sentry::init((
        dsn,
        sentry::ClientOptions {
            release: Some(env!("CARGO_PKG_VERSION").into()),
            environment: Some(config.server.environment.as_str().to_owned().into()),
            send_default_pii: false,
            ..Default::default()
        },
    ))
}

fn init_otel(
    endpoint: &str,
    service_name: &str,
) -> Result<opentelemetry_sdk::trace::SdkTracerProvider, String> {
    use opentelemetry_otlp::WithExportConfig;
    let endpoint = format!("{}/v1/traces", endpoint.trim_end_matches('/'));
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(endpoint)
        .build()
        .map_err(|e| e.to_string())?;
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name(service_name.to_owned())
        .build();
    Ok(opentelemetry_sdk::trace::SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build())
}
