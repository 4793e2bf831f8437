//! Turns an [`OutgoingMail`] into a [`RenderedMail`] with minijinja: a plain-text and an HTML
//! template per mail (`templates/mail/<name>.{txt,html}`, compiled into the binary), the HTML
//! ones extending `layout.html` and autoescaped. The text template's first line,
//! `Subject: …`, is the subject. Any file in `EMAIL_TEMPLATES_DIR` replaces the built-in of the
//! same name; templates are loaded and checked once at start-up, so a broken override stops the
//! server instead of every mail.

use std::path::Path;

use janua_core::mail::{Mail, OutgoingMail, RenderedMail};
use minijinja::{AutoEscape, Environment, ErrorKind, Output, State};
use serde_json::{Map, Value};

/// The built-in templates, by file name.
const BUILT_IN: &[(&str, &str)] = &[
    (
        "layout.html",
        include_str!("../../templates/mail/layout.html"),
    ),
    (
        "email_verification.txt",
        include_str!("../../templates/mail/email_verification.txt"),
    ),
    (
        "email_verification.html",
        include_str!("../../templates/mail/email_verification.html"),
    ),
    (
        "password_reset.txt",
        include_str!("../../templates/mail/password_reset.txt"),
    ),
    (
        "password_reset.html",
        include_str!("../../templates/mail/password_reset.html"),
    ),
    (
        "magic_link.txt",
        include_str!("../../templates/mail/magic_link.txt"),
    ),
    (
        "magic_link.html",
        include_str!("../../templates/mail/magic_link.html"),
    ),
    (
        "password_changed.txt",
        include_str!("../../templates/mail/password_changed.txt"),
    ),
    (
        "password_changed.html",
        include_str!("../../templates/mail/password_changed.html"),
    ),
    (
        "invitation.txt",
        include_str!("../../templates/mail/invitation.txt"),
    ),
    (
        "invitation.html",
        include_str!("../../templates/mail/invitation.html"),
    ),
    (
        "mfa_recovery_code.txt",
        include_str!("../../templates/mail/mfa_recovery_code.txt"),
    ),
    (
        "mfa_recovery_code.html",
        include_str!("../../templates/mail/mfa_recovery_code.html"),
    ),
];

const SUBJECT_PREFIX: &str = "Subject:";

/// Why a mail could not be rendered. Permanent: the same mail would fail again.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("mail template {name}: {message}")]
    Template { name: String, message: String },
    #[error("cannot read the mail template override {path}: {message}")]
    Override { path: String, message: String },
}

/// The loaded templates and the values every mail may show.
pub struct MailRenderer {
    env: Environment<'static>,
    app_name: String,
    base_url: String,
    /// File names taken from `EMAIL_TEMPLATES_DIR`, for the start-up log and `janua doctor`.
    overridden: Vec<String>,
}

impl std::fmt::Debug for MailRenderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailRenderer")
            .field("overridden", &self.overridden)
            .finish_non_exhaustive()
    }
}

impl MailRenderer {
    /// Loads the built-in templates, then the overrides in `overrides_dir`, and renders each
    /// mail once with sample data so that a broken template is found now.
    pub fn new(
        overrides_dir: Option<&Path>,
        app_name: &str,
        base_url: &str,
    ) -> Result<Self, RenderError> {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        env.set_formatter(html_formatter);
        let mut overridden = Vec::new();
        for (name, built_in) in BUILT_IN {
            let source = match overrides_dir.map(|dir| dir.join(name)) {
                Some(path) if path.is_file() => {
                    overridden.push((*name).to_owned());
                    std::fs::read_to_string(&path).map_err(|e| RenderError::Override {
                        path: path.display().to_string(),
                        message: e.to_string(),
                    })?
                }
                _ => (*built_in).to_owned(),
            };
            env.add_template_owned(*name, source)
                .map_err(|e| template_error(name, &e))?;
        }
        let renderer = Self {
            env,
            app_name: app_name.to_owned(),
            base_url: base_url.to_owned(),
            overridden,
        };
        for sample in samples() {
            renderer.render(&sample)?;
        }
        Ok(renderer)
    }

    pub fn overridden(&self) -> &[String] {
        &self.overridden
    }

    pub fn render(&self, outgoing: &OutgoingMail) -> Result<RenderedMail, RenderError> {
        let name = outgoing.mail.template_name();
        let mut context = self.context(outgoing, name);
        let text_name = format!("{name}.txt");
        let full_text = self.render_one(&text_name, &context)?;
        let (subject, text) = split_subject(&full_text).ok_or_else(|| RenderError::Template {
            name: text_name.clone(),
            message: format!("must start with a `{SUBJECT_PREFIX} …` line"),
        })?;
        context.insert("subject".to_owned(), Value::String(subject.clone()));
        let html = self.render_one(&format!("{name}.html"), &context)?;
        Ok(RenderedMail {
            to: outgoing.to.clone(),
            to_name: outgoing.to_name.clone(),
            subject,
            text,
            html,
        })
    }

    /// The mail's own fields (`link`, `expires_in_minutes`, …) beside `app_name`, `base_url`,
    /// `to`, `to_name` and `locale`.
    fn context(&self, outgoing: &OutgoingMail, name: &str) -> Map<String, Value> {
        let mut context = match serde_json::to_value(&outgoing.mail) {
            Ok(Value::Object(fields)) => fields,
            _ => Map::new(),
        };
        context.remove("type");
        context.insert("mail".to_owned(), Value::String(name.to_owned()));
        context.insert("app_name".to_owned(), Value::String(self.app_name.clone()));
        context.insert("base_url".to_owned(), Value::String(self.base_url.clone()));
        context.insert("to".to_owned(), Value::String(outgoing.to.clone()));
        let optional = |v: &Option<String>| v.clone().map_or(Value::Null, Value::String);
        context.insert("to_name".to_owned(), optional(&outgoing.to_name));
        context.insert("locale".to_owned(), optional(&outgoing.locale));
        context
    }

    fn render_one(&self, name: &str, context: &Map<String, Value>) -> Result<String, RenderError> {
        let template = self
            .env
            .get_template(name)
            .map_err(|e| template_error(name, &e))?;
        template
            .render(minijinja::Value::from_serialize(context))
            .map_err(|e| template_error(name, &e))
    }
}

/// minijinja's HTML escaping also turns `/` into `&#x2f;`, which mangles every link in the HTML
/// bodies. Escaping the five HTML metacharacters is enough inside text and quoted attributes,
/// which is all mail templates need.
pub(crate) fn html_formatter(
    out: &mut Output<'_>,
    state: &State<'_, '_>,
    value: &minijinja::Value,
) -> Result<(), minijinja::Error> {
    match (state.auto_escape(), value.as_str()) {
        (AutoEscape::Html, Some(text)) if !value.is_safe() => out
            .write_str(&escape_html(text))
            .map_err(|_| minijinja::Error::new(ErrorKind::WriteFailure, "cannot write output")),
        _ => minijinja::escape_formatter(out, state, value),
    }
}

fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

fn template_error(name: &str, error: &minijinja::Error) -> RenderError {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    RenderError::Template {
        name: name.to_owned(),
        message,
    }
}

/// Splits `Subject: …` off the first line; the body starts after the blank lines below it.
fn split_subject(rendered: &str) -> Option<(String, String)> {
    let rendered = rendered.trim_start();
    let (first, rest) = rendered.split_once('\n').unwrap_or((rendered, ""));
    let subject = first.strip_prefix(SUBJECT_PREFIX)?.trim();
    if subject.is_empty() {
        return None;
    }
    let body = rest.trim_start_matches(['\r', '\n']).trim_end();
    Some((subject.to_owned(), format!("{body}\n")))
}

/// One mail of every kind, to check the templates at start-up.
fn samples() -> Vec<OutgoingMail> {
    let link = "https://example.com/link?token=sample".to_owned();
    [
        Mail::EmailVerification {
            link: link.clone(),
            expires_in_hours: 48,
        },
        Mail::PasswordReset {
            link: link.clone(),
            expires_in_minutes: 60,
        },
        Mail::MagicLink {
            link: link.clone(),
            expires_in_minutes: 15,
        },
        Mail::PasswordChanged {},
        Mail::Invitation {
            org_name: "Acme".to_owned(),
            inviter: "Ada".to_owned(),
            link,
            expires_in_days: 7,
            message: Some("Welcome!".to_owned()),
        },
        Mail::MfaRecoveryCode {
            code: "12345678".to_owned(),
        },
    ]
    .into_iter()
    .map(|mail| OutgoingMail::new("sample@example.com", mail))
    .collect()
}

#[cfg(test)]
mod tests;
