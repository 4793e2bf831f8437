//! The durable job queue: enqueue with dedupe, exclusive claims under concurrency, lease expiry,
//! retry scheduling, dead-letter, counts.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use janua_core::error::Error;
use janua_core::ids::JobId;
use janua_core::jobs::{JobStatus, NewJob};
use janua_core::ports::Store;
use serde_json::json;

use crate::backend::for_each_backend;

const LEASE: Duration = Duration::from_secs(60);

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_767_323_045 + seconds, 0).unwrap()
}

fn job(kind: &str, run_at: DateTime<Utc>) -> NewJob {
    NewJob::new(kind, json!({"to": "ada@example.com", "n": [1, 2]}), run_at)
}

async fn enqueue(store: &Arc<dyn Store>, new: &NewJob) -> JobId {
    store.enqueue_job(new, at(0)).await.unwrap()
}

#[tokio::test]
async fn an_enqueued_job_reads_back_pending_with_its_payload() {
    for_each_backend(|store| async move {
        let mut new = job("mail.send", at(5));
        new.max_attempts = 3;
        let id = enqueue(&store, &new).await;
        let stored = store.get_job(id).await.unwrap().unwrap();
        assert_eq!(stored.id, id);
        assert_eq!(stored.kind, "mail.send");
        assert_eq!(stored.payload, new.payload);
        assert_eq!(stored.status, JobStatus::Pending);
        assert_eq!(stored.run_at, at(5));
        assert_eq!((stored.attempts, stored.max_attempts), (0, 3));
        assert_eq!(stored.created_at, at(0));
        assert_eq!(stored.locked_until, None);
        assert_eq!(store.get_job(JobId::new()).await.unwrap(), None);
    })
    .await;
}

#[tokio::test]
async fn a_taken_dedupe_key_returns_the_first_job_instead_of_a_second() {
    for_each_backend(|store| async move {
        let mut first = job("mail.send", at(0));
        first.dedupe_key = Some("verify:user-1".to_owned());
        let id = enqueue(&store, &first).await;
        let mut again = job("mail.send", at(10));
        again.dedupe_key = Some("verify:user-1".to_owned());
        assert_eq!(enqueue(&store, &again).await, id);
        // Jobs without a key never collide.
        let a = enqueue(&store, &job("mail.send", at(0))).await;
        let b = enqueue(&store, &job("mail.send", at(0))).await;
        assert_ne!(a, b);
        assert_eq!(store.job_counts(at(0)).await.unwrap().pending, 3);
    })
    .await;
}

#[tokio::test]
async fn only_due_jobs_of_the_asked_kinds_are_claimed_oldest_first() {
    for_each_backend(|store| async move {
        let later = enqueue(&store, &job("mail.send", at(20))).await;
        let early = enqueue(&store, &job("mail.send", at(10))).await;
        let _future = enqueue(&store, &job("mail.send", at(100))).await;
        let other = enqueue(&store, &job("webhook.deliver", at(0))).await;

        let claimed = store
            .claim_due_jobs(&["mail.send"], at(30), 10, LEASE)
            .await
            .unwrap();
        let ids: Vec<_> = claimed.iter().map(|j| j.id).collect();
        assert_eq!(ids, [early, later]);
        for job in &claimed {
            assert_eq!(job.status, JobStatus::Running);
            assert_eq!(job.attempts, 1);
            assert_eq!(job.locked_until, Some(at(90)));
        }
        let rest = store.claim_due_jobs(&[], at(30), 10, LEASE).await.unwrap();
        assert_eq!(rest.iter().map(|j| j.id).collect::<Vec<_>>(), [other]);
    })
    .await;
}

#[tokio::test]
async fn claims_respect_the_limit() {
    for_each_backend(|store| async move {
        for i in 0..5 {
            enqueue(&store, &job("mail.send", at(i))).await;
        }
        let first = store.claim_due_jobs(&[], at(10), 2, LEASE).await.unwrap();
        assert_eq!(first.len(), 2);
        let second = store.claim_due_jobs(&[], at(10), 10, LEASE).await.unwrap();
        assert_eq!(second.len(), 3);
        assert!(store
            .claim_due_jobs(&[], at(10), 10, LEASE)
            .await
            .unwrap()
            .is_empty());
    })
    .await;
}

#[tokio::test]
async fn concurrent_claimers_each_get_a_job_exactly_once() {
    for_each_backend(|store| async move {
        for i in 0..50 {
            enqueue(&store, &job("mail.send", at(i % 7))).await;
        }
        let claimers = (0..8).map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let batch = store
                        .claim_due_jobs(&["mail.send"], at(60), 3, LEASE)
                        .await
                        .unwrap();
                    if batch.is_empty() {
                        return mine;
                    }
                    mine.extend(batch.into_iter().map(|j| j.id));
                }
            })
        });
        let mut seen: HashMap<JobId, usize> = HashMap::new();
        for claimer in claimers.collect::<Vec<_>>() {
            for id in claimer.await.unwrap() {
                *seen.entry(id).or_default() += 1;
            }
        }
        assert_eq!(seen.len(), 50, "every job was claimed");
        assert!(seen.values().all(|&n| n == 1), "no job was claimed twice");
        assert_eq!(store.job_counts(at(60)).await.unwrap().running, 50);
    })
    .await;
}

#[tokio::test]
async fn a_job_whose_lease_expired_is_claimed_again() {
    for_each_backend(|store| async move {
        let id = enqueue(&store, &job("mail.send", at(0))).await;
        let first = store.claim_due_jobs(&[], at(0), 1, LEASE).await.unwrap();
        assert_eq!(first[0].id, id);
        assert!(
            store
                .claim_due_jobs(&[], at(59), 1, LEASE)
                .await
                .unwrap()
                .is_empty(),
            "a live lease keeps the job"
        );
        let again = store.claim_due_jobs(&[], at(60), 1, LEASE).await.unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].attempts, 2);
        assert_eq!(again[0].locked_until, Some(at(120)));
    })
    .await;
}

#[tokio::test]
async fn a_lease_that_expires_on_the_last_attempt_dead_letters_the_job() {
    for_each_backend(|store| async move {
        let mut new = job("mail.send", at(0));
        new.max_attempts = 1;
        let id = enqueue(&store, &new).await;
        assert_eq!(
            store
                .claim_due_jobs(&[], at(0), 1, LEASE)
                .await
                .unwrap()
                .len(),
            1
        );
        assert!(store
            .claim_due_jobs(&[], at(61), 1, LEASE)
            .await
            .unwrap()
            .is_empty());
        let stored = store.get_job(id).await.unwrap().unwrap();
        assert_eq!(stored.status, JobStatus::Failed);
        assert!(stored.last_error.unwrap().contains("lease"));
    })
    .await;
}

#[tokio::test]
async fn completing_a_job_finishes_it_and_it_is_never_claimed_again() {
    for_each_backend(|store| async move {
        let id = enqueue(&store, &job("mail.send", at(0))).await;
        store.claim_due_jobs(&[], at(0), 1, LEASE).await.unwrap();
        store.complete_job(id, at(1)).await.unwrap();
        let stored = store.get_job(id).await.unwrap().unwrap();
        assert_eq!(stored.status, JobStatus::Succeeded);
        assert_eq!(stored.finished_at, Some(at(1)));
        assert_eq!(stored.locked_until, None);
        assert!(store
            .claim_due_jobs(&[], at(1000), 1, LEASE)
            .await
            .unwrap()
            .is_empty());
        assert!(matches!(
            store.complete_job(id, at(2)).await,
            Err(Error::NotFound)
        ));
        assert!(matches!(
            store.complete_job(JobId::new(), at(2)).await,
            Err(Error::NotFound)
        ));
    })
    .await;
}

#[tokio::test]
async fn a_retried_job_waits_for_its_new_run_at_and_keeps_the_error() {
    for_each_backend(|store| async move {
        let id = enqueue(&store, &job("mail.send", at(0))).await;
        store.claim_due_jobs(&[], at(0), 1, LEASE).await.unwrap();
        let status = store
            .retry_job(id, "relay said 421 try later", at(30), at(1))
            .await
            .unwrap();
        assert_eq!(status, JobStatus::Pending);
        let stored = store.get_job(id).await.unwrap().unwrap();
        assert_eq!(stored.run_at, at(30));
        assert_eq!(
            stored.last_error.as_deref(),
            Some("relay said 421 try later")
        );
        assert_eq!(stored.locked_until, None);
        assert!(store
            .claim_due_jobs(&[], at(29), 1, LEASE)
            .await
            .unwrap()
            .is_empty());
        let again = store.claim_due_jobs(&[], at(30), 1, LEASE).await.unwrap();
        assert_eq!(again[0].attempts, 2);
    })
    .await;
}

#[tokio::test]
async fn a_job_out_of_attempts_is_dead_lettered_on_retry() {
    for_each_backend(|store| async move {
        let mut new = job("mail.send", at(0));
        new.max_attempts = 2;
        let id = enqueue(&store, &new).await;
        store.claim_due_jobs(&[], at(0), 1, LEASE).await.unwrap();
        let first = store.retry_job(id, "first", at(10), at(1)).await.unwrap();
        assert_eq!(first, JobStatus::Pending);
        store.claim_due_jobs(&[], at(10), 1, LEASE).await.unwrap();
        let second = store
            .retry_job(id, "second", at(100), at(11))
            .await
            .unwrap();
        assert_eq!(second, JobStatus::Failed);
        let stored = store.get_job(id).await.unwrap().unwrap();
        assert_eq!(stored.status, JobStatus::Failed);
        assert_eq!(stored.finished_at, Some(at(11)));
        assert_eq!(stored.last_error.as_deref(), Some("second"));
        assert!(store
            .claim_due_jobs(&[], at(1000), 1, LEASE)
            .await
            .unwrap()
            .is_empty());
        let counts = store.job_counts(at(1000)).await.unwrap();
        assert_eq!((counts.pending, counts.running, counts.failed), (0, 0, 1));
    })
    .await;
}

#[tokio::test]
async fn failing_a_job_dead_letters_it_at_once() {
    for_each_backend(|store| async move {
        let id = enqueue(&store, &job("mail.send", at(0))).await;
        store.claim_due_jobs(&[], at(0), 1, LEASE).await.unwrap();
        store
            .fail_job(id, "template is broken", at(2))
            .await
            .unwrap();
        let stored = store.get_job(id).await.unwrap().unwrap();
        assert_eq!(stored.status, JobStatus::Failed);
        assert_eq!(stored.attempts, 1);
        assert!(matches!(
            store.fail_job(id, "again", at(3)).await,
            Err(Error::NotFound)
        ));
    })
    .await;
}

#[tokio::test]
async fn counts_report_the_wait_of_the_oldest_due_job() {
    for_each_backend(|store| async move {
        let empty = store.job_counts(at(0)).await.unwrap();
        assert_eq!(empty.pending, 0);
        assert_eq!(empty.oldest_due_age, None);
        enqueue(&store, &job("mail.send", at(10))).await;
        enqueue(&store, &job("mail.send", at(40))).await;
        enqueue(&store, &job("mail.send", at(500))).await;
        let counts = store.job_counts(at(70)).await.unwrap();
        assert_eq!(counts.pending, 3);
        assert_eq!(counts.oldest_due_age, Some(Duration::from_secs(60)));
    })
    .await;
}

#[tokio::test]
async fn a_payload_containing_nul_is_refused() {
    for_each_backend(|store| async move {
        let new = NewJob::new("mail.send", json!({"to": "a\u{0}b"}), at(0));
        let error = store.enqueue_job(&new, at(0)).await.unwrap_err();
        assert!(matches!(error, Error::Validation(_)), "{error:?}");
    })
    .await;
}

#[tokio::test]
async fn only_pending_or_running_jobs_can_be_retried() {
    for_each_backend(|store| async move {
        // A pending job (never claimed) may be rescheduled; it keeps its attempts.
        let pending = enqueue(&store, &job("mail.send", at(0))).await;
        assert_eq!(
            store
                .retry_job(pending, "not yet", at(50), at(1))
                .await
                .unwrap(),
            JobStatus::Pending
        );
        let stored = store.get_job(pending).await.unwrap().unwrap();
        assert_eq!((stored.run_at, stored.attempts), (at(50), 0));
        assert_eq!(stored.last_error.as_deref(), Some("not yet"));
        assert_eq!(stored.updated_at, at(1));
        assert_eq!(stored.finished_at, None);

        // A finished job, or an unknown one, is not there to retry.
        let done = enqueue(&store, &job("mail.other", at(0))).await;
        store
            .claim_due_jobs(&["mail.other"], at(0), 1, LEASE)
            .await
            .unwrap();
        store.complete_job(done, at(2)).await.unwrap();
        assert!(matches!(
            store.retry_job(done, "late", at(60), at(3)).await,
            Err(Error::NotFound)
        ));
        assert!(matches!(
            store.retry_job(JobId::new(), "none", at(60), at(3)).await,
            Err(Error::NotFound)
        ));
        let stored = store.get_job(done).await.unwrap().unwrap();
        assert_eq!(stored.status, JobStatus::Succeeded);
        assert_eq!(stored.last_error, None);
    })
    .await;
}
