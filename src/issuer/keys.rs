//! The service's keys: the trust anchor that signs trust lists, and the signing keys that
//! sign codes. The anchor is generated at first start and kept apart from the signing keys
//! (its own table); its public half is what every lane pins. The signing keys change by
//! rotation (`lanedesk issuer keys rotate`), which raises the trust list's sequence; every
//! instance notices the new sequence within [`REFRESH_EVERY`] and serves the new list.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use ed25519_dalek::SigningKey;

use crate::domain::ids::Kid;
use crate::domain::trust::{KeyStatus, SignedTrustList, TrustAnchor, TrustList, TrustedKey};

use super::store::{IssuerKey, Store, StoreError};

/// How often an instance looks for keys rotated by another process.
pub const REFRESH_EVERY: Duration = Duration::from_secs(5);

/// The keys as one instance last read them.
pub struct KeySet {
    pub keys: Vec<IssuerKey>,
    /// The same keys as a lane sees them, with the list's sequence.
    pub trust: TrustList,
}

impl KeySet {
    pub async fn read(store: &dyn Store, now: i64) -> Result<KeySet, StoreError> {
        let sequence = store.trust_sequence().await?;
        let keys = store.keys().await?;
        let trust = TrustList {
            keys: keys
                .iter()
                .map(|k| TrustedKey {
                    kid: k.kid,
                    issuer: k.issuer.clone(),
                    key: k.signing.verifying_key(),
                    valid_from: k.valid_from,
                    valid_until: k.valid_until,
                    status: k.status,
                })
                .collect(),
            issued_at: now,
            sequence,
        };
        Ok(KeySet { keys, trust })
    }

    /// The key that signs today's codes.
    pub fn active(&self, now: i64) -> Option<&IssuerKey> {
        self.keys
            .iter()
            .find(|k| k.status == KeyStatus::Active && k.valid_from <= now && now <= k.valid_until)
    }

    pub fn with_status(&self, status: KeyStatus) -> Option<(Kid, SigningKey)> {
        self.keys
            .iter()
            .find(|k| k.status == status)
            .map(|k| (k.kid, k.signing.clone()))
    }
}

/// The anchor and the current key set, shared by the routes.
pub struct Keys {
    anchor: SigningKey,
    current: RwLock<Arc<KeySet>>,
}

impl Keys {
    pub fn new(anchor: SigningKey, set: KeySet) -> Keys {
        Keys {
            anchor,
            current: RwLock::new(Arc::new(set)),
        }
    }

    pub fn anchor(&self) -> TrustAnchor {
        TrustAnchor::of(&self.anchor)
    }

    pub fn current(&self) -> Arc<KeySet> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The trust list, signed now by the anchor.
    pub fn signed_list(&self, now: i64) -> SignedTrustList {
        let mut list = self.current().trust.clone();
        list.issued_at = now;
        SignedTrustList::sign(&list, &self.anchor)
    }

    /// Reads the keys again when their sequence moved (a rotation by another process).
    /// Returns whether they changed.
    pub async fn refresh(&self, store: &dyn Store, now: i64) -> Result<bool, StoreError> {
        let sequence = store.trust_sequence().await?;
        if sequence == self.current().trust.sequence {
            return Ok(false);
        }
        let set = KeySet::read(store, now).await?;
        tracing::info!(
            sequence = set.trust.sequence,
            "signing keys changed; serving the new trust list"
        );
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(set);
        Ok(true)
    }
}
