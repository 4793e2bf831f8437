//! The rotation rules (API.md §3), as pure functions of the stored keys and the time, so every
//! instance reaches the same decision from the same rows:
//!
//! - `janua keys rotate` publishes a key that signs from `activates_at` (now + 5 min, or now).
//! - Per algorithm, the signing key is the latest by (`activates_at`, row id) among the active
//!   keys and the published keys that are due (row ids are UUID v7, so of two keys activating
//!   in the same instant the one created later wins). It becomes `active`; every other candidate is
//!   retired at the winner's `activates_at`. Ties and duplicates (two instances rotating at once)
//!   resolve the same way everywhere.
//! - A retired key stays published until every token it signed has expired: `retired_at` + the
//!   longest token lifetime + [`PROPAGATION_GRACE`].

use chrono::{DateTime, Duration, Utc};

use super::SigningAlgorithm;
use crate::ids::SigningKeyId;
use crate::tokens::store::{KeySource, KeyState, StoredSigningKey};

/// How long a rotated key is published before it signs: relying parties that cache the JWKS
/// (`max-age=300`) have fetched it by then.
pub const ACTIVATION_DELAY: Duration = Duration::minutes(5);

/// Extra time a retired key stays published, beyond the longest token lifetime: an instance may
/// sign with the old key until its next refresh (30 s) after an immediate rotation.
pub const PROPAGATION_GRACE: Duration = Duration::minutes(5);

/// One state change the ring applies to storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyChange {
    Activate { kid: String, at: DateTime<Utc> },
    Retire { kid: String, at: DateTime<Utc> },
}

/// The facts about a key that decide whether it signs.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    pub id: SigningKeyId,
    pub kid: &'a str,
    pub alg: SigningAlgorithm,
    pub state: KeyState,
    pub activates_at: DateTime<Utc>,
}

impl<'a> From<&'a StoredSigningKey> for Candidate<'a> {
    fn from(key: &'a StoredSigningKey) -> Self {
        Candidate {
            id: key.id,
            kid: &key.kid,
            alg: key.alg,
            state: key.state,
            activates_at: key.activates_at,
        }
    }
}

/// Whether a key may sign at `now`: active, or published and due.
pub fn is_eligible(candidate: &Candidate<'_>, now: DateTime<Utc>) -> bool {
    match candidate.state {
        KeyState::Active => true,
        KeyState::Published => candidate.activates_at <= now,
        KeyState::Retired => false,
    }
}

/// The signing key among `candidates` (all of one algorithm) at `now`.
pub fn pick_signer<'a, I>(candidates: I, now: DateTime<Utc>) -> Option<Candidate<'a>>
where
    I: IntoIterator<Item = Candidate<'a>>,
{
    candidates
        .into_iter()
        .filter(|c| is_eligible(c, now))
        .max_by_key(|c| (c.activates_at, c.id))
}

/// The changes that bring `keys` in line with the rules at `now`: activate due keys, retire
/// the keys they replace. Empty when storage is already current.
pub fn plan_rotation(keys: &[StoredSigningKey], now: DateTime<Utc>) -> Vec<KeyChange> {
    let mut changes = Vec::new();
    for alg in SigningAlgorithm::ALL {
        let of_alg = || {
            keys.iter()
                .filter(move |k| k.alg == alg)
                .map(Candidate::from)
        };
        let Some(winner) = pick_signer(of_alg(), now) else {
            continue;
        };
        if winner.state == KeyState::Published {
            changes.push(KeyChange::Activate {
                kid: winner.kid.to_owned(),
                at: winner.activates_at,
            });
        }
        for loser in of_alg().filter(|c| is_eligible(c, now) && c.kid != winner.kid) {
            changes.push(KeyChange::Retire {
                kid: loser.kid.to_owned(),
                at: winner.activates_at.max(loser.activates_at),
            });
        }
    }
    changes
}

/// Algorithms whose generated signing key has signed for `every` or longer and have no
/// rotation pending: automatic rotation (`KEY_ROTATION_DAYS`) publishes a successor for each.
pub fn due_for_rotation(
    keys: &[StoredSigningKey],
    now: DateTime<Utc>,
    every: Duration,
) -> Vec<SigningAlgorithm> {
    SigningAlgorithm::ALL
        .into_iter()
        .filter(|alg| {
            let of_alg: Vec<&StoredSigningKey> = keys.iter().filter(|k| k.alg == *alg).collect();
            let pending = of_alg
                .iter()
                .any(|k| k.state == KeyState::Published && k.activates_at > now);
            let signer = pick_signer(of_alg.iter().map(|k| Candidate::from(*k)), now);
            let generated = |kid: &str| {
                of_alg
                    .iter()
                    .any(|k| k.kid == kid && k.source == KeySource::Generated)
            };
            match signer {
                Some(s) => !pending && generated(s.kid) && s.activates_at + every <= now,
                None => false,
            }
        })
        .collect()
}

/// When a key retired at `retired_at` leaves the JWKS and may be pruned.
pub fn retired_key_expiry(
    retired_at: DateTime<Utc>,
    max_token_lifetime: Duration,
) -> DateTime<Utc> {
    retired_at + max_token_lifetime + PROPAGATION_GRACE
}

/// `janua keys prune` deletes retired keys retired before this instant.
pub fn prune_cutoff(now: DateTime<Utc>, max_token_lifetime: Duration) -> DateTime<Utc> {
    now - max_token_lifetime - PROPAGATION_GRACE
}

#[cfg(test)]
mod tests;
