//! One pipeline from a QR text to what the officer is told: the code verified offline
//! (trust list, replay cache), then the service's answer, then the checks and what they
//! suggest. The console and `lanedesk verify` both go through here, so the screen and the
//! command line can never disagree.

use chrono::NaiveDate;

use super::checks::{
    self, Check, CheckId, CodeFacts, Finding, LaneContext, Outcome, ServiceFacts, Suggestion,
};
use super::credential::{self, CardRef, CredentialError};
use super::holder::CardStatus;
use super::lang::Lang;
use super::replay::ReplayCache;
use super::trust::TrustList;

/// What the lane knows of a code before the service is asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offline {
    pub facts: CodeFacts,
    /// The card the code names, when it parses at all.
    pub card: Option<CardRef>,
}

impl Offline {
    /// A refused code is never sent to the service.
    pub fn refused(&self) -> Option<&CredentialError> {
        match &self.facts {
            CodeFacts::Refused(e) => Some(e),
            _ => None,
        }
    }
}

/// Verifies `text` offline: with the lane's trust list when it has one (and its replay
/// cache, which a genuine code then enters), else only its structure.
pub fn verify_offline(
    text: &str,
    trust: Option<&TrustList>,
    now: i64,
    skew_secs: i64,
    replay: Option<&mut ReplayCache>,
) -> Offline {
    let parsed = credential::parse(text);
    let card = parsed.as_ref().ok().map(|p| p.claims.card);
    let facts = match (trust, parsed) {
        (_, Err(e)) => CodeFacts::Refused(e),
        (Some(trust), Ok(_)) => match credential::verify(text, trust, now, skew_secs, replay) {
            Ok(_) => CodeFacts::Genuine,
            Err(e) => CodeFacts::Refused(e),
        },
        (None, Ok(_)) => CodeFacts::NotChecked,
    };
    Offline { facts, card }
}

/// The checks on a presentation and what they suggest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    pub checks: Vec<Check>,
    pub suggestion: Suggestion,
}

/// Runs the checks on what is known: the offline facts and the service's answer so far.
pub fn assess(
    lane: LaneContext,
    code: &CodeFacts,
    service: ServiceFacts<'_>,
    today: NaiveDate,
) -> Assessment {
    let checks = checks::evaluate(lane, code, service, today);
    let suggestion = checks::suggest(&checks);
    Assessment { checks, suggestion }
}

impl Assessment {
    /// Why the code is not accepted, when it is not: the first code check or card check
    /// that failed, with a stable reason code. Accepted means genuine, fresh, presented
    /// for the first time anywhere, and the card active.
    pub fn refusal(&self) -> Option<Refusal<'_>> {
        self.checks
            .iter()
            .filter(|c| c.outcome == Outcome::Fail)
            .find_map(|c| {
                let code = match &c.finding {
                    Finding::CodeRefused(e) => e.code(),
                    Finding::ReplayedHere { .. } | Finding::ReplayedElsewhere { .. } => "replayed",
                    Finding::Card(CardStatus::Suspended) => "card-suspended",
                    Finding::Card(CardStatus::Revoked) => "card-revoked",
                    Finding::Card(CardStatus::ReportedLost) => "card-reported-lost",
                    Finding::ServiceRefused { code } => {
                        return Some(Refusal {
                            code: code.as_str(),
                            check: c,
                        });
                    }
                    _ => return None,
                };
                Some(Refusal { code, check: c })
            })
    }

    /// The checks as `id:outcome` for those that did not pass.
    pub fn not_passed(&self) -> Vec<String> {
        checks::not_passed(&self.checks)
    }

    /// The outcome of one check, when it ran.
    pub fn outcome(&self, id: CheckId) -> Option<Outcome> {
        self.checks.iter().find(|c| c.id == id).map(|c| c.outcome)
    }
}

/// Why a code was refused: a stable reason code and the check that says so.
#[derive(Debug, Clone, Copy)]
pub struct Refusal<'a> {
    pub code: &'a str,
    pub check: &'a Check,
}

impl Refusal<'_> {
    pub fn sentence(&self, lang: Lang) -> String {
        self.check.finding.sentence(lang)
    }
}
