//! Avatars: upload replaces the picture and sets `profile_image_url` with it, removal clears
//! both, unknown users are `NotFound`, and soft delete takes the picture away.

use janua_core::error::Error;
use janua_core::ids::UserId;

use crate::accounts::{at, create_user};
use crate::backend::for_each_backend;

/// Every byte value, so a backend that mangles binary data (text encoding, NUL) is caught.
fn binary_picture() -> Vec<u8> {
    let mut data = b"\x89PNG\r\n\x1a\n".to_vec();
    data.extend((0..=255u8).cycle().take(1000));
    data
}

#[tokio::test]
async fn an_uploaded_avatar_reads_back_byte_for_byte_and_sets_the_profile_image_url() {
    for_each_backend(|store| async move {
        let user = create_user(&store, "ada@example.com").await;
        assert_eq!(store.get_avatar(user.id).await.unwrap(), None);

        let data = binary_picture();
        store
            .put_avatar(
                user.id,
                "image/png",
                &data,
                "https://id.test/a?v=1",
                at(5),
                &[],
            )
            .await
            .unwrap();
        let avatar = store.get_avatar(user.id).await.unwrap().unwrap();
        assert_eq!(avatar.content_type, "image/png");
        assert_eq!(avatar.data, data);
        assert_eq!(avatar.updated_at, at(5));
        let read = store.get_user(user.id).await.unwrap().unwrap();
        assert_eq!(
            read.profile_image_url.as_deref(),
            Some("https://id.test/a?v=1")
        );
        assert_eq!(read.updated_at, at(5));
    })
    .await;
}

#[tokio::test]
async fn a_second_upload_replaces_the_first() {
    for_each_backend(|store| async move {
        let user = create_user(&store, "bob@example.com").await;
        store
            .put_avatar(
                user.id,
                "image/png",
                b"first",
                "https://id.test/b?v=1",
                at(1),
                &[],
            )
            .await
            .unwrap();
        store
            .put_avatar(
                user.id,
                "image/gif",
                b"second",
                "https://id.test/b?v=2",
                at(2),
                &[],
            )
            .await
            .unwrap();
        let avatar = store.get_avatar(user.id).await.unwrap().unwrap();
        assert_eq!(
            (
                avatar.content_type.as_str(),
                avatar.data.as_slice(),
                avatar.updated_at
            ),
            ("image/gif", &b"second"[..], at(2))
        );
        let read = store.get_user(user.id).await.unwrap().unwrap();
        assert_eq!(
            read.profile_image_url.as_deref(),
            Some("https://id.test/b?v=2")
        );
    })
    .await;
}

#[tokio::test]
async fn deleting_the_avatar_removes_it_and_clears_the_url_even_when_there_was_none() {
    for_each_backend(|store| async move {
        let user = create_user(&store, "cy@example.com").await;
        let other = create_user(&store, "di@example.com").await;
        for id in [user.id, other.id] {
            store
                .put_avatar(
                    id,
                    "image/jpeg",
                    b"\xff\xd8\xff",
                    "https://id.test/c",
                    at(1),
                    &[],
                )
                .await
                .unwrap();
        }
        store.delete_avatar(user.id, at(3), &[]).await.unwrap();
        assert_eq!(store.get_avatar(user.id).await.unwrap(), None);
        let read = store.get_user(user.id).await.unwrap().unwrap();
        assert_eq!((read.profile_image_url, read.updated_at), (None, at(3)));
        // Only that user's picture went.
        assert!(store.get_avatar(other.id).await.unwrap().is_some());

        // A URL set elsewhere (say, by a social sign-in) is cleared too; no row is fine.
        store
            .set_profile_image(user.id, Some("https://social.test/pic"), at(4))
            .await
            .unwrap();
        store.delete_avatar(user.id, at(5), &[]).await.unwrap();
        let read = store.get_user(user.id).await.unwrap().unwrap();
        assert_eq!(read.profile_image_url, None);
    })
    .await;
}

#[tokio::test]
async fn avatars_of_unknown_users_are_not_found() {
    for_each_backend(|store| async move {
        let nobody = UserId::new();
        assert!(matches!(
            store
                .put_avatar(nobody, "image/png", b"x", "https://id.test/n", at(1), &[])
                .await,
            Err(Error::NotFound)
        ));
        assert!(matches!(
            store.delete_avatar(nobody, at(1), &[]).await,
            Err(Error::NotFound)
        ));
        assert_eq!(store.get_avatar(nobody).await.unwrap(), None);
    })
    .await;
}

#[tokio::test]
async fn soft_delete_takes_the_avatar_away() {
    for_each_backend(|store| async move {
        let user = create_user(&store, "eve@example.com").await;
        store
            .put_avatar(
                user.id,
                "image/png",
                b"png",
                "https://id.test/e",
                at(1),
                &[],
            )
            .await
            .unwrap();
        store.soft_delete_user(user.id, at(2), &[]).await.unwrap();
        assert_eq!(store.get_avatar(user.id).await.unwrap(), None);
        let read = store.get_user(user.id).await.unwrap().unwrap();
        assert_eq!(read.profile_image_url, None);
    })
    .await;
}
