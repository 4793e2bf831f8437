//! The OAuth provider's storage: clients and secrets (rotation, revocation, cascade on delete,
//! audit in the same transaction), codes redeemed exactly once, grant sessions with their
//! refresh family, consents and device codes — the same on every backend.

use std::sync::Arc;

use chrono::Duration;
use janua_core::audit::{Actor, AuditEntry};
use janua_core::error::Error;
use janua_core::ids::{OAuthClientId, SessionId};
use janua_core::oidc::clients::{generate_secret, ClientSpec, OAuthClient};
use janua_core::oidc::store::{
    AuthorizationCode, AuthorizationRequest, ClientLookup, ClientQuery, CodeRedemption, Consent,
    DeviceCode, DeviceCodeStatus, NewGrantSession,
};
use janua_core::ports::Store;
use janua_core::tokens::keys::SigningAlgorithm;

use crate::accounts::{at, create_user, new_session};
use crate::backend::for_each_backend;

fn client(name: &str) -> OAuthClient {
    let mut spec = ClientSpec::named(name);
    spec.redirect_uris = vec!["https://rp.example.com/cb".into()];
    spec.audience = Some(format!("https://{name}.example.com"));
    spec.client_key = Some(format!("key-{name}"));
    spec.signing_alg = Some(SigningAlgorithm::EdDsa);
    OAuthClient {
        id: OAuthClientId::new(),
        client_id: format!("jnc_{name}_0123456789"),
        spec,
        created_by: None,
        last_used_at: None,
        created_at: at(0),
        updated_at: at(0),
    }
}

fn audit(action: &str) -> AuditEntry {
    AuditEntry::new(action, Actor::system(), &Default::default(), at(0))
}

async fn stored_client(store: &Arc<dyn Store>, name: &str) -> OAuthClient {
    let c = client(name);
    let secret = generate_secret(c.id, at(0));
    store
        .create_client(&c, Some(&secret.row), &[audit("oauth_client.created")])
        .await
        .unwrap();
    c
}

#[tokio::test]
async fn a_client_round_trips_and_is_found_by_each_lookup() {
    for_each_backend(|store| async move {
        let c = stored_client(&store, "alpha").await;
        assert_eq!(store.get_client(c.id).await.unwrap(), Some(c.clone()));
        assert_eq!(
            store.find_client(&c.client_id).await.unwrap(),
            Some(c.clone())
        );
        for lookup in [
            ClientLookup::ClientKey("key-alpha"),
            ClientLookup::Audience("https://alpha.example.com"),
            ClientLookup::Name("alpha"),
        ] {
            assert_eq!(
                store.find_client_by(lookup).await.unwrap().map(|f| f.id),
                Some(c.id)
            );
        }
        let duplicate = OAuthClient {
            id: OAuthClientId::new(),
            ..client("alpha")
        };
        let err = store
            .create_client(&duplicate, None, &[])
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Conflict { .. }), "{err:?}");
        let (listed, total) = store
            .list_clients(&ClientQuery {
                page: 1,
                per_page: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!((listed.len(), total), (1, 1));
    })
    .await;
}

#[tokio::test]
async fn updating_writes_every_field_and_deleting_cascades_to_secrets() {
    for_each_backend(|store| async move {
        let mut c = stored_client(&store, "beta").await;
        c.spec.description = Some("changed".into());
        c.spec.grant_types = vec!["client_credentials".into()];
        c.spec.is_active = false;
        c.spec.signing_alg = None;
        c.updated_at = at(10);
        store
            .update_client(&c, &[audit("oauth_client.updated")])
            .await
            .unwrap();
        assert_eq!(store.get_client(c.id).await.unwrap(), Some(c.clone()));
        assert!(store.delete_client(c.id, &[]).await.unwrap());
        assert!(store.list_client_secrets(c.id).await.unwrap().is_empty());
        assert!(!store.delete_client(c.id, &[]).await.unwrap());
        let gone = OAuthClient {
            id: OAuthClientId::new(),
            ..c
        };
        assert!(matches!(
            store.update_client(&gone, &[]).await,
            Err(Error::NotFound)
        ));
    })
    .await;
}

#[tokio::test]
async fn rotation_demotes_the_primary_with_an_expiry_and_only_old_secrets_are_revoked() {
    for_each_backend(|store| async move {
        let c = stored_client(&store, "gamma").await;
        let next = generate_secret(c.id, at(100));
        store
            .rotate_client_secret(&next.row, at(100) + Duration::hours(2), &[])
            .await
            .unwrap();
        let secrets = store.list_client_secrets(c.id).await.unwrap();
        assert_eq!(secrets.len(), 2);
        let primary: Vec<_> = secrets.iter().filter(|s| s.is_primary).collect();
        assert_eq!(primary.len(), 1);
        assert_eq!(primary[0].id, next.row.id);
        let old = secrets.iter().find(|s| !s.is_primary).unwrap();
        assert_eq!(old.expires_at, Some(at(100) + Duration::hours(2)));
        assert!(old.is_valid(at(101)) && !old.is_valid(at(100) + Duration::hours(3)));
        // The primary is never revoked by these calls.
        assert_eq!(
            store
                .revoke_client_secrets(c.id, Some(next.row.id), at(200), &[])
                .await
                .unwrap(),
            0
        );
        assert_eq!(
            store
                .revoke_client_secrets(c.id, None, at(200), &[])
                .await
                .unwrap(),
            1
        );
        let after = store.list_client_secrets(c.id).await.unwrap();
        assert!(after.iter().any(|s| s.is_primary && s.revoked_at.is_none()));
    })
    .await;
}

#[tokio::test]
async fn clients_list_newest_first_filtered_by_creator_and_one_old_secret_is_revoked_by_id() {
    for_each_backend(|store| async move {
        let owner = create_user(&store, "rhea@example.com").await;
        for (i, name) in ["eta", "theta", "iota"].into_iter().enumerate() {
            let mut c = client(name);
            c.created_at = at(i64::try_from(i).unwrap());
            c.updated_at = c.created_at;
            if name != "theta" {
                c.created_by = Some(owner.id);
            }
            store.create_client(&c, None, &[]).await.unwrap();
        }
        let names = |list: Vec<OAuthClient>| -> Vec<String> {
            list.into_iter().map(|c| c.spec.name).collect()
        };
        let (all, total) = store
            .list_clients(&ClientQuery {
                page: 1,
                per_page: 2,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(
            (names(all), total),
            (vec!["iota".into(), "theta".into()], 3)
        );
        let (second, _) = store
            .list_clients(&ClientQuery {
                page: 2,
                per_page: 2,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(names(second), vec!["eta".to_owned()]);
        let (mine, total) = store
            .list_clients(&ClientQuery {
                page: 1,
                per_page: 10,
                created_by: Some(owner.id),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!((names(mine), total), (vec!["iota".into(), "eta".into()], 2));

        let c = stored_client(&store, "kappa").await;
        let first = store.list_client_secrets(c.id).await.unwrap()[0].clone();
        let second = generate_secret(c.id, at(100));
        store
            .rotate_client_secret(&second.row, at(300), &[])
            .await
            .unwrap();
        let third = generate_secret(c.id, at(200));
        store
            .rotate_client_secret(&third.row, at(250), &[])
            .await
            .unwrap();
        let listed = store.list_client_secrets(c.id).await.unwrap();
        assert_eq!(
            listed.iter().map(|s| s.id).collect::<Vec<_>>(),
            vec![third.row.id, second.row.id, first.id],
            "newest first"
        );
        // A demoted secret keeps an earlier expiry.
        assert_eq!(listed[1].expires_at, Some(at(250)));
        assert_eq!(listed[2].expires_at, Some(at(250)));
        assert_eq!(
            store
                .revoke_client_secrets(c.id, Some(second.row.id), at(260), &[])
                .await
                .unwrap(),
            1
        );
        let after = store.list_client_secrets(c.id).await.unwrap();
        assert_eq!(after[1].revoked_at, Some(at(260)));
        assert_eq!(after[2].revoked_at, None);
    })
    .await;
}

#[tokio::test]
async fn a_code_is_redeemed_once_and_a_replay_names_the_grant_it_produced() {
    for_each_backend(|store| async move {
        let user = create_user(&store, "olga@example.com").await;
        let browser = store
            .open_session(&new_session(user.id, "browser-refresh", 0), &[])
            .await
            .unwrap();
        let c = stored_client(&store, "delta").await;
        let request = AuthorizationRequest {
            id: uuid::Uuid::now_v7(),
            client: c.id,
            redirect_uri: "https://rp.example.com/cb".into(),
            scopes: vec!["openid".into()],
            state: Some("s".into()),
            nonce: Some("n".into()),
            code_challenge: None,
            code_challenge_method: None,
            prompt: Some("consent".into()),
            max_age: Some(30),
            login_hint: None,
            organization_id: None,
            session_id: None,
            created_at: at(0),
            expires_at: at(600),
            consumed_at: None,
        };
        store.create_authorization_request(&request).await.unwrap();
        assert_eq!(
            store.get_authorization_request(request.id).await.unwrap(),
            Some(request.clone())
        );
        assert!(store
            .consume_authorization_request(request.id, at(5))
            .await
            .unwrap());
        assert!(!store
            .consume_authorization_request(request.id, at(6))
            .await
            .unwrap());

        let code = AuthorizationCode {
            id: uuid::Uuid::now_v7(),
            code_hash: "code-hash".into(),
            client: c.id,
            user_id: user.id,
            session_id: browser.id,
            grant_session_id: None,
            redirect_uri: "https://rp.example.com/cb".into(),
            scopes: vec!["openid".into(), "email".into()],
            nonce: Some("n".into()),
            code_challenge: Some("challenge".into()),
            organization_id: None,
            auth_time: at(0),
            amr: vec!["pwd".into()],
            created_at: at(1),
            expires_at: at(61),
            used_at: None,
        };
        store.create_authorization_code(&code).await.unwrap();
        let CodeRedemption::Redeemed(redeemed) = store
            .redeem_authorization_code("code-hash", at(2))
            .await
            .unwrap()
        else {
            panic!("the first redemption wins");
        };
        assert_eq!(redeemed.used_at, Some(at(2)));
        assert_eq!(
            CodeRedemption::Redeemed(AuthorizationCode {
                used_at: Some(at(2)),
                ..code.clone()
            }),
            CodeRedemption::Redeemed(redeemed)
        );

        let grant = NewGrantSession {
            id: SessionId::new(),
            user_id: user.id,
            client: c.id,
            parent_session_id: Some(browser.id),
            scopes: code.scopes.clone(),
            organization_id: None,
            amr: code.amr.clone(),
            auth_time: at(0),
            created_at: at(2),
            expires_at: at(2) + Duration::days(7),
            absolute_expires_at: at(2) + Duration::days(30),
            refresh_token_hash: Some("grant-refresh".into()),
            code_id: Some(code.id),
        };
        store
            .open_grant_session(&grant, &[audit("oauth_grant.created")])
            .await
            .unwrap();
        let CodeRedemption::Replayed(replayed) = store
            .redeem_authorization_code("code-hash", at(3))
            .await
            .unwrap()
        else {
            panic!("a second redemption is a replay");
        };
        assert_eq!(replayed.grant_session_id, Some(grant.id));
        assert_eq!(
            store
                .redeem_authorization_code("other", at(3))
                .await
                .unwrap(),
            CodeRedemption::Unknown
        );

        let stored = store.get_grant(grant.id).await.unwrap().unwrap();
        assert_eq!(
            (stored.client, stored.parent_session_id),
            (c.id, Some(browser.id))
        );
        assert_eq!(stored.scopes, grant.scopes);
        assert_eq!(stored.session.auth_time, at(0));
        let refresh = store
            .find_refresh_token("grant-refresh")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(refresh.session_id, grant.id);
        assert_eq!(
            store
                .list_child_grants(browser.id, at(4))
                .await
                .unwrap()
                .len(),
            1
        );
        assert!(
            store.get_grant(browser.id).await.unwrap().is_none(),
            "a browser session is no grant"
        );
        // Browser sessions lists never show grants.
        assert_eq!(
            store
                .list_live_sessions(user.id, at(4))
                .await
                .unwrap()
                .len(),
            1
        );
    })
    .await;
}

#[tokio::test]
async fn a_parked_request_keeps_every_optional_field_and_ended_grants_are_no_children() {
    for_each_backend(|store| async move {
        let user = create_user(&store, "sven@example.com").await;
        let browser = store
            .open_session(&new_session(user.id, "browser-refresh-2", 0), &[])
            .await
            .unwrap();
        let c = stored_client(&store, "lambda").await;
        let request = AuthorizationRequest {
            id: uuid::Uuid::now_v7(),
            client: c.id,
            redirect_uri: "https://rp.example.com/cb".into(),
            scopes: vec!["openid".into(), "profile".into()],
            state: Some("s".into()),
            nonce: Some("n".into()),
            code_challenge: Some("challenge".into()),
            code_challenge_method: Some("S256".into()),
            prompt: None,
            max_age: None,
            login_hint: Some("sven".into()),
            organization_id: None,
            session_id: Some(browser.id),
            created_at: at(0),
            expires_at: at(600),
            consumed_at: Some(at(1)),
        };
        store.create_authorization_request(&request).await.unwrap();
        assert_eq!(
            store.get_authorization_request(request.id).await.unwrap(),
            Some(request)
        );
        let grant = |refresh: &str, created: i64| NewGrantSession {
            id: SessionId::new(),
            user_id: user.id,
            client: c.id,
            parent_session_id: Some(browser.id),
            scopes: vec!["openid".into()],
            organization_id: None,
            amr: vec!["pwd".into()],
            auth_time: at(0),
            created_at: at(created),
            expires_at: at(created) + Duration::hours(1),
            absolute_expires_at: at(created) + Duration::days(1),
            refresh_token_hash: Some(refresh.into()),
            code_id: None,
        };
        let early = grant("early-refresh", 0);
        let late = grant("late-refresh", 3600);
        store.open_grant_session(&early, &[]).await.unwrap();
        store.open_grant_session(&late, &[]).await.unwrap();
        let children = store.list_child_grants(browser.id, at(3700)).await.unwrap();
        assert_eq!(
            children.iter().map(|g| g.session.id).collect::<Vec<_>>(),
            vec![late.id],
            "an expired grant is not listed"
        );
        assert_eq!(children[0].session.amr, vec!["pwd".to_owned()]);
        assert_eq!(
            children[0].session.expires_at,
            at(3600) + Duration::hours(1)
        );
    })
    .await;
}

#[tokio::test]
async fn consents_are_stored_and_replaced() {
    for_each_backend(|store| async move {
        let user = create_user(&store, "pia@example.com").await;
        let c = stored_client(&store, "epsilon").await;
        assert_eq!(store.get_consent(user.id, c.id).await.unwrap(), None);
        let mut consent = Consent {
            user_id: user.id,
            client: c.id,
            scopes: vec!["openid".into()],
            granted_at: at(1),
            revoked_at: None,
        };
        store
            .save_consent(&consent, &[audit("oauth_consent.granted")])
            .await
            .unwrap();
        consent.scopes.push("email".into());
        consent.granted_at = at(2);
        store.save_consent(&consent, &[]).await.unwrap();
        assert_eq!(
            store.get_consent(user.id, c.id).await.unwrap(),
            Some(consent)
        );
    })
    .await;
}

#[tokio::test]
async fn a_device_code_is_decided_once_and_consumed_once() {
    for_each_backend(|store| async move {
        let user = create_user(&store, "quin@example.com").await;
        let c = stored_client(&store, "zeta").await;
        let code = DeviceCode {
            id: uuid::Uuid::now_v7(),
            device_code_hash: "device-hash".into(),
            user_code: "BCDF-GHJK".into(),
            client: c.id,
            scopes: vec!["openid".into()],
            status: DeviceCodeStatus::Pending,
            user_id: None,
            interval_seconds: 5,
            last_polled_at: None,
            created_at: at(0),
            expires_at: at(600),
        };
        store.create_device_code(&code).await.unwrap();
        assert_eq!(
            store
                .find_device_code_by_user_code("BCDF-GHJK")
                .await
                .unwrap(),
            Some(code.clone())
        );
        assert!(store.poll_device_code(code.id, at(1), false).await.unwrap());
        assert!(
            !store.poll_device_code(code.id, at(2), true).await.unwrap(),
            "not approved yet"
        );
        assert!(store
            .decide_device_code(code.id, user.id, DeviceCodeStatus::Approved, at(3))
            .await
            .unwrap());
        assert!(!store
            .decide_device_code(code.id, user.id, DeviceCodeStatus::Denied, at(4))
            .await
            .unwrap());
        let found = store
            .find_device_code_by_hash("device-hash")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (found.status, found.user_id, found.last_polled_at),
            (DeviceCodeStatus::Approved, Some(user.id), Some(at(1)))
        );
        assert!(store.poll_device_code(code.id, at(5), true).await.unwrap());
        assert!(!store.poll_device_code(code.id, at(6), true).await.unwrap());
        let consumed = store
            .find_device_code_by_hash("device-hash")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(consumed.status, DeviceCodeStatus::Consumed);
    })
    .await;
}
