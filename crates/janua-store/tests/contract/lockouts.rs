//! Lockouts: failed sign-ins counted per normalised email, a lock at the threshold for the given
//! time, an expired lock forgotten at the next failure, clearing, and concurrent failures that
//! are all counted.

use chrono::Duration;
use janua_core::auth::store::Lockout;

use crate::accounts::at;
use crate::backend::for_each_backend;

const EMAIL: &str = "someone@example.com";

#[tokio::test]
async fn an_email_without_failures_has_no_lockout() {
    for_each_backend(|store| async move {
        assert_eq!(store.get_lockout(EMAIL).await.unwrap(), None);
    })
    .await;
}

#[tokio::test]
async fn failures_are_counted_and_the_one_reaching_the_threshold_locks_for_the_given_time() {
    for_each_backend(|store| async move {
        let fifteen_minutes = Duration::minutes(15);
        for n in 1..=4 {
            let lockout = store
                .record_failed_sign_in(EMAIL, 5, fifteen_minutes, at(n))
                .await
                .unwrap();
            assert_eq!(
                (lockout.failed_attempts, lockout.locked_until),
                (u32::try_from(n).unwrap(), None)
            );
        }
        let locked = store
            .record_failed_sign_in(EMAIL, 5, fifteen_minutes, at(5))
            .await
            .unwrap();
        let expected = Lockout {
            email_normalized: EMAIL.to_owned(),
            failed_attempts: 5,
            locked_until: Some(at(5) + fifteen_minutes),
        };
        assert_eq!(locked, expected);
        assert_eq!(store.get_lockout(EMAIL).await.unwrap(), Some(expected));
        assert_eq!(store.get_lockout("other@example.com").await.unwrap(), None);
    })
    .await;
}

#[tokio::test]
async fn a_threshold_of_one_locks_at_the_first_failure() {
    for_each_backend(|store| async move {
        let lockout = store
            .record_failed_sign_in(EMAIL, 1, Duration::minutes(1), at(0))
            .await
            .unwrap();
        assert_eq!(lockout.locked_until, Some(at(60)));
    })
    .await;
}

#[tokio::test]
async fn a_lock_that_has_run_out_is_forgotten_and_counting_starts_again() {
    for_each_backend(|store| async move {
        let minute = Duration::minutes(1);
        for n in 0..3 {
            store
                .record_failed_sign_in(EMAIL, 3, minute, at(n))
                .await
                .unwrap();
        }
        assert_eq!(
            store
                .get_lockout(EMAIL)
                .await
                .unwrap()
                .unwrap()
                .locked_until,
            Some(at(62))
        );

        // At exactly `locked_until` the lock is over.
        let after = store
            .record_failed_sign_in(EMAIL, 3, minute, at(62))
            .await
            .unwrap();
        assert_eq!((after.failed_attempts, after.locked_until), (1, None));
        let next = store
            .record_failed_sign_in(EMAIL, 3, minute, at(70))
            .await
            .unwrap();
        assert_eq!((next.failed_attempts, next.locked_until), (2, None));
        let locked = store
            .record_failed_sign_in(EMAIL, 3, minute, at(80))
            .await
            .unwrap();
        assert_eq!(
            (locked.failed_attempts, locked.locked_until),
            (3, Some(at(140)))
        );
    })
    .await;
}

#[tokio::test]
async fn clearing_a_lockout_forgets_its_failures() {
    for_each_backend(|store| async move {
        store
            .record_failed_sign_in(EMAIL, 1, Duration::minutes(15), at(0))
            .await
            .unwrap();
        store.clear_lockout(EMAIL).await.unwrap();
        assert_eq!(store.get_lockout(EMAIL).await.unwrap(), None);
        store.clear_lockout(EMAIL).await.unwrap();
        let fresh = store
            .record_failed_sign_in(EMAIL, 5, Duration::minutes(15), at(1))
            .await
            .unwrap();
        assert_eq!(fresh.failed_attempts, 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_failures_are_all_counted_and_lock_exactly_at_the_threshold() {
    for_each_backend(|store| async move {
        let tasks: Vec<_> = (0..24)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move {
                    store
                        .record_failed_sign_in(EMAIL, 10, Duration::minutes(15), at(0))
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut counts = Vec::new();
        for task in tasks {
            let lockout = task.await.unwrap();
            assert_eq!(
                lockout.locked_until.is_some(),
                lockout.failed_attempts >= 10
            );
            counts.push(lockout.failed_attempts);
        }
        counts.sort_unstable();
        assert_eq!(counts, (1..=24).collect::<Vec<u32>>());
        let last = store.get_lockout(EMAIL).await.unwrap().unwrap();
        assert_eq!(last.failed_attempts, 24);
    })
    .await;
}
