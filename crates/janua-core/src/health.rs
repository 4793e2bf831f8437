//! Readiness: whether this instance can serve, checked against the real dependencies.

use std::time::{Duration, Instant};

use crate::ports::{Cache, SystemStore};

/// The outcome of one dependency check.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckResult {
    pub ok: bool,
    pub latency: Duration,
    /// Why the check failed, phrased for an operator; never contains secrets.
    pub error: Option<String>,
}

/// How long a readiness check may take before the dependency counts as down.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

pub async fn check_store(store: &dyn SystemStore) -> CheckResult {
    timed(store.ping()).await
}

pub async fn check_cache(cache: &dyn Cache) -> CheckResult {
    timed(cache.ping()).await
}

async fn timed<F>(check: F) -> CheckResult
where
    F: std::future::Future<Output = crate::Result<()>>,
{
    let started = Instant::now();
    let outcome = tokio_timeout(check).await;
    let latency = started.elapsed();
    match outcome {
        Some(Ok(())) => CheckResult {
            ok: true,
            latency,
            error: None,
        },
        Some(Err(e)) => CheckResult {
            ok: false,
            latency,
            error: Some(e.to_string()),
        },
        None => CheckResult {
            ok: false,
            latency,
            error: Some(format!("no answer within {} s", CHECK_TIMEOUT.as_secs())),
        },
    }
}

async fn tokio_timeout<F>(check: F) -> Option<crate::Result<()>>
where
    F: std::future::Future<Output = crate::Result<()>>,
{
    tokio::time::timeout(CHECK_TIMEOUT, check).await.ok()
}
