use chrono::NaiveDate;

use super::*;
use crate::domain::checkpoint::Checkpoint;
use crate::domain::documents::{Endorsement, EndorsementType, Trips};
use crate::domain::holder::Sex;
use crate::domain::lang::Lang;
use crate::fixtures::{self, Traveller};

const DAY: &str = "2026-06-15";

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn lane(slug: &str, direction: Direction) -> LaneContext {
    LaneContext {
        checkpoint: Checkpoint::find(slug).unwrap(),
        direction,
        trust_age_secs: Some(600),
    }
}

fn travellers() -> Vec<Traveller> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    fixtures::load(&dir, day(DAY)).unwrap()
}

fn record(t: &Traveller) -> Record<'_> {
    t.record()
}

/// The checks that did not pass, as `id:outcome`, and the suggestion.
fn run(t: &Traveller, lane: LaneContext) -> (Vec<String>, Suggestion) {
    let checks = evaluate(
        lane,
        &CodeFacts::Genuine,
        ServiceFacts::Answered(record(t)),
        day(DAY),
    );
    let mut ids: Vec<String> = checks
        .iter()
        .filter(|c| c.outcome != Outcome::Pass)
        .map(|c| format!("{}:{}", c.id, c.outcome.as_str()))
        .collect();
    ids.sort();
    (ids, suggest(&checks))
}

/// Every fixture scenario, in both directions, at a lane serving its destination:
/// what does not pass, and what the checks suggest.
#[test]
fn every_fixture_scenario_in_both_directions() {
    use Direction::{Entry, Exit};
    use Suggestion::{Approve, Escalate, Review};
    let table: &[(&str, &str, Direction, &[&str], Suggestion)] = &[
        ("hk-resident", "lo-wu", Entry, &[], Approve),
        ("hk-resident", "lo-wu", Exit, &[], Approve),
        ("macau-resident", "gongbei", Entry, &[], Approve),
        ("macau-resident", "gongbei", Exit, &[], Approve),
        ("mainland-hk-endorsement", "lo-wu", Exit, &[], Approve),
        ("mainland-hk-endorsement", "lo-wu", Entry, &[], Approve),
        // Going to Macau on a Hong Kong endorsement is not allowed.
        (
            "mainland-hk-endorsement",
            "gongbei",
            Exit,
            &["endorsement:fail"],
            Review,
        ),
        ("mainland-macau-endorsement", "gongbei", Exit, &[], Approve),
        ("mainland-macau-endorsement", "hzmb", Exit, &[], Approve),
        (
            "mainland-macau-endorsement",
            "lo-wu",
            Exit,
            &["endorsement:fail"],
            Review,
        ),
        ("mainland-macau-endorsement", "gongbei", Entry, &[], Approve),
        (
            "endorsement-expired",
            "lo-wu",
            Exit,
            &["endorsement:fail"],
            Review,
        ),
        // Coming home needs no endorsement.
        ("endorsement-expired", "lo-wu", Entry, &[], Approve),
        (
            "endorsement-no-trips-left",
            "lo-wu",
            Exit,
            &["endorsement:fail"],
            Review,
        ),
        ("endorsement-no-trips-left", "lo-wu", Entry, &[], Approve),
        (
            "permit-expired",
            "lo-wu",
            Exit,
            &[
                "document-required:fail",
                "document-valid/exit-entry-permit:fail",
            ],
            Review,
        ),
        // Home on the Resident ID: the expired permit is still reported.
        (
            "permit-expired",
            "lo-wu",
            Entry,
            &["document-valid/exit-entry-permit:fail"],
            Review,
        ),
        (
            "permit-expiring-soon",
            "lo-wu",
            Entry,
            &["document-valid/home-return-permit:warning"],
            Review,
        ),
        (
            "permit-expiring-soon",
            "lo-wu",
            Exit,
            &["document-valid/home-return-permit:warning"],
            Review,
        ),
        (
            "card-revoked",
            "lo-wu",
            Entry,
            &["card-active:fail"],
            Escalate,
        ),
        (
            "card-revoked",
            "lo-wu",
            Exit,
            &["card-active:fail"],
            Escalate,
        ),
        (
            "card-reported-lost",
            "lo-wu",
            Exit,
            &["card-active:fail"],
            Escalate,
        ),
        (
            "card-reported-lost",
            "lo-wu",
            Entry,
            &["card-active:fail"],
            Escalate,
        ),
        (
            "card-suspended",
            "lo-wu",
            Entry,
            &["card-active:fail"],
            Review,
        ),
        (
            "card-suspended",
            "lo-wu",
            Exit,
            &["card-active:fail"],
            Review,
        ),
        (
            "watch-list-alert",
            "lo-wu",
            Exit,
            &["watch-list:fail"],
            Escalate,
        ),
        (
            "watch-list-alert",
            "lo-wu",
            Entry,
            &["watch-list:fail"],
            Escalate,
        ),
        (
            "birth-date-inconsistent",
            "lo-wu",
            Exit,
            &["identity-consistent:fail"],
            Escalate,
        ),
        (
            "birth-date-inconsistent",
            "lo-wu",
            Entry,
            &["identity-consistent:fail"],
            Escalate,
        ),
        (
            "bad-id-check-digit",
            "lo-wu",
            Exit,
            &["document-number/resident-id:fail"],
            Review,
        ),
        (
            "bad-id-check-digit",
            "lo-wu",
            Entry,
            &["document-number/resident-id:fail"],
            Review,
        ),
        (
            "overstay-return",
            "lo-wu",
            Entry,
            &["stay-limit:fail"],
            Review,
        ),
        ("overstay-return", "lo-wu", Exit, &[], Approve),
        ("minor", "lo-wu", Exit, &["minor:warning"], Review),
        ("minor", "lo-wu", Entry, &["minor:warning"], Review),
    ];
    let travellers = travellers();
    let mut covered = std::collections::HashSet::new();
    for (scenario, slug, direction, expected, suggestion) in table {
        let t = travellers
            .iter()
            .find(|t| t.scenario == *scenario)
            .unwrap_or_else(|| panic!("no {scenario}"));
        covered.insert((*scenario, *direction));
        let (found, suggested) = run(t, lane(slug, *direction));
        assert_eq!(found, *expected, "{scenario} at {slug}, {direction}");
        assert_eq!(suggested, *suggestion, "{scenario} at {slug}, {direction}");
    }
    for t in &travellers {
        for direction in [Entry, Exit] {
            assert!(
                covered.contains(&(t.scenario.as_str(), direction)),
                "{} {direction} is not in the table",
                t.scenario
            );
        }
    }
}

#[test]
fn a_refused_code_stops_the_checks_there() {
    let checks = evaluate(
        lane("lo-wu", Direction::Exit),
        &CodeFacts::Refused(CredentialError::BadSignature),
        ServiceFacts::NotAsked,
        day(DAY),
    );
    let ids: Vec<_> = checks.iter().map(|c| (c.id.wire(), c.outcome)).collect();
    assert_eq!(
        ids,
        vec![
            ("code-signature".to_owned(), Outcome::Fail),
            ("trust-list-fresh".to_owned(), Outcome::Pass)
        ]
    );
    assert_eq!(suggest(&checks), Suggestion::Escalate);
}

#[test]
fn an_expired_code_is_genuine_but_not_fresh() {
    let checks = evaluate(
        lane("lo-wu", Direction::Exit),
        &CodeFacts::Refused(CredentialError::Expired { seconds: 90 }),
        ServiceFacts::NotAsked,
        day(DAY),
    );
    assert_eq!(checks[0].outcome, Outcome::Pass);
    assert_eq!(
        (checks[1].id, checks[1].outcome),
        (CheckId::CodeFresh, Outcome::Fail)
    );
    assert_eq!(suggest(&checks), Suggestion::Review);
}

#[test]
fn offline_the_record_checks_are_unknown_and_a_stale_trust_list_warns() {
    let mut lane = lane("lo-wu", Direction::Entry);
    lane.trust_age_secs = Some(TRUST_LIST_STALE_SECS + 3600);
    let checks = evaluate(
        lane,
        &CodeFacts::Genuine,
        ServiceFacts::Unavailable,
        day(DAY),
    );
    let find = |id: &str| checks.iter().find(|c| c.id.wire() == id).map(|c| c.outcome);
    assert_eq!(find("trust-list-fresh"), Some(Outcome::Warning));
    assert_eq!(find("service"), Some(Outcome::Unknown));
    assert_eq!(find("code-not-replayed"), Some(Outcome::Unknown));
    assert!(approval_needs_override(&checks));
    lane.trust_age_secs = None;
    let checks = evaluate(
        lane,
        &CodeFacts::NotChecked,
        ServiceFacts::Unavailable,
        day(DAY),
    );
    assert_eq!(checks[0].outcome, Outcome::Unknown);
}

#[test]
fn documents_warn_thirty_days_before_expiry_and_fail_after() {
    let mut t = travellers()
        .into_iter()
        .find(|t| t.scenario == "hk-resident")
        .unwrap();
    let outcome = |t: &Traveller| {
        evaluate(
            lane("lo-wu", Direction::Entry),
            &CodeFacts::Genuine,
            ServiceFacts::Answered(record(t)),
            day(DAY),
        )
        .into_iter()
        .find(|c| c.id == CheckId::DocumentValid(DocumentKind::HomeReturnPermit))
        .unwrap()
        .outcome
    };
    for (expires, expected) in [
        ("2026-07-15", Outcome::Warning),
        ("2026-07-16", Outcome::Pass),
        ("2026-06-14", Outcome::Fail),
    ] {
        t.documents[0].expires = Some(day(expires));
        assert_eq!(outcome(&t), expected, "{expires}");
    }
    t.documents[0].expires = Some(day("2030-01-01"));
    t.documents[0].status = DocumentStatus::ReportedLost;
    assert_eq!(outcome(&t), Outcome::Fail);
}

#[test]
fn a_permit_issued_for_the_other_region_fails() {
    let mut t = travellers()
        .into_iter()
        .find(|t| t.scenario == "hk-resident")
        .unwrap();
    t.holder.residency = Region::Macau;
    let (found, _) = run(&t, lane("gongbei", Direction::Entry));
    assert_eq!(found, vec!["permit-region:fail".to_owned()]);
}

#[test]
fn the_resident_id_number_must_agree_with_the_holder() {
    let mut t = travellers()
        .into_iter()
        .find(|t| t.scenario == "mainland-hk-endorsement")
        .unwrap();
    t.holder.sex = if t.holder.sex == Sex::Male {
        Sex::Female
    } else {
        Sex::Male
    };
    for d in &mut t.documents {
        d.sex = t.holder.sex;
    }
    let checks = evaluate(
        lane("lo-wu", Direction::Exit),
        &CodeFacts::Genuine,
        ServiceFacts::Answered(record(&t)),
        day(DAY),
    );
    let identity = checks
        .iter()
        .find(|c| c.id == CheckId::IdentityConsistent)
        .unwrap();
    assert_eq!(
        identity.finding,
        Finding::IdentityInconsistent {
            kind: DocumentKind::ResidentId,
            field: Field::IdNumberSex
        }
    );
}

#[test]
fn an_endorsement_for_either_destination_serves_the_bridge() {
    let t = travellers()
        .into_iter()
        .find(|t| t.scenario == "mainland-hk-endorsement")
        .unwrap();
    assert_eq!(
        run(&t, lane("hzmb", Direction::Exit)).1,
        Suggestion::Approve
    );
    let mut t = t;
    for d in &mut t.documents {
        d.endorsements = vec![Endorsement {
            destination: Region::Macau,
            kind: EndorsementType::T,
            valid_from: day("2026-07-01"),
            valid_until: day("2026-12-31"),
            trips: Trips::One,
            trips_used: 0,
            max_stay_days: 14,
        }];
    }
    // Not valid yet: reported as out of date.
    let checks = evaluate(
        lane("hzmb", Direction::Exit),
        &CodeFacts::Genuine,
        ServiceFacts::Answered(record(&t)),
        day(DAY),
    );
    let e = checks
        .iter()
        .find(|c| c.id == CheckId::Endorsement)
        .unwrap();
    assert!(
        matches!(
            e.finding,
            Finding::EndorsementExpired {
                destination: Region::Macau,
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn every_finding_has_a_sentence_in_each_language() {
    let findings = [
        Finding::CodeGenuine,
        Finding::CodeRefused(CredentialError::BadSignature),
        Finding::NotReplayed,
        Finding::ReplayedElsewhere {
            checkpoint: "futian".into(),
            lane: "3".into(),
            at: 0,
        },
        Finding::TrustListStale {
            age_secs: 30 * 3600,
        },
        Finding::TrustListMissing,
        Finding::ServiceUnavailable,
        Finding::Card(CardStatus::ReportedLost),
        Finding::RequiredNotValid {
            kind: DocumentKind::ExitEntryPermit,
        },
        Finding::PermitRegionMismatch {
            permit: Region::HongKong,
            residency: Region::Macau,
        },
        Finding::EndorsementNoTrips {
            destination: Region::HongKong,
        },
        Finding::StayExceeded { days: 12, limit: 7 },
        Finding::StayUnknown,
        Finding::IdentityInconsistent {
            kind: DocumentKind::ExitEntryPermit,
            field: Field::BirthDate,
        },
        Finding::Minor { age: 12 },
        Finding::Alert {
            code: "W1".into(),
            severity: AlertSeverity::High,
            message: "see case".into(),
        },
    ];
    for f in &findings {
        let en = f.sentence(Lang::En);
        let hans = f.sentence(Lang::ZhHans);
        let hant = f.sentence(Lang::ZhHant);
        assert!(
            !en.is_empty() && !hans.is_empty() && !hant.is_empty(),
            "{f:?}"
        );
        assert_ne!(en, hans, "{f:?}");
        assert!(hans.chars().any(|c| c as u32 > 0x2e80), "{f:?}: {hans}");
    }
}

#[test]
fn only_a_pass_on_everything_suggests_approval() {
    let pass = Check {
        id: CheckId::CodeSignature,
        outcome: Outcome::Pass,
        finding: Finding::CodeGenuine,
    };
    let unknown = Check {
        id: CheckId::Service,
        outcome: Outcome::Unknown,
        finding: Finding::ServiceUnavailable,
    };
    assert_eq!(suggest(std::slice::from_ref(&pass)), Suggestion::Approve);
    assert_eq!(
        suggest(&[pass.clone(), unknown.clone()]),
        Suggestion::Review
    );
    assert!(approval_needs_override(&[pass, unknown]));
}
