//! Invitations (API.md §11): an admin invites an email with a role; the invitee gets a mail
//! with a one-time link (`FRONTEND_URL/invitations/accept?token=…`, 7 days by default) and
//! accepts it signed in (the account's email must match), with an existing account's password,
//! or by creating an account there and then. Only the token's SHA-256 is stored.

use chrono::Duration;
use serde_json::json;

use crate::audit::{Actor, AuditEntry, RequestContext};
use crate::auth::email::Email;
use crate::auth::passwords::Verification;
use crate::auth::principal::{Principal, UserPrincipal};
use crate::auth::sign_up::taken;
use crate::auth::users::{NewUser, User};
use crate::context::Core;
use crate::crypto::{random_token, secret_digest};
use crate::error::{AuthFailure, Error, FieldError, Result};
use crate::ids::{InvitationId, UserId};
use crate::mail::{enqueue_mail, Mail, OutgoingMail};
use crate::orgs::orgs::org_entry;
use crate::orgs::{Invitation, InvitationStatus, NewInvitation, NewMember, Org};
use crate::rbac::check::OrgAccess;
use crate::rbac::roles::OrgRole;

pub const DEFAULT_EXPIRY_DAYS: u32 = 7;
pub const MAX_EXPIRY_DAYS: u32 = 30;
pub const MAX_MESSAGE_LEN: usize = 500;
pub const MAX_BULK: usize = 100;

pub struct Invite {
    pub email: Email,
    pub role: OrgRole,
    pub message: Option<String>,
    pub expires_in_days: u32,
}

/// A created invitation and the link that was mailed (the token appears only here).
pub struct Issued {
    pub invitation: Invitation,
    pub invite_url: String,
}

pub fn invite_url(core: &Core, token: &str) -> String {
    format!(
        "{}/invitations/accept?token={token}",
        core.auth.frontend_url.trim_end_matches('/')
    )
}

pub async fn create(
    core: &Core,
    principal: &Principal,
    access: &OrgAccess,
    invite: Invite,
    ctx: &RequestContext,
) -> Result<Issued> {
    if invite.role.level() > access.level() {
        return Err(Error::auth(AuthFailure::InsufficientPermissions));
    }
    let org = &access.org;
    if let Some(existing) = core
        .store
        .find_user_by_email(&invite.email.normalized())
        .await?
    {
        if core.store.get_member(org.id, existing.id).await?.is_some() {
            return Err(Error::Conflict {
                what: "member".to_owned(),
            });
        }
    }
    let now = core.clock.now();
    let token = random_token(32);
    let new = NewInvitation {
        id: InvitationId::new(),
        organization_id: org.id,
        email: invite.email.as_str().to_owned(),
        email_normalized: invite.email.normalized(),
        role: invite.role,
        token_hash: secret_digest(&token),
        message: invite.message,
        invited_by: principal.user_id(),
        expires_at: now + Duration::days(i64::from(invite.expires_in_days)),
        created_at: now,
    };
    let data = json!({"id": new.id, "organization_id": org.id, "email": new.email, "role": new.role.as_str()});
    let audit = [
        org_entry(core, principal, "invitation.created", org.id, ctx)
            .target("invitation", new.id)
            .details(json!({"email": new.email, "role": new.role.as_str()}))
            .emits("invitation.created", data),
    ];
    let mut invitation = core.store.create_invitation(&new, &audit).await?;
    send(core, principal, org, &invitation, &token).await?;
    invitation.email_sent = true;
    Ok(Issued {
        invitation,
        invite_url: invite_url(core, &token),
    })
}

async fn send(
    core: &Core,
    principal: &Principal,
    org: &Org,
    invitation: &Invitation,
    token: &str,
) -> Result<()> {
    let inviter = match principal.user_id() {
        Some(id) => core
            .store
            .get_user(id)
            .await?
            .map(|u| display_name(&u))
            .unwrap_or_else(|| org.name.clone()),
        None => org.name.clone(),
    };
    let days = (invitation.expires_at - core.clock.now()).num_days().max(1);
    let mail = Mail::Invitation {
        org_name: org.name.clone(),
        inviter,
        link: invite_url(core, token),
        expires_in_days: u32::try_from(days).unwrap_or(DEFAULT_EXPIRY_DAYS),
        message: invitation.message.clone(),
    };
    enqueue_mail(
        core.store.as_ref(),
        &OutgoingMail::new(invitation.email.clone(), mail),
        core.clock.now(),
    )
    .await?;
    core.store.mark_invitation_sent(invitation.id).await
}

fn display_name(user: &User) -> String {
    match (&user.first_name, &user.last_name) {
        (Some(f), Some(l)) => format!("{f} {l}"),
        (Some(f), None) => f.clone(),
        _ => user.email.clone(),
    }
}

/// An invitation of the caller's organization: 404 for anything else.
pub async fn get_in(core: &Core, access: &OrgAccess, id: InvitationId) -> Result<Invitation> {
    let invitation = core
        .store
        .get_invitation(id)
        .await?
        .ok_or(Error::NotFound)?;
    if invitation.organization_id == access.org.id {
        Ok(invitation)
    } else {
        Err(Error::NotFound)
    }
}

pub async fn revoke(
    core: &Core,
    principal: &Principal,
    access: &OrgAccess,
    id: InvitationId,
    ctx: &RequestContext,
) -> Result<()> {
    let invitation = get_in(core, access, id).await?;
    let audit = [
        org_entry(core, principal, "invitation.revoked", access.org.id, ctx)
            .target("invitation", id)
            .details(json!({"email": invitation.email})),
    ];
    core.store
        .set_invitation_status(id, InvitationStatus::Revoked, core.clock.now(), &audit)
        .await?;
    Ok(())
}

/// A new token (the old link stops working) and a fresh expiry, mailed again.
pub async fn resend(
    core: &Core,
    principal: &Principal,
    access: &OrgAccess,
    id: InvitationId,
) -> Result<Issued> {
    let invitation = get_in(core, access, id).await?;
    if invitation.status != InvitationStatus::Pending {
        return Err(Error::auth(AuthFailure::InvalidToken));
    }
    let now = core.clock.now();
    let token = random_token(32);
    let expires_at = now + Duration::days(i64::from(DEFAULT_EXPIRY_DAYS));
    if !core
        .store
        .renew_invitation(id, &secret_digest(&token), expires_at, now)
        .await?
    {
        return Err(Error::auth(AuthFailure::InvalidToken));
    }
    let invitation = core
        .store
        .get_invitation(id)
        .await?
        .ok_or(Error::NotFound)?;
    send(core, principal, &access.org, &invitation, &token).await?;
    Ok(Issued {
        invitation,
        invite_url: invite_url(core, &token),
    })
}

/// A pending, unexpired invitation by its token, with its organization.
pub async fn validate(core: &Core, token: &str) -> Result<(Invitation, Org)> {
    if token.is_empty() || token.len() > 256 {
        return Err(Error::auth(AuthFailure::InvalidToken));
    }
    let invitation = core
        .store
        .find_invitation_by_token(&secret_digest(token))
        .await?
        .filter(|i| i.status_at(core.clock.now()) == InvitationStatus::Pending)
        .ok_or(Error::auth(AuthFailure::InvalidToken))?;
    let org = core
        .store
        .get_org(invitation.organization_id)
        .await?
        .ok_or(Error::auth(AuthFailure::InvalidToken))?;
    Ok((invitation, org))
}

pub struct Accept {
    pub token: String,
    pub password: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

pub struct Accepted {
    pub user_id: UserId,
    pub invitation: Invitation,
    pub is_new_user: bool,
}

/// Accepts an invitation: as the signed-in `caller` (whose email must match), as an existing
/// account proving its password, or by creating the account (its email counts as verified:
/// the token proves the invitee reads that mailbox).
pub async fn accept(
    core: &Core,
    caller: Option<&UserPrincipal>,
    request: Accept,
    ctx: &RequestContext,
) -> Result<Accepted> {
    let (invitation, _org) = validate(core, &request.token).await?;
    let email = Email::parse(&invitation.email).map_err(|e| Error::Validation(vec![e]))?;
    let (user, is_new_user) = match caller {
        Some(principal) => {
            let user = core
                .store
                .get_user(principal.user_id)
                .await?
                .ok_or(Error::Unauthorized)?;
            if Email::parse(&user.email).map(|e| e.normalized()) != Ok(email.normalized()) {
                return Err(Error::Forbidden);
            }
            (user, false)
        }
        None => match core.store.find_user_by_email(&email.normalized()).await? {
            Some(user) => {
                prove_password(core, &user, request.password.as_deref()).await?;
                (user, false)
            }
            None => (create_invitee(core, email, &request, ctx).await?, true),
        },
    };
    let now = core.clock.now();
    let member = NewMember {
        id: uuid::Uuid::now_v7(),
        organization_id: invitation.organization_id,
        user_id: user.id,
        role: invitation.role,
        invited_by: invitation.invited_by,
        joined_at: now,
    };
    let org = invitation.organization_id;
    let actor = Actor::user(user.id, Some(&user.email));
    let data = json!({"id": invitation.id, "organization_id": org, "user_id": user.id, "role": invitation.role.as_str()});
    let audit = [
        AuditEntry::new("invitation.accepted", actor.clone(), ctx, now)
            .target("invitation", invitation.id)
            .organization(org.as_uuid())
            .concerning_user(user.id.as_uuid())
            .emits("invitation.accepted", data.clone()),
        AuditEntry::new("organization.member_added", actor, ctx, now)
            .target("user", user.id)
            .organization(org.as_uuid())
            .concerning_user(user.id.as_uuid())
            .emits("organization.member_added", data),
    ];
    if !core
        .store
        .accept_invitation(invitation.id, &member, now, &audit)
        .await?
    {
        return Err(Error::auth(AuthFailure::InvalidToken));
    }
    Ok(Accepted {
        user_id: user.id,
        invitation,
        is_new_user,
    })
}

async fn prove_password(core: &Core, user: &User, password: Option<&str>) -> Result<()> {
    let invalid = || Error::auth(AuthFailure::InvalidCredentials);
    let (Some(hash), Some(password)) = (user.password_hash.as_deref(), password) else {
        return Err(invalid());
    };
    if !user.status.can_authenticate() {
        return Err(invalid());
    }
    match core.passwords.verify(hash, password).await? {
        Verification::Valid { .. } => Ok(()),
        _ => Err(invalid()),
    }
}

async fn create_invitee(
    core: &Core,
    email: Email,
    request: &Accept,
    ctx: &RequestContext,
) -> Result<User> {
    let password = request.password.as_deref().ok_or_else(|| {
        Error::Validation(vec![FieldError::new(
            "password",
            "is required to create the account",
        )])
    })?;
    let unmet = core.auth.password_policy.check("password", password);
    if !unmet.is_empty() {
        return Err(Error::auth(AuthFailure::WeakPassword(unmet)));
    }
    let new = NewUser {
        id: UserId::new(),
        email,
        username: None,
        password_hash: Some(core.passwords.hash(password).await?),
        first_name: request.first_name.clone(),
        last_name: request.last_name.clone(),
        locale: None,
        email_verified: true,
        is_admin: false,
        created_at: core.clock.now(),
    };
    let audit = [crate::auth::sign_up::created_entry(&new, ctx)
        .details(serde_json::json!({"email_verified": true, "via": "invitation"}))];
    core.store.create_user(&new, &audit).await.map_err(taken)
}

/// An invitation and the caller's access to its organization, for routes that address the
/// invitation by id: callers from other organizations get 404.
pub async fn authorize_invitation(
    core: &Core,
    principal: &Principal,
    id: InvitationId,
    permission: &str,
) -> Result<(Invitation, OrgAccess)> {
    let invitation = core
        .store
        .get_invitation(id)
        .await?
        .ok_or(Error::NotFound)?;
    let access =
        crate::rbac::check::authorize(core, principal, invitation.organization_id, permission)
            .await
            .map_err(crate::orgs::orgs::hide_foreign)?;
    Ok((invitation, access))
}
