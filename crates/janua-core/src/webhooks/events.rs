//! The webhook event catalogue (API.md §14): every event type an endpoint may subscribe to,
//! with a description for `GET /webhooks/events/types`.

pub const EVENT_TYPES: &[(&str, &str)] = &[
    ("user.created", "An account was created"),
    ("user.updated", "A profile or account attribute changed"),
    ("user.deleted", "An account was deleted"),
    ("user.verified", "An email address was verified"),
    ("user.suspended", "An administrator suspended an account"),
    (
        "user.reactivated",
        "An administrator reactivated an account",
    ),
    ("user.signed_in", "A user signed in"),
    (
        "user.locked",
        "Repeated failures locked an account's sign-in",
    ),
    ("session.created", "A session was opened"),
    (
        "session.revoked",
        "A session (or all of a user's sessions) was revoked",
    ),
    ("password.changed", "A user changed their password"),
    (
        "password.reset",
        "A password was reset through the emailed link",
    ),
    ("mfa.enabled", "A second factor was enabled"),
    ("mfa.disabled", "A second factor was disabled"),
    ("passkey.registered", "A passkey was registered"),
    ("passkey.removed", "A passkey was removed"),
    ("organization.created", "An organization was created"),
    ("organization.updated", "An organization was updated"),
    ("organization.deleted", "An organization was deleted"),
    (
        "organization.member_added",
        "A member joined an organization",
    ),
    (
        "organization.member_removed",
        "A member left or was removed",
    ),
    (
        "organization.member_role_changed",
        "A member's role changed",
    ),
    ("invitation.created", "An invitation was sent"),
    ("invitation.accepted", "An invitation was accepted"),
    ("api_key.created", "An API key was created"),
    ("api_key.revoked", "An API key was revoked"),
    ("oauth_client.created", "An OAuth client was registered"),
    ("oauth_client.deleted", "An OAuth client was deleted"),
    (
        "oauth.consent_granted",
        "A user granted consent to a client",
    ),
    ("oauth.consent_revoked", "A user revoked a client's consent"),
    ("webhook.test", "A test delivery sent from the API"),
];

/// Whether `name` is a known event type or `*`.
pub fn is_subscribable(name: &str) -> bool {
    name == "*" || EVENT_TYPES.iter().any(|(t, _)| *t == name)
}
