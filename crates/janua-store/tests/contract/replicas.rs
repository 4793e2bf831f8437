//! Read replicas (PostgreSQL only): lag-tolerant reads are served by a replica, and a replica
//! that cannot serve them costs no failed read: the primary answers instead.

use std::time::{Duration, Instant};

use janua_core::auth::store::UserQuery;
use janua_core::ports::Backend;
use janua_store::DatabaseConfig;

use crate::accounts::new_user;
use crate::backend::for_each_database;

fn everyone() -> UserQuery {
    UserQuery {
        search: None,
        status: None,
        page: 1,
        per_page: 50,
    }
}

#[tokio::test]
async fn lag_tolerant_reads_survive_a_replica_that_does_not_answer() {
    for_each_database(|db| async move {
        if db.backend != Backend::Postgres {
            return;
        }
        // One replica that refuses connections, one that works (the primary's own database
        // stands in for a streaming replica here; drills/read-replica.sh uses a real one).
        let config = DatabaseConfig {
            replica_urls: vec![
                "postgres://janua@127.0.0.1:1/replica_down".to_owned(),
                db.url.clone(),
            ],
            acquire_timeout: Duration::from_secs(10),
            ..db.config()
        };
        let store = janua_store::connect(&config).await.unwrap();
        let user = store
            .create_user(&new_user("replica@example.com"), &[])
            .await
            .unwrap();

        let started = Instant::now();
        for _ in 0..6 {
            let (users, total) = store.list_users(&everyone()).await.unwrap();
            assert_eq!(total, 1);
            assert_eq!(users[0].id, user.id);
        }
        // The dead replica is tried once (bounded by the replica acquire timeout, not the
        // primary's 10 s), then skipped until a ping finds it answering again.
        assert!(
            started.elapsed() < Duration::from_secs(8),
            "{:?}",
            started.elapsed()
        );
        store.close().await;
    })
    .await;
}
