//! The shipped fixtures: every scenario the product needs, in the real document formats,
//! and every card's code small enough to scan fast.

mod common;

use chrono::Utc;
use lanedesk::domain::checkpoint::Region;
use lanedesk::domain::credential::{self, Claims, Kid};
use lanedesk::domain::documents::{DocumentKind, check_resident_id};
use lanedesk::domain::holder::CardStatus;
use lanedesk::fixtures::{self, Traveller, age_on};
use qrcode::{EcLevel, QrCode, Version};

fn shipped() -> Vec<Traveller> {
    fixtures::load(&common::fixtures_dir(), Utc::now().date_naive()).unwrap()
}

fn by_scenario<'a>(all: &'a [Traveller], scenario: &str) -> &'a Traveller {
    all.iter()
        .find(|t| t.scenario == scenario)
        .unwrap_or_else(|| panic!("no fixture traveller for scenario {scenario}"))
}

#[test]
fn every_required_scenario_has_a_traveller() {
    let all = shipped();
    assert!(all.len() >= 14, "{} travellers", all.len());
    for scenario in [
        "hk-resident",
        "macau-resident",
        "mainland-hk-endorsement",
        "mainland-macau-endorsement",
        "endorsement-expired",
        "endorsement-no-trips-left",
        "permit-expired",
        "permit-expiring-soon",
        "card-revoked",
        "card-reported-lost",
        "watch-list-alert",
        "birth-date-inconsistent",
        "bad-id-check-digit",
        "overstay-return",
        "minor",
    ] {
        by_scenario(&all, scenario);
    }
}

#[test]
fn document_numbers_are_well_formed_except_where_the_scenario_says_otherwise() {
    for t in shipped() {
        for doc in &t.documents {
            let result = doc.check_number();
            if t.scenario == "bad-id-check-digit" && doc.kind == DocumentKind::ResidentId {
                let err = result.unwrap_err().to_string();
                assert!(err.contains("check character"), "{err}");
            } else {
                assert!(
                    result.is_ok(),
                    "{} {}: {:?}",
                    t.holder.id,
                    doc.number,
                    result
                );
            }
        }
    }
}

#[test]
fn resident_ids_agree_with_their_holders() {
    for t in shipped() {
        for doc in t
            .documents
            .iter()
            .filter(|d| d.kind == DocumentKind::ResidentId)
        {
            if let Ok(facts) = check_resident_id(&doc.number) {
                assert_eq!(facts.birth_date, t.holder.birth_date, "{}", t.holder.id);
                assert_eq!(facts.sex, t.holder.sex, "{}", t.holder.id);
            }
        }
    }
}

#[test]
fn residents_hold_the_documents_of_their_residency() {
    for t in shipped() {
        let kinds: Vec<DocumentKind> = t.documents.iter().map(|d| d.kind).collect();
        match t.holder.residency {
            Region::Mainland => {
                assert!(kinds.contains(&DocumentKind::ResidentId), "{}", t.holder.id);
                assert!(
                    kinds.contains(&DocumentKind::ExitEntryPermit),
                    "{}",
                    t.holder.id
                );
            }
            Region::HongKong | Region::Macau => {
                let permit = t
                    .documents
                    .iter()
                    .find(|d| d.kind == DocumentKind::HomeReturnPermit)
                    .unwrap_or_else(|| panic!("{} has no Home Return Permit", t.holder.id));
                let prefix = if t.holder.residency == Region::HongKong {
                    'H'
                } else {
                    'M'
                };
                assert!(permit.number.starts_with(prefix), "{}", permit.number);
            }
        }
    }
}

#[test]
fn time_bound_scenarios_hold_today() {
    let all = shipped();
    let today = Utc::now().date_naive();
    let soon = by_scenario(&all, "permit-expiring-soon");
    let expires = soon.documents[0].expires.unwrap();
    assert!(expires > today && expires <= today + chrono::Duration::days(30));

    let expired = by_scenario(&all, "endorsement-expired");
    let e = &expired.documents[1].endorsements[0];
    assert!(e.valid_until < today);

    let minor = by_scenario(&all, "minor");
    assert!(age_on(minor.holder.birth_date, today) < 16);
    let permit = &minor.documents[1];
    let years = permit
        .expires
        .unwrap()
        .signed_duration_since(permit.issued)
        .num_days()
        / 365;
    assert_eq!(years, 5, "minors get five-year permits");

    let overstay = by_scenario(&all, "overstay-return");
    let out = overstay.crossings.last().unwrap();
    let days_away = (Utc::now() - out.at).num_days();
    let allowed = overstay.documents[1].endorsements[0].max_stay_days;
    assert!(
        days_away > i64::from(allowed),
        "{days_away} days away, {allowed} allowed"
    );

    assert_eq!(
        by_scenario(&all, "card-revoked").card_status,
        CardStatus::Revoked
    );
    assert_eq!(
        by_scenario(&all, "card-reported-lost").card_status,
        CardStatus::ReportedLost
    );
    assert!(!by_scenario(&all, "watch-list-alert").alerts.is_empty());
}

#[test]
fn names_are_in_chinese_and_latin_script() {
    for t in shipped() {
        assert!(
            t.holder
                .name_zh
                .chars()
                .all(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{}",
            t.holder.name_zh
        );
        assert!(t.holder.name_latin.is_ascii(), "{}", t.holder.name_latin);
    }
}

#[test]
fn every_card_code_stays_under_250_characters_and_qr_version_9_at_ecc_m() {
    let key = ed25519_dalek::SigningKey::from_bytes(&[3; 32]);
    for t in shipped() {
        let claims = Claims::fresh("CN-NIA", t.card, Utc::now().timestamp());
        let text = credential::mint(&claims, Kid::random(), &key);
        assert!(
            text.len() < 250,
            "{}: {} characters",
            t.holder.id,
            text.len()
        );
        let code = QrCode::with_error_correction_level(&text, EcLevel::M).unwrap();
        match code.version() {
            Version::Normal(v) => assert!(v <= 9, "{}: QR version {v}", t.holder.id),
            Version::Micro(_) => panic!("unexpected micro QR"),
        }
    }
}

#[test]
fn portraits_are_passport_photos_worth_comparing() {
    // At least 360×480, portrait orientation, so a terminal that draws pictures shows a
    // face an officer can compare with the one in front of them.
    for t in shipped() {
        let image = image::load_from_memory(&t.portrait).unwrap();
        assert!(
            image.width() >= 360 && image.height() >= 480,
            "{}: {}x{}",
            t.holder.id,
            image.width(),
            image.height()
        );
        assert!(image.height() > image.width(), "{}", t.holder.id);
    }
}
