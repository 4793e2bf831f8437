//! Server settings (§18 "Server"): the deployment environment, the listener, shutdown timing,
//! request limits, trusted proxies, optional in-process TLS and the runtime's worker threads.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use ipnet::IpNet;
use serde::Serialize;

use crate::config::env::{quote, Reader, Unit};
use crate::config::redact;

/// Where this instance runs; production turns on the refusals of §18.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    Development,
    Test,
    Staging,
    Production,
}

impl Environment {
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Development => "development",
            Environment::Test => "test",
            Environment::Staging => "staging",
            Environment::Production => "production",
        }
    }

    pub fn is_production(self) -> bool {
        self == Environment::Production
    }

    /// Accepts the four names in any case, and the short forms `dev` and `prod`.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "development" | "dev" => Some(Environment::Development),
            "test" | "testing" => Some(Environment::Test),
            "staging" => Some(Environment::Staging),
            "production" | "prod" => Some(Environment::Production),
            _ => None,
        }
    }
}

impl std::fmt::Display for Environment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ServerConfig {
    pub environment: Environment,
    pub host: String,
    pub port: u16,
    /// Shown in pages, mails (`EMAIL_FROM`) and as the WebAuthn relying-party name.
    pub app_name: String,
    /// After SIGTERM, `/ready` answers 503 this long while requests are still served, so load
    /// balancers stop routing here before the listener closes.
    #[serde(serialize_with = "redact::seconds")]
    pub shutdown_drain: Duration,
    /// How long in-flight requests and jobs may take to finish once the listener is closed.
    #[serde(serialize_with = "redact::seconds")]
    pub shutdown_timeout: Duration,
    #[serde(serialize_with = "redact::seconds")]
    pub request_timeout: Duration,
    pub max_body_bytes: usize,
    /// Peers whose `X-Forwarded-For` is believed; anyone else's is ignored.
    #[serde(serialize_with = "redact::display_list")]
    pub trusted_proxies: Vec<IpNet>,
    /// Terminate TLS in-process (both set) instead of behind a proxy (neither set).
    pub tls_cert_file: Option<PathBuf>,
    pub tls_key_file: Option<PathBuf>,
    /// Tokio worker threads; `None` = one per CPU. The deployment guide's `--workers 4`
    /// (uvicorn processes) maps here: one Janua process uses every core through its threads.
    pub worker_threads: Option<usize>,
}

pub(super) fn read(r: &mut Reader) -> ServerConfig {
    let environment = r
        .choice(
            &["ENVIRONMENT"],
            Environment::parse,
            "development, test, staging, production",
        )
        .unwrap_or(Environment::Development);
    let port = r.number(&["PORT"], 8000, "a port number between 0 and 65535");
    let host = r.string_or(&["HOST"], "0.0.0.0");
    let app_name = r.string_or(&["APP_NAME"], "Janua");
    let shutdown_drain = r.duration(&["SHUTDOWN_DRAIN_SECONDS"], Unit::Seconds, 5);
    let shutdown_timeout = r.duration(&["SHUTDOWN_TIMEOUT_SECONDS"], Unit::Seconds, 30);
    let request_timeout = r.duration(&["REQUEST_TIMEOUT_SECONDS"], Unit::Seconds, 30);
    if request_timeout.is_zero() {
        r.problem(
            "REQUEST_TIMEOUT_SECONDS",
            "must be at least 1 second (got `0`)",
        );
    }
    let max_body_bytes = r.number(&["MAX_BODY_BYTES"], 1024 * 1024, "a whole number of bytes");
    if max_body_bytes == 0 {
        r.problem("MAX_BODY_BYTES", "must be at least 1 byte (got `0`)");
    }
    let trusted_proxies = read_trusted_proxies(r);
    let (tls_cert_file, tls_key_file) = read_tls_pair(r);
    let worker_threads = match r.named_number::<usize>(
        &["WORKER_THREADS", "JANUA_WORKER_THREADS", "WORKERS"],
        "a whole number of threads",
    ) {
        Some((name, 0)) => {
            r.problem(
                name,
                "must be at least 1 (got `0`); leave it unset for one per CPU",
            );
            None
        }
        other => other.map(|(_, n)| n),
    };
    ServerConfig {
        environment,
        host,
        port,
        app_name,
        shutdown_drain,
        shutdown_timeout,
        request_timeout,
        max_body_bytes,
        trusted_proxies,
        tls_cert_file,
        tls_key_file,
        worker_threads,
    }
}

/// CIDR blocks or single addresses (`10.0.0.0/8, 192.168.1.7`).
fn read_trusted_proxies(r: &mut Reader) -> Vec<IpNet> {
    let mut nets = Vec::new();
    for item in r.list(&["TRUSTED_PROXIES"]) {
        let parsed = item
            .parse::<IpNet>()
            .ok()
            .or_else(|| item.parse::<IpAddr>().ok().map(IpNet::from));
        match parsed {
            Some(net) => nets.push(net),
            None => r.problem(
                "TRUSTED_PROXIES",
                format!(
                    "must list IP addresses or CIDR blocks, comma-separated (got {})",
                    quote(&item)
                ),
            ),
        }
    }
    nets
}

/// `TLS_CERT_FILE` and `TLS_KEY_FILE`: both or neither, and both files must exist.
fn read_tls_pair(r: &mut Reader) -> (Option<PathBuf>, Option<PathBuf>) {
    let cert = r.string(&["TLS_CERT_FILE"]).map(PathBuf::from);
    let key = r.string(&["TLS_KEY_FILE"]).map(PathBuf::from);
    match (&cert, &key) {
        (Some(_), None) => r.problem(
            "TLS_CERT_FILE",
            "TLS_KEY_FILE must be set too (both or neither)",
        ),
        (None, Some(_)) => r.problem(
            "TLS_KEY_FILE",
            "TLS_CERT_FILE must be set too (both or neither)",
        ),
        _ => {}
    }
    for (name, path) in [("TLS_CERT_FILE", &cert), ("TLS_KEY_FILE", &key)] {
        if let Some(path) = path {
            if !path.is_file() {
                r.problem(
                    name,
                    format!("no such file (got {})", quote(&path.display().to_string())),
                );
            }
        }
    }
    (cert, key)
}
