//! Background jobs. [`Jobs::spawn_all`] starts every job with a shared stop signal and keeps a
//! named handle for each; [`Jobs::stop`] signals them and waits, so shutdown is explicit and
//! bounded. Each job lives in its own file and exposes a `run_once` that tests call directly.

pub mod dependency_watch;
pub mod key_rotation;
pub mod mail_delivery;
pub mod retention;
pub mod webhook_delivery;

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::state::AppState;

/// A stop signal every job loop selects on.
#[derive(Clone)]
pub struct StopSignal(watch::Receiver<bool>);

impl StopSignal {
    /// Resolves once stop was requested (immediately if it already was).
    pub async fn stopped(&mut self) {
        let _ = self.0.wait_for(|stop| *stop).await;
    }
}

pub struct Jobs {
    stop: watch::Sender<bool>,
    handles: Vec<(&'static str, JoinHandle<()>)>,
}

impl Jobs {
    pub fn spawn_all(state: &AppState) -> Self {
        let (stop, receiver) = watch::channel(false);
        let signal = StopSignal(receiver);
        let handles = vec![
            (
                dependency_watch::NAME,
                tokio::spawn(dependency_watch::run(state.clone(), signal.clone())),
            ),
            (
                mail_delivery::NAME,
                tokio::spawn(mail_delivery::run(
                    state.clone(),
                    signal.clone(),
                    mail_delivery::POLL_INTERVAL,
                )),
            ),
            (
                key_rotation::NAME,
                tokio::spawn(key_rotation::run(
                    state.clone(),
                    signal.clone(),
                    key_rotation::REFRESH_INTERVAL,
                )),
            ),
            (
                webhook_delivery::NAME,
                tokio::spawn(webhook_delivery::run(state.clone(), signal.clone())),
            ),
            (
                retention::NAME,
                tokio::spawn(retention::run(
                    state.clone(),
                    signal.clone(),
                    retention::INTERVAL,
                )),
            ),
        ];
        Self { stop, handles }
    }

    /// No jobs at all (tests that drive `run_once` themselves).
    pub fn none() -> Self {
        let (stop, _) = watch::channel(false);
        Self {
            stop,
            handles: Vec::new(),
        }
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.handles.iter().map(|(name, _)| *name).collect()
    }

    /// Signals every job and waits up to `timeout` for each to finish its current iteration.
    pub async fn stop(self, timeout: Duration) {
        let _ = self.stop.send(true);
        for (name, handle) in self.handles {
            match tokio::time::timeout(timeout, handle).await {
                Ok(Ok(())) => tracing::debug!(job = name, "job stopped"),
                Ok(Err(e)) => tracing::error!(job = name, error = %e, "job ended abnormally"),
                Err(_) => tracing::warn!(job = name, "job did not stop in time; abandoning it"),
            }
        }
    }
}
