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

/// Verifies `text` as [`verify_offline`] does, but leaves its validity window unjudged: for
/// a lane whose clock is `offset_secs` (the service's time minus the lane's) too far off to
/// judge it. Everything that does not turn on the time is checked as ever (the key and its
/// status are taken as of the code's own issue time), and the replay cache still catches a
/// code shown twice here: it remembers the code for the code's lifetime on the lane's clock,
/// however wrong, as well as until its expiry.
pub fn verify_offline_untimed(
    text: &str,
    trust: Option<&TrustList>,
    now: i64,
    skew_secs: i64,
    replay: Option<&mut ReplayCache>,
    offset_secs: i64,
) -> Offline {
    let parsed = match credential::parse(text) {
        Ok(p) => p,
        Err(e) => {
            return Offline {
                facts: CodeFacts::Refused(e),
                card: None,
            };
        }
    };
    let card = Some(parsed.claims.card);
    let Some(trust) = trust else {
        return Offline {
            facts: CodeFacts::NotChecked,
            card,
        };
    };
    let claims = &parsed.claims;
    let facts = match credential::verify(text, trust, claims.issued_at, skew_secs, None) {
        Err(e) => CodeFacts::Refused(e),
        Ok(_) => {
            let lifetime = claims.expires_at - claims.issued_at;
            let forget_after = (claims.expires_at).max(now + lifetime) + skew_secs;
            let seen = replay.map(|cache| cache.check_and_record(claims.nonce, now, forget_after));
            match seen {
                Some(Err(first_seen)) => {
                    CodeFacts::Refused(CredentialError::Replayed { first_seen })
                }
                _ => CodeFacts::Untimed { offset_secs },
            }
        }
    };
    Offline { facts, card }
}

/// What the lane's clock allows of a code already read, once the clock's standing changed:
/// `untrusted` is the offset (seconds) when the window cannot be judged now. A code refused
/// only for its window is checked again without it; one that passed is left unjudged; one
/// left unjudged is judged on a clock trusted again.
pub fn reconsider_window(
    facts: &CodeFacts,
    text: &str,
    trust: Option<&TrustList>,
    now: i64,
    skew_secs: i64,
    replay: Option<&mut ReplayCache>,
    untrusted: Option<i64>,
) -> CodeFacts {
    let window_failed = matches!(
        facts,
        CodeFacts::Refused(CredentialError::Expired { .. } | CredentialError::NotYetValid { .. })
    );
    match (facts, untrusted) {
        (_, Some(offset)) if window_failed => {
            verify_offline_untimed(text, trust, now, skew_secs, replay, offset).facts
        }
        (CodeFacts::Genuine | CodeFacts::Untimed { .. }, Some(offset_secs)) => {
            CodeFacts::Untimed { offset_secs }
        }
        (CodeFacts::Untimed { .. }, None) => match credential::parse(text) {
            Err(e) => CodeFacts::Refused(e),
            Ok(p) if now > p.claims.expires_at + skew_secs => {
                CodeFacts::Refused(CredentialError::Expired {
                    seconds: now - p.claims.expires_at,
                })
            }
            Ok(p) if p.claims.issued_at > now + skew_secs => {
                CodeFacts::Refused(CredentialError::NotYetValid {
                    seconds: p.claims.issued_at - now,
                })
            }
            Ok(_) => CodeFacts::Genuine,
        },
        (other, _) => other.clone(),
    }
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
