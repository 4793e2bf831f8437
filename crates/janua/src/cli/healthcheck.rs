//! `janua healthcheck`: GET the local `/health` and exit 0 on 200. The Docker HEALTHCHECK uses
//! it, so the runtime image needs no curl. With TLS on, the local certificate is not verified:
//! the check is about the process answering, and it only ever connects to loopback.

use std::time::Duration;

use crate::config::Config;

pub async fn run(config: &Config, port: Option<u16>) -> bool {
    let port = port.unwrap_or(config.server.port);
    let scheme = if config.server.tls_cert_file.is_some() {
        "https"
    } else {
        "http"
    };
    let url = format!("{scheme}://127.0.0.1:{port}/health");
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_secs(3))
        .danger_accept_invalid_certs(true)
        .build()
    {
        Ok(client) => client,
        Err(e) => {
            eprintln!("unhealthy: cannot build HTTP client: {e}");
            return false;
        }
    };
    match client.get(&url).send().await {
        Ok(response) if response.status().is_success() => {
            println!("healthy: {url} answered {}", response.status());
            true
        }
        Ok(response) => {
            eprintln!("unhealthy: {url} answered {}", response.status());
            false
        }
        Err(e) => {
            eprintln!("unhealthy: {url} unreachable: {e}");
            false
        }
    }
}
