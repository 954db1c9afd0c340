//! The trust list: which issuer keys may sign e-card codes, and when; signed by the
//! service's trust anchor, a key every lane pins.
//!
//! A lane never takes a key on the word of a file or a network answer alone: the list is
//! the exact JSON text of a [`TrustListPayload`] and the anchor's Ed25519 signature over
//! it. Each list carries a sequence number that grows whenever the keys change (a lane
//! refuses a lower one: a rollback to a list that still trusted a since-revoked key) and
//! the time it was issued (a lane refuses one from the future, and shows its age from it).

use std::fmt;
use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};

use super::ids::Kid;
use super::text::sanitize;

/// The payload's `format`; a lane refuses any other.
pub const LIST_FORMAT: &str = "lanedesk-trust-list/1";
/// Signed before the payload's bytes, so the anchor's signature over a trust list can
/// never be taken for its signature over anything else.
const SIGNING_CONTEXT: &[u8] = b"lanedesk trust list v1\n";
/// How far ahead of the lane's clock a list's issue time may be (two clocks never agree
/// exactly); further ahead, the list is refused.
pub const FUTURE_SLACK_SECS: i64 = 300;

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

/// The keys a lane trusts, from a list whose signature verified against the pinned anchor.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TrustList {
    pub keys: Vec<TrustedKey>,
    /// Unix seconds when the service signed this list; its age is shown to the officer.
    pub issued_at: i64,
    /// Grows whenever the keys change; a lane never goes back to a lower one.
    pub sequence: u64,
}

impl TrustList {
    pub fn find(&self, kid: &Kid) -> Option<&TrustedKey> {
        self.keys.iter().find(|k| &k.kid == kid)
    }

    /// Whether this list should replace `held`: a newer sequence, or the same keys signed
    /// later. A lower sequence is a rollback and refused; an older copy of the same
    /// sequence is simply not newer.
    pub fn replaces(&self, held: Option<&TrustList>) -> Result<bool, TrustListError> {
        let Some(held) = held else { return Ok(true) };
        if self.sequence < held.sequence {
            return Err(TrustListError::RolledBack {
                got: self.sequence,
                held: held.sequence,
            });
        }
        Ok(self.sequence > held.sequence || self.issued_at > held.issued_at)
    }
}

/// The trust anchor's public key, pinned by each lane: `ed25519:` and the 32-byte key in
/// base64url, as `lanedesk issuer anchor` prints it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TrustAnchor(pub VerifyingKey);

impl TrustAnchor {
    pub const PREFIX: &'static str = "ed25519:";

    pub fn of(key: &SigningKey) -> Self {
        Self(key.verifying_key())
    }
}

impl fmt::Display for TrustAnchor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{}",
            Self::PREFIX,
            URL_SAFE_NO_PAD.encode(self.0.as_bytes())
        )
    }
}

impl fmt::Debug for TrustAnchor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TrustAnchor({self})")
    }
}

impl FromStr for TrustAnchor {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let shown = sanitize(text);
        let how = "a trust anchor is written ed25519: and 43 base64url characters, as `lanedesk issuer anchor --db FILE` prints it on the service";
        let Some(b64) = text.trim().strip_prefix(Self::PREFIX) else {
            return Err(format!("{shown:?} is not a trust anchor: {how}"));
        };
        let bytes: [u8; 32] = URL_SAFE_NO_PAD
            .decode(b64)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| format!("{shown:?} is not a 32-byte base64url key: {how}"))?;
        VerifyingKey::from_bytes(&bytes)
            .map(Self)
            .map_err(|_| format!("{shown:?} is not a valid Ed25519 public key: {how}"))
    }
}

impl Serialize for TrustAnchor {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TrustAnchor {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// One issuer key as the trust list gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustKeyBody {
    pub kid: Kid,
    pub issuer: String,
    pub algorithm: String,
    /// The raw 32-byte Ed25519 public key, base64url without padding.
    pub public_key: String,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    pub status: KeyStatus,
}

impl TrustKeyBody {
    pub fn from_key(key: &TrustedKey) -> Self {
        Self {
            kid: key.kid,
            issuer: key.issuer.clone(),
            algorithm: "EdDSA".into(),
            public_key: URL_SAFE_NO_PAD.encode(key.key.as_bytes()),
            valid_from: DateTime::from_timestamp(key.valid_from, 0).unwrap_or_default(),
            valid_until: DateTime::from_timestamp(key.valid_until, 0).unwrap_or_default(),
            status: key.status,
        }
    }

    fn into_key(self) -> Result<TrustedKey, String> {
        let kid = self.kid;
        if self.algorithm != "EdDSA" {
            return Err(format!(
                "key {kid} uses {:?}, not EdDSA",
                sanitize(&self.algorithm)
            ));
        }
        let bytes: [u8; 32] = URL_SAFE_NO_PAD
            .decode(&self.public_key)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| format!("key {kid} is not a 32-byte base64url public key"))?;
        let key = VerifyingKey::from_bytes(&bytes)
            .map_err(|_| format!("key {kid} is not a valid Ed25519 public key"))?;
        Ok(TrustedKey {
            kid,
            issuer: self.issuer,
            key,
            valid_from: self.valid_from.timestamp(),
            valid_until: self.valid_until.timestamp(),
            status: self.status,
        })
    }
}

/// What a trust list says: the text the anchor signs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustListPayload {
    pub format: String,
    pub sequence: u64,
    pub issued_at: DateTime<Utc>,
    pub keys: Vec<TrustKeyBody>,
}

impl TrustListPayload {
    pub fn of(list: &TrustList) -> Self {
        Self {
            format: LIST_FORMAT.into(),
            sequence: list.sequence,
            issued_at: DateTime::from_timestamp(list.issued_at, 0).unwrap_or_default(),
            keys: list.keys.iter().map(TrustKeyBody::from_key).collect(),
        }
    }
}

/// A trust list as the service sends it (`GET /v1/trust-list`) and the lane keeps it:
/// the payload's exact text and the anchor's signature over it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedTrustList {
    /// The anchor that signed it, as the service names it (a hint for messages; the lane
    /// checks the signature against its own pinned anchor, never against this).
    pub anchor: String,
    /// The [`TrustListPayload`] as JSON text, exactly as signed.
    pub list: String,
    /// Ed25519 signature, base64url without padding.
    pub signature: String,
}

impl SignedTrustList {
    pub fn sign(list: &TrustList, anchor: &SigningKey) -> Self {
        let text =
            serde_json::to_string(&TrustListPayload::of(list)).expect("trust lists serialise");
        let signature = anchor.sign(&signed_bytes(&text));
        Self {
            anchor: TrustAnchor::of(anchor).to_string(),
            list: text,
            signature: URL_SAFE_NO_PAD.encode(signature.to_bytes()),
        }
    }

    /// The list, when its signature verifies against `anchor` and it was not issued in
    /// the future of `now` (Unix seconds); every key in it must be usable.
    pub fn verify(&self, anchor: &TrustAnchor, now: i64) -> Result<TrustList, TrustListError> {
        let signature = URL_SAFE_NO_PAD
            .decode(&self.signature)
            .ok()
            .and_then(|b| <[u8; 64]>::try_from(b).ok())
            .map(|b| Signature::from_bytes(&b));
        let genuine =
            signature.is_some_and(|s| anchor.0.verify(&signed_bytes(&self.list), &s).is_ok());
        if !genuine {
            let named = sanitize(&self.anchor);
            return Err(if named != anchor.to_string() {
                TrustListError::OtherAnchor {
                    named,
                    pinned: anchor.to_string(),
                }
            } else {
                TrustListError::BadSignature {
                    pinned: anchor.to_string(),
                }
            });
        }
        let payload: TrustListPayload =
            serde_json::from_str(&self.list).map_err(|e| TrustListError::Unreadable {
                detail: sanitize(&e.to_string()),
            })?;
        if payload.format != LIST_FORMAT {
            return Err(TrustListError::Unreadable {
                detail: format!(
                    "its format is {:?}, this lane reads {LIST_FORMAT}",
                    sanitize(&payload.format)
                ),
            });
        }
        let issued_at = payload.issued_at.timestamp();
        if issued_at > now.saturating_add(FUTURE_SLACK_SECS) {
            return Err(TrustListError::FromTheFuture {
                issued_at: payload.issued_at.to_rfc3339(),
                ahead_secs: issued_at - now,
            });
        }
        let keys = payload
            .keys
            .into_iter()
            .map(TrustKeyBody::into_key)
            .collect::<Result<Vec<_>, String>>()
            .map_err(|detail| TrustListError::Unreadable { detail })?;
        Ok(TrustList {
            keys,
            issued_at,
            sequence: payload.sequence,
        })
    }
}

fn signed_bytes(list: &str) -> Vec<u8> {
    [SIGNING_CONTEXT, list.as_bytes()].concat()
}

/// Why a trust list is not used. Each says what to do; the lane keeps the list it had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustListError {
    #[error(
        "the trust list is signed by anchor {named}, not by this lane's pinned anchor {pinned}. If the service's anchor was changed on purpose, set trust-anchor in the lane configuration to the one `lanedesk issuer anchor` prints; otherwise the list is not from your service and is not used"
    )]
    OtherAnchor { named: String, pinned: String },
    #[error(
        "the trust list's signature does not verify against the pinned anchor {pinned}: it was altered or forged, and is not used. Tell the service desk"
    )]
    BadSignature { pinned: String },
    #[error(
        "the trust list cannot be used ({detail}). This console may be older than the service; tell the service desk"
    )]
    Unreadable { detail: String },
    #[error(
        "the trust list says it was issued at {issued_at}, {ahead_secs} s ahead of this lane's clock, and is not used. Check the lane's clock"
    )]
    FromTheFuture { issued_at: String, ahead_secs: i64 },
    #[error(
        "the trust list is number {got}, older than number {held} which this lane already holds: a rollback, and not used. Tell the service desk"
    )]
    RolledBack { got: u64, held: u64 },
}

#[cfg(test)]
mod tests;
