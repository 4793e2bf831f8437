//! The minijinja environment of the hosted pages: templates under `templates/pages/`, compiled
//! into the binary, HTML-autoescaped with the mail renderer's formatter (which leaves `/` alone
//! so links and paths survive). Every page extends `layout.html` and sees `app_name` beside
//! its own view.

use minijinja::{AutoEscape, Environment};
use serde::Serialize;

const TEMPLATES: &[(&str, &str)] = &[
    (
        "layout.html",
        include_str!("../../templates/pages/layout.html"),
    ),
    (
        "alert.html",
        include_str!("../../templates/pages/alert.html"),
    ),
    (
        "login.html",
        include_str!("../../templates/pages/login.html"),
    ),
    (
        "forgot_password.html",
        include_str!("../../templates/pages/forgot_password.html"),
    ),
    (
        "reset_password.html",
        include_str!("../../templates/pages/reset_password.html"),
    ),
    (
        "message.html",
        include_str!("../../templates/pages/message.html"),
    ),
    (
        "consent.html",
        include_str!("../../templates/pages/consent.html"),
    ),
    (
        "device.html",
        include_str!("../../templates/pages/device.html"),
    ),
];

/// Why the page templates could not be loaded (a bug in a built-in template).
#[derive(Debug, thiserror::Error)]
#[error("page template {name}: {message}")]
pub struct TemplateError {
    name: String,
    message: String,
}

pub struct PageRenderer {
    env: Environment<'static>,
    app_name: String,
}

impl std::fmt::Debug for PageRenderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PageRenderer").finish_non_exhaustive()
    }
}

impl PageRenderer {
    pub fn new(app_name: &str) -> Result<Self, TemplateError> {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| AutoEscape::Html);
        env.set_formatter(crate::mail::render::html_formatter);
        for (name, source) in TEMPLATES {
            env.add_template(name, source).map_err(|e| TemplateError {
                name: (*name).to_owned(),
                message: e.to_string(),
            })?;
        }
        Ok(Self {
            env,
            app_name: app_name.to_owned(),
        })
    }

    /// Renders `name` with `view`'s fields and `app_name`.
    pub fn render<V: Serialize>(&self, name: &str, view: &V) -> Result<String, minijinja::Error> {
        let context = minijinja::context! {
            app_name => self.app_name,
            ..minijinja::Value::from_serialize(view)
        };
        self.env.get_template(name)?.render(context)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn renderer() -> PageRenderer {
        PageRenderer::new("Janua").unwrap()
    }

    #[test]
    fn every_page_renders_inside_the_layout_with_the_stylesheet() {
        let view = json!({"title": "T", "message": "M", "csrf_token": "c", "token": "t"});
        for (name, _) in TEMPLATES.iter().filter(|(n, _)| *n != "alert.html") {
            let html = renderer().render(name, &view).unwrap();
            assert!(html.starts_with("<!DOCTYPE html>"), "{name}");
            assert!(html.contains("/static/pages/janua.css"), "{name}");
            assert!(
                !html.contains("<script"),
                "{name}: no scripts under our CSP"
            );
        }
    }

    #[test]
    fn the_login_form_carries_its_ids_the_token_and_escaped_values() {
        let html = renderer()
            .render(
                "login.html",
                &json!({
                    "title": "Sign in",
                    "csrf_token": "tok.en",
                    "email": "\"><script>x</script>",
                    "next": "/a/b?c=d&e=f",
                }),
            )
            .unwrap();
        assert!(html.contains("id=\"login-form\""));
        assert!(html.contains("name=\"csrf_token\" value=\"tok.en\""));
        assert!(html.contains("&quot;&gt;&lt;script&gt;x&lt;/script&gt;"));
        assert!(!html.contains("<script>x"));
        assert!(html.contains("value=\"/a/b?c=d&amp;e=f\""), "slashes kept");
    }
}
