//! Keeps the key ring current: every interval (30 s in production) it publishes successors
//! for keys older than `KEY_ROTATION_DAYS` (when set), applies due rotations, and reloads the
//! ring from the database, so a rotation made on one instance (or by `janua keys rotate`)
//! reaches every instance.

use std::time::Duration;

use janua_core::tokens::keys::SigningAlgorithm;

use crate::jobs::StopSignal;
use crate::state::AppState;

pub const NAME: &str = "key_rotation";

/// How often each instance re-reads the keys. Rotated keys are published 5 minutes before they
/// sign, so every instance has them in memory well before.
pub const REFRESH_INTERVAL: Duration = Duration::from_secs(30);

pub async fn run(state: AppState, mut stop: StopSignal, every: Duration) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            () = stop.stopped() => return,
        }
        if let Err(e) = run_once(&state).await {
            tracing::error!(
                error = %e,
                "refreshing the signing keys failed; signing continues with the keys in memory"
            );
        }
    }
}

/// One round: automatic rotation when due, then a refresh. Returns the algorithms rotated.
pub async fn run_once(state: &AppState) -> janua_core::Result<Vec<SigningAlgorithm>> {
    let days = state.config.tokens.key_rotation_days;
    let rotated = if days > 0 {
        let every = chrono::Duration::days(i64::from(days));
        state.keys.rotate_due(state.store.as_ref(), every).await?
    } else {
        Vec::new()
    };
    for alg in &rotated {
        tracing::info!(
            alg = alg.as_str(),
            "published a new signing key (KEY_ROTATION_DAYS)"
        );
    }
    state.keys.refresh(state.store.as_ref()).await?;
    Ok(rotated)
}
