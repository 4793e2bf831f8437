//! [`KeyRing`]: every published, active and retired key in memory, swapped whole on each
//! refresh (readers never lock). It signs with the current key of an algorithm, verifies by
//! `kid`, and serves the JWKS pre-serialized.
//!
//! The signing key of an algorithm is chosen at each call from the keys in memory (see
//! [`pick_signer`]), so a published key starts signing at its `activates_at` on every instance
//! that has loaded it, without waiting for the next refresh.

use std::sync::Arc;

use arc_swap::ArcSwap;
use bytes::Bytes;
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{DecodingKey, Validation};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::jws::JwsSigner;
use super::material::{PrivateKey, PublicKey};
use super::rotation::{due_for_rotation, pick_signer, Candidate};
use super::stored::{
    apply_rotation, ensure_signing_keys, is_published, open_stored_key, publish_new_key,
};
use super::SigningAlgorithm;
use crate::clock::Clock;
use crate::crypto::seal::Sealer;
use crate::error::{Error, FieldError, Result};
use crate::ids::SigningKeyId;
use crate::tokens::store::{KeySource, KeyState, SigningKeyStore, StoredSigningKey};

/// How far in the future a token's `nbf` may be: instances' clocks differ a little.
const NBF_LEEWAY: Duration = Duration::seconds(30);

/// How the ring is built.
pub struct KeyRingSettings {
    /// The longest lifetime of a JWT the ring signs (the larger of access and ID token): how
    /// long a retired key must stay published.
    pub max_token_lifetime: Duration,
    /// The operator's keys (`JWT_PRIVATE_KEY`, …). When set the ring uses them alone and never
    /// reads or writes stored keys.
    pub imported: Option<ImportedKeys>,
    /// What to do with stored keys that do not decrypt. False (the default and production):
    /// fail, because the secret changed by mistake. True when the secret is generated per
    /// process (development): keep them for verification and generate new signing keys.
    pub replace_undecryptable: bool,
}

/// Keys supplied by the operator instead of generated ones.
#[derive(Debug, Clone)]
pub struct ImportedKeys {
    signing: PrivateKey,
    kid: String,
    /// Public keys of earlier env keys, published for verification only, under their thumbprint.
    previous: Vec<(String, PublicKey)>,
}

impl ImportedKeys {
    /// Reads `JWT_PRIVATE_KEY` for `alg`; `kid` defaults to the RFC 7638 thumbprint. When
    /// `public_pem` (`JWT_PUBLIC_KEY`) is given it must be the private key's public half.
    pub fn from_pem(
        alg: SigningAlgorithm,
        private_pem: &str,
        kid: Option<&str>,
        public_pem: Option<&str>,
        previous_pems: &[String],
    ) -> Result<Self> {
        let signing = PrivateKey::from_pem(alg, private_pem)?;
        let public = signing.public_key()?;
        if let Some(pem) = public_pem {
            if PublicKey::from_pem(pem)? != public {
                return Err(Error::Validation(vec![FieldError::new(
                    "public_key",
                    "is not the public half of the private key",
                )]));
            }
        }
        let kid = kid.map_or_else(|| public.thumbprint(), str::to_owned);
        let mut previous = Vec::new();
        for pem in previous_pems {
            let key = PublicKey::from_pem(pem)?;
            let thumbprint = key.thumbprint();
            if key != public && !previous.iter().any(|(k, _)| *k == thumbprint) {
                previous.push((thumbprint, key));
            }
        }
        Ok(Self {
            signing,
            kid,
            previous,
        })
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn algorithm(&self) -> SigningAlgorithm {
        self.signing.algorithm()
    }

    /// `kid`s of the previous public keys.
    pub fn previous_kids(&self) -> Vec<&str> {
        self.previous.iter().map(|(kid, _)| kid.as_str()).collect()
    }
}

/// What a verified token must carry besides a valid signature.
#[derive(Debug, Clone, Copy)]
pub struct TokenExpectations<'a> {
    /// `iss`, exactly.
    pub issuer: &'a str,
    /// One of the `aud` values.
    pub audience: &'a str,
}

/// A key as the ring shows it (`janua keys list`, tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    pub kid: String,
    pub alg: SigningAlgorithm,
    pub state: KeyState,
    pub source: KeySource,
    pub activates_at: DateTime<Utc>,
    pub retired_at: Option<DateTime<Utc>>,
}

/// One key in memory, with its jsonwebtoken keys built once.
struct RingKey {
    /// The row id (nil for imported keys): the tie-breaker of [`pick_signer`].
    id: SigningKeyId,
    info: KeyInfo,
    /// `None` for verification-only keys (previous env keys, undecryptable stored keys).
    signer: Option<Arc<JwsSigner>>,
    verifier: DecodingKey,
    jwk: Value,
}

impl RingKey {
    fn candidate(&self) -> Candidate<'_> {
        Candidate {
            id: self.id,
            kid: &self.info.kid,
            alg: self.info.alg,
            state: self.info.state,
            activates_at: self.info.activates_at,
        }
    }
}

/// What readers see; replaced whole on refresh.
#[derive(Default)]
struct Snapshot {
    keys: Vec<Arc<RingKey>>,
    jwks: Bytes,
}

pub struct KeyRing {
    snapshot: ArcSwap<Snapshot>,
    sealer: Sealer,
    clock: Arc<dyn Clock>,
    settings: KeyRingSettings,
    /// One refresh at a time, so a slow refresh cannot overwrite a newer snapshot.
    refreshing: tokio::sync::Mutex<()>,
}

impl KeyRing {
    /// Builds the ring: from the imported keys when configured; otherwise makes sure each
    /// algorithm has a stored signing key (generating missing ones) and loads them all.
    pub async fn start<S: SigningKeyStore + ?Sized>(
        store: &S,
        sealer: Sealer,
        clock: Arc<dyn Clock>,
        settings: KeyRingSettings,
    ) -> Result<Self> {
        let ring = Self {
            snapshot: ArcSwap::from_pointee(Snapshot::default()),
            sealer,
            clock,
            settings,
            refreshing: tokio::sync::Mutex::new(()),
        };
        if let Some(imported) = &ring.settings.imported {
            ring.install(imported_keys(imported)?);
            return Ok(ring);
        }
        let now = ring.clock.now();
        let lenient = ring.settings.replace_undecryptable;
        ensure_signing_keys(store, &ring.sealer, now, |key| {
            !lenient || open_stored_key(&ring.sealer, key).is_ok()
        })
        .await?;
        ring.refresh(store).await?;
        Ok(ring)
    }

    /// Re-reads the stored keys, applies due rotations, and swaps in the new snapshot. Keys
    /// already in memory are not decrypted again. A no-op for imported keys.
    pub async fn refresh<S: SigningKeyStore + ?Sized>(&self, store: &S) -> Result<()> {
        if self.settings.imported.is_some() {
            return Ok(());
        }
        let _one_at_a_time = self.refreshing.lock().await;
        let (stored, _changes) = apply_rotation(store, self.clock.now()).await?;
        let previous = self.snapshot.load_full();
        let mut keys = Vec::with_capacity(stored.len());
        for row in &stored {
            let known = previous.keys.iter().find(|k| k.info.kid == row.kid);
            keys.push(Arc::new(self.ring_key(row, known)?));
        }
        self.install(keys);
        Ok(())
    }

    /// Publishes a new key for `alg` (signing from now + 5 min, or at once) and refreshes.
    pub async fn rotate<S: SigningKeyStore + ?Sized>(
        &self,
        store: &S,
        alg: SigningAlgorithm,
        immediately: bool,
    ) -> Result<StoredSigningKey> {
        self.refuse_if_imported()?;
        let key = publish_new_key(store, &self.sealer, alg, self.clock.now(), immediately).await?;
        self.refresh(store).await?;
        Ok(key)
    }

    /// Automatic rotation: publishes a successor for every algorithm whose key has signed for
    /// `every` or longer. Returns the algorithms rotated.
    pub async fn rotate_due<S: SigningKeyStore + ?Sized>(
        &self,
        store: &S,
        every: Duration,
    ) -> Result<Vec<SigningAlgorithm>> {
        if self.settings.imported.is_some() {
            return Ok(Vec::new());
        }
        let now = self.clock.now();
        let due = due_for_rotation(&store.list_signing_keys().await?, now, every);
        for alg in &due {
            publish_new_key(store, &self.sealer, *alg, now, false).await?;
        }
        if !due.is_empty() {
            self.refresh(store).await?;
        }
        Ok(due)
    }

    /// Whether the keys come from the environment (no stored keys, no rotation).
    pub fn is_imported(&self) -> bool {
        self.settings.imported.is_some()
    }

    /// The key that signs for `alg` now, if the ring has one.
    pub fn active(&self, alg: SigningAlgorithm) -> Option<KeyInfo> {
        self.signer(alg).map(|key| key.info.clone())
    }

    /// Every key in the JWKS now.
    pub fn keys(&self) -> Vec<KeyInfo> {
        let now = self.clock.now();
        self.snapshot
            .load()
            .keys
            .iter()
            .filter(|k| self.is_visible(k, now))
            .map(|k| k.info.clone())
            .collect()
    }

    /// Signs `claims` as a JWS with the current key of `alg`; the header carries `alg`, `kid`
    /// and `typ: JWT`.
    pub fn sign<C: Serialize>(&self, alg: SigningAlgorithm, claims: &C) -> Result<String> {
        let key = self.signer(alg).ok_or_else(|| {
            Error::internal(format!(
                "no {alg} signing key: with JWT_PRIVATE_KEY only JWT_ALGORITHM can sign"
            ))
        })?;
        let signer = key
            .signer
            .as_ref()
            .ok_or_else(|| Error::internal("signing key without private half"))?;
        signer.sign(claims)
    }

    /// Verifies a JWS from this ring: the `kid` must name a published key, the header `alg`
    /// must be that key's, `iss` and `aud` must match, `exp` must be in the future and `nbf`
    /// (when present) not later than now. Every failure is [`Error::Unauthorized`].
    pub fn verify<C: DeserializeOwned>(
        &self,
        token: &str,
        expect: &TokenExpectations<'_>,
    ) -> Result<C> {
        self.verify_checked(token, expect, true)
    }

    /// Like [`verify`](Self::verify) but accepts an expired token: for an ID token given
    /// back as a hint (`id_token_hint`), which relying parties keep after it expired.
    pub fn verify_ignoring_expiry<C: DeserializeOwned>(
        &self,
        token: &str,
        expect: &TokenExpectations<'_>,
    ) -> Result<C> {
        self.verify_checked(token, expect, false)
    }

    fn verify_checked<C: DeserializeOwned>(
        &self,
        token: &str,
        expect: &TokenExpectations<'_>,
        check_expiry: bool,
    ) -> Result<C> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| Error::Unauthorized)?;
        let kid = header.kid.ok_or(Error::Unauthorized)?;
        let now = self.clock.now();
        let snapshot = self.snapshot.load();
        let key = snapshot
            .keys
            .iter()
            .find(|k| k.info.kid == kid && self.is_visible(k, now))
            .ok_or(Error::Unauthorized)?;
        if header.alg != key.info.alg.jwt() {
            return Err(Error::Unauthorized);
        }
        let mut validation = Validation::new(key.info.alg.jwt());
        validation.validate_exp = false; // checked below against the injected clock
        validation.validate_nbf = false;
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.set_issuer(&[expect.issuer]);
        validation.set_audience(&[expect.audience]);
        let data = jsonwebtoken::decode::<Value>(token, &key.verifier, &validation)
            .map_err(|_| Error::Unauthorized)?;
        let seconds = |name: &str| data.claims.get(name).and_then(Value::as_f64);
        let now_s = now.timestamp() as f64;
        match seconds("exp") {
            Some(exp) if exp > now_s || !check_expiry => {}
            _ => return Err(Error::Unauthorized),
        }
        if let Some(nbf) = seconds("nbf") {
            if nbf > now_s + NBF_LEEWAY.num_seconds() as f64 {
                return Err(Error::Unauthorized);
            }
        }
        serde_json::from_value(data.claims).map_err(|_| Error::Unauthorized)
    }

    /// `{"keys":[…]}`, serialized at the last refresh.
    pub fn jwks_json(&self) -> Bytes {
        self.snapshot.load().jwks.clone()
    }

    fn signer(&self, alg: SigningAlgorithm) -> Option<Arc<RingKey>> {
        let snapshot = self.snapshot.load();
        let candidates = snapshot
            .keys
            .iter()
            .filter(|k| k.info.alg == alg && k.signer.is_some());
        let chosen = pick_signer(candidates.map(|k| k.candidate()), self.clock.now())?;
        let kid = chosen.kid.to_owned();
        snapshot.keys.iter().find(|k| k.info.kid == kid).cloned()
    }

    fn is_visible(&self, key: &RingKey, now: DateTime<Utc>) -> bool {
        is_published(
            key.info.state,
            key.info.retired_at,
            now,
            self.settings.max_token_lifetime,
        )
    }

    fn refuse_if_imported(&self) -> Result<()> {
        if self.is_imported() {
            return Err(Error::Validation(vec![FieldError::new(
                "keys",
                "keys come from JWT_PRIVATE_KEY: rotate by deploying a new JWT_PRIVATE_KEY \
                 with the old public key in JWT_PREVIOUS_PUBLIC_KEYS",
            )]));
        }
        Ok(())
    }

    /// A stored row in memory; reuses the keys of `known` (same kid) instead of decrypting.
    fn ring_key(&self, row: &StoredSigningKey, known: Option<&Arc<RingKey>>) -> Result<RingKey> {
        let info = KeyInfo {
            kid: row.kid.clone(),
            alg: row.alg,
            state: row.state,
            source: row.source,
            activates_at: row.activates_at,
            retired_at: row.retired_at,
        };
        if let Some(known) = known {
            return Ok(RingKey {
                id: row.id,
                info,
                signer: known.signer.clone(),
                verifier: known.verifier.clone(),
                jwk: known.jwk.clone(),
            });
        }
        match open_stored_key(&self.sealer, row) {
            Ok(private) => {
                let public = private.public_key()?;
                Ok(RingKey {
                    id: row.id,
                    info,
                    signer: Some(Arc::new(JwsSigner::new(&private, &row.kid)?)),
                    verifier: public.decoding_key()?,
                    jwk: public.jwk(&row.kid),
                })
            }
            Err(e) if self.settings.replace_undecryptable => {
                tracing::warn!(
                    kid = %row.kid,
                    "signing key does not decrypt with this process's generated SECRET_KEY; \
                     using it for verification only (set SECRET_KEY to keep keys across restarts)"
                );
                let _ = e;
                let public = PublicKey::from_jwk(&row.public_jwk)?;
                Ok(RingKey {
                    id: row.id,
                    info,
                    signer: None,
                    verifier: public.decoding_key()?,
                    jwk: public.jwk(&row.kid),
                })
            }
            Err(e) => Err(e),
        }
    }

    fn install(&self, keys: Vec<Arc<RingKey>>) {
        let now = self.clock.now();
        let published: Vec<&Value> = keys
            .iter()
            .filter(|k| self.is_visible(k, now))
            .map(|k| &k.jwk)
            .collect();
        let jwks = serde_json::to_vec(&serde_json::json!({ "keys": published }))
            .map(Bytes::from)
            .unwrap_or_else(|_| Bytes::from_static(br#"{"keys":[]}"#));
        self.snapshot.store(Arc::new(Snapshot { keys, jwks }));
    }
}

/// The operator's keys as ring keys: the signing key (active) and previous public keys
/// (retired, verification only, never expiring).
fn imported_keys(imported: &ImportedKeys) -> Result<Vec<Arc<RingKey>>> {
    let public = imported.signing.public_key()?;
    let signing = RingKey {
        id: SigningKeyId::from_uuid(uuid::Uuid::nil()),
        info: KeyInfo {
            kid: imported.kid.clone(),
            alg: imported.algorithm(),
            state: KeyState::Active,
            source: KeySource::Imported,
            activates_at: DateTime::<Utc>::UNIX_EPOCH,
            retired_at: None,
        },
        signer: Some(Arc::new(JwsSigner::new(&imported.signing, &imported.kid)?)),
        verifier: public.decoding_key()?,
        jwk: public.jwk(&imported.kid),
    };
    let mut keys = vec![Arc::new(signing)];
    for (kid, key) in &imported.previous {
        keys.push(Arc::new(RingKey {
            id: SigningKeyId::from_uuid(uuid::Uuid::nil()),
            info: KeyInfo {
                kid: kid.clone(),
                alg: key.algorithm(),
                state: KeyState::Retired,
                source: KeySource::Imported,
                activates_at: DateTime::<Utc>::UNIX_EPOCH,
                retired_at: None,
            },
            signer: None,
            verifier: key.decoding_key()?,
            jwk: key.jwk(kid),
        }));
    }
    Ok(keys)
}

#[cfg(test)]
mod tests;
