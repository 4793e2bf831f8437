//! Retention cleanup (API.md §19): deletes audit entries older than `AUDIT_RETENTION_DAYS` and
//! finished webhook deliveries (with their dispatched outbox events) older than
//! `WEBHOOK_DELIVERY_RETENTION_DAYS`. Idempotent, so every instance may run it.

use std::time::Duration;

use janua_core::audit::read::{cutoff, delete_older_than};

use crate::jobs::StopSignal;
use crate::state::AppState;

pub const NAME: &str = "retention";
/// Hourly: retention is counted in days, so this is precise enough and cheap.
pub const INTERVAL: Duration = Duration::from_secs(3600);

pub async fn run(state: AppState, mut stop: StopSignal, interval: Duration) {
    loop {
        run_once(&state).await;
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            () = stop.stopped() => return,
        }
    }
}

/// One sweep; returns (audit entries, webhook records) deleted.
pub async fn run_once(state: &AppState) -> (u64, u64) {
    let retention = state.config.retention;
    let audit = match delete_older_than(&state.core, retention.audit_days).await {
        Ok(n) => n,
        Err(error) => {
            tracing::warn!(%error, "audit retention sweep failed; trying again later");
            0
        }
    };
    let webhook_cutoff = cutoff(state.clock.now(), retention.webhook_delivery_days);
    let webhooks = match state
        .store
        .delete_webhook_history_before(webhook_cutoff)
        .await
    {
        Ok(n) => n,
        Err(error) => {
            tracing::warn!(%error, "webhook history sweep failed; trying again later");
            0
        }
    };
    if audit + webhooks > 0 {
        tracing::info!(audit, webhooks, "retention sweep deleted old records");
    }
    (audit, webhooks)
}
