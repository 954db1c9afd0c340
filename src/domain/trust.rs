//! The trust list: which issuer keys may sign e-card codes, and when.

use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};

use super::ids::Kid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyStatus {
    /// Signs today's codes.
    Active,
    /// Replaced in the normal course of key rotation: its codes are no longer accepted.
    Retired,
    /// Withdrawn because it may be compromised: nothing it signed is trusted.
    Revoked,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedKey {
    pub kid: Kid,
    /// The short issuer id that codes signed by this key must carry.
    pub issuer: String,
    pub key: VerifyingKey,
    /// Unix seconds: codes issued before this are not from this key.
    pub valid_from: i64,
    /// Unix seconds: the key signs nothing after this.
    pub valid_until: i64,
    pub status: KeyStatus,
}

/// The keys a lane trusts, as last fetched from the issuance service.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TrustList {
    pub keys: Vec<TrustedKey>,
    /// Unix seconds when this copy was fetched; its age is shown to the officer.
    pub fetched_at: i64,
}

impl TrustList {
    pub fn find(&self, kid: &Kid) -> Option<&TrustedKey> {
        self.keys.iter().find(|k| &k.kid == kid)
    }
}
