//! The issuance service's API v1, as JSON: shared by the reference service and the client
//! so the two cannot drift apart. `docs/openapi.yaml` describes the same shapes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::checkpoint::Direction;
use crate::domain::credential::{CardRef, Kid, Nonce};
use crate::domain::decision::DecisionKind;
use crate::domain::documents::Document;
use crate::domain::holder::{Alert, CardStatus, Crossing, Holder};

pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
    pub version: String,
    pub time: DateTime<Utc>,
}

/// `GET /v1/ready`: the service can take traffic (its database answers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Readiness {
    pub status: String,
    /// `sqlite` or `postgresql`.
    pub database: String,
}

/// `GET /v1/lanes/{checkpoint}/{lane}`: the lane the token presented belongs to, for a
/// lane (or `lanedesk config check --connect`) to learn that its token is accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaneIdentity {
    /// The control point's slug.
    pub checkpoint: String,
    pub lane: String,
    /// The demo's shared token, good for any lane (`issuer serve --demo`).
    pub shared: bool,
}

/// `GET /v1/trust-list`: the keys, signed by the service's trust anchor (see
/// `domain::trust`, where the list is verified).
pub use crate::domain::trust::{SignedTrustList, TrustKeyBody, TrustListPayload};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerificationRequest {
    pub token: String,
    pub checkpoint: String,
    pub lane: String,
    pub direction: Direction,
    pub officer: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    pub kid: Kid,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub nonce: Nonce,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardInfo {
    pub reference: CardRef,
    pub status: CardStatus,
}

/// Where and when a code was first presented.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Presentation {
    pub verification_id: String,
    pub at: DateTime<Utc>,
    pub checkpoint: String,
    pub lane: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    pub verification_id: String,
    pub checked_at: DateTime<Utc>,
    pub token: TokenInfo,
    pub card: CardInfo,
    pub holder: Holder,
    pub documents: Vec<Document>,
    pub crossings: Vec<Crossing>,
    pub alerts: Vec<Alert>,
    /// Set when this same code was presented before, anywhere.
    pub presented_before: Option<Presentation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    /// Chosen by the lane; sending the same decision again is harmless.
    pub decision_id: String,
    #[serde(default)]
    pub verification_id: Option<String>,
    pub card: CardRef,
    pub checkpoint: String,
    pub lane: String,
    pub direction: Direction,
    pub officer: String,
    pub decision: DecisionKind,
    #[serde(default)]
    pub reasons: Vec<String>,
    #[serde(default)]
    pub note: String,
    /// Set when the officer approved over a failed check.
    #[serde(default)]
    pub override_reason: Option<String>,
    pub decided_at: DateTime<Utc>,
    /// The code's signing key and nonce, so an accepted code can be traced to its signer
    /// (absent when the code did not parse, and from lanes older than these fields).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<Kid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<Nonce>,
    /// The lane's audit chain head when this was sent, for the service to witness. Not
    /// part of the decision: the outbox file never holds it (the delivery worker adds it at
    /// each send), and the service ignores it when telling a duplicate from a conflict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_head: Option<AuditHead>,
}

/// A lane's audit chain head: the last record's number and SHA-256 (64 lowercase hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditHead {
    pub sequence: u64,
    pub hash: String,
}

impl AuditHead {
    /// Whether this could be a record of a chain: numbered from 1, a SHA-256 in lowercase hex.
    pub fn well_formed(&self) -> Result<(), String> {
        if self.sequence == 0 {
            return Err("a head's sequence is 0, but records are numbered from 1".into());
        }
        let hex = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
        if self.hash.len() != 64 || !self.hash.bytes().all(hex) {
            return Err("a head's hash is not a SHA-256 as 64 lowercase hexadecimal digits".into());
        }
        Ok(())
    }
}

/// A head the service was shown by a lane: `GET /v1/lanes/{checkpoint}/{lane}/audit-heads`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WitnessedHead {
    pub sequence: u64,
    pub hash: String,
    /// When the service first saw it.
    pub seen_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionReceipt {
    pub decision_id: String,
    pub recorded_at: DateTime<Utc>,
    /// True when the service already had this decision.
    pub duplicate: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardSummary {
    pub card: CardRef,
    pub traveller: String,
    pub name_latin: String,
    pub scenario: String,
    pub summary: String,
    pub status: CardStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MintedToken {
    pub card: CardRef,
    /// The QR text, as the phone app would show it.
    pub qr: String,
    pub expires_at: DateTime<Utc>,
}

/// RFC 9457 problem details, with a stable `code` for machines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub code: String,
}

impl Problem {
    pub fn new(status: u16, code: &str, title: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("urn:lanedesk:problem:{code}"),
            title: title.to_owned(),
            status,
            detail: detail.into(),
            code: code.to_owned(),
        }
    }
}

impl Verification {
    /// The record as the first-line checks read it.
    pub fn record(&self) -> crate::domain::checks::Record<'_> {
        crate::domain::checks::Record {
            card_status: self.card.status,
            holder: &self.holder,
            documents: &self.documents,
            crossings: &self.crossings,
            alerts: &self.alerts,
            presented_before: self.presented_before.as_ref().map(|p| {
                crate::domain::checks::FirstPresentation {
                    checkpoint: &p.checkpoint,
                    lane: &p.lane,
                    at: p.at.timestamp(),
                }
            }),
        }
    }
}
