//! Server-side sessions: one per sign-in, with the device it came from, a sliding expiry capped
//! by an absolute one, and a refresh-token family (API.md §3, §5).

use chrono::{DateTime, Duration, Utc};

use crate::ids::{SessionId, UserId};

#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub id: SessionId,
    pub user_id: UserId,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub device: DeviceInfo,
    pub amr: Vec<String>,
    pub auth_time: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub last_activity_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub absolute_expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_reason: Option<String>,
}

impl Session {
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at > now && self.absolute_expires_at > now
    }

    /// The new sliding expiry after activity at `now`: min(now + sliding, absolute).
    pub fn slid_expiry(&self, now: DateTime<Utc>, sliding: Duration) -> DateTime<Utc> {
        (now + sliding).min(self.absolute_expires_at)
    }
}

/// Where a session came from, parsed from the User-Agent header.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeviceInfo {
    pub device_type: DeviceType,
    pub browser: Option<String>,
    pub os: Option<String>,
    pub device_name: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeviceType {
    Mobile,
    Tablet,
    Desktop,
    #[default]
    Unknown,
}

impl DeviceType {
    pub fn as_str(&self) -> &'static str {
        match self {
            DeviceType::Mobile => "mobile",
            DeviceType::Tablet => "tablet",
            DeviceType::Desktop => "desktop",
            DeviceType::Unknown => "unknown",
        }
    }

    pub fn parse(raw: &str) -> Self {
        match raw {
            "mobile" => DeviceType::Mobile,
            "tablet" => DeviceType::Tablet,
            "desktop" => DeviceType::Desktop,
            _ => DeviceType::Unknown,
        }
    }
}

/// Longest User-Agent we keep; longer ones are cut (they are informational only).
pub const MAX_USER_AGENT_LEN: usize = 512;

impl DeviceInfo {
    /// A coarse reading of common User-Agent strings: enough to label sessions in a list.
    pub fn from_user_agent(user_agent: &str) -> Self {
        let ua = user_agent;
        let os = [
            ("iPad", "iPadOS"),
            ("iPhone", "iOS"),
            ("Android", "Android"),
            ("Windows", "Windows"),
            ("Mac OS X", "macOS"),
            ("Macintosh", "macOS"),
            ("CrOS", "ChromeOS"),
            ("Linux", "Linux"),
        ]
        .iter()
        .find(|(needle, _)| ua.contains(needle))
        .map(|(_, name)| (*name).to_owned());
        let browser = [
            ("Edg/", "Edge"),
            ("OPR/", "Opera"),
            ("Firefox/", "Firefox"),
            ("Chrome/", "Chrome"),
            ("Safari/", "Safari"),
            ("curl/", "curl"),
            ("python-requests", "python-requests"),
        ]
        .iter()
        .find(|(needle, _)| ua.contains(needle))
        .map(|(_, name)| (*name).to_owned());
        let device_type = if ua.contains("iPad") || ua.contains("Tablet") {
            DeviceType::Tablet
        } else if ua.contains("Mobile") || ua.contains("iPhone") || ua.contains("Android") {
            DeviceType::Mobile
        } else if os.is_some() {
            DeviceType::Desktop
        } else {
            DeviceType::Unknown
        };
        let device_name = match (&browser, &os) {
            (Some(b), Some(o)) => Some(format!("{b} on {o}")),
            (Some(b), None) => Some(b.clone()),
            (None, Some(o)) => Some(o.clone()),
            (None, None) => None,
        };
        Self {
            device_type,
            browser,
            os,
            device_name,
        }
    }
}

/// Everything needed to open a session at sign-in.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub id: SessionId,
    pub user_id: UserId,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub device: DeviceInfo,
    pub amr: Vec<String>,
    pub auth_time: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub absolute_expires_at: DateTime<Utc>,
    /// The first refresh token of the session's family, as its SHA-256 digest.
    pub refresh_token_hash: String,
    pub refresh_expires_at: DateTime<Utc>,
    /// For browser sessions: the SHA-256 digest of the `janua_session` cookie secret, stored in
    /// `sessions.secret_hash`. `None` for sessions used only through tokens (the JSON API).
    pub cookie_secret_hash: Option<String>,
}

/// The per-user session limit (`MAX_SESSIONS_PER_IDENTITY`), enforced in the transaction that
/// opens a session: beyond the newest `keep` live sessions the oldest are revoked, with their
/// refresh tokens, for `reason`; `audit` is written only when at least one was.
pub struct SessionLimit {
    pub keep: u32,
    pub reason: &'static str,
    pub audit: Vec<crate::audit::AuditEntry>,
}

/// The client context of a request that opens or uses a session.
#[derive(Debug, Clone, Default)]
pub struct ClientContext {
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    /// The request's id, stamped on the audit entries it causes.
    pub request_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_user_agents_are_labelled() {
        let chrome_mac = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36";
        let d = DeviceInfo::from_user_agent(chrome_mac);
        assert_eq!(
            (d.device_type, d.browser.as_deref(), d.os.as_deref()),
            (DeviceType::Desktop, Some("Chrome"), Some("macOS"))
        );
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1";
        let d = DeviceInfo::from_user_agent(iphone);
        assert_eq!(
            (d.device_type, d.browser.as_deref(), d.os.as_deref()),
            (DeviceType::Mobile, Some("Safari"), Some("iOS"))
        );
        assert_eq!(
            DeviceInfo::from_user_agent("").device_type,
            DeviceType::Unknown
        );
    }

    #[test]
    fn sliding_expiry_never_passes_the_absolute_limit() {
        let now = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 1, 1, 0, 0, 0).unwrap();
        let session = Session {
            id: SessionId::new(),
            user_id: UserId::new(),
            ip_address: None,
            user_agent: None,
            device: DeviceInfo::default(),
            amr: vec![],
            auth_time: now,
            created_at: now,
            last_activity_at: now,
            expires_at: now + Duration::days(7),
            absolute_expires_at: now + Duration::days(30),
            revoked_at: None,
            revoked_reason: None,
        };
        assert_eq!(
            session.slid_expiry(now + Duration::days(1), Duration::days(7)),
            now + Duration::days(8)
        );
        assert_eq!(
            session.slid_expiry(now + Duration::days(29), Duration::days(7)),
            now + Duration::days(30)
        );
    }
}
