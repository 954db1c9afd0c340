//! The checks on the service's record, aware of the direction of travel, the traveller's
//! residency and where this lane's travellers go.

use chrono::{Datelike, NaiveDate};

use super::{
    ADULT_AGE, Check, CheckId, EXPIRY_WARNING_DAYS, Field, Finding, LaneContext, Outcome, Record,
    check,
};
use crate::domain::checkpoint::{Checkpoint, Direction, Region};
use crate::domain::documents::{
    Document, DocumentKind, DocumentStatus, check_home_return_permit, check_resident_id,
};
use crate::domain::holder::{AlertSeverity, CardStatus, Holder};
use crate::domain::text::sanitize;

pub(super) fn record_checks(lane: LaneContext, v: Record<'_>, today: NaiveDate) -> Vec<Check> {
    let card_outcome = if v.card_status == CardStatus::Active {
        Outcome::Pass
    } else {
        Outcome::Fail
    };
    let mut out = vec![check(
        CheckId::CardActive,
        card_outcome,
        Finding::Card(v.card_status),
    )];
    out.push(required_check(lane, v, today));
    for doc in v.documents {
        out.push(validity_check(doc, today));
        out.push(number_check(doc));
    }
    out.extend(permit_region_check(v));
    out.push(identity_check(v));
    match (v.holder.residency, lane.direction) {
        (Region::Mainland, Direction::Exit) => out.push(endorsement_check(lane, v, today)),
        (Region::Mainland, Direction::Entry) => out.extend(stay_check(v, today)),
        _ => {}
    }
    out.extend(minor_check(v.holder, today));
    out.extend(alert_checks(v));
    out
}

/// The documents a traveller may cross on, by residency and direction, in order of
/// preference. Mainland residents come home on their Resident ID or their permit.
pub fn required_documents(residency: Region, direction: Direction) -> &'static [DocumentKind] {
    match (residency, direction) {
        (Region::Mainland, Direction::Exit) => &[DocumentKind::ExitEntryPermit],
        (Region::Mainland, Direction::Entry) => {
            &[DocumentKind::ResidentId, DocumentKind::ExitEntryPermit]
        }
        (Region::HongKong | Region::Macau, _) => &[DocumentKind::HomeReturnPermit],
    }
}

fn usable(doc: &Document, today: NaiveDate) -> bool {
    doc.status == DocumentStatus::Valid && doc.expires.is_none_or(|d| d >= today)
}

fn required_check(lane: LaneContext, v: Record<'_>, today: NaiveDate) -> Check {
    let kinds = required_documents(v.holder.residency, lane.direction);
    let present: Vec<&Document> = v
        .documents
        .iter()
        .filter(|d| kinds.contains(&d.kind))
        .collect();
    if let Some(doc) = present.iter().find(|d| usable(d, today)) {
        return check(
            CheckId::RequiredDocument,
            Outcome::Pass,
            Finding::RequiredPresent { kind: doc.kind },
        );
    }
    match present.first() {
        Some(doc) => check(
            CheckId::RequiredDocument,
            Outcome::Fail,
            Finding::RequiredNotValid { kind: doc.kind },
        ),
        None => check(
            CheckId::RequiredDocument,
            Outcome::Fail,
            Finding::RequiredMissing { kind: kinds[0] },
        ),
    }
}

fn validity_check(doc: &Document, today: NaiveDate) -> Check {
    let kind = doc.kind;
    let id = CheckId::DocumentValid(kind);
    if doc.status != DocumentStatus::Valid {
        return check(
            id,
            Outcome::Fail,
            Finding::DocumentNotValid {
                kind,
                status: doc.status,
            },
        );
    }
    match doc.expires {
        Some(until) if until < today => check(
            id,
            Outcome::Fail,
            Finding::DocumentExpired { kind, on: until },
        ),
        Some(until) if (until - today).num_days() <= EXPIRY_WARNING_DAYS => check(
            id,
            Outcome::Warning,
            Finding::DocumentExpiring {
                kind,
                until,
                days: (until - today).num_days(),
            },
        ),
        until => check(id, Outcome::Pass, Finding::DocumentValid { kind, until }),
    }
}

fn number_check(doc: &Document) -> Check {
    let kind = doc.kind;
    let id = CheckId::DocumentNumber(kind);
    match doc.check_number() {
        Ok(()) => check(id, Outcome::Pass, Finding::NumberWellFormed { kind }),
        Err(_) => check(id, Outcome::Fail, Finding::NumberMalformed { kind }),
    }
}

/// A Home Return Permit is issued for Hong Kong (H...) or Macau (M...) residents: it must
/// match the holder's residency.
fn permit_region_check(v: Record<'_>) -> Option<Check> {
    let residency = v.holder.residency;
    if residency == Region::Mainland {
        return None;
    }
    let permit = v
        .documents
        .iter()
        .find(|d| d.kind == DocumentKind::HomeReturnPermit)?;
    let region = check_home_return_permit(&permit.number).ok()?;
    Some(if region == residency {
        check(
            CheckId::PermitRegion,
            Outcome::Pass,
            Finding::PermitRegionMatches { region },
        )
    } else {
        check(
            CheckId::PermitRegion,
            Outcome::Fail,
            Finding::PermitRegionMismatch {
                permit: region,
                residency,
            },
        )
    })
}

fn same_latin(a: &str, b: &str) -> bool {
    let fold = |s: &str| {
        s.split_whitespace()
            .map(str::to_uppercase)
            .collect::<Vec<_>>()
            .join(" ")
    };
    fold(a) == fold(b)
}

/// The first disagreement between the holder's record, each document, and what the
/// Resident ID number encodes.
fn first_mismatch(holder: &Holder, documents: &[Document]) -> Option<(DocumentKind, Field)> {
    for doc in documents {
        let fields = [
            (doc.name_zh.trim() != holder.name_zh.trim(), Field::NameZh),
            (
                !same_latin(&doc.name_latin, &holder.name_latin),
                Field::NameLatin,
            ),
            (doc.sex != holder.sex, Field::Sex),
            (doc.birth_date != holder.birth_date, Field::BirthDate),
        ];
        if let Some((_, field)) = fields.iter().find(|(differs, _)| *differs) {
            return Some((doc.kind, *field));
        }
        if doc.kind == DocumentKind::ResidentId
            && let Ok(facts) = check_resident_id(&doc.number)
        {
            if facts.birth_date != holder.birth_date {
                return Some((doc.kind, Field::IdNumberBirthDate));
            }
            if facts.sex != holder.sex {
                return Some((doc.kind, Field::IdNumberSex));
            }
        }
    }
    None
}

fn identity_check(v: Record<'_>) -> Check {
    match first_mismatch(v.holder, v.documents) {
        None => check(
            CheckId::IdentityConsistent,
            Outcome::Pass,
            Finding::IdentityConsistent,
        ),
        Some((kind, field)) => check(
            CheckId::IdentityConsistent,
            Outcome::Fail,
            Finding::IdentityInconsistent { kind, field },
        ),
    }
}

fn endorsement_check(lane: LaneContext, v: Record<'_>, today: NaiveDate) -> Check {
    let id = CheckId::Endorsement;
    let destinations = lane.checkpoint.destinations;
    let candidates: Vec<_> = v
        .documents
        .iter()
        .filter(|d| d.kind == DocumentKind::ExitEntryPermit)
        .flat_map(|p| &p.endorsements)
        .filter(|e| destinations.contains(&e.destination))
        .collect();
    let destination = destinations.first().copied().unwrap_or(Region::HongKong);
    let Some(first) = candidates.first() else {
        return check(
            id,
            Outcome::Fail,
            Finding::EndorsementMissing { destination },
        );
    };
    let current = |e: &&&crate::domain::documents::Endorsement| {
        e.valid_from <= today && today <= e.valid_until
    };
    match candidates
        .iter()
        .find(|e| current(e) && e.trips.left(e.trips_used) != Some(0))
    {
        Some(e) => check(
            id,
            Outcome::Pass,
            Finding::EndorsementValid {
                destination: e.destination,
                until: e.valid_until,
                trips_left: e.trips.left(e.trips_used),
            },
        ),
        None => match candidates.iter().find(current) {
            Some(e) => check(
                id,
                Outcome::Fail,
                Finding::EndorsementNoTrips {
                    destination: e.destination,
                },
            ),
            None => check(
                id,
                Outcome::Fail,
                Finding::EndorsementExpired {
                    destination: first.destination,
                    on: first.valid_until,
                },
            ),
        },
    }
}

/// A mainland resident coming home: the days since their last exit against the longest
/// stay their endorsement allowed.
fn stay_check(v: Record<'_>, today: NaiveDate) -> Option<Check> {
    let last = v.crossings.iter().max_by_key(|c| c.at)?;
    if last.direction != Direction::Exit {
        return None;
    }
    let left_on = crate::domain::clock::local_date(last.at);
    let days = (today - left_on).num_days();
    let went_to = Checkpoint::find(&last.checkpoint)
        .map(|c| c.destinations)
        .unwrap_or(&[]);
    let limit = v
        .documents
        .iter()
        .filter(|d| d.kind == DocumentKind::ExitEntryPermit)
        .flat_map(|p| &p.endorsements)
        .filter(|e| {
            went_to.contains(&e.destination) && e.valid_from <= left_on && left_on <= e.valid_until
        })
        .map(|e| e.max_stay_days)
        .max();
    Some(match limit {
        Some(limit) if days > i64::from(limit) => check(
            CheckId::StayLimit,
            Outcome::Fail,
            Finding::StayExceeded { days, limit },
        ),
        Some(limit) => check(
            CheckId::StayLimit,
            Outcome::Pass,
            Finding::StayWithin { days, limit },
        ),
        None => check(CheckId::StayLimit, Outcome::Warning, Finding::StayUnknown),
    })
}

fn minor_check(holder: &Holder, today: NaiveDate) -> Option<Check> {
    let mut age = today.year() - holder.birth_date.year();
    if (today.month(), today.day()) < (holder.birth_date.month(), holder.birth_date.day()) {
        age -= 1;
    }
    (age < ADULT_AGE).then(|| check(CheckId::Minor, Outcome::Warning, Finding::Minor { age }))
}

fn alert_checks(v: Record<'_>) -> Vec<Check> {
    if v.alerts.is_empty() {
        return vec![check(CheckId::WatchList, Outcome::Pass, Finding::NoAlerts)];
    }
    v.alerts
        .iter()
        .map(|a| {
            let outcome = match a.severity {
                AlertSeverity::High => Outcome::Fail,
                AlertSeverity::Warning => Outcome::Warning,
                AlertSeverity::Info => Outcome::Pass,
            };
            check(
                CheckId::WatchList,
                outcome,
                Finding::Alert {
                    code: sanitize(&a.code),
                    severity: a.severity,
                    message: sanitize(&a.message),
                },
            )
        })
        .collect()
}
