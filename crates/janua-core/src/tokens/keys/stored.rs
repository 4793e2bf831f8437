//! The key ring's storage operations, shared by the server and the `janua keys` commands:
//! publish a new key, apply the rotation plan, ensure every algorithm has a signing key at
//! start-up (race-safe across instances), prune, and open a stored private key.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::material::PrivateKey;
use super::rotation::{
    pick_signer, plan_rotation, prune_cutoff, Candidate, KeyChange, ACTIVATION_DELAY,
};
use super::SigningAlgorithm;
use crate::crypto::seal::Sealer;
use crate::error::{Error, Result};
use crate::ids::SigningKeyId;
use crate::tokens::store::{KeySource, KeyState, SigningKeyStore, StoredSigningKey};

/// A freshly generated key, sealed and described as a row in `state`.
pub fn new_stored_key(
    sealer: &Sealer,
    alg: SigningAlgorithm,
    id: SigningKeyId,
    state: KeyState,
    now: DateTime<Utc>,
    activates_at: DateTime<Utc>,
) -> Result<StoredSigningKey> {
    let private = PrivateKey::generate(alg)?;
    let public = private.public_key()?;
    let kid = public.thumbprint();
    let sealed = sealer.seal(private.pkcs8(), kid.as_bytes())?;
    Ok(StoredSigningKey {
        id,
        public_jwk: public.jwk(&kid),
        kid,
        alg,
        source: KeySource::Generated,
        private_key_encrypted: Some(sealed),
        state,
        created_at: now,
        activates_at,
        activated_at: (state == KeyState::Active).then_some(now),
        retired_at: None,
        expires_at: None,
    })
}

/// Decrypts a stored key's private half. Fails with the sealer's operator message when the
/// key-encryption secret changed.
pub fn open_stored_key(sealer: &Sealer, key: &StoredSigningKey) -> Result<PrivateKey> {
    let sealed = key.private_key_encrypted.as_deref().ok_or_else(|| {
        Error::internal(format!("signing key {} has no private key stored", key.kid))
    })?;
    let pkcs8 = sealer
        .open(sealed, key.kid.as_bytes())
        .map_err(|e| match e {
            Error::Internal(message) => {
                Error::Internal(format!("signing key {} ({}): {message}", key.kid, key.alg))
            }
            other => other,
        })?;
    PrivateKey::from_pkcs8(key.alg, &pkcs8)
}

/// `janua keys rotate`: publishes a new key for `alg` that signs from now + 5 min, or at once
/// when `immediately`. Returns the stored row (state `published`).
pub async fn publish_new_key<S: SigningKeyStore + ?Sized>(
    store: &S,
    sealer: &Sealer,
    alg: SigningAlgorithm,
    now: DateTime<Utc>,
    immediately: bool,
) -> Result<StoredSigningKey> {
    let delay = if immediately {
        Duration::zero()
    } else {
        ACTIVATION_DELAY
    };
    let key = new_stored_key(
        sealer,
        alg,
        SigningKeyId::new(),
        KeyState::Published,
        now,
        now + delay,
    )?;
    store.insert_signing_key(&key).await?;
    Ok(key)
}

/// Lists the keys, applies [`plan_rotation`] to storage, and returns the keys as they now are
/// together with the changes made.
pub async fn apply_rotation<S: SigningKeyStore + ?Sized>(
    store: &S,
    now: DateTime<Utc>,
) -> Result<(Vec<StoredSigningKey>, Vec<KeyChange>)> {
    let mut keys = store.list_signing_keys().await?;
    let changes = plan_rotation(&keys, now);
    for change in &changes {
        let (kid, state, at) = match change {
            KeyChange::Activate { kid, at } => (kid, KeyState::Active, *at),
            KeyChange::Retire { kid, at } => (kid, KeyState::Retired, *at),
        };
        store.set_key_state(kid, state, at).await?;
        tracing::info!(kid = %kid, state = state.as_str(), "signing key state changed");
        if let Some(key) = keys.iter_mut().find(|k| &k.kid == kid) {
            key.state = state;
            match state {
                KeyState::Active => key.activated_at = key.activated_at.or(Some(at)),
                KeyState::Retired => key.retired_at = key.retired_at.or(Some(at)),
                KeyState::Published => {}
            }
        }
    }
    Ok((keys, changes))
}

/// `janua keys prune`: deletes retired keys whose tokens have all expired.
pub async fn prune<S: SigningKeyStore + ?Sized>(
    store: &S,
    now: DateTime<Utc>,
    max_token_lifetime: Duration,
) -> Result<u64> {
    store
        .delete_retired_before(prune_cutoff(now, max_token_lifetime))
        .await
}

/// The row id of the first key generated for `alg` on an empty database. Every instance uses
/// the same id, so when several start at once on one database exactly one insert succeeds and
/// the others adopt its key instead of each adding their own.
pub fn bootstrap_key_id(alg: SigningAlgorithm) -> SigningKeyId {
    let index = match alg {
        SigningAlgorithm::Rs256 => 1,
        SigningAlgorithm::Es256 => 2,
        SigningAlgorithm::EdDsa => 3,
    };
    SigningKeyId::from_uuid(Uuid::from_u128(
        0x0000_0000_0000_7000_8000_0000_0000_0000 | index,
    ))
}

/// Makes sure every algorithm has a key that can sign now, generating what is missing.
/// `usable` says whether a stored key can be opened (its secret still matches). On a
/// conflict (another instance inserted first, or the bootstrap id is taken by an old key),
/// re-reads and tries again with a fresh id only if there is still no signer.
pub async fn ensure_signing_keys<S, F>(
    store: &S,
    sealer: &Sealer,
    now: DateTime<Utc>,
    usable: F,
) -> Result<()>
where
    S: SigningKeyStore + ?Sized,
    F: Fn(&StoredSigningKey) -> bool,
{
    for alg in SigningAlgorithm::ALL {
        for attempt in 0..2 {
            let keys = store.list_signing_keys().await?;
            let has_signer = pick_signer(
                keys.iter()
                    .filter(|k| k.alg == alg && usable(k))
                    .map(Candidate::from),
                now,
            )
            .is_some();
            if has_signer {
                break;
            }
            let id_taken = keys.iter().any(|k| k.id == bootstrap_key_id(alg));
            let id = if attempt == 0 && !id_taken {
                bootstrap_key_id(alg)
            } else {
                SigningKeyId::new()
            };
            let key = new_stored_key(sealer, alg, id, KeyState::Active, now, now)?;
            match store.insert_signing_key(&key).await {
                Ok(()) => {
                    tracing::info!(kid = %key.kid, alg = alg.as_str(), "generated a signing key");
                    break;
                }
                Err(Error::Conflict { .. }) if attempt == 0 => continue,
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}

/// Whether a key is in the JWKS at `now`: published, active, or retired less than the longest
/// token lifetime (plus grace) ago. A retired key without `retired_at` (an operator's previous
/// public key) stays until the operator removes it.
pub fn is_published(
    state: KeyState,
    retired_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    max_token_lifetime: Duration,
) -> bool {
    match (state, retired_at) {
        (KeyState::Retired, Some(at)) => {
            super::rotation::retired_key_expiry(at, max_token_lifetime) > now
        }
        _ => true,
    }
}
