//! Delivers webhooks: each round fans committed outbox events out into deliveries, then claims
//! due deliveries under a lease and sends them (signed, with the endpoint's headers) through
//! the SSRF-guarded client; failures are retried on the §14 schedule and dead-lettered after
//! the last attempt. Claims are exclusive (PostgreSQL `FOR UPDATE SKIP LOCKED`, SQLite's single
//! writer), so any number of instances may run this job.

use std::time::{Duration, Instant};

use janua_core::webhooks::delivery::{run_round, AttemptResult, Round};

use crate::jobs::StopSignal;
use crate::state::AppState;
use crate::telemetry::metrics::{
    WEBHOOK_DELIVERIES_TOTAL, WEBHOOK_OLDEST_PENDING_SECONDS, WEBHOOK_QUEUE_DEPTH,
};

pub const NAME: &str = "webhook_delivery";
/// The queue gauges are refreshed this often, not every poll: counting scans the queue.
const GAUGE_INTERVAL: Duration = Duration::from_secs(15);

pub async fn run(state: AppState, mut stop: StopSignal) {
    let interval = state.webhooks.poll_interval;
    let mut gauges_at: Option<Instant> = None;
    loop {
        let full = run_round_logged(&state)
            .await
            .is_some_and(|r| r.was_full(&state.webhooks.settings));
        if gauges_at.is_none_or(|at| at.elapsed() >= GAUGE_INTERVAL) {
            record_queue_gauges(&state).await;
            gauges_at = Some(Instant::now());
        }
        // A full batch suggests more are due: go again at once (unless asked to stop).
        let pause = if full { Duration::ZERO } else { interval };
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            () = stop.stopped() => return,
        }
    }
}

/// One round; returns how many attempts were made. Errors are logged: the next poll retries.
pub async fn run_once(state: &AppState) -> usize {
    run_round_logged(state)
        .await
        .map_or(0, |r| r.attempts.len())
}

async fn run_round_logged(state: &AppState) -> Option<Round> {
    let runtime = &state.webhooks;
    match run_round(
        &state.core,
        &runtime.sealer,
        runtime.transport.as_ref(),
        &runtime.settings,
    )
    .await
    {
        Ok(round) => {
            for result in &round.attempts {
                let label = match result {
                    AttemptResult::Delivered => "success",
                    AttemptResult::Retrying | AttemptResult::Failed => "failure",
                };
                metrics::counter!(WEBHOOK_DELIVERIES_TOTAL, "result" => label).increment(1);
                if *result == AttemptResult::Failed {
                    tracing::warn!("a webhook delivery failed for the last time (dead-lettered; see its delivery log)");
                }
            }
            Some(round)
        }
        Err(error) => {
            tracing::warn!(%error, "webhook round failed; trying again at the next poll");
            None
        }
    }
}

/// Publishes the queue depth and the age of the oldest due work.
pub async fn record_queue_gauges(state: &AppState) {
    let now = state.clock.now();
    match state.store.webhook_queue_stats(now).await {
        Ok(stats) => {
            metrics::gauge!(WEBHOOK_QUEUE_DEPTH).set(stats.depth as f64);
            let age = stats
                .oldest_due_at
                .map(|at| (now - at).num_milliseconds().max(0) as f64 / 1000.0)
                .unwrap_or(0.0);
            metrics::gauge!(WEBHOOK_OLDEST_PENDING_SECONDS).set(age);
        }
        Err(error) => tracing::debug!(%error, "cannot read the webhook queue for its gauges"),
    }
}
