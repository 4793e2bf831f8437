//! Delivers queued mail: claims due `mail.send` jobs under a lease, renders each, hands it to the
//! mailer, and completes it; a failed send is retried on the mail schedule (30 s … 4 h) and
//! dead-lettered after the last attempt. A mail that can never be sent (unreadable payload,
//! broken template, malformed address) is dead-lettered at once. Bodies hold one-time links, so
//! only job ids, mail types and errors are logged.

use std::time::{Duration, Instant};

use janua_core::error::Error;
use janua_core::jobs::{retry, Job, JobStatus};
use janua_core::mail::{OutgoingMail, SEND_JOB_KIND};

use crate::jobs::StopSignal;
use crate::state::AppState;
use crate::telemetry::metrics::{
    JOBS_FAILED, JOBS_OLDEST_DUE_SECONDS, JOBS_PENDING, MAIL_SENT_TOTAL,
};

pub const NAME: &str = "mail_delivery";
/// How often the queue is polled: the delay a user waits for a mail at most, beyond the relay.
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);
/// Jobs claimed per round; each round sends them one after the other.
const BATCH: u32 = 10;
/// Longer than a batch of slow sends (SMTP steps time out after 30 s), so a live worker keeps
/// its jobs, and short enough that a crashed worker's jobs are taken over soon.
const LEASE: Duration = Duration::from_secs(300);
/// The queue gauges are refreshed this often, not every poll: counting is a table scan.
const GAUGE_INTERVAL: Duration = Duration::from_secs(15);

/// What became of one job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    Retried,
    Failed,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Sent => "sent",
            Outcome::Retried => "retried",
            Outcome::Failed => "failed",
        }
    }
}

pub async fn run(state: AppState, mut stop: StopSignal, interval: Duration) {
    let mut gauges_at: Option<Instant> = None;
    loop {
        let handled = run_once(&state).await;
        if gauges_at.is_none_or(|at| at.elapsed() >= GAUGE_INTERVAL) {
            record_queue_gauges(&state).await;
            gauges_at = Some(Instant::now());
        }
        // A full batch suggests more are due: go again at once (unless asked to stop).
        let pause = if handled >= BATCH as usize {
            Duration::ZERO
        } else {
            interval
        };
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            () = stop.stopped() => return,
        }
    }
}

/// One round: claims up to a batch of due mail jobs and handles each; returns how many.
pub async fn run_once(state: &AppState) -> usize {
    let now = state.clock.now();
    let jobs = match state
        .store
        .claim_due_jobs(&[SEND_JOB_KIND], now, BATCH, LEASE)
        .await
    {
        Ok(jobs) => jobs,
        Err(error) => {
            tracing::warn!(%error, "cannot claim mail jobs; trying again at the next poll");
            return 0;
        }
    };
    for job in &jobs {
        let outcome = deliver(state, job).await;
        metrics::counter!(MAIL_SENT_TOTAL, "result" => outcome.as_str()).increment(1);
    }
    jobs.len()
}

/// Renders and sends one claimed job, then records the outcome on it.
pub async fn deliver(state: &AppState, job: &Job) -> Outcome {
    let outgoing = match OutgoingMail::from_payload(&job.payload) {
        Ok(outgoing) => outgoing,
        Err(error) => return give_up(state, job, &error.to_string()).await,
    };
    let rendered = match state.mail_renderer.render(&outgoing) {
        Ok(rendered) => rendered,
        Err(error) => return give_up(state, job, &error.to_string()).await,
    };
    match state.mailer.send(&rendered).await {
        Ok(()) => {
            if let Err(error) = state.store.complete_job(job.id, state.clock.now()).await {
                // The mail left; at worst the job is sent again after its lease. Say so.
                tracing::error!(job = %job.id, %error, "mail sent but its job could not be completed; it may be sent twice");
            }
            tracing::debug!(job = %job.id, mail = outgoing.mail.template_name(), "mail sent");
            Outcome::Sent
        }
        Err(error @ Error::Validation(_)) => give_up(state, job, &describe(&error)).await,
        Err(error) => retry_later(state, job, &describe(&error)).await,
    }
}

async fn retry_later(state: &AppState, job: &Job, error: &str) -> Outcome {
    let now = state.clock.now();
    let next = retry::MAIL.next_run_at(job.attempts, now, &mut rand::thread_rng());
    let Some(run_at) = next.filter(|_| !job.is_last_attempt()) else {
        return give_up(state, job, error).await;
    };
    match state.store.retry_job(job.id, error, run_at, now).await {
        Ok(JobStatus::Failed) => {
            log_dead_letter(job, error);
            Outcome::Failed
        }
        Ok(_) => {
            tracing::warn!(
                job = %job.id,
                attempt = job.attempts,
                max_attempts = job.max_attempts,
                retry_at = %run_at,
                %error,
                "mail not sent; will retry"
            );
            Outcome::Retried
        }
        Err(store_error) => {
            tracing::error!(job = %job.id, %error, %store_error, "mail not sent and its retry could not be recorded; it runs again when its lease expires");
            Outcome::Retried
        }
    }
}

async fn give_up(state: &AppState, job: &Job, error: &str) -> Outcome {
    if let Err(store_error) = state.store.fail_job(job.id, error, state.clock.now()).await {
        tracing::error!(job = %job.id, %error, %store_error, "could not dead-letter a mail job");
    }
    log_dead_letter(job, error);
    Outcome::Failed
}

fn log_dead_letter(job: &Job, error: &str) {
    tracing::error!(
        job = %job.id,
        attempts = job.attempts,
        %error,
        "mail dead-lettered: it will not be sent (the job stays in `jobs` with status failed)"
    );
}

fn describe(error: &Error) -> String {
    match error {
        Error::Validation(fields) => fields
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

/// Publishes the queue's size and lag (`janua_jobs_pending`, …).
pub async fn record_queue_gauges(state: &AppState) {
    match state.store.job_counts(state.clock.now()).await {
        Ok(counts) => {
            metrics::gauge!(JOBS_PENDING).set(counts.pending as f64);
            metrics::gauge!(JOBS_FAILED).set(counts.failed as f64);
            metrics::gauge!(JOBS_OLDEST_DUE_SECONDS)
                .set(counts.oldest_due_age.unwrap_or_default().as_secs_f64());
        }
        Err(error) => tracing::debug!(%error, "cannot count jobs for the queue gauges"),
    }
}
