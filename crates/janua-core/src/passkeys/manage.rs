//! A user's own passkeys: list, rename, delete (the last needs re-authentication).

use serde_json::json;

use crate::audit::RequestContext;
use crate::auth::account::{current_user, reauthenticate};
use crate::auth::principal::UserPrincipal;
use crate::context::Core;
use crate::error::{Error, Result};
use crate::ids::PasskeyId;
use crate::mfa::totp::entry;
use crate::passkeys::store::PasskeyRecord;

pub async fn list(core: &Core, principal: &UserPrincipal) -> Result<Vec<PasskeyRecord>> {
    let user = current_user(core, principal).await?;
    core.store.list_passkeys(user.id).await
}

pub async fn rename(
    core: &Core,
    principal: &UserPrincipal,
    id: PasskeyId,
    name: &str,
) -> Result<PasskeyRecord> {
    let user = current_user(core, principal).await?;
    core.store
        .rename_passkey(user.id, id, name, core.clock.now())
        .await?
        .ok_or(Error::NotFound)
}

pub async fn delete(
    core: &Core,
    principal: &UserPrincipal,
    id: PasskeyId,
    password: Option<&str>,
    context: &RequestContext,
) -> Result<()> {
    let user = reauthenticate(core, principal, password).await?;
    let audit = entry("passkey.removed", &user, context, core.clock.now())
        .target("passkey", id)
        .emits(
            "passkey.removed",
            json!({"user_id": user.id.to_string(), "passkey_id": id.to_string()}),
        );
    if core.store.delete_passkey(user.id, id, &[audit]).await? {
        Ok(())
    } else {
        Err(Error::NotFound)
    }
}
