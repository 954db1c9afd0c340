//! First-line checks: what the console knows about a presentation, check by check, each with
//! a stable id, an outcome and a finding that reads as a sentence in the officer's language.
//! The checks suggest an action; the officer decides.
//!
//! - `mod.rs`: the types, the code checks, and what the checks suggest
//! - `rules.rs`: the checks on the service's record (card, documents, endorsement, stay,
//!   identity, age, alerts), aware of direction, residency and the lane's destination
//! - `words.rs`: each finding as a sentence in English, Simplified and Traditional Chinese

mod id;
mod names;
mod rules;
mod words;

use chrono::NaiveDate;

use super::checkpoint::{Checkpoint, Direction, Region};
use super::credential::CredentialError;
use super::documents::{Document, DocumentKind, DocumentStatus};
use super::holder::{Alert, AlertSeverity, CardStatus, Crossing, Holder};
use super::text::sanitize;

pub use id::CheckId;
pub use names::{card_status_name, document_name, endorsement_name, region_name};
pub use rules::required_documents;

/// A document expiring within this many days is a warning.
pub const EXPIRY_WARNING_DAYS: i64 = 30;
/// A trust list older than this is a warning: keys may have been revoked since.
pub const TRUST_LIST_STALE_SECS: i64 = 24 * 3600;
/// Under this age a traveller is a minor.
pub const ADULT_AGE: i32 = 18;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    Pass,
    Warning,
    /// The service could not be asked, or has not answered yet.
    Unknown,
    Fail,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Warning => "warning",
            Outcome::Unknown => "unknown",
            Outcome::Fail => "fail",
        }
    }
}

/// What the checks suggest the officer does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suggestion {
    Approve,
    Review,
    Escalate,
}

impl Suggestion {
    pub fn as_str(self) -> &'static str {
        match self {
            Suggestion::Approve => "approve",
            Suggestion::Review => "review",
            Suggestion::Escalate => "escalate",
        }
    }
}

/// The lane the checks run for.
#[derive(Debug, Clone, Copy)]
pub struct LaneContext {
    pub checkpoint: &'static Checkpoint,
    pub direction: Direction,
    /// How old the lane's trust list is, in seconds; `None` when it has none.
    pub trust_age_secs: Option<i64>,
}

/// What the offline verification of the code found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeFacts {
    Genuine,
    Refused(CredentialError),
    /// No trust list yet: only the service can say.
    NotChecked,
    /// Genuine, but read while the lane's clock was too far off (this many seconds, the
    /// service's time minus the lane's) to judge its validity window.
    Untimed {
        offset_secs: i64,
    },
}

/// What the issuance service said, so far.
#[derive(Debug, Clone, Copy)]
pub enum ServiceFacts<'a> {
    Waiting,
    /// Not asked (the code was refused offline).
    NotAsked,
    Unavailable,
    Refused {
        code: &'a str,
    },
    Answered(Record<'a>),
}

/// The service's record of the card and its holder, as the checks need it.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    pub card_status: CardStatus,
    pub holder: &'a Holder,
    pub documents: &'a [Document],
    pub crossings: &'a [Crossing],
    pub alerts: &'a [Alert],
    /// Where and when this same code was first presented, when it was.
    pub presented_before: Option<FirstPresentation<'a>>,
}

#[derive(Debug, Clone, Copy)]
pub struct FirstPresentation<'a> {
    pub checkpoint: &'a str,
    pub lane: &'a str,
    pub at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// Stable id, e.g. `card-active` or `document-valid/exit-entry-permit`.
    pub id: CheckId,
    pub outcome: Outcome,
    pub finding: Finding,
}

/// A field that must agree across documents and with the Resident ID number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    NameZh,
    NameLatin,
    Sex,
    BirthDate,
    /// The birth date the Resident ID number encodes.
    IdNumberBirthDate,
    /// The sex the Resident ID number encodes.
    IdNumberSex,
}

/// What a check found, in enough detail to say it in any language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    CodeGenuine,
    CodeRefused(CredentialError),
    CodeNotCheckedOffline,
    CodeFresh,
    /// The lane's clock is too far off (service minus lane, seconds) to judge the window.
    CodeWindowUnknown {
        offset_secs: i64,
    },
    NotReplayed,
    ReplayedHere {
        first_seen: i64,
    },
    ReplayedElsewhere {
        checkpoint: String,
        lane: String,
        at: i64,
    },
    ReplayOnlyCheckedHere,
    TrustListFresh {
        age_secs: i64,
    },
    TrustListStale {
        age_secs: i64,
    },
    TrustListMissing,
    WaitingForService,
    ServiceUnavailable,
    ServiceRefused {
        code: String,
    },
    Card(CardStatus),
    DocumentValid {
        kind: DocumentKind,
        until: Option<NaiveDate>,
    },
    DocumentExpiring {
        kind: DocumentKind,
        until: NaiveDate,
        days: i64,
    },
    DocumentExpired {
        kind: DocumentKind,
        on: NaiveDate,
    },
    DocumentNotValid {
        kind: DocumentKind,
        status: DocumentStatus,
    },
    NumberWellFormed {
        kind: DocumentKind,
    },
    NumberMalformed {
        kind: DocumentKind,
    },
    RequiredPresent {
        kind: DocumentKind,
    },
    RequiredNotValid {
        kind: DocumentKind,
    },
    RequiredMissing {
        kind: DocumentKind,
    },
    PermitRegionMatches {
        region: Region,
    },
    PermitRegionMismatch {
        permit: Region,
        residency: Region,
    },
    EndorsementValid {
        destination: Region,
        until: NaiveDate,
        trips_left: Option<u32>,
    },
    EndorsementExpired {
        destination: Region,
        on: NaiveDate,
    },
    EndorsementNoTrips {
        destination: Region,
    },
    EndorsementMissing {
        destination: Region,
    },
    StayWithin {
        days: i64,
        limit: u32,
    },
    StayExceeded {
        days: i64,
        limit: u32,
    },
    StayUnknown,
    IdentityConsistent,
    IdentityInconsistent {
        kind: DocumentKind,
        field: Field,
    },
    Minor {
        age: i32,
    },
    NoAlerts,
    Alert {
        code: String,
        severity: AlertSeverity,
        message: String,
    },
}

/// Runs every check that can run with what is known.
pub fn evaluate(
    lane: LaneContext,
    code: &CodeFacts,
    service: ServiceFacts<'_>,
    today: NaiveDate,
) -> Vec<Check> {
    let mut checks = code_checks(code, service);
    checks.push(trust_check(lane.trust_age_secs));
    if matches!(code, CodeFacts::Refused(_)) {
        return checks;
    }
    match service {
        ServiceFacts::Answered(v) => checks.extend(rules::record_checks(lane, v, today)),
        ServiceFacts::Waiting => checks.push(check(
            CheckId::Service,
            Outcome::Unknown,
            Finding::WaitingForService,
        )),
        ServiceFacts::Unavailable => checks.push(check(
            CheckId::Service,
            Outcome::Unknown,
            Finding::ServiceUnavailable,
        )),
        ServiceFacts::Refused { code } => checks.push(check(
            CheckId::Service,
            Outcome::Fail,
            Finding::ServiceRefused {
                code: sanitize(code),
            },
        )),
        ServiceFacts::NotAsked => {}
    }
    checks
}

pub(crate) fn check(id: CheckId, outcome: Outcome, finding: Finding) -> Check {
    Check {
        id,
        outcome,
        finding,
    }
}

fn trust_check(age: Option<i64>) -> Check {
    match age {
        Some(secs) if secs > TRUST_LIST_STALE_SECS => check(
            CheckId::TrustListFresh,
            Outcome::Warning,
            Finding::TrustListStale { age_secs: secs },
        ),
        Some(secs) => check(
            CheckId::TrustListFresh,
            Outcome::Pass,
            Finding::TrustListFresh {
                age_secs: secs.max(0),
            },
        ),
        // Without one the code's own check is unknown (unless the service vouches for it);
        // the missing list itself is a warning, not a reason to need an override.
        None => check(
            CheckId::TrustListFresh,
            Outcome::Warning,
            Finding::TrustListMissing,
        ),
    }
}

fn code_checks(code: &CodeFacts, service: ServiceFacts<'_>) -> Vec<Check> {
    let genuine = || check(CheckId::CodeSignature, Outcome::Pass, Finding::CodeGenuine);
    match code {
        CodeFacts::Refused(
            e @ (CredentialError::Expired { .. } | CredentialError::NotYetValid { .. }),
        ) => {
            vec![
                genuine(),
                check(
                    CheckId::CodeFresh,
                    Outcome::Fail,
                    Finding::CodeRefused(e.clone()),
                ),
            ]
        }
        CodeFacts::Refused(CredentialError::Replayed { first_seen }) => vec![
            genuine(),
            check(CheckId::CodeFresh, Outcome::Pass, Finding::CodeFresh),
            check(
                CheckId::CodeNotReplayed,
                Outcome::Fail,
                Finding::ReplayedHere {
                    first_seen: *first_seen,
                },
            ),
        ],
        CodeFacts::Refused(e) => {
            vec![check(
                CheckId::CodeSignature,
                Outcome::Fail,
                Finding::CodeRefused(e.clone()),
            )]
        }
        CodeFacts::Untimed { offset_secs } => vec![
            genuine(),
            check(
                CheckId::CodeFresh,
                Outcome::Unknown,
                Finding::CodeWindowUnknown {
                    offset_secs: *offset_secs,
                },
            ),
            replay_check(service),
        ],
        CodeFacts::Genuine | CodeFacts::NotChecked => {
            // Without a trust list, a record from the service vouches for the signature.
            let vouched =
                *code == CodeFacts::Genuine || matches!(service, ServiceFacts::Answered(_));
            let mut out = if vouched {
                vec![
                    genuine(),
                    check(CheckId::CodeFresh, Outcome::Pass, Finding::CodeFresh),
                ]
            } else {
                vec![check(
                    CheckId::CodeSignature,
                    Outcome::Unknown,
                    Finding::CodeNotCheckedOffline,
                )]
            };
            out.push(replay_check(service));
            out
        }
    }
}

fn replay_check(service: ServiceFacts<'_>) -> Check {
    match service {
        ServiceFacts::Answered(v) => match v.presented_before {
            Some(first) => check(
                CheckId::CodeNotReplayed,
                Outcome::Fail,
                Finding::ReplayedElsewhere {
                    checkpoint: sanitize(first.checkpoint),
                    lane: sanitize(first.lane),
                    at: first.at,
                },
            ),
            None => check(
                CheckId::CodeNotReplayed,
                Outcome::Pass,
                Finding::NotReplayed,
            ),
        },
        _ => check(
            CheckId::CodeNotReplayed,
            Outcome::Unknown,
            Finding::ReplayOnlyCheckedHere,
        ),
    }
}

/// What the checks suggest: escalate for a forged or replayed code, a revoked or lost card,
/// documents that disagree about who the holder is, or a high alert; review for anything
/// else short of a pass; approve when everything passed.
pub fn suggest(checks: &[Check]) -> Suggestion {
    let escalate = checks.iter().any(|c| {
        let serious = matches!(
            c.id,
            CheckId::CodeSignature
                | CheckId::CodeNotReplayed
                | CheckId::WatchList
                | CheckId::IdentityConsistent
        ) || matches!(
            c.finding,
            Finding::Card(CardStatus::Revoked | CardStatus::ReportedLost)
        );
        c.outcome == Outcome::Fail && serious
    });
    if escalate {
        Suggestion::Escalate
    } else if checks.iter().all(|c| c.outcome == Outcome::Pass) {
        Suggestion::Approve
    } else {
        Suggestion::Review
    }
}

/// The checks that did not pass, as `id:outcome`: what reports and the audit log keep.
pub fn not_passed(checks: &[Check]) -> Vec<String> {
    checks
        .iter()
        .filter(|c| c.outcome != Outcome::Pass)
        .map(|c| format!("{}:{}", c.id, c.outcome.as_str()))
        .collect()
}

/// Whether approving needs an override reason: something failed or could not be checked.
pub fn approval_needs_override(checks: &[Check]) -> bool {
    checks
        .iter()
        .any(|c| matches!(c.outcome, Outcome::Fail | Outcome::Unknown))
}

#[cfg(test)]
mod tests;
