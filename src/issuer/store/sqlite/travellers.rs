//! Traveller rows: adding travellers with their cards, documents and endorsements, seeding,
//! and reading them back.

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, params};

use crate::domain::credential::CardRef;
use crate::domain::documents::{Document, Endorsement};
use crate::domain::holder::Holder;
use crate::fixtures::Traveller;
use crate::issuer::TravellerRecord;
use crate::issuer::store::{
    CardState, EndorsementRow, StoreError, TripsUsed, from_json, from_word, initial_keys, to_json,
    word,
};

fn date(text: &str, what: &str) -> Result<NaiveDate, StoreError> {
    text.parse()
        .map_err(|_| StoreError::Corrupt(format!("{what} {text:?}")))
}

/// Adds a traveller with card, documents and endorsements, unless the traveller id is
/// already there. Returns whether it was added.
pub(super) fn insert_traveller(
    c: &Connection,
    r: &TravellerRecord,
    portrait: &[u8],
) -> Result<bool, StoreError> {
    let h = &r.holder;
    let added = c.execute(
        "INSERT OR IGNORE INTO travellers (id, scenario, summary, name_zh, name_latin, sex,
             birth_date, residency, photo, portrait, crossings, alerts)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            h.id,
            r.scenario,
            r.summary,
            h.name_zh,
            h.name_latin,
            word(&h.sex),
            h.birth_date.to_string(),
            word(&h.residency),
            h.photo,
            portrait,
            to_json(&r.crossings, "crossings")?,
            to_json(&r.alerts, "alerts")?,
        ],
    )?;
    if added == 0 {
        return Ok(false);
    }
    c.execute(
        "INSERT INTO cards (card, traveller, status) VALUES (?1, ?2, ?3)",
        params![r.card.0.to_vec(), h.id, word(&r.card_status)],
    )?;
    for (i, d) in r.documents.iter().enumerate() {
        c.execute(
            "INSERT INTO documents (traveller, position, kind, number, issued, expires, status,
                 name_zh, name_latin, sex, birth_date)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                h.id,
                i as i64,
                word(&d.kind),
                d.number,
                d.issued.to_string(),
                d.expires.map(|e| e.to_string()),
                word(&d.status),
                d.name_zh,
                d.name_latin,
                word(&d.sex),
                d.birth_date.to_string(),
            ],
        )?;
        for (j, e) in d.endorsements.iter().enumerate() {
            c.execute(
                "INSERT INTO endorsements (traveller, document, position, destination, type,
                     valid_from, valid_until, trips, trips_used, max_stay_days)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    h.id,
                    i as i64,
                    j as i64,
                    word(&e.destination),
                    word(&e.kind),
                    e.valid_from.to_string(),
                    e.valid_until.to_string(),
                    word(&e.trips),
                    e.trips_used,
                    e.max_stay_days,
                ],
            )?;
        }
    }
    Ok(true)
}

pub(super) fn seed(
    c: &Connection,
    issuer: &str,
    now: i64,
    travellers: &[Traveller],
) -> Result<(), StoreError> {
    let key_count: i64 = c.query_row("SELECT COUNT(*) FROM keys", [], |r| r.get(0))?;
    if key_count == 0 {
        for (kid, secret, from, until, status) in initial_keys(now) {
            c.execute(
                "INSERT INTO keys (kid, issuer, secret, valid_from, valid_until, status)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    kid.0.to_vec(),
                    issuer,
                    secret.to_vec(),
                    from,
                    until,
                    word(&status)
                ],
            )?;
        }
    }
    for t in travellers {
        insert_traveller(c, &TravellerRecord::from_fixture(t), &t.portrait)?;
    }
    c.execute(
        "INSERT OR IGNORE INTO meta (key, value) VALUES ('seeded_at', ?1)",
        params![now.to_string()],
    )?;
    Ok(())
}

pub(super) fn endorsement_rows(
    c: &Connection,
    traveller: &str,
) -> Result<Vec<EndorsementRow>, StoreError> {
    let mut stmt = c.prepare_cached(
        "SELECT e.document, e.position, e.destination, e.type, e.valid_from, e.valid_until,
                e.trips, e.trips_used, e.max_stay_days
         FROM endorsements e JOIN documents d ON d.traveller = e.traveller AND d.position = e.document
         WHERE e.traveller = ?1 AND d.kind = 'exit-entry-permit'
         ORDER BY e.document, e.position",
    )?;
    let rows = stmt.query_map(params![traveller], |r| {
        Ok((
            r.get::<_, u32>(0)?,
            r.get::<_, u32>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, String>(6)?,
            r.get::<_, u32>(7)?,
            r.get::<_, u32>(8)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (document, position, dest, kind, from, until, trips, used, stay) = row?;
        out.push(EndorsementRow {
            document,
            position,
            endorsement: Endorsement {
                destination: from_word(&dest, "destination")?,
                kind: from_word(&kind, "endorsement type")?,
                valid_from: date(&from, "endorsement date")?,
                valid_until: date(&until, "endorsement date")?,
                trips: from_word(&trips, "trips")?,
                trips_used: used,
                max_stay_days: stay,
            },
        });
    }
    Ok(out)
}

pub(super) fn card_state(c: &Connection, card: CardRef) -> Result<Option<CardState>, StoreError> {
    let row: Option<(String, String)> = c
        .prepare_cached("SELECT status, traveller FROM cards WHERE card = ?1")?
        .query_row(params![card.0.to_vec()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((status, traveller)) = row else {
        return Ok(None);
    };
    let trips = c
        .prepare_cached(
            "SELECT document, position, trips_used FROM endorsements
             WHERE traveller = ?1 ORDER BY document, position",
        )?
        .query_map(params![traveller], |r| {
            Ok(TripsUsed {
                document: r.get(0)?,
                position: r.get(1)?,
                trips_used: r.get(2)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(CardState {
        status: from_word(&status, "card status")?,
        trips,
    }))
}

pub(super) fn load_travellers(
    c: &Connection,
) -> Result<Vec<(TravellerRecord, Vec<u8>)>, StoreError> {
    let mut out = Vec::new();
    let mut stmt = c.prepare(
        "SELECT t.id, t.scenario, t.summary, t.name_zh, t.name_latin, t.sex, t.birth_date,
                t.residency, t.photo, t.portrait, t.crossings, t.alerts, c.card, c.status
         FROM travellers t JOIN cards c ON c.traveller = t.id ORDER BY t.id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            [
                r.get::<_, String>(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
            ],
            r.get::<_, Vec<u8>>(9)?,
            [r.get::<_, String>(10)?, r.get(11)?],
            r.get::<_, Vec<u8>>(12)?,
            r.get::<_, String>(13)?,
        ))
    })?;
    for row in rows {
        let (
            [
                id,
                scenario,
                summary,
                name_zh,
                name_latin,
                sex,
                birth,
                residency,
                photo,
            ],
            portrait,
            [crossings, alerts],
            card,
            status,
        ) = row?;
        let card = CardRef::from_slice(&card)
            .ok_or_else(|| StoreError::Corrupt("card reference".into()))?;
        let documents = load_documents(c, &id)?;
        out.push((
            TravellerRecord {
                scenario,
                summary,
                card,
                card_status: from_word(&status, "card status")?,
                holder: Holder {
                    id,
                    name_zh,
                    name_latin,
                    sex: from_word(&sex, "sex")?,
                    birth_date: date(&birth, "birth date")?,
                    residency: from_word(&residency, "residency")?,
                    photo,
                },
                documents,
                crossings: from_json(&crossings, "crossings")?,
                alerts: from_json(&alerts, "alerts")?,
            },
            portrait,
        ));
    }
    Ok(out)
}

fn load_documents(c: &Connection, traveller: &str) -> Result<Vec<Document>, StoreError> {
    let mut stmt = c.prepare_cached(
        "SELECT position, kind, number, issued, expires, status, name_zh, name_latin, sex, birth_date
         FROM documents WHERE traveller = ?1 ORDER BY position",
    )?;
    let rows = stmt.query_map(params![traveller], |r| {
        Ok((
            r.get::<_, u32>(0)?,
            [
                r.get::<_, String>(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
                r.get(9)?,
            ],
            r.get::<_, Option<String>>(4)?,
        ))
    })?;
    let all_endorsements = {
        let mut stmt = c.prepare_cached(
            "SELECT document, position, destination, type, valid_from, valid_until, trips,
                    trips_used, max_stay_days
             FROM endorsements WHERE traveller = ?1 ORDER BY document, position",
        )?;
        let rows = stmt.query_map(params![traveller], |r| {
            Ok((
                r.get::<_, u32>(0)?,
                [
                    r.get::<_, String>(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ],
                r.get::<_, u32>(7)?,
                r.get::<_, u32>(8)?,
            ))
        })?;
        let mut v = Vec::new();
        for row in rows {
            let (document, [dest, kind, from, until, trips], used, stay) = row?;
            v.push((
                document,
                Endorsement {
                    destination: from_word(&dest, "destination")?,
                    kind: from_word(&kind, "endorsement type")?,
                    valid_from: date(&from, "endorsement date")?,
                    valid_until: date(&until, "endorsement date")?,
                    trips: from_word(&trips, "trips")?,
                    trips_used: used,
                    max_stay_days: stay,
                },
            ));
        }
        v
    };
    let mut out = Vec::new();
    for row in rows {
        let (
            position,
            [
                kind,
                number,
                issued,
                status,
                name_zh,
                name_latin,
                sex,
                birth,
            ],
            expires,
        ) = row?;
        out.push(Document {
            kind: from_word(&kind, "document kind")?,
            number,
            issued: date(&issued, "document date")?,
            expires: expires.map(|e| date(&e, "document date")).transpose()?,
            status: from_word(&status, "document status")?,
            name_zh,
            name_latin,
            sex: from_word(&sex, "sex")?,
            birth_date: date(&birth, "birth date")?,
            endorsements: all_endorsements
                .iter()
                .filter(|(d, _)| *d == position)
                .map(|(_, e)| e.clone())
                .collect(),
        });
    }
    Ok(out)
}
