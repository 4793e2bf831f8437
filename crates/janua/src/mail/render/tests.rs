//! Rendering: subjects, both bodies, escaping, overrides.

use janua_core::mail::{Mail, OutgoingMail};

use super::*;

fn renderer() -> MailRenderer {
    MailRenderer::new(None, "Janua", "https://id.example.com").unwrap()
}

fn reset(link: &str) -> OutgoingMail {
    OutgoingMail {
        to: "ada@example.com".to_owned(),
        to_name: Some("Ada".to_owned()),
        mail: Mail::PasswordReset {
            link: link.to_owned(),
            expires_in_minutes: 60,
        },
        locale: None,
    }
}

#[test]
fn every_built_in_mail_renders_a_subject_a_text_and_an_html_body() {
    let renderer = renderer();
    for sample in samples() {
        let rendered = renderer.render(&sample).unwrap();
        assert!(!rendered.subject.is_empty(), "{sample:?}");
        assert!(!rendered.subject.contains('\n'));
        assert!(!rendered.text.starts_with("Subject:"));
        assert!(rendered.html.contains("<!DOCTYPE html>"));
        assert!(
            rendered.html.contains(&rendered.subject),
            "the layout titles the page"
        );
    }
}

#[test]
fn a_password_reset_shows_the_link_and_lifetime_in_both_bodies() {
    let link = "https://id.example.com/reset?token=abc&x=1";
    let rendered = renderer().render(&reset(link)).unwrap();
    assert_eq!(rendered.subject, "Reset your Janua password");
    assert!(rendered.text.starts_with("Hello Ada,"));
    assert!(rendered.text.contains(link), "text bodies are not escaped");
    assert!(rendered.text.contains("60 minutes"));
    assert!(rendered
        .html
        .contains("https://id.example.com/reset?token=abc&amp;x=1"));
    assert_eq!(rendered.to, "ada@example.com");
}

#[test]
fn html_bodies_escape_what_users_typed() {
    let outgoing = OutgoingMail::new(
        "bob@example.com",
        Mail::Invitation {
            org_name: "<script>alert(1)</script>".to_owned(),
            inviter: "Eve & Co".to_owned(),
            link: "https://id.example.com/invite?token=t".to_owned(),
            expires_in_days: 7,
            message: Some("<b>hi</b>".to_owned()),
        },
    );
    let rendered = renderer().render(&outgoing).unwrap();
    assert!(!rendered.html.contains("<script>"));
    assert!(rendered.html.contains("&lt;script&gt;"));
    assert!(rendered.html.contains("&lt;b&gt;hi&lt;/b&gt;"));
    assert!(rendered.text.contains("<b>hi</b>"));
}

#[test]
fn a_file_in_the_override_directory_replaces_the_built_in_template() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("password_reset.txt"),
        "Subject: {{ app_name }}: new password\n\nGo to {{ link }} now.\n",
    )
    .unwrap();
    let renderer = MailRenderer::new(Some(dir.path()), "Acme ID", "https://x").unwrap();
    assert_eq!(renderer.overridden(), ["password_reset.txt"]);
    let rendered = renderer.render(&reset("https://x/r?token=1")).unwrap();
    assert_eq!(rendered.subject, "Acme ID: new password");
    assert_eq!(rendered.text, "Go to https://x/r?token=1 now.\n");
    assert!(
        rendered.html.contains("Choose a new password"),
        "html stays built-in"
    );
}

#[test]
fn a_broken_override_is_refused_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("magic_link.html"), "{% if %}").unwrap();
    let error = MailRenderer::new(Some(dir.path()), "Janua", "https://x").unwrap_err();
    assert!(error.to_string().contains("magic_link.html"), "{error}");
}

#[test]
fn a_text_override_without_a_subject_line_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("magic_link.txt"), "Just {{ link }}").unwrap();
    let error = MailRenderer::new(Some(dir.path()), "Janua", "https://x").unwrap_err();
    assert!(error.to_string().contains("Subject:"), "{error}");
}

#[test]
fn the_subject_line_is_split_from_the_body() {
    assert_eq!(
        split_subject("Subject: Hi there\n\n\nBody\n\n"),
        Some(("Hi there".to_owned(), "Body\n".to_owned()))
    );
    assert_eq!(split_subject("Subject:   \n\nBody"), None);
    assert_eq!(split_subject("Body only"), None);
}
