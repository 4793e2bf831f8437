//! The mails Janua sends and how they leave: a use case describes a [`Mail`] for a recipient
//! ([`OutgoingMail`]) and enqueues it as a durable `mail.send` job; the mail delivery job renders
//! it to a [`RenderedMail`] and hands that to the [`Mailer`] port (SMTP, log, or a test outbox).
//! A slow or absent relay therefore never slows a request, and a restart loses no mail.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ids::JobId;
use crate::jobs::store::JobStore;
use crate::jobs::{retry, NewJob};

/// The job kind of a mail waiting to be sent.
pub const SEND_JOB_KIND: &str = "mail.send";

/// Every mail Janua sends, with the data its templates show. Links carry one-time tokens: they
/// are never logged in production.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Mail {
    /// After sign-up and on resend: confirm the address (API.md §4, 48 h).
    EmailVerification { link: String, expires_in_hours: u32 },
    /// `POST /auth/password/forgot` (1 h).
    PasswordReset {
        link: String,
        expires_in_minutes: u32,
    },
    /// `POST /auth/magic-link` (15 min).
    MagicLink {
        link: String,
        expires_in_minutes: u32,
    },
    /// After a password change or reset, so an owner notices a change they did not make.
    PasswordChanged {},
    /// An organization invitation (7 d by default), with the inviter's optional message.
    Invitation {
        org_name: String,
        inviter: String,
        link: String,
        expires_in_days: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },
    /// `POST /mfa/initiate-recovery`: a one-time code usable once as a backup code.
    MfaRecoveryCode { code: String },
}

impl Mail {
    /// The template base name: `templates/mail/<name>.txt` and `.html`.
    pub fn template_name(&self) -> &'static str {
        match self {
            Mail::EmailVerification { .. } => "email_verification",
            Mail::PasswordReset { .. } => "password_reset",
            Mail::MagicLink { .. } => "magic_link",
            Mail::PasswordChanged {} => "password_changed",
            Mail::Invitation { .. } => "invitation",
            Mail::MfaRecoveryCode { .. } => "mfa_recovery_code",
        }
    }

    /// Every template base name, for checks that all templates exist.
    pub const TEMPLATE_NAMES: &'static [&'static str] = &[
        "email_verification",
        "password_reset",
        "magic_link",
        "password_changed",
        "invitation",
        "mfa_recovery_code",
    ];
}

/// A mail for one recipient: the payload of a `mail.send` job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingMail {
    /// The recipient's address, already normalised by the caller.
    pub to: String,
    pub to_name: Option<String>,
    pub mail: Mail,
    /// The recipient's locale (`de-CH`), offered to templates.
    #[serde(default)]
    pub locale: Option<String>,
}

impl OutgoingMail {
    pub fn new(to: impl Into<String>, mail: Mail) -> Self {
        Self {
            to: to.into(),
            to_name: None,
            mail,
            locale: None,
        }
    }

    /// The job that sends this mail as soon as a worker is free.
    pub fn to_job(&self, now: DateTime<Utc>) -> Result<NewJob> {
        let payload = serde_json::to_value(self).map_err(Error::internal)?;
        let mut job = NewJob::new(SEND_JOB_KIND, payload, now);
        job.max_attempts = retry::MAIL.max_attempts();
        Ok(job)
    }

    /// Reads a job payload back; an unreadable payload is a permanent failure.
    pub fn from_payload(payload: &serde_json::Value) -> Result<Self> {
        serde_json::from_value(payload.clone())
            .map_err(|e| Error::internal(format!("not a mail.send payload: {e}")))
    }
}

/// A mail ready to send: what the [`Mailer`] port receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedMail {
    pub to: String,
    pub to_name: Option<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Sends rendered mail. Adapters in `janua::mail`: SMTP, log (development), capture (tests).
///
/// Failures: [`Error::Validation`] when this message can never be sent (a malformed address),
/// so the job is dead-lettered at once; anything else is retried with backoff.
#[async_trait]
pub trait Mailer: Send + Sync {
    /// A short name for logs and `janua doctor` (`smtp`, `log`, `capture`).
    fn name(&self) -> &'static str;
    async fn send(&self, message: &RenderedMail) -> Result<()>;
}

/// Enqueues one mail on its own, for use cases that have no transaction to share. Use cases
/// that change data and mail about it enqueue in their store transaction instead.
pub async fn enqueue_mail(
    store: &dyn JobStore,
    outgoing: &OutgoingMail,
    now: DateTime<Utc>,
) -> Result<JobId> {
    store.enqueue_job(&outgoing.to_job(now)?, now).await
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_mail_serializes_to_a_tagged_job_payload_and_back() {
        let outgoing = OutgoingMail {
            to: "ada@example.com".to_owned(),
            to_name: Some("Ada".to_owned()),
            mail: Mail::PasswordReset {
                link: "https://id.example.com/reset?token=abc".to_owned(),
                expires_in_minutes: 60,
            },
            locale: Some("en".to_owned()),
        };
        let job = outgoing.to_job(DateTime::<Utc>::UNIX_EPOCH).unwrap();
        assert_eq!(job.kind, "mail.send");
        assert_eq!(job.max_attempts, 8);
        assert_eq!(job.payload["mail"]["type"], "password_reset");
        assert_eq!(job.payload["mail"]["expires_in_minutes"], 60);
        assert_eq!(OutgoingMail::from_payload(&job.payload).unwrap(), outgoing);
    }

    #[test]
    fn a_payload_that_is_not_a_mail_is_refused() {
        assert!(OutgoingMail::from_payload(&json!({"to": "x"})).is_err());
        assert!(OutgoingMail::from_payload(&json!({"to": "x", "mail": {"type": "nope"}})).is_err());
    }

    #[test]
    fn every_mail_names_a_listed_template() {
        let mails = [
            Mail::EmailVerification {
                link: String::new(),
                expires_in_hours: 48,
            },
            Mail::PasswordReset {
                link: String::new(),
                expires_in_minutes: 60,
            },
            Mail::MagicLink {
                link: String::new(),
                expires_in_minutes: 15,
            },
            Mail::PasswordChanged {},
            Mail::Invitation {
                org_name: String::new(),
                inviter: String::new(),
                link: String::new(),
                expires_in_days: 7,
                message: None,
            },
            Mail::MfaRecoveryCode {
                code: String::new(),
            },
        ];
        let names: Vec<_> = mails.iter().map(Mail::template_name).collect();
        assert_eq!(names, Mail::TEMPLATE_NAMES);
    }
}
