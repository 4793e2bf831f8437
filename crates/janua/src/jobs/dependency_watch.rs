//! Watches the database and the cache every few seconds, so an outage is logged (and visible
//! as `janua_dependency_up`) when it starts, not only when the next request trips over it.

use std::time::Duration;

use janua_core::health::{check_cache, check_store};

use crate::jobs::StopSignal;
use crate::state::AppState;
use crate::telemetry::metrics::DEPENDENCY_UP;

pub const NAME: &str = "dependency_watch";
const INTERVAL: Duration = Duration::from_secs(10);

/// The last seen state of each dependency, so only changes are logged.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    pub database_up: Option<bool>,
    pub cache_up: Option<bool>,
}

pub async fn run(state: AppState, mut stop: StopSignal) {
    let mut seen = Seen::default();
    loop {
        seen = run_once(&state, seen).await;
        tokio::select! {
            () = tokio::time::sleep(INTERVAL) => {}
            () = stop.stopped() => return,
        }
    }
}

/// One round of checks; returns what it saw.
pub async fn run_once(state: &AppState, previous: Seen) -> Seen {
    let (db, cache) = tokio::join!(
        check_store(state.store.as_ref()),
        check_cache(state.cache.as_ref())
    );
    report("database", previous.database_up, db.ok, db.error.as_deref());
    report("cache", previous.cache_up, cache.ok, cache.error.as_deref());
    Seen {
        database_up: Some(db.ok),
        cache_up: Some(cache.ok),
    }
}

fn report(dependency: &'static str, before: Option<bool>, now: bool, error: Option<&str>) {
    metrics::gauge!(DEPENDENCY_UP, "dependency" => dependency).set(if now { 1.0 } else { 0.0 });
    match (before, now) {
        (Some(true) | None, false) => {
            tracing::error!(
                dependency,
                error = error.unwrap_or("unknown"),
                "dependency is down; /ready reports 503"
            )
        }
        (Some(false), true) => tracing::info!(dependency, "dependency recovered"),
        _ => {}
    }
}
