//! One traveller's code on screen, from the read to the decision: what the service said,
//! the portrait, the checks, and the decision with how far it has got.

use chrono::{DateTime, Utc};

use crate::api::Verification;
use crate::domain::checks::{Check, CodeFacts};
use crate::domain::credential::{CardRef, CredentialError};
use crate::domain::decision::DecisionKind;

use super::msg::{Failure, Portrait};

/// What the service said about the current traveller, so far.
#[derive(Debug, Clone)]
pub enum Lookup {
    /// The code was refused offline: the service is not told about it.
    NotAsked,
    Waiting,
    Answered(Box<Verification>),
    Failed(Failure),
}

#[derive(Debug, Clone)]
pub enum PortraitState {
    Waiting,
    Loaded(Portrait),
    Missing(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Being written to the audit log and the outbox.
    Recording,
    /// On disk; waiting for the service to acknowledge it.
    Recorded,
    /// Recorded and acknowledged by the service.
    Sent,
    /// Could not be written: the decision is not recorded.
    NotRecorded,
    /// Recorded at this lane only (the code named no card the service knows).
    LocalOnly,
}

/// A decision made at this lane.
#[derive(Debug, Clone)]
pub struct DecisionRecord {
    pub decision_id: String,
    pub kind: DecisionKind,
    pub at: DateTime<Utc>,
    /// Latin name, or what identifies the code when no record was found.
    pub who: String,
    pub reasons: Vec<String>,
    pub note: String,
    pub override_reason: Option<String>,
    pub delivery: Delivery,
    pub delivery_error: Option<String>,
}

/// One traveller's code, from the read to the decision.
#[derive(Debug, Clone)]
pub struct Presentation {
    pub request: u64,
    pub code: String,
    pub read_at: DateTime<Utc>,
    pub offline: CodeFacts,
    pub card: Option<CardRef>,
    pub lookup: Lookup,
    /// How long the service took to answer, or to fail.
    pub lookup_latency: Option<std::time::Duration>,
    pub portrait: PortraitState,
    pub checks: Vec<Check>,
    pub decision: Option<DecisionRecord>,
    pub selected_doc: usize,
    /// The document whose number is shown in full, until when.
    pub reveal: Option<(usize, DateTime<Utc>)>,
}

impl Presentation {
    pub fn verification(&self) -> Option<&Verification> {
        match &self.lookup {
            Lookup::Answered(v) => Some(v),
            _ => None,
        }
    }

    /// What became of the lookup, in a word for reports: `answered`, `offline` (not
    /// reached), `refused` (a problem code) or `unusable` (an error or a garbled answer).
    pub fn lookup_outcome(&self) -> Option<&'static str> {
        match &self.lookup {
            Lookup::Answered(_) => Some("answered"),
            Lookup::Failed(f) if f.offline => Some("offline"),
            Lookup::Failed(f) if f.code.is_some() => Some("refused"),
            Lookup::Failed(_) => Some("unusable"),
            Lookup::Waiting | Lookup::NotAsked => None,
        }
    }

    /// Still waiting for something before the checks are complete.
    pub fn in_progress(&self) -> bool {
        matches!(self.lookup, Lookup::Waiting)
    }
}

impl Presentation {
    /// Why the code was refused offline, when it was.
    pub fn refusal(&self) -> Option<&CredentialError> {
        match &self.offline {
            CodeFacts::Refused(e) => Some(e),
            _ => None,
        }
    }
}
