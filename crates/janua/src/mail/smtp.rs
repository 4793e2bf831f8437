//! The SMTP mailer: lettre's async transport over rustls (no OpenSSL), secured per `SMTP_TLS`
//! (`starttls`, implicit `tls`, or `none` for local relays), with `SMTP_USERNAME`/`SMTP_PASSWORD`
//! when set. Each mail is a multipart/alternative message: the text body and the HTML body.

use std::time::Duration;

use async_trait::async_trait;
use janua_core::error::{Error, FieldError, Result};
use janua_core::mail::{Mailer, RenderedMail};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{MailConfig, SmtpTls};

/// How long one connection step (connect, TLS, each command) may take. The job lease is longer,
/// so a hung relay fails the attempt before another worker could take the job over.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// `host:port (tls mode)`, for logs and `janua doctor`; never holds credentials.
    described: String,
}

impl SmtpMailer {
    /// Builds the transport from the mail settings; `None` when `SMTP_HOST` is unset.
    pub fn from_config(config: &MailConfig) -> Result<Option<Self>> {
        let Some(host) = config.smtp_host.as_deref() else {
            return Ok(None);
        };
        let builder = match config.smtp_tls {
            SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host),
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host),
            SmtpTls::None => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
                host,
            )),
        }
        .map_err(|e| setting("SMTP_HOST", &format!("cannot set up TLS for {host}: {e}")))?;
        let mut builder = builder.port(config.smtp_port).timeout(Some(SMTP_TIMEOUT));
        if let Some(username) = &config.smtp_username {
            let password = config
                .smtp_password
                .as_ref()
                .map(|p| p.expose().to_owned())
                .unwrap_or_default();
            builder = builder.credentials(Credentials::new(username.clone(), password));
        }
        let from: Mailbox = config
            .email_from
            .parse()
            .map_err(|e| setting("EMAIL_FROM", &format!("not a valid sender: {e}")))?;
        Ok(Some(Self {
            transport: builder.build(),
            from,
            described: format!("{host}:{} ({})", config.smtp_port, config.smtp_tls.as_str()),
        }))
    }

    pub fn describe(&self) -> &str {
        &self.described
    }

    /// Connects, says EHLO (and upgrades and logs in as configured), then quits: what
    /// `janua doctor` checks.
    pub async fn test_connection(&self) -> Result<()> {
        match self.transport.test_connection().await {
            Ok(true) => Ok(()),
            Ok(false) => Err(Error::unavailable(format!(
                "{} accepted the connection but did not answer EHLO",
                self.described
            ))),
            Err(e) => Err(Error::unavailable(format!("{}: {e}", self.described))),
        }
    }

    fn message(&self, mail: &RenderedMail) -> Result<Message> {
        let address = mail.to.parse().map_err(|e| {
            Error::Validation(vec![FieldError::new(
                "to",
                format!("not a deliverable address: {e}"),
            )])
        })?;
        Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(mail.to_name.clone(), address))
            .subject(mail.subject.clone())
            .multipart(MultiPart::alternative_plain_html(
                mail.text.clone(),
                mail.html.clone(),
            ))
            .map_err(|e| Error::Validation(vec![FieldError::new("message", e.to_string())]))
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    fn name(&self) -> &'static str {
        "smtp"
    }

    async fn send(&self, mail: &RenderedMail) -> Result<()> {
        let message = self.message(mail)?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| Error::unavailable(format!("SMTP {}: {e}", self.described)))
    }
}

fn setting(variable: &str, message: &str) -> Error {
    Error::Validation(vec![FieldError::new(variable, message)])
}
