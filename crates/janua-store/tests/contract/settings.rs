//! System settings: get, upsert, list in key order, delete; JSON values come back unchanged.

use chrono::{DateTime, TimeZone, Utc};
use janua_core::error::Error;
use janua_core::settings::SettingKey;
use serde_json::{json, Value};

use crate::backend::for_each_backend;

fn key(raw: &str) -> SettingKey {
    SettingKey::parse(raw).unwrap()
}

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_767_323_045 + seconds, 250_000_000)
        .unwrap()
}

#[tokio::test]
async fn a_missing_setting_reads_as_none() {
    for_each_backend(|store| async move {
        assert_eq!(
            store.get_setting(&key("auth.allow_signups")).await.unwrap(),
            None
        );
    })
    .await;
}

#[tokio::test]
async fn a_stored_setting_reads_back_with_its_value_and_time() {
    for_each_backend(|store| async move {
        let stored = store
            .put_setting(&key("auth.allow_signups"), &json!(false), at(0), &[])
            .await
            .unwrap();
        assert_eq!(stored.key, key("auth.allow_signups"));
        assert_eq!(stored.value, json!(false));
        assert_eq!(stored.updated_at, at(0));

        let read = store.get_setting(&key("auth.allow_signups")).await.unwrap();
        assert_eq!(read, Some(stored));
    })
    .await;
}

#[tokio::test]
async fn putting_a_setting_again_replaces_its_value_and_time() {
    for_each_backend(|store| async move {
        let k = key("maintenance.mode");
        store
            .put_setting(&k, &json!({"enabled": false}), at(0), &[])
            .await
            .unwrap();
        let second = json!({"enabled": true, "message": "back soon"});
        let replaced = store.put_setting(&k, &second, at(60), &[]).await.unwrap();
        assert_eq!(replaced.value, second);
        assert_eq!(replaced.updated_at, at(60));

        let all = store.list_settings().await.unwrap();
        assert_eq!(all, vec![replaced]);
    })
    .await;
}

#[tokio::test]
async fn settings_are_listed_in_key_order() {
    for_each_backend(|store| async move {
        for (i, k) in [
            "retention.audit_days",
            "auth.allow_signups",
            "oidc.custom_domain",
        ]
        .into_iter()
        .enumerate()
        {
            store
                .put_setting(&key(k), &json!(i), at(0), &[])
                .await
                .unwrap();
        }
        let keys: Vec<String> = store
            .list_settings()
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.key.as_str().to_owned())
            .collect();
        assert_eq!(
            keys,
            [
                "auth.allow_signups",
                "oidc.custom_domain",
                "retention.audit_days"
            ]
        );
    })
    .await;
}

#[tokio::test]
async fn an_empty_store_lists_no_settings() {
    for_each_backend(|store| async move {
        assert!(store.list_settings().await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn deleting_a_setting_removes_it_and_says_whether_it_existed() {
    for_each_backend(|store| async move {
        let k = key("auth.allow_signups");
        store
            .put_setting(&k, &json!(true), at(0), &[])
            .await
            .unwrap();
        assert!(store.delete_setting(&k).await.unwrap());
        assert_eq!(store.get_setting(&k).await.unwrap(), None);
        assert!(!store.delete_setting(&k).await.unwrap());
    })
    .await;
}

#[tokio::test]
async fn json_values_come_back_unchanged() {
    let values = [
        json!(null),
        json!(true),
        json!("plain"),
        json!("unicode: ü ß 日本語 🚀 \"quoted\" \\ back\\slash \n newline"),
        json!({"nested": {"deeper": {"list": [1, "two", {"three": [null, false]}]}}, "": "empty key"}),
        json!([]),
        json!({}),
        json!(u64::MAX),
        json!(i64::MIN),
        json!(9_007_199_254_740_993_u64),
        json!(0.1),
        json!(-2.5e-7),
        json!(6.02214076e23),
        json!(1.7976931348623157e308),
        json!(1.5e300),
        json!(5e-324),
        json!(-123_456_789.987_654_32),
    ];
    for_each_backend(|store| {
        let values = values.clone();
        async move {
            for (i, value) in values.iter().enumerate() {
                let k = key(&format!("test.value_{i}"));
                store.put_setting(&k, value, at(0), &[]).await.unwrap();
                let read = store.get_setting(&k).await.unwrap().unwrap();
                assert_eq!(&read.value, value, "value #{i}");
            }
        }
    })
    .await;
}

#[tokio::test]
async fn a_value_containing_nul_is_refused_on_every_backend() {
    for_each_backend(|store| async move {
        let value: Value = json!({"name": "a\u{0}b"});
        let error = store
            .put_setting(&key("test.nul"), &value, at(0), &[])
            .await
            .unwrap_err();
        assert!(matches!(error, Error::Validation(_)), "{error:?}");
        assert_eq!(store.get_setting(&key("test.nul")).await.unwrap(), None);
    })
    .await;
}

#[tokio::test]
async fn times_are_kept_to_the_microsecond() {
    for_each_backend(|store| async move {
        let precise = Utc.timestamp_opt(1_767_323_045, 123_456_789).unwrap();
        let stored = store
            .put_setting(&key("test.time"), &json!(1), precise, &[])
            .await
            .unwrap();
        let expected = Utc.timestamp_opt(1_767_323_045, 123_456_000).unwrap();
        assert_eq!(stored.updated_at, expected);
        let read = store.get_setting(&key("test.time")).await.unwrap().unwrap();
        assert_eq!(read.updated_at, expected);
    })
    .await;
}

#[tokio::test]
async fn a_setting_and_its_audit_entry_commit_together() {
    use janua_core::audit::query::{AuditFilter, Scope};
    use janua_core::audit::{Actor, AuditEntry};
    for_each_backend(|store| async move {
        let k = key("system.maintenance_mode");
        let entry = AuditEntry::new(
            "maintenance_mode.enabled",
            Actor::system(),
            &Default::default(),
            at(0),
        )
        .target("setting", k.as_str());
        store
            .put_setting(&k, &json!({"enabled": true}), at(0), &[entry])
            .await
            .unwrap();
        let all = AuditFilter::within(Scope::All);
        let entries = store.list_audit(&all, None, 10).await.unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].action, "maintenance_mode.enabled");
        // A refused value writes neither the setting nor its entry.
        let refused = AuditEntry::new(
            "setting.updated",
            Actor::system(),
            &Default::default(),
            at(1),
        );
        let bad = json!({"name": "a\u{0}b"});
        assert!(store
            .put_setting(&k, &bad, at(1), &[refused])
            .await
            .is_err());
        assert_eq!(store.count_audit(&all).await.unwrap(), 1);
    })
    .await;
}
