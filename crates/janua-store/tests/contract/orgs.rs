//! Organizations, members, invitations, custom roles, API keys and admin data: the same
//! assertions on every backend (the statements are shared; the encodings are not).

use std::sync::Arc;

use chrono::Duration;
use janua_core::admin::CorsOrigin;
use janua_core::api_keys::{ApiKey, ApiKeyUpdate, NewApiKey};
use janua_core::error::{AuthFailure, Error};
use janua_core::ids::{ApiKeyId, CorsOriginId, InvitationId, OrgId, RoleId, UserId};
use janua_core::orgs::{InvitationStatus, NewInvitation, NewMember, NewOrg, OrgUpdate, Page};
use janua_core::ports::Store;
use janua_core::rbac::permissions::Permission;
use janua_core::rbac::roles::{OrgRole, Role};
use serde_json::json;

use crate::accounts::{at, create_user};
use crate::backend::for_each_backend;

const PAGE: Page = Page {
    page: 1,
    per_page: 20,
};

async fn org(store: &Arc<dyn Store>, owner: UserId, slug: &str) -> OrgId {
    let new = NewOrg {
        id: OrgId::new(),
        name: format!("Org {slug}"),
        slug: slug.to_owned(),
        description: None,
        billing_email: None,
        parent_id: None,
        owner_id: owner,
        created_at: at(0),
    };
    store.create_org(&new, &[]).await.unwrap().id
}

fn member(org: OrgId, user: UserId, role: OrgRole) -> NewMember {
    NewMember {
        id: uuid::Uuid::now_v7(),
        organization_id: org,
        user_id: user,
        role,
        invited_by: None,
        joined_at: at(1),
    }
}

#[tokio::test]
async fn creating_an_organization_makes_its_creator_the_owner_and_slugs_are_unique() {
    for_each_backend(|store| async move {
        let ada = create_user(&store, "ada@example.com").await;
        let id = org(&store, ada.id, "acme").await;
        let read = store.get_org(id).await.unwrap().unwrap();
        assert_eq!(
            (read.slug.as_str(), read.member_count, read.owner_id),
            ("acme", 1, Some(ada.id))
        );
        assert_eq!(read.settings, json!({}));
        assert_eq!(read.created_at, at(0));
        assert_eq!(store.get_org_by_slug("acme").await.unwrap().unwrap().id, id);
        let owner = store.get_member(id, ada.id).await.unwrap().unwrap();
        assert_eq!(owner.role, OrgRole::Owner);
        let again = NewOrg {
            id: OrgId::new(),
            name: "Other".into(),
            slug: "acme".into(),
            description: None,
            billing_email: None,
            parent_id: None,
            owner_id: ada.id,
            created_at: at(0),
        };
        assert!(matches!(
            store.create_org(&again, &[]).await,
            Err(Error::Conflict { .. })
        ));
        let (list, total) = store.list_user_orgs(ada.id, PAGE).await.unwrap();
        assert_eq!((list.len(), total), (1, 1));
        assert_eq!(list[0].1, OrgRole::Owner);
        let (all, total) = store.list_all_orgs(Some("acm"), PAGE).await.unwrap();
        assert_eq!((all.len(), total), (1, 1));
        let (none, total) = store.list_all_orgs(Some("zzz"), PAGE).await.unwrap();
        assert_eq!((none.len(), total), (0, 0));
    })
    .await;
}

#[tokio::test]
async fn updates_change_only_given_fields_and_settings_round_trip() {
    for_each_backend(|store| async move {
        let ada = create_user(&store, "ada@example.com").await;
        let id = org(&store, ada.id, "acme").await;
        let update = OrgUpdate {
            description: Some(Some("desc".into())),
            settings: Some(json!({"require_mfa": true, "nested": {"a": [1, 2]}})),
            require_mfa: Some(true),
            ..OrgUpdate::default()
        };
        let updated = store.update_org(id, &update, at(5), &[]).await.unwrap();
        assert_eq!(updated.name, "Org acme");
        assert_eq!(updated.description.as_deref(), Some("desc"));
        assert!(updated.require_mfa);
        assert_eq!(updated.settings["nested"]["a"][1], 2);
        assert_eq!(updated.updated_at, at(5));
        let clear = OrgUpdate {
            description: Some(None),
            ..OrgUpdate::default()
        };
        let cleared = store.update_org(id, &clear, at(6), &[]).await.unwrap();
        assert_eq!(cleared.description, None);
        assert!(cleared.require_mfa);
        assert!(matches!(
            store.update_org(OrgId::new(), &clear, at(6), &[]).await,
            Err(Error::NotFound)
        ));
    })
    .await;
}

#[tokio::test]
async fn a_users_organizations_are_listed_with_their_role_oldest_membership_first() {
    for_each_backend(|store| async move {
        let ada = create_user(&store, "ada@example.com").await;
        let bob = create_user(&store, "bob@example.com").await;
        let acme = org(&store, ada.id, "acme").await;
        let globex = org(&store, ada.id, "globex").await;
        let initech = org(&store, bob.id, "initech").await;
        let joined = |org, role, second| NewMember {
            joined_at: at(second),
            ..member(org, bob.id, role)
        };
        store
            .add_member(&joined(globex, OrgRole::Admin, 5), &[])
            .await
            .unwrap();
        store
            .add_member(&joined(acme, OrgRole::Member, 9), &[])
            .await
            .unwrap();
        let slugs_and_roles = |list: Vec<(janua_core::orgs::Org, OrgRole)>| {
            list.into_iter()
                .map(|(org, role)| (org.slug, role))
                .collect::<Vec<_>>()
        };
        // initech: created (owner) at 0; globex at 5; acme at 9.
        let expected = vec![
            ("initech".to_owned(), OrgRole::Owner),
            ("globex".to_owned(), OrgRole::Admin),
            ("acme".to_owned(), OrgRole::Member),
        ];
        let all = store.list_member_orgs(bob.id).await.unwrap();
        assert_eq!(slugs_and_roles(all), expected);
        let (first, total) = store
            .list_user_orgs(
                bob.id,
                Page {
                    page: 1,
                    per_page: 2,
                },
            )
            .await
            .unwrap();
        assert_eq!((slugs_and_roles(first), total), (expected[..2].to_vec(), 3));
        let (second, total) = store
            .list_user_orgs(
                bob.id,
                Page {
                    page: 2,
                    per_page: 2,
                },
            )
            .await
            .unwrap();
        assert_eq!(
            (slugs_and_roles(second), total),
            (expected[2..].to_vec(), 3)
        );
        let acme_read = store
            .list_member_orgs(bob.id)
            .await
            .unwrap()
            .pop()
            .unwrap()
            .0;
        assert_eq!((acme_read.id, acme_read.member_count), (acme, 2));

        assert!(store.remove_member(globex, bob.id, &[]).await.unwrap());
        assert!(store.delete_org(initech, &[]).await.unwrap());
        assert_eq!(
            slugs_and_roles(store.list_member_orgs(bob.id).await.unwrap()),
            vec![("acme".to_owned(), OrgRole::Member)]
        );
        assert_eq!(store.list_user_orgs(bob.id, PAGE).await.unwrap().1, 1);
        let nobody = create_user(&store, "nobody@example.com").await;
        assert!(store.list_member_orgs(nobody.id).await.unwrap().is_empty());
        assert_eq!(
            store.list_user_orgs(nobody.id, PAGE).await.unwrap(),
            (vec![], 0)
        );
    })
    .await;
}

#[tokio::test]
async fn the_last_owner_can_be_neither_removed_nor_demoted() {
    for_each_backend(|store| async move {
        let ada = create_user(&store, "ada@example.com").await;
        let bob = create_user(&store, "bob@example.com").await;
        let id = org(&store, ada.id, "acme").await;
        let sole = |r: Result<_, Error>| matches!(r, Err(Error::Auth(AuthFailure::SoleAdmin)));
        assert!(sole(store.remove_member(id, ada.id, &[]).await.map(|_| ())));
        assert!(sole(
            store
                .set_member_role(id, ada.id, OrgRole::Admin, at(2), &[])
                .await
                .map(|_| ())
        ));
        store
            .add_member(&member(id, bob.id, OrgRole::Member), &[])
            .await
            .unwrap();
        assert!(matches!(
            store
                .add_member(&member(id, bob.id, OrgRole::Admin), &[])
                .await,
            Err(Error::Conflict { .. })
        ));
        store
            .transfer_ownership(id, ada.id, bob.id, at(3), &[])
            .await
            .unwrap();
        assert_eq!(
            store.get_member(id, bob.id).await.unwrap().unwrap().role,
            OrgRole::Owner
        );
        assert_eq!(
            store.get_member(id, ada.id).await.unwrap().unwrap().role,
            OrgRole::Admin
        );
        assert_eq!(
            store.get_org(id).await.unwrap().unwrap().owner_id,
            Some(bob.id)
        );
        assert!(store.remove_member(id, ada.id, &[]).await.unwrap());
        assert!(!store.remove_member(id, ada.id, &[]).await.unwrap());
        assert_eq!(store.list_members(id).await.unwrap().len(), 1);
        assert_eq!(store.list_memberships(bob.id).await.unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn custom_roles_are_per_organization_and_leave_with_the_member() {
    for_each_backend(|store| async move {
        let ada = create_user(&store, "ada@example.com").await;
        let bob = create_user(&store, "bob@example.com").await;
        let id = org(&store, ada.id, "acme").await;
        store
            .add_member(&member(id, bob.id, OrgRole::Viewer), &[])
            .await
            .unwrap();
        let role = Role {
            id: RoleId::new(),
            organization_id: id,
            name: "support".into(),
            description: None,
            permissions: vec![Permission::parse("users:read").unwrap()],
            created_at: at(0),
            updated_at: at(0),
        };
        store.create_role(&role, &[]).await.unwrap();
        assert!(matches!(
            store
                .create_role(
                    &Role {
                        id: RoleId::new(),
                        ..role.clone()
                    },
                    &[]
                )
                .await,
            Err(Error::Conflict { .. })
        ));
        assert_eq!(
            store
                .find_role_by_name(id, "support")
                .await
                .unwrap()
                .unwrap()
                .id,
            role.id
        );
        store
            .assign_role(id, bob.id, role.id, Some(ada.id), at(1), &[])
            .await
            .unwrap();
        store
            .assign_role(id, bob.id, role.id, Some(ada.id), at(1), &[])
            .await
            .unwrap();
        let held = store.user_roles(id, bob.id).await.unwrap();
        assert_eq!(held.len(), 1);
        assert_eq!(held[0].permissions, role.permissions);
        store.remove_member(id, bob.id, &[]).await.unwrap();
        assert!(store.user_roles(id, bob.id).await.unwrap().is_empty());
        assert!(store.delete_role(role.id, &[]).await.unwrap());
        assert!(store.get_role(role.id).await.unwrap().is_none());
    })
    .await;
}

#[tokio::test]
async fn a_pending_invitation_is_unique_per_email_and_accepted_once() {
    for_each_backend(|store| async move {
        let ada = create_user(&store, "ada@example.com").await;
        let bob = create_user(&store, "bob@example.com").await;
        let id = org(&store, ada.id, "acme").await;
        let invite = |hash: &str, created: i64| NewInvitation {
            id: InvitationId::new(),
            organization_id: id,
            email: "Bob@example.com".into(),
            email_normalized: "bob@example.com".into(),
            role: OrgRole::Member,
            token_hash: hash.into(),
            message: Some("hi".into()),
            invited_by: Some(ada.id),
            expires_at: at(created) + Duration::days(7),
            created_at: at(created),
        };
        let first = store
            .create_invitation(&invite("h1", 0), &[])
            .await
            .unwrap();
        assert_eq!(first.status, InvitationStatus::Pending);
        assert!(matches!(
            store.create_invitation(&invite("h2", 1), &[]).await,
            Err(Error::Conflict { .. })
        ));
        // Once expired, a new invitation replaces it.
        let later = 7 * 24 * 3600 + 10;
        let second = store
            .create_invitation(&invite("h3", later), &[])
            .await
            .unwrap();
        assert_eq!(
            store
                .get_invitation(first.id)
                .await
                .unwrap()
                .unwrap()
                .status,
            InvitationStatus::Expired
        );
        assert_eq!(
            store
                .find_invitation_by_token("h3")
                .await
                .unwrap()
                .unwrap()
                .id,
            second.id
        );
        let joined = NewMember {
            joined_at: at(later + 1),
            ..member(id, bob.id, OrgRole::Member)
        };
        assert!(store
            .accept_invitation(second.id, &joined, at(later + 1), &[])
            .await
            .unwrap());
        assert!(!store
            .accept_invitation(second.id, &joined, at(later + 2), &[])
            .await
            .unwrap());
        assert!(store.get_member(id, bob.id).await.unwrap().is_some());
        assert_eq!(store.list_invitations(id).await.unwrap().len(), 2);
    })
    .await;
}

#[tokio::test]
async fn api_keys_are_found_by_digest_rotated_and_revoked() {
    for_each_backend(|store| async move {
        let ada = create_user(&store, "ada@example.com").await;
        let id = org(&store, ada.id, "acme").await;
        let key = ApiKey {
            id: ApiKeyId::new(),
            organization_id: id,
            user_id: Some(ada.id),
            name: "ci".into(),
            key_prefix: "sk_live_abcd".into(),
            scopes: vec![Permission::parse("org:read").unwrap()],
            rate_limit_per_min: 60,
            is_active: true,
            last_used_at: None,
            expires_at: None,
            revoked_at: None,
            created_at: at(0),
            updated_at: at(0),
        };
        let created = store
            .create_api_key(
                &NewApiKey {
                    key: key.clone(),
                    key_hash: "d1".into(),
                },
                &[],
            )
            .await
            .unwrap();
        assert_eq!(created, key);
        let (found, digest) = store.find_api_key_by_hash("d1").await.unwrap().unwrap();
        assert_eq!((found.id, digest.as_str()), (key.id, "d1"));
        let update = ApiKeyUpdate {
            name: Some("renamed".into()),
            expires_at: Some(Some(at(100))),
            ..ApiKeyUpdate::default()
        };
        let updated = store
            .update_api_key(key.id, &update, at(1), &[])
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (updated.name.as_str(), updated.expires_at),
            ("renamed", Some(at(100)))
        );
        store.touch_api_key(key.id, at(2)).await.unwrap();
        assert!(store
            .rotate_api_key(key.id, "d2", "sk_live_ef01", at(3), &[])
            .await
            .unwrap());
        assert!(store.find_api_key_by_hash("d1").await.unwrap().is_none());
        let rotated = store.get_api_key(key.id).await.unwrap().unwrap();
        assert_eq!(
            (rotated.key_prefix.as_str(), rotated.last_used_at),
            ("sk_live_ef01", Some(at(2)))
        );
        assert_eq!(store.count_api_keys(id).await.unwrap(), 1);
        assert!(store.revoke_api_key(key.id, at(4), &[]).await.unwrap());
        assert!(!store.revoke_api_key(key.id, at(5), &[]).await.unwrap());
        assert!(!store
            .rotate_api_key(key.id, "d3", "sk_live_0000", at(6), &[])
            .await
            .unwrap());
        let (active, total) = store.list_api_keys(id, false, PAGE).await.unwrap();
        assert_eq!((active.len(), total), (0, 0));
        let (all, total) = store.list_api_keys(id, true, PAGE).await.unwrap();
        assert_eq!((all.len(), total), (1, 1));
        assert_eq!(all[0].revoked_at, Some(at(4)));
    })
    .await;
}

#[tokio::test]
async fn cors_origins_are_unique_and_stats_count_the_platform() {
    for_each_backend(|store| async move {
        let ada = create_user(&store, "ada@example.com").await;
        org(&store, ada.id, "acme").await;
        let origin = CorsOrigin {
            id: CorsOriginId::new(),
            origin: "https://app.example.com".into(),
            created_by: Some(ada.id),
            created_at: at(0),
        };
        store.add_cors_origin(&origin, &[]).await.unwrap();
        let twin = CorsOrigin {
            id: CorsOriginId::new(),
            ..origin.clone()
        };
        assert!(matches!(
            store.add_cors_origin(&twin, &[]).await,
            Err(Error::Conflict { .. })
        ));
        assert_eq!(
            store.list_cors_origins().await.unwrap(),
            vec![origin.clone()]
        );
        assert!(store.delete_cors_origin(origin.id, &[]).await.unwrap());
        assert!(!store.delete_cors_origin(origin.id, &[]).await.unwrap());
        let stats = store.platform_stats(at(0)).await.unwrap();
        assert_eq!(
            (
                stats.total_users,
                stats.active_users,
                stats.total_organizations
            ),
            (1, 1, 1)
        );
        store
            .set_email_verified(ada.id, true, at(1), &[])
            .await
            .unwrap();
        assert!(
            store
                .get_user(ada.id)
                .await
                .unwrap()
                .unwrap()
                .email_verified
        );
    })
    .await;
}

#[tokio::test]
async fn policies_round_trip_and_applicable_ones_are_the_orgs_and_the_global_enabled_ones() {
    use janua_core::ids::PolicyId;
    use janua_core::rbac::policies::{Effect, Policy, TargetType};
    for_each_backend(|store| async move {
        let ada = create_user(&store, "ada@example.com").await;
        let acme = org(&store, ada.id, "acme").await;
        let other = org(&store, ada.id, "other").await;
        let policy = |org: Option<OrgId>, enabled: bool| Policy {
            id: PolicyId::new(),
            organization_id: org,
            name: "p".into(),
            description: Some("d".into()),
            effect: Effect::Deny,
            priority: 5,
            enabled,
            target_type: TargetType::User,
            target_id: Some(ada.id.as_uuid()),
            resource_type: Some("users".into()),
            resource_pattern: Some("doc-*".into()),
            actions: vec!["read".into(), "remove".into()],
            conditions: json!({"ip": "10.0.0.1"}),
            rules: json!({"any": true}),
            expires_at: Some(at(100)),
            created_by: Some(ada.id),
            created_at: at(0),
            updated_at: at(0),
        };
        let mine = store
            .create_policy(&policy(Some(acme), true), &[])
            .await
            .unwrap();
        assert_eq!(store.get_policy(mine.id).await.unwrap().unwrap(), mine);
        let global = store.create_policy(&policy(None, true), &[]).await.unwrap();
        store
            .create_policy(&policy(Some(other), true), &[])
            .await
            .unwrap();
        store
            .create_policy(&policy(Some(acme), false), &[])
            .await
            .unwrap();
        let mut ids: Vec<_> = store
            .applicable_policies(acme)
            .await
            .unwrap()
            .into_iter()
            .map(|p| p.id)
            .collect();
        ids.sort();
        let mut expected = vec![mine.id, global.id];
        expected.sort();
        assert_eq!(ids, expected);
        let (list, total) = store.list_policies(Some(acme), PAGE).await.unwrap();
        assert_eq!((list.len(), total), (2, 2));
        let (_, total) = store.list_policies(None, PAGE).await.unwrap();
        assert_eq!(total, 4);
        let changed = Policy {
            effect: Effect::Allow,
            priority: 9,
            updated_at: at(5),
            ..mine.clone()
        };
        assert_eq!(
            store.update_policy(&changed, &[]).await.unwrap().unwrap(),
            changed
        );
        assert!(store.delete_policy(mine.id, &[]).await.unwrap());
        assert!(!store.delete_policy(mine.id, &[]).await.unwrap());
    })
    .await;
}
