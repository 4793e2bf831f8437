//! Telemetry: logs ([`logging`]), Prometheus metrics ([`metrics`]), and the optional exporters
//! (Sentry, OpenTelemetry) that [`logging::init`] wires in when configured.

pub mod logging;
pub mod metrics;
