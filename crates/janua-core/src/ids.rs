//! Typed identifiers. Every ID is a UUID (v7 when new) behind a newtype, so a `UserId` can never
//! be passed where an `OrgId` is expected, and raw strings never reach core.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The input was not a UUID; the HTTP layer answers 400 `INVALID_ID`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid id")]
pub struct InvalidId;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh, time-ordered (v7) identifier.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            pub fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                parse_uuid(s).map(Self)
            }
        }
    };
}

/// Accepts only the canonical hyphenated form (any case), as API paths carry it.
fn parse_uuid(s: &str) -> Result<Uuid, InvalidId> {
    if s.len() != 36 {
        return Err(InvalidId);
    }
    Uuid::try_parse(s).map_err(|_| InvalidId)
}

uuid_id!(
    /// A user account.
    UserId
);
uuid_id!(
    /// A server-side session (the `sid` claim).
    SessionId
);
uuid_id!(
    /// An organization (tenant).
    OrgId
);
uuid_id!(
    /// A stored setting override row.
    SettingId
);
uuid_id!(
    /// A row of the durable job queue (`jobs`).
    JobId
);
uuid_id!(
    /// A registered passkey (WebAuthn credential) of a user.
    PasskeyId
);
uuid_id!(
    /// A row of the signing key ring (not the JWS `kid`, which is the key's thumbprint).
    SigningKeyId
);
uuid_id!(
    /// An OAuth client's row (the `id` of API.md §10; not its public `client_id`).
    OAuthClientId
);

uuid_id!(
    /// An organization invitation.
    InvitationId
);
uuid_id!(
    /// A role (system or an organization's custom role).
    RoleId
);
uuid_id!(
    /// An API key (`sk_live_…`).
    ApiKeyId
);
uuid_id!(
    /// An access policy (API.md §12).
    PolicyId
);
uuid_id!(
    /// An admin-managed CORS origin.
    CorsOriginId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_canonical_uuid_parses_and_prints_lowercase() {
        let id: UserId = "0190F3C2-8B7A-7DEF-8123-456789ABCDEF".parse().unwrap();
        assert_eq!(id.to_string(), "0190f3c2-8b7a-7def-8123-456789abcdef");
    }

    #[test]
    fn non_uuid_strings_are_rejected() {
        for bad in [
            "",
            "1",
            "not-a-uuid",
            "0190f3c28b7a7def8123456789abcdef",
            "{0190f3c2-8b7a-7def-8123-456789abcdef}",
        ] {
            assert_eq!(bad.parse::<UserId>(), Err(InvalidId), "{bad}");
        }
    }

    #[test]
    fn new_ids_are_version_seven() {
        assert_eq!(OrgId::new().as_uuid().get_version_num(), 7);
    }
}
