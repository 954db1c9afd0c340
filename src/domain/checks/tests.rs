use chrono::NaiveDate;

use super::*;
use crate::domain::checkpoint::Checkpoint;
use crate::domain::documents::Endorsement;
use crate::domain::holder::{Holder, Sex};

fn lane(slug: &str, direction: Direction) -> LaneContext {
    LaneContext {
        checkpoint: Checkpoint::find(slug).unwrap(),
        direction,
    }
}

fn holder(residency: Region) -> Holder {
    Holder {
        id: "X".into(),
        name_zh: "测试".into(),
        name_latin: "TEST".into(),
        sex: Sex::Female,
        birth_date: NaiveDate::from_ymd_opt(1990, 1, 1).unwrap(),
        residency,
        photo: String::new(),
    }
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

#[test]
fn a_refused_code_stops_the_checks_there() {
    let checks = evaluate(
        lane("lo-wu", Direction::Exit),
        &CodeFacts::Refused(CredentialError::BadSignature),
        ServiceFacts::NotAsked,
        day("2026-06-15"),
    );
    assert_eq!(checks.len(), 1);
    assert_eq!(
        (checks[0].id.as_str(), checks[0].outcome),
        ("code-signature", Outcome::Fail)
    );
    assert_eq!(suggest(&checks), Suggestion::Escalate);
}

#[test]
fn an_expired_code_is_genuine_but_not_fresh() {
    let checks = evaluate(
        lane("lo-wu", Direction::Exit),
        &CodeFacts::Refused(CredentialError::Expired { seconds: 90 }),
        ServiceFacts::NotAsked,
        day("2026-06-15"),
    );
    let ids: Vec<_> = checks.iter().map(|c| (c.id.as_str(), c.outcome)).collect();
    assert_eq!(
        ids,
        vec![
            ("code-signature", Outcome::Pass),
            ("code-fresh", Outcome::Fail)
        ]
    );
    assert_eq!(suggest(&checks), Suggestion::Review);
}

#[test]
fn documents_warn_thirty_days_before_expiry_and_fail_after() {
    let h = holder(Region::HongKong);
    let mut doc = Document {
        kind: DocumentKind::HomeReturnPermit,
        number: "H12345678".into(),
        issued: day("2020-01-01"),
        expires: Some(day("2026-07-15")),
        status: DocumentStatus::Valid,
        name_zh: h.name_zh.clone(),
        name_latin: h.name_latin.clone(),
        sex: h.sex,
        birth_date: h.birth_date,
        endorsements: vec![],
    };
    let run = |doc: &Document| {
        let docs = [doc.clone()];
        let record = Record {
            card_status: CardStatus::Active,
            holder: &h,
            documents: &docs,
            alerts: &[],
            presented_before: None,
        };
        evaluate(
            lane("lo-wu", Direction::Entry),
            &CodeFacts::Genuine,
            ServiceFacts::Answered(record),
            day("2026-06-15"),
        )
        .into_iter()
        .find(|c| c.id == "document-valid/home-return-permit")
        .unwrap()
    };
    assert_eq!(run(&doc).outcome, Outcome::Warning);
    doc.expires = Some(day("2026-07-16"));
    assert_eq!(run(&doc).outcome, Outcome::Pass);
    doc.expires = Some(day("2026-06-14"));
    assert_eq!(run(&doc).outcome, Outcome::Fail);
    doc.expires = Some(day("2030-01-01"));
    doc.status = DocumentStatus::ReportedLost;
    assert_eq!(run(&doc).outcome, Outcome::Fail);
}

#[test]
fn a_mainland_resident_leaving_needs_an_endorsement_for_this_lanes_destination() {
    let h = holder(Region::Mainland);
    let permit = Document {
        kind: DocumentKind::ExitEntryPermit,
        number: "C12345678".into(),
        issued: day("2024-01-01"),
        expires: Some(day("2034-01-01")),
        status: DocumentStatus::Valid,
        name_zh: h.name_zh.clone(),
        name_latin: h.name_latin.clone(),
        sex: h.sex,
        birth_date: h.birth_date,
        endorsements: vec![Endorsement {
            destination: Region::Macau,
            kind: EndorsementType::T,
            valid_from: day("2026-01-01"),
            valid_until: day("2026-12-31"),
            trips: crate::domain::documents::Trips::One,
            trips_used: 0,
            max_stay_days: 14,
        }],
    };
    let docs = [permit];
    let record = Record {
        card_status: CardStatus::Active,
        holder: &h,
        documents: &docs,
        alerts: &[],
        presented_before: None,
    };
    let endorsement = |slug| {
        evaluate(
            lane(slug, Direction::Exit),
            &CodeFacts::Genuine,
            ServiceFacts::Answered(record),
            day("2026-06-15"),
        )
        .into_iter()
        .find(|c| c.id == "endorsement")
        .unwrap()
    };
    assert_eq!(endorsement("gongbei").outcome, Outcome::Pass);
    assert_eq!(endorsement("hzmb").outcome, Outcome::Pass);
    let lo_wu = endorsement("lo-wu");
    assert_eq!(lo_wu.outcome, Outcome::Fail);
    assert_eq!(
        lo_wu.finding,
        Finding::EndorsementMissing {
            destination: Region::HongKong
        }
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
        Finding::ServiceUnavailable,
        Finding::Card(CardStatus::ReportedLost),
        Finding::EndorsementNoTrips {
            destination: Region::HongKong,
        },
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
        id: "a".into(),
        outcome: Outcome::Pass,
        finding: Finding::CodeGenuine,
    };
    let unknown = Check {
        id: "service".into(),
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
