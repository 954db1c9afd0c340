//! The verdict the checks give, and what the officer may decide at first line. One rule,
//! here: the view only shows it, the console enforces it, training grades against it, and
//! the audit log records the verdict that was shown.
//!
//! - `Clear`: every check passed.
//! - `Review`: warnings, unknowns (the service could not be asked), or a failure the
//!   officer handles at the desk (a document problem: flag it).
//! - `Escalate`: a failure or an alert that needs second line (a watch-list hit, a revoked
//!   or lost card, documents that disagree about who the holder is).
//! - `Refused`: the code itself is not genuine, not fresh, or presented before.
//!
//! Hard stops cannot be approved at first line at all: refused codes, a card revoked,
//! suspended or reported lost, and a watch-list alert. Approving over any other failure or
//! an unknown is an override that names each check it overrides.

use std::fmt;

use super::checks::{self, Check, CheckId, Finding, Outcome, Suggestion};
use super::holder::CardStatus;
use super::lang::Lang;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    Clear,
    Review,
    Escalate,
    Refused,
}

impl Verdict {
    /// What the checks say, as one verdict.
    pub fn of(checks: &[Check]) -> Verdict {
        if checks.iter().any(refuses) {
            Verdict::Refused
        } else {
            match checks::suggest(checks) {
                Suggestion::Escalate => Verdict::Escalate,
                Suggestion::Review => Verdict::Review,
                Suggestion::Approve => Verdict::Clear,
            }
        }
    }

    /// The word on the verdict bar and in the audit log (`clear`, `refused`, ...).
    pub fn wire(self) -> &'static str {
        match self {
            Verdict::Clear => "clear",
            Verdict::Review => "review",
            Verdict::Escalate => "escalate",
            Verdict::Refused => "refused",
        }
    }

    pub fn word(self, lang: Lang) -> &'static str {
        match self {
            Verdict::Clear => lang.pick("CLEAR", "通过", "通過"),
            Verdict::Review => lang.pick("REVIEW", "需核查", "需核查"),
            Verdict::Escalate => lang.pick("ESCALATE", "移交二线", "移交二線"),
            Verdict::Refused => lang.pick("REFUSED", "拒绝", "拒絕"),
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.wire())
    }
}

/// A failed check on the code itself (or the service refusing the code).
fn refuses(c: &Check) -> bool {
    c.outcome == Outcome::Fail && (c.id.is_code() || c.id == CheckId::Service)
}

/// A failed check that no first-line officer may approve over.
pub fn is_hard_stop(c: &Check) -> bool {
    if c.outcome != Outcome::Fail {
        return false;
    }
    refuses(c)
        || c.id == CheckId::WatchList
        || matches!(
            c.finding,
            Finding::Card(CardStatus::Revoked | CardStatus::Suspended | CardStatus::ReportedLost)
        )
}

/// Whether the officer may approve, and on what terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Approval {
    /// Everything passed (or only warnings): A approves.
    Allowed,
    /// A document-level failure or an unknown: approving is an override naming these checks,
    /// with a reason code, a note and a second confirmation.
    Override(Vec<CheckId>),
    /// A hard stop: not at first line. Flag or escalate.
    Forbidden(Vec<CheckId>),
}

/// The one rule for approving.
pub fn approval(checks: &[Check]) -> Approval {
    let stops: Vec<CheckId> = checks
        .iter()
        .filter(|c| is_hard_stop(c))
        .map(|c| c.id)
        .collect();
    if !stops.is_empty() {
        return Approval::Forbidden(dedup(stops));
    }
    let overridden: Vec<CheckId> = checks
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Fail | Outcome::Unknown))
        .map(|c| c.id)
        .collect();
    if overridden.is_empty() {
        Approval::Allowed
    } else {
        Approval::Override(dedup(overridden))
    }
}

fn dedup(mut ids: Vec<CheckId>) -> Vec<CheckId> {
    let mut seen = Vec::with_capacity(ids.len());
    ids.retain(|id| {
        if seen.contains(id) {
            false
        } else {
            seen.push(*id);
            true
        }
    });
    ids
}

/// The checks that decide the verdict, most serious first: hard stops, then failures, then
/// unknowns, then warnings. Empty when everything passed.
pub fn deciding(checks: &[Check]) -> Vec<&Check> {
    let rank = |c: &Check| match (is_hard_stop(c), c.outcome) {
        (true, _) => 0,
        (false, Outcome::Fail) => 1,
        (false, Outcome::Unknown) => 2,
        (false, Outcome::Warning) => 3,
        (false, Outcome::Pass) => 4,
    };
    let mut out: Vec<&Check> = checks.iter().filter(|c| rank(c) < 4).collect();
    out.sort_by_key(|c| rank(c));
    out
}

/// Reasons an officer may give for approving over a check (with a note).
macro_rules! override_reasons {
    ($($variant:ident = $wire:literal, [$en:literal, $hans:literal, $hant:literal];)+) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum OverrideReason {
            $($variant,)+
        }

        impl OverrideReason {
            pub const ALL: &'static [OverrideReason] = &[$(OverrideReason::$variant,)+];

            pub fn wire(self) -> &'static str {
                match self {
                    $(OverrideReason::$variant => $wire,)+
                }
            }

            pub fn parse(text: &str) -> Option<OverrideReason> {
                match text {
                    $($wire => Some(OverrideReason::$variant),)+
                    _ => None,
                }
            }

            pub fn label(self, lang: Lang) -> &'static str {
                match self {
                    $(OverrideReason::$variant => lang.pick($en, $hans, $hant),)+
                }
            }
        }
    };
}

override_reasons! {
    DocumentSeen = "document-seen", ["Original document inspected and valid", "已核验证件原件，有效", "已核驗證件原件，有效"];
    ServiceOffline = "service-offline", ["Service offline: identity confirmed by documents", "系统离线：已凭证件确认身份", "系統離線：已憑證件確認身份"];
    SupervisorApproved = "supervisor-approved", ["Supervisor approved", "值班主管批准", "值班主管批准"];
    Humanitarian = "humanitarian", ["Humanitarian or emergency", "人道或紧急情况", "人道或緊急情況"];
    LaneClockWrong = "lane-clock-wrong", ["Lane clock wrong: the code on the phone is current", "本机时钟有误：手机上的二维码为当前有效", "本機時鐘有誤：手機上的二維碼為當前有效"];
    Other = "other", ["Other (see note)", "其他（见备注）", "其他（見備註）"];
}

impl OverrideReason {
    /// The reason the checks point to: the lane's clock when the code's window could not be
    /// judged on it, service offline when only unknowns are overridden.
    pub fn suggested(overridden: &[CheckId], checks: &[Check]) -> OverrideReason {
        let clock = checks.iter().any(|c| {
            overridden.contains(&c.id) && matches!(c.finding, Finding::CodeWindowUnknown { .. })
        });
        if clock {
            return OverrideReason::LaneClockWrong;
        }
        let only_unknown = checks
            .iter()
            .filter(|c| overridden.contains(&c.id))
            .all(|c| c.outcome == Outcome::Unknown);
        if only_unknown {
            OverrideReason::ServiceOffline
        } else {
            OverrideReason::DocumentSeen
        }
    }

    pub fn index(self) -> usize {
        Self::ALL.iter().position(|r| *r == self).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::checks::Finding;
    use crate::domain::credential::CredentialError;
    use crate::domain::documents::DocumentKind;

    fn c(id: CheckId, outcome: Outcome, finding: Finding) -> Check {
        Check {
            id,
            outcome,
            finding,
        }
    }

    fn pass() -> Check {
        c(CheckId::CodeSignature, Outcome::Pass, Finding::CodeGenuine)
    }

    #[test]
    fn each_verdict_from_its_checks() {
        assert_eq!(Verdict::of(&[pass()]), Verdict::Clear);
        let expiring = c(
            CheckId::TrustListFresh,
            Outcome::Warning,
            Finding::TrustListStale { age_secs: 100_000 },
        );
        assert_eq!(Verdict::of(&[pass(), expiring]), Verdict::Review);
        let expired = c(
            CheckId::DocumentValid(DocumentKind::ExitEntryPermit),
            Outcome::Fail,
            Finding::DocumentExpired {
                kind: DocumentKind::ExitEntryPermit,
                on: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            },
        );
        assert_eq!(Verdict::of(&[pass(), expired.clone()]), Verdict::Review);
        let revoked = c(
            CheckId::CardActive,
            Outcome::Fail,
            Finding::Card(CardStatus::Revoked),
        );
        assert_eq!(Verdict::of(&[pass(), revoked]), Verdict::Escalate);
        let stale = c(
            CheckId::CodeFresh,
            Outcome::Fail,
            Finding::CodeRefused(CredentialError::Expired { seconds: 90 }),
        );
        assert_eq!(Verdict::of(&[pass(), stale, expired]), Verdict::Refused);
    }

    #[test]
    fn hard_stops_forbid_approval_and_other_failures_need_an_override() {
        let suspended = c(
            CheckId::CardActive,
            Outcome::Fail,
            Finding::Card(CardStatus::Suspended),
        );
        assert_eq!(
            approval(&[pass(), suspended.clone()]),
            Approval::Forbidden(vec![CheckId::CardActive])
        );
        assert_eq!(Verdict::of(&[pass(), suspended]), Verdict::Review);
        let offline = c(
            CheckId::Service,
            Outcome::Unknown,
            Finding::ServiceUnavailable,
        );
        assert_eq!(
            approval(&[pass(), offline.clone()]),
            Approval::Override(vec![CheckId::Service])
        );
        assert_eq!(
            OverrideReason::suggested(&[CheckId::Service], &[offline]),
            OverrideReason::ServiceOffline
        );
        assert_eq!(approval(&[pass()]), Approval::Allowed);
        let forged = c(
            CheckId::CodeSignature,
            Outcome::Fail,
            Finding::CodeRefused(CredentialError::BadSignature),
        );
        assert!(matches!(approval(&[forged]), Approval::Forbidden(_)));
    }
}
