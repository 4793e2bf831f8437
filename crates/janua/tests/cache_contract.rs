//! Cache contract: the same assertions on every cache backend. The in-process cache always
//! runs; Redis with `TEST_REDIS_URL`, Redis Cluster with `TEST_REDIS_CLUSTER_URL`
//! (`redis+cluster://h1:p1,h2:p2,…`) or `TEST_REDIS_CLUSTER_NODES`.

// Tests fail by panicking; helpers outside #[test] functions do too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use janua::cache::{self, CacheTarget};
use janua_core::ports::Cache;

/// Every backend available in this environment, each with its own key namespace.
async fn backends() -> Vec<(String, Arc<dyn Cache>)> {
    backends_with_targets()
        .await
        .into_iter()
        .map(|(n, _, c)| (n, c))
        .collect()
}

async fn backends_with_targets() -> Vec<(String, CacheTarget, Arc<dyn Cache>)> {
    let prefix = format!("contract-{}:", uuid::Uuid::new_v4().simple());
    let mut targets = vec![CacheTarget::InProcess];
    if let Ok(url) = std::env::var("TEST_REDIS_URL") {
        targets.push(CacheTarget::from_settings(Some(&url), &[]));
    }
    if let Ok(url) = std::env::var("TEST_REDIS_CLUSTER_URL") {
        targets.push(CacheTarget::from_settings(Some(&url), &[]));
    } else if let Ok(nodes) = std::env::var("TEST_REDIS_CLUSTER_NODES") {
        let nodes: Vec<String> = nodes.split(',').map(str::to_owned).collect();
        targets.push(CacheTarget::from_settings(None, &nodes));
    }
    let mut out = Vec::new();
    for target in targets {
        let cache = cache::connect_with_prefix(&target, &prefix)
            .await
            .expect("cache connects");
        out.push((format!("{target:?}"), target, cache));
    }
    out
}

#[tokio::test]
async fn values_round_trip_and_expire() {
    for (name, cache) in backends().await {
        cache.ping().await.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(cache.get("missing").await.unwrap(), None, "{name}");
        cache
            .set("k", b"\x00binary\xffvalue", Duration::from_secs(30))
            .await
            .unwrap();
        assert_eq!(
            cache.get("k").await.unwrap().as_deref(),
            Some(&b"\x00binary\xffvalue"[..]),
            "{name}"
        );
        cache
            .set("k", b"second", Duration::from_secs(30))
            .await
            .unwrap();
        assert_eq!(
            cache.get("k").await.unwrap().as_deref(),
            Some(&b"second"[..]),
            "{name}: overwrite"
        );
        cache
            .set("short", b"v", Duration::from_millis(150))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(
            cache.get("short").await.unwrap(),
            None,
            "{name}: expired values are gone"
        );
        cache.delete("k").await.unwrap();
        assert_eq!(cache.get("k").await.unwrap(), None, "{name}: deleted");
    }
}

#[tokio::test]
async fn set_if_absent_stores_only_once_until_expiry() {
    for (name, cache) in backends().await {
        assert!(
            cache
                .set_if_absent("once", b"a", Duration::from_millis(300))
                .await
                .unwrap(),
            "{name}"
        );
        assert!(
            !cache
                .set_if_absent("once", b"b", Duration::from_millis(300))
                .await
                .unwrap(),
            "{name}"
        );
        assert_eq!(
            cache.get("once").await.unwrap().as_deref(),
            Some(&b"a"[..]),
            "{name}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(
            cache
                .set_if_absent("once", b"c", Duration::from_secs(5))
                .await
                .unwrap(),
            "{name}: free again after expiry"
        );
    }
}

#[tokio::test]
async fn take_consumes_a_value_exactly_once_under_concurrency() {
    for (name, cache) in backends().await {
        cache
            .set("ceremony", b"state", Duration::from_secs(30))
            .await
            .unwrap();
        let attempts = (0..16).map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move { cache.take("ceremony").await.unwrap() })
        });
        let mut winners = 0;
        for attempt in attempts {
            if attempt.await.unwrap().is_some() {
                winners += 1;
            }
        }
        assert_eq!(winners, 1, "{name}: exactly one taker wins");
        assert_eq!(cache.get("ceremony").await.unwrap(), None, "{name}");
    }
}

#[tokio::test]
async fn hits_count_within_a_window_and_reset_after_it() {
    for (name, cache) in backends().await {
        let window = Duration::from_millis(600);
        let first = cache.hit("rl", window).await.unwrap();
        assert_eq!(first.count, 1, "{name}");
        assert!(
            first.resets_in <= window && first.resets_in > Duration::ZERO,
            "{name}: {:?}",
            first.resets_in
        );
        for expected in 2..=5 {
            assert_eq!(
                cache.hit("rl", window).await.unwrap().count,
                expected,
                "{name}"
            );
        }
        tokio::time::sleep(Duration::from_millis(900)).await;
        assert_eq!(
            cache.hit("rl", window).await.unwrap().count,
            1,
            "{name}: a new window starts"
        );
    }
}

#[tokio::test]
async fn concurrent_hits_are_all_counted() {
    for (name, cache) in backends().await {
        let tasks = (0..50).map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move {
                cache
                    .hit("burst", Duration::from_secs(30))
                    .await
                    .unwrap()
                    .count
            })
        });
        let mut counts = Vec::new();
        for task in tasks {
            counts.push(task.await.unwrap());
        }
        counts.sort_unstable();
        assert_eq!(
            counts,
            (1..=50).collect::<Vec<u64>>(),
            "{name}: every hit gets a distinct count"
        );
    }
}

#[tokio::test]
async fn keys_of_different_prefixes_do_not_collide() {
    for (name, target, cache) in backends_with_targets().await {
        let other = cache::connect_with_prefix(
            &target,
            &format!("other-{}:", uuid::Uuid::new_v4().simple()),
        )
        .await
        .unwrap();
        cache
            .set("shared-name", b"mine", Duration::from_secs(30))
            .await
            .unwrap();
        assert_eq!(other.get("shared-name").await.unwrap(), None, "{name}");
    }
}

#[tokio::test]
async fn an_unreachable_redis_reports_unavailable_quickly() {
    let cache = cache::connect_with_prefix(
        &CacheTarget::Redis {
            url: "redis://127.0.0.1:1".into(),
        },
        "x:",
    )
    .await
    .expect("configuring does not connect");
    let started = std::time::Instant::now();
    let error = cache.ping().await.expect_err("nothing listens on port 1");
    assert!(
        matches!(error, janua_core::Error::Unavailable(_)),
        "{error:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "fails fast, took {:?}",
        started.elapsed()
    );
}
