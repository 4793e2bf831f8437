//! An in-memory outbox: the mailer of the test suite (and of drills), so tests read the mails
//! Janua sent and follow their links. It can be told to fail, to exercise retries.

use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use janua_core::error::{Error, Result};
use janua_core::mail::{Mailer, RenderedMail};
use tokio::sync::Notify;

#[derive(Default)]
pub struct CaptureMailer {
    /// A std mutex: held only to push or copy, never across an await.
    sent: Mutex<Vec<RenderedMail>>,
    /// While set, `send` fails with this message (and captures nothing).
    failing: Mutex<Option<String>>,
    /// Wakes `wait_for` when a mail arrives.
    arrived: Notify,
}

impl CaptureMailer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every mail sent so far, oldest first.
    pub fn messages(&self) -> Vec<RenderedMail> {
        self.sent
            .lock()
            .map(|sent| sent.clone())
            .unwrap_or_default()
    }

    /// The mails sent to `to` so far.
    pub fn messages_to(&self, to: &str) -> Vec<RenderedMail> {
        self.messages()
            .into_iter()
            .filter(|m| m.to.eq_ignore_ascii_case(to))
            .collect()
    }

    /// The latest mail to `to`, waiting up to `timeout` for one to arrive.
    pub async fn wait_for(&self, to: &str, timeout: Duration) -> Option<RenderedMail> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let arrived = self.arrived.notified();
            if let Some(mail) = self.messages_to(to).pop() {
                return Some(mail);
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                return self.messages_to(to).pop();
            }
        }
    }

    /// Makes every `send` fail with `error` (`Some`) or succeed again (`None`).
    pub fn set_failing(&self, error: Option<&str>) {
        if let Ok(mut failing) = self.failing.lock() {
            *failing = error.map(str::to_owned);
        }
    }

    pub fn clear(&self) {
        if let Ok(mut sent) = self.sent.lock() {
            sent.clear();
        }
    }
}

#[async_trait]
impl Mailer for CaptureMailer {
    fn name(&self) -> &'static str {
        "capture"
    }

    async fn send(&self, mail: &RenderedMail) -> Result<()> {
        let failing = self.failing.lock().ok().and_then(|f| f.clone());
        if let Some(error) = failing {
            return Err(Error::unavailable(error));
        }
        if let Ok(mut sent) = self.sent.lock() {
            sent.push(mail.clone());
        }
        self.arrived.notify_waiters();
        Ok(())
    }
}

/// The first `http(s)://` link in `text` (up to whitespace or a closing bracket or quote).
pub fn extract_link(text: &str) -> Option<String> {
    let start = text.find("https://").or_else(|| text.find("http://"))?;
    let link: String = text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && !matches!(c, '"' | '\'' | '<' | '>' | ')'))
        .collect();
    Some(link)
}

/// The value of the `token` query parameter of the first link in `text`.
pub fn extract_token(text: &str) -> Option<String> {
    let link = extract_link(text)?;
    let query = link.split_once('?')?.1;
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("token="))
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(to: &str) -> RenderedMail {
        RenderedMail {
            to: to.to_owned(),
            to_name: None,
            subject: "s".to_owned(),
            text: "open https://id.example.com/verify?token=abc123&x=1 now".to_owned(),
            html: String::new(),
        }
    }

    #[test]
    fn links_and_tokens_are_found_in_text_bodies() {
        let text = mail("a@x").text;
        assert_eq!(
            extract_link(&text).as_deref(),
            Some("https://id.example.com/verify?token=abc123&x=1")
        );
        assert_eq!(extract_token(&text).as_deref(), Some("abc123"));
        assert_eq!(extract_link("no link here"), None);
    }

    #[tokio::test]
    async fn wait_for_returns_a_mail_sent_while_waiting() {
        let capture = std::sync::Arc::new(CaptureMailer::new());
        let sender = capture.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            sender.send(&mail("ada@example.com")).await.unwrap();
        });
        let got = capture
            .wait_for("ada@example.com", Duration::from_secs(5))
            .await;
        assert_eq!(got.unwrap().to, "ada@example.com");
        assert!(capture
            .wait_for("bob@example.com", Duration::from_millis(10))
            .await
            .is_none());
    }

    #[tokio::test]
    async fn a_failing_capture_refuses_and_keeps_nothing() {
        let capture = CaptureMailer::new();
        capture.set_failing(Some("relay down"));
        assert!(capture.send(&mail("a@x")).await.is_err());
        capture.set_failing(None);
        capture.send(&mail("a@x")).await.unwrap();
        assert_eq!(capture.messages().len(), 1);
    }
}
