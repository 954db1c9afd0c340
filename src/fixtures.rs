//! Reads `fixtures/travellers.toml`: the synthetic travellers that seed the reference
//! issuance service. Errors name the file, the line and what to fix.

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, Months, NaiveDate, NaiveTime, Utc};
use serde::Deserialize;

use crate::domain::checkpoint::{Checkpoint, Direction, Region};
use crate::domain::credential::CardRef;
use crate::domain::documents::{
    Document, DocumentKind, DocumentStatus, Endorsement, EndorsementType, Trips,
};
use crate::domain::holder::{Alert, AlertSeverity, CardStatus, Crossing, Holder, Sex};

pub const TRAVELLERS_FILE: &str = "travellers.toml";

/// One fixture traveller with every date resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Traveller {
    pub scenario: String,
    pub summary: String,
    pub card: CardRef,
    pub card_status: CardStatus,
    pub holder: Holder,
    pub documents: Vec<Document>,
    pub crossings: Vec<Crossing>,
    pub alerts: Vec<Alert>,
    pub portrait: Vec<u8>,
}

impl Traveller {
    /// The traveller's record as the first-line checks read it (never presented before).
    pub fn record(&self) -> crate::domain::checks::Record<'_> {
        crate::domain::checks::Record {
            card_status: self.card_status,
            holder: &self.holder,
            documents: &self.documents,
            crossings: &self.crossings,
            alerts: &self.alerts,
            presented_before: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error(
        "cannot read fixtures file {path}: {source}. Pass --fixtures with the folder that holds {TRAVELLERS_FILE}."
    )]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("{path}: traveller {id}: {message}")]
    Traveller {
        path: PathBuf,
        id: String,
        message: String,
    },
}

/// A date in a fixture: absolute, or relative to the seeding day ("today-3m+2d").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixtureDate {
    spec: String,
    time: Option<NaiveTime>,
}

impl FixtureDate {
    fn parse(text: &str) -> Result<Self, String> {
        let help = "use YYYY-MM-DD or today with offsets such as today+45d, today-3m, today+10y-20d, optionally followed by HH:MM";
        let mut parts = text.split_whitespace();
        let spec = parts.next().ok_or_else(|| format!("empty date: {help}"))?;
        let time = parts
            .next()
            .map(|t| {
                NaiveTime::parse_from_str(t, "%H:%M")
                    .map_err(|_| format!("bad time {t:?} in date {text:?}: {help}"))
            })
            .transpose()?;
        if parts.next().is_some() {
            return Err(format!("unexpected text after the date {text:?}: {help}"));
        }
        let date = Self {
            spec: spec.to_owned(),
            time,
        };
        // Validate now, so the error points at the line.
        date.resolve(NaiveDate::from_ymd_opt(2026, 1, 1).expect("valid date"))
            .map_err(|e| format!("{e}: {help}"))?;
        Ok(date)
    }

    /// The date this stands for when the seeding day is `today`.
    pub fn resolve(&self, today: NaiveDate) -> Result<NaiveDate, String> {
        let Some(offsets) = self.spec.strip_prefix("today") else {
            return NaiveDate::parse_from_str(&self.spec, "%Y-%m-%d")
                .map_err(|_| format!("{:?} is not a date", self.spec));
        };
        let mut date = today;
        let mut rest = offsets;
        while !rest.is_empty() {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1i64,
                b'-' => -1,
                _ => return Err(format!("{:?}: expected + or - after today", self.spec)),
            };
            rest = &rest[1..];
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            let n: i64 = rest[..digits]
                .parse()
                .map_err(|_| format!("{:?}: expected a number after the sign", self.spec))?;
            let unit = rest[digits..].chars().next();
            rest = &rest[digits + unit.map_or(0, char::len_utf8)..];
            date = match unit {
                Some('d') => date.checked_add_signed(chrono::Duration::days(sign * n)),
                Some('m') => add_months(date, sign * n),
                Some('y') => add_months(date, sign * n * 12),
                _ => return Err(format!("{:?}: the unit must be d, m or y", self.spec)),
            }
            .ok_or_else(|| format!("{:?} is out of range", self.spec))?;
        }
        Ok(date)
    }

    fn resolve_instant(&self, today: NaiveDate) -> Result<DateTime<Utc>, String> {
        let date = self.resolve(today)?;
        let time = self
            .time
            .unwrap_or(NaiveTime::from_hms_opt(12, 0, 0).expect("valid time"));
        // Times in fixtures are local to the border: UTC+8.
        Ok(date.and_time(time).and_utc() - chrono::Duration::hours(8))
    }
}

fn add_months(date: NaiveDate, months: i64) -> Option<NaiveDate> {
    let m = u32::try_from(months.unsigned_abs()).ok()?;
    if months >= 0 {
        date.checked_add_months(Months::new(m))
    } else {
        date.checked_sub_months(Months::new(m))
    }
}

impl<'de> Deserialize<'de> for FixtureDate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        FixtureDate::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for FixtureDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.spec)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    traveller: Vec<RawTraveller>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTraveller {
    id: String,
    scenario: String,
    summary: String,
    card: CardRef,
    #[serde(default = "active")]
    card_status: CardStatus,
    name_zh: String,
    name_latin: String,
    sex: Sex,
    birth_date: NaiveDate,
    residency: Region,
    #[serde(default)]
    portrait: Option<PathBuf>,
    #[serde(default)]
    documents: Vec<RawDocument>,
    #[serde(default)]
    crossings: Vec<RawCrossing>,
    #[serde(default)]
    alerts: Vec<RawAlert>,
}

fn active() -> CardStatus {
    CardStatus::Active
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDocument {
    kind: DocumentKind,
    number: String,
    issued: FixtureDate,
    #[serde(default)]
    expires: Option<FixtureDate>,
    #[serde(default)]
    status: Option<DocumentStatus>,
    name_zh: Option<String>,
    name_latin: Option<String>,
    sex: Option<Sex>,
    birth_date: Option<NaiveDate>,
    #[serde(default)]
    endorsements: Vec<RawEndorsement>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEndorsement {
    destination: Region,
    #[serde(rename = "type")]
    kind: EndorsementType,
    valid_from: FixtureDate,
    valid_until: FixtureDate,
    trips: Trips,
    trips_used: u32,
    max_stay_days: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCrossing {
    at: FixtureDate,
    checkpoint: String,
    direction: Direction,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAlert {
    code: String,
    severity: AlertSeverity,
    message: String,
}

/// Loads and checks `dir/travellers.toml`, resolving relative dates against `today`.
pub fn load(dir: &Path, today: NaiveDate) -> Result<Vec<Traveller>, FixtureError> {
    let path = dir.join(TRAVELLERS_FILE);
    let text = std::fs::read_to_string(&path).map_err(|source| FixtureError::Read {
        path: path.clone(),
        source,
    })?;
    parse(&text, &path, dir, today)
}

/// The media type of a portrait's bytes: JPEG or PNG, by their signature.
pub fn portrait_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\xff\xd8\xff") {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else {
        None
    }
}

/// Parses fixture text; `dir` is where portrait paths are resolved from.
pub fn parse(
    text: &str,
    path: &Path,
    dir: &Path,
    today: NaiveDate,
) -> Result<Vec<Traveller>, FixtureError> {
    let file: File = toml::from_str(text).map_err(|e| FixtureError::Syntax {
        path: path.to_owned(),
        message: e.to_string().trim_end().to_owned(),
    })?;
    let mut ids = HashSet::new();
    let mut cards = HashSet::new();
    let mut out = Vec::with_capacity(file.traveller.len());
    for raw in file.traveller {
        let id = raw.id.clone();
        let fail = |message: String| FixtureError::Traveller {
            path: path.to_owned(),
            id: id.clone(),
            message,
        };
        if !ids.insert(raw.id.clone()) {
            return Err(fail(
                "this id is used by another traveller; ids must be unique".into(),
            ));
        }
        if !cards.insert(raw.card) {
            return Err(fail(format!(
                "card {} is used by another traveller; card references must be unique",
                raw.card
            )));
        }
        out.push(resolve(raw, dir, today).map_err(fail)?);
    }
    if out.is_empty() {
        return Err(FixtureError::Syntax {
            path: path.to_owned(),
            message: "no [[traveller]] entries: the service needs at least one".into(),
        });
    }
    Ok(out)
}

fn resolve(raw: RawTraveller, dir: &Path, today: NaiveDate) -> Result<Traveller, String> {
    if raw.id.is_empty()
        || !raw
            .id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err("the id must be letters, digits, - or _".into());
    }
    if raw.documents.is_empty() {
        return Err("has no documents: add at least one [[traveller.documents]]".into());
    }
    // A portrait is portraits/ID.jpg (a passport photo), else portraits/ID.png.
    let portrait_path = dir.join(raw.portrait.clone().unwrap_or_else(|| {
        let jpg = PathBuf::from(format!("portraits/{}.jpg", raw.id));
        if dir.join(&jpg).is_file() {
            jpg
        } else {
            PathBuf::from(format!("portraits/{}.png", raw.id))
        }
    }));
    let portrait = std::fs::read(&portrait_path).map_err(|e| {
        format!(
            "cannot read its portrait {}: {e}. Draw one with fixtures/tools/make_portraits.py {}",
            portrait_path.display(),
            raw.id
        )
    })?;
    if portrait_type(&portrait).is_none() {
        return Err(format!(
            "its portrait {} is neither a JPEG nor a PNG file",
            portrait_path.display()
        ));
    }
    let holder = Holder {
        id: raw.id.clone(),
        name_zh: raw.name_zh,
        name_latin: raw.name_latin,
        sex: raw.sex,
        birth_date: raw.birth_date,
        residency: raw.residency,
        photo: format!("/v1/holders/{}/photo", raw.id),
    };
    let documents = raw
        .documents
        .into_iter()
        .map(|d| resolve_document(d, &holder, today))
        .collect::<Result<Vec<_>, _>>()?;
    let crossings = raw
        .crossings
        .into_iter()
        .map(|c| {
            let checkpoint = Checkpoint::find(&c.checkpoint)?;
            Ok(Crossing {
                at: c.at.resolve_instant(today)?,
                checkpoint: checkpoint.slug.to_owned(),
                direction: c.direction,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let alerts = raw
        .alerts
        .into_iter()
        .map(|a| Alert {
            code: a.code,
            severity: a.severity,
            message: a.message,
        })
        .collect();
    Ok(Traveller {
        scenario: raw.scenario,
        summary: raw.summary,
        card: raw.card,
        card_status: raw.card_status,
        holder,
        documents,
        crossings,
        alerts,
        portrait,
    })
}

fn resolve_document(d: RawDocument, holder: &Holder, today: NaiveDate) -> Result<Document, String> {
    let issued = d.issued.resolve(today)?;
    let expires = d.expires.map(|e| e.resolve(today)).transpose()?;
    if let Some(expires) = expires {
        if expires <= issued {
            return Err(format!(
                "document {} expires ({expires}) before it was issued ({issued})",
                d.number
            ));
        }
    } else if d.kind != DocumentKind::ResidentId {
        return Err(format!(
            "document {} has no expiry date; only a Resident ID can be long-term",
            d.number
        ));
    }
    if !d.endorsements.is_empty() && d.kind != DocumentKind::ExitEntryPermit {
        return Err(format!(
            "document {} has endorsements; only an Exit-Entry Permit carries them",
            d.number
        ));
    }
    let endorsements = d
        .endorsements
        .into_iter()
        .map(|e| {
            Ok(Endorsement {
                destination: e.destination,
                kind: e.kind,
                valid_from: e.valid_from.resolve(today)?,
                valid_until: e.valid_until.resolve(today)?,
                trips: e.trips,
                trips_used: e.trips_used,
                max_stay_days: e.max_stay_days,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Document {
        kind: d.kind,
        number: d.number,
        issued,
        expires,
        status: d.status.unwrap_or(DocumentStatus::Valid),
        name_zh: d.name_zh.unwrap_or_else(|| holder.name_zh.clone()),
        name_latin: d.name_latin.unwrap_or_else(|| holder.name_latin.clone()),
        sex: d.sex.unwrap_or(holder.sex),
        birth_date: d.birth_date.unwrap_or(holder.birth_date),
        endorsements,
    })
}

/// The age in whole years on `day` of someone born on `birth`.
pub fn age_on(birth: NaiveDate, day: NaiveDate) -> i32 {
    let mut age = day.year() - birth.year();
    if (day.month(), day.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age
}

#[cfg(test)]
mod tests;
