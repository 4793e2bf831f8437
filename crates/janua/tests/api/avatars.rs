//! Avatars (API.md §6, §19): upload as multipart `file`, the public picture URL, removal, and
//! the upload's own 5 MiB body limit beside the global `MAX_BODY_BYTES`.

use reqwest::multipart::{Form, Part};
use serde_json::Value;

use crate::helpers::{assert_error_shape, spawn_app, spawn_app_with, TestApp};

const UPLOAD: &str = "/api/v1/users/me/avatar";
const MIB: usize = 1024 * 1024;

/// CRC-32 (ISO-HDLC), as PNG chunks need.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    png.extend(u32::try_from(data.len()).unwrap().to_be_bytes());
    let start = png.len();
    png.extend(kind);
    png.extend(data);
    let crc = crc32(&png[start..]);
    png.extend(crc.to_be_bytes());
}

/// A valid 1×1 RGBA PNG, padded with a private ancillary chunk (which decoders skip) of
/// `padding` bytes.
fn png(padding: usize) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend(1u32.to_be_bytes());
    ihdr.extend(1u32.to_be_bytes());
    ihdr.extend([8, 6, 0, 0, 0]);
    chunk(&mut png, b"IHDR", &ihdr);
    // zlib, one stored block: the filter byte and one transparent pixel.
    let raw = [0u8, 0, 0, 0, 0];
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in &raw {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    let mut idat = vec![0x78, 0x01, 0x01, 5, 0, 0xFA, 0xFF];
    idat.extend(raw);
    idat.extend(((b << 16) | a).to_be_bytes());
    chunk(&mut png, b"IDAT", &idat);
    if padding > 0 {
        chunk(&mut png, b"jnPd", &vec![0x5A; padding]);
    }
    chunk(&mut png, b"IEND", &[]);
    png
}

/// Posts `data` as the `file` part, claiming `claimed_type` and `filename`.
async fn upload(
    app: &TestApp,
    token: &str,
    data: Vec<u8>,
    filename: &str,
    claimed_type: &str,
) -> reqwest::Response {
    let part = Part::bytes(data)
        .file_name(filename.to_owned())
        .mime_str(claimed_type)
        .unwrap();
    app.client
        .post(app.url(UPLOAD))
        .bearer_auth(token)
        .multipart(Form::new().part("file", part))
        .send()
        .await
        .unwrap()
}

/// The path of a `profile_image_url` on this server.
fn path_of(url: &str) -> &str {
    &url[url.find("/api/v1/").unwrap()..]
}

async fn profile_image_url(app: &TestApp, token: &str, path: &str) -> Value {
    let body: Value = app.get_auth(path, token).await.json().await.unwrap();
    body["profile_image_url"].clone()
}

#[tokio::test]
async fn an_uploaded_png_is_served_back_byte_for_byte_as_png_whatever_the_client_claimed() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let picture = png(0);
    let response = upload(
        &app,
        &user.access_token,
        picture.clone(),
        "me.jpg",
        "image/jpeg",
    )
    .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let url = body["profile_image_url"].as_str().unwrap().to_owned();
    assert!(
        url.contains(&format!("/api/v1/users/{}/avatar?v=", user.id)),
        "{url}"
    );
    for path in ["/api/v1/users/me", "/api/v1/auth/me"] {
        assert_eq!(
            profile_image_url(&app, &user.access_token, path).await,
            url.as_str()
        );
    }

    // Public: no credentials needed.
    let served = app.get(path_of(&url)).await;
    assert_eq!(served.status(), 200);
    let header = |name: &str| served.headers()[name].to_str().unwrap().to_owned();
    assert_eq!(header("content-type"), "image/png");
    assert_eq!(header("cache-control"), "public, max-age=300");
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert_eq!(
        header("content-security-policy"),
        "default-src 'none'; sandbox"
    );
    assert_eq!(served.bytes().await.unwrap().to_vec(), picture);
}

#[tokio::test]
async fn a_text_file_named_png_an_empty_file_or_no_file_part_is_refused_with_422_on_file() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let text = b"just some text, honestly".to_vec();
    for (data, name) in [(text, "avatar.png"), (Vec::new(), "empty.png")] {
        let response = upload(&app, &user.access_token, data, name, "image/png").await;
        assert_eq!(response.status(), 422, "{name}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(assert_error_shape(&body), "VALIDATION_ERROR");
        assert_eq!(body["error"]["details"][0]["field"], "file");
    }
    let other_part = Form::new().part("picture", Part::bytes(png(0)).file_name("a.png"));
    let response = app
        .client
        .post(app.url(UPLOAD))
        .bearer_auth(&user.access_token)
        .multipart(other_part)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["details"][0]["field"], "file");
    assert!(
        profile_image_url(&app, &user.access_token, "/api/v1/users/me")
            .await
            .is_null()
    );
}

#[tokio::test]
async fn requests_that_are_not_well_formed_multipart_get_a_4xx_in_the_error_shape() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let cases: [(&str, Vec<u8>); 4] = [
        ("application/json", b"{\"file\":\"x\"}".to_vec()),
        ("image/png", png(0)),
        ("multipart/form-data", b"--x\r\n".to_vec()),
        (
            "multipart/form-data; boundary=xyz",
            b"--xyz\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nno end".to_vec(),
        ),
    ];
    for (content_type, body) in cases {
        let response = app
            .client
            .post(app.url(UPLOAD))
            .bearer_auth(&user.access_token)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        assert!((400..500).contains(&status), "{content_type}: {status}");
        let body: Value = response.json().await.unwrap();
        assert_error_shape(&body);
    }
}

#[tokio::test]
async fn a_picture_over_5_mib_is_refused() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    for size in [5 * MIB + 1, 7 * MIB] {
        let picture = png(size);
        let response = upload(&app, &user.access_token, picture, "big.png", "image/png").await;
        let status = response.status().as_u16();
        assert!(status == 413 || status == 422, "{size}: {status}");
        let body: Value = response.json().await.unwrap();
        assert_error_shape(&body);
    }
    assert!(
        profile_image_url(&app, &user.access_token, "/api/v1/users/me")
            .await
            .is_null()
    );
}

#[tokio::test]
async fn a_2_mib_picture_passes_the_1_mib_body_limit_that_still_holds_for_json_routes() {
    let app = spawn_app_with(&[("MAX_BODY_BYTES", "1048576")]).await;
    let user = app.new_user().await;
    let picture = png(2 * MIB);
    let response = upload(
        &app,
        &user.access_token,
        picture.clone(),
        "big.png",
        "image/png",
    )
    .await;
    assert_eq!(response.status(), 200);
    let url = profile_image_url(&app, &user.access_token, "/api/v1/users/me").await;
    let served = app.get(path_of(url.as_str().unwrap())).await;
    assert_eq!(served.bytes().await.unwrap().len(), picture.len());

    let big_json = format!("{{\"bio\":\"{}\"}}", "x".repeat(2 * MIB));
    let response = app
        .client
        .patch(app.url("/api/v1/users/me"))
        .bearer_auth(&user.access_token)
        .header("content-type", "application/json")
        .body(big_json)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let body: Value = response.json().await.unwrap();
    assert_eq!(assert_error_shape(&body), "PAYLOAD_TOO_LARGE");
}

#[tokio::test]
async fn deleting_the_avatar_removes_the_picture_and_clears_the_url() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let response = upload(&app, &user.access_token, png(0), "a.png", "image/png").await;
    let body: Value = response.json().await.unwrap();
    let url = body["profile_image_url"].as_str().unwrap().to_owned();

    let deleted = app.delete_auth(UPLOAD, &user.access_token).await;
    assert_eq!(deleted.status(), 200);
    let body: Value = deleted.json().await.unwrap();
    assert!(body["message"].is_string());
    let gone = app.get(path_of(&url)).await;
    assert_eq!(gone.status(), 404);
    let body: Value = gone.json().await.unwrap();
    assert_eq!(assert_error_shape(&body), "NOT_FOUND");
    for path in ["/api/v1/users/me", "/api/v1/auth/me"] {
        assert!(profile_image_url(&app, &user.access_token, path)
            .await
            .is_null());
    }
}

#[tokio::test]
async fn a_user_can_only_remove_their_own_avatar() {
    let app = spawn_app().await;
    let owner = app.new_user().await;
    let other = app.new_user().await;
    upload(&app, &owner.access_token, png(0), "a.png", "image/png").await;
    // There is no route naming someone else's avatar for removal, only /me.
    assert_eq!(
        app.delete_auth(UPLOAD, &other.access_token).await.status(),
        200
    );
    let foreign = app
        .client
        .delete(app.url(&format!("/api/v1/users/{}/avatar", owner.id)))
        .bearer_auth(&other.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 405);
    let served = app.get(&format!("/api/v1/users/{}/avatar", owner.id)).await;
    assert_eq!(served.status(), 200);
}

#[tokio::test]
async fn uploading_or_removing_without_credentials_is_401() {
    let app = spawn_app().await;
    let form = Form::new().part("file", Part::bytes(png(0)).file_name("a.png"));
    let response = app
        .client
        .post(app.url(UPLOAD))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(assert_error_shape(&body), "UNAUTHORIZED");
    let response = app.client.delete(app.url(UPLOAD)).send().await.unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn the_picture_url_answers_400_for_a_bad_id_and_404_without_a_picture() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let bad = app.get("/api/v1/users/not-a-uuid/avatar").await;
    assert_eq!(bad.status(), 400);
    let body: Value = bad.json().await.unwrap();
    assert_eq!(assert_error_shape(&body), "INVALID_ID");
    for id in [user.id.clone(), uuid::Uuid::new_v4().to_string()] {
        let none = app.get(&format!("/api/v1/users/{id}/avatar")).await;
        assert_eq!(none.status(), 404);
        let body: Value = none.json().await.unwrap();
        assert_eq!(assert_error_shape(&body), "NOT_FOUND");
    }
}
