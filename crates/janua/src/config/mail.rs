//! Mail settings (§18 "Mail"): the SMTP relay and the sender address. Without `SMTP_HOST`,
//! mail is logged instead of sent (outside production).

use std::path::PathBuf;

use serde::Serialize;

use crate::config::env::{host_of, quote, Reader};
use crate::config::secret::Secret;

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS (port 587).
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: local relays and test servers only.
    None,
}

impl SmtpTls {
    pub fn as_str(self) -> &'static str {
        match self {
            SmtpTls::Starttls => "starttls",
            SmtpTls::Tls => "tls",
            SmtpTls::None => "none",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw.to_ascii_lowercase().as_str() {
            "starttls" => Some(SmtpTls::Starttls),
            "tls" | "ssl" | "smtps" => Some(SmtpTls::Tls),
            "none" | "off" | "plain" => Some(SmtpTls::None),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct MailConfig {
    pub smtp_host: Option<String>,
    pub smtp_port: u16,
    pub smtp_username: Option<String>,
    pub smtp_password: Option<Secret>,
    pub smtp_tls: SmtpTls,
    /// `Name <address>` or a bare address.
    pub email_from: String,
    /// False = no mail at all, neither sent nor logged.
    pub email_enabled: bool,
    /// A directory whose `<mail>.txt`, `<mail>.html` (and `layout.html`) replace the built-in
    /// templates of the same name; files it lacks fall back to the built-ins.
    pub templates_dir: Option<PathBuf>,
}

pub(super) fn read(r: &mut Reader, app_name: &str, base_url: &str) -> MailConfig {
    let smtp_host = r.string(&["SMTP_HOST"]);
    let smtp_port = r.number(&["SMTP_PORT"], 587, "a port number between 0 and 65535");
    let smtp_username = r.string(&["SMTP_USERNAME"]);
    let smtp_password = r.secret(&["SMTP_PASSWORD"]).map(|(_, s)| s);
    let smtp_tls = r
        .choice(&["SMTP_TLS"], SmtpTls::parse, "starttls, tls, none")
        .unwrap_or(SmtpTls::Starttls);
    let default_from = {
        let host = host_of(base_url).unwrap_or_else(|| "localhost".to_owned());
        format!("{app_name} <no-reply@{host}>")
    };
    let email_from = r.string_or(&["EMAIL_FROM"], &default_from);
    if !looks_like_sender(&email_from) {
        r.problem(
            "EMAIL_FROM",
            format!(
                "must be an address or `Name <address>` (got {})",
                quote(&email_from)
            ),
        );
    }
    let email_enabled = r.bool(&["EMAIL_ENABLED"], true);
    let templates_dir = r.string(&["EMAIL_TEMPLATES_DIR"]).map(PathBuf::from);
    if let Some(dir) = &templates_dir {
        if !dir.is_dir() {
            r.problem(
                "EMAIL_TEMPLATES_DIR",
                format!("{} is not a readable directory", dir.display()),
            );
        }
    }
    if smtp_password.is_some() && smtp_username.is_none() {
        r.problem("SMTP_PASSWORD", "is set but SMTP_USERNAME is not");
    }
    MailConfig {
        smtp_host,
        smtp_port,
        smtp_username,
        smtp_password,
        smtp_tls,
        email_from,
        email_enabled,
        templates_dir,
    }
}

fn looks_like_sender(value: &str) -> bool {
    let address = match (value.find('<'), value.ends_with('>')) {
        (Some(open), true) => &value[open + 1..value.len() - 1],
        _ => value,
    };
    address.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && !domain.is_empty() && !address.contains(char::is_whitespace)
    })
}
