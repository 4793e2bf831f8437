//! The mailer used without `SMTP_HOST`: outside production it writes each mail to the log at
//! info (recipient, subject and text body, so a developer can follow the links). In production
//! it refuses: the mail job is retried and `janua doctor` fails, instead of one-time links
//! landing in production logs or mail vanishing silently.

use async_trait::async_trait;
use janua_core::error::{Error, Result};
use janua_core::mail::{Mailer, RenderedMail};

pub struct LogMailer {
    production: bool,
}

impl LogMailer {
    pub fn new(production: bool) -> Self {
        Self { production }
    }
}

#[async_trait]
impl Mailer for LogMailer {
    fn name(&self) -> &'static str {
        "log"
    }

    async fn send(&self, mail: &RenderedMail) -> Result<()> {
        if self.production {
            return Err(Error::unavailable(
                "SMTP_HOST is not set: mail cannot be sent in production (set SMTP_HOST, or \
                 EMAIL_ENABLED=false to send no mail at all)",
            ));
        }
        tracing::info!(
            to = %mail.to,
            subject = %mail.subject,
            "mail (not sent: SMTP_HOST is unset)\n{}",
            mail.text
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail() -> RenderedMail {
        RenderedMail {
            to: "ada@example.com".to_owned(),
            to_name: None,
            subject: "Hi".to_owned(),
            text: "link".to_owned(),
            html: "<p>link</p>".to_owned(),
        }
    }

    #[tokio::test]
    async fn outside_production_mail_is_logged_and_counts_as_sent() {
        assert!(LogMailer::new(false).send(&mail()).await.is_ok());
    }

    #[tokio::test]
    async fn in_production_mail_without_a_relay_is_an_error_to_retry() {
        let error = LogMailer::new(true).send(&mail()).await.unwrap_err();
        assert!(matches!(error, Error::Unavailable(_)));
        assert!(error.to_string().contains("SMTP_HOST"));
    }
}
