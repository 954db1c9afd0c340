//! Traveller loading and seeding: keys, travellers with their cards, documents and
//! endorsements, the card list and a card's state.

use chrono::NaiveDate;
use ed25519_dalek::SigningKey;

use crate::api::CardSummary;
use crate::domain::credential::{CardRef, Kid};
use crate::domain::documents::{Document, Endorsement};
use crate::domain::holder::Holder;
use crate::fixtures::Traveller;
use crate::issuer::TravellerRecord;
use crate::issuer::store::{
    CardState, IssuerKey, StoreError, TripsUsed, from_json, from_word, initial_keys, to_json, word,
};

use super::schema::pg_err;
use super::{MIGRATION_LOCK, PgStore};

type Tx<'a> = deadpool_postgres::Transaction<'a>;

async fn insert_traveller(
    tx: &Tx<'_>,
    r: &TravellerRecord,
    portrait: &[u8],
) -> Result<bool, StoreError> {
    let e = pg_err("seeding travellers");
    let h = &r.holder;
    let added = tx
        .execute(
            "INSERT INTO travellers (id, scenario, summary, name_zh, name_latin, sex, birth_date,
                 residency, photo, portrait, crossings, alerts)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
             ON CONFLICT (id) DO NOTHING",
            &[
                &h.id,
                &r.scenario,
                &r.summary,
                &h.name_zh,
                &h.name_latin,
                &word(&h.sex),
                &h.birth_date,
                &word(&h.residency),
                &h.photo,
                &portrait,
                &to_json(&r.crossings, "crossings")?,
                &to_json(&r.alerts, "alerts")?,
            ],
        )
        .await
        .map_err(&e)?;
    if added == 0 {
        return Ok(false);
    }
    tx.execute(
        "INSERT INTO cards (card, traveller, status) VALUES ($1, $2, $3)",
        &[&&r.card.0[..], &h.id, &word(&r.card_status)],
    )
    .await
    .map_err(&e)?;
    for (i, d) in r.documents.iter().enumerate() {
        let i = i as i32;
        tx.execute(
            "INSERT INTO documents (traveller, position, kind, number, issued, expires, status,
                 name_zh, name_latin, sex, birth_date)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            &[
                &h.id,
                &i,
                &word(&d.kind),
                &d.number,
                &d.issued,
                &d.expires,
                &word(&d.status),
                &d.name_zh,
                &d.name_latin,
                &word(&d.sex),
                &d.birth_date,
            ],
        )
        .await
        .map_err(&e)?;
        for (j, en) in d.endorsements.iter().enumerate() {
            tx.execute(
                "INSERT INTO endorsements (traveller, document, position, destination, type,
                     valid_from, valid_until, trips, trips_used, max_stay_days)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                &[
                    &h.id,
                    &i,
                    &(j as i32),
                    &word(&en.destination),
                    &word(&en.kind),
                    &en.valid_from,
                    &en.valid_until,
                    &word(&en.trips),
                    &(en.trips_used as i32),
                    &(en.max_stay_days as i32),
                ],
            )
            .await
            .map_err(&e)?;
        }
    }
    Ok(true)
}

pub(super) fn endorsement(
    dest: &str,
    kind: &str,
    from: NaiveDate,
    until: NaiveDate,
    trips: &str,
    used: i32,
    stay: i32,
) -> Result<Endorsement, StoreError> {
    Ok(Endorsement {
        destination: from_word(dest, "destination")?,
        kind: from_word(kind, "endorsement type")?,
        valid_from: from,
        valid_until: until,
        trips: from_word(trips, "trips")?,
        trips_used: used.max(0) as u32,
        max_stay_days: stay.max(0) as u32,
    })
}

/// `document:position:trips_used,...` as the verification statement aggregates it.
pub(super) fn parse_trips(text: &str) -> Result<Vec<TripsUsed>, StoreError> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(|item| {
            let mut parts = item.split(':').map(str::parse::<u32>);
            match (parts.next(), parts.next(), parts.next()) {
                (Some(Ok(document)), Some(Ok(position)), Some(Ok(trips_used))) => Ok(TripsUsed {
                    document,
                    position,
                    trips_used,
                }),
                _ => Err(StoreError::Corrupt(format!("trips used {item:?}"))),
            }
        })
        .collect()
}

pub(super) const CARD_TRIPS: &str =
    "(SELECT string_agg(e.document || ':' || e.position || ':' || e.trips_used, ','
                                 ORDER BY e.document, e.position)
                          FROM endorsements e WHERE e.traveller = c.traveller)";

fn card_ref(bytes: &[u8]) -> Result<CardRef, StoreError> {
    CardRef::from_slice(bytes).ok_or_else(|| StoreError::Corrupt("card reference".into()))
}

pub(super) async fn seed(
    store: &PgStore,
    issuer: &str,
    now: i64,
    travellers: &[Traveller],
) -> Result<(), StoreError> {
    let e = pg_err("seeding");
    let mut client = store.client().await?;
    let tx = client.transaction().await.map_err(&e)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(&e)?;
    let keys: i64 = tx
        .query_one("SELECT COUNT(*) FROM keys", &[])
        .await
        .map_err(&e)?
        .get(0);
    if keys == 0 {
        for (kid, secret, from, until, status) in initial_keys(now) {
            tx.execute(
                "INSERT INTO keys (kid, issuer, secret, valid_from, valid_until, status)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    &&kid.0[..],
                    &issuer,
                    &&secret[..],
                    &from,
                    &until,
                    &word(&status),
                ],
            )
            .await
            .map_err(&e)?;
        }
    }
    for t in travellers {
        insert_traveller(&tx, &TravellerRecord::from_fixture(t), &t.portrait).await?;
    }
    tx.execute(
        "INSERT INTO meta (key, value) VALUES ('seeded_at', $1) ON CONFLICT DO NOTHING",
        &[&now.to_string()],
    )
    .await
    .map_err(&e)?;
    tx.commit().await.map_err(&e)
}

pub(super) async fn keys(store: &PgStore) -> Result<Vec<IssuerKey>, StoreError> {
    let rows = store
        .client()
        .await?
        .query(
            "SELECT kid, issuer, secret, valid_from, valid_until, status FROM keys ORDER BY valid_from",
            &[],
        )
        .await
        .map_err(pg_err("reading the signing keys"))?;
    rows.iter()
        .map(|r| {
            let kid: &[u8] = r.get(0);
            let secret: &[u8] = r.get(2);
            let secret: [u8; 32] = secret
                .try_into()
                .map_err(|_| StoreError::Corrupt("signing key".into()))?;
            Ok(IssuerKey {
                kid: Kid::from_slice(kid).ok_or_else(|| StoreError::Corrupt("key id".into()))?,
                issuer: r.get(1),
                signing: SigningKey::from_bytes(&secret),
                valid_from: r.get(3),
                valid_until: r.get(4),
                status: from_word(r.get(5), "key status")?,
            })
        })
        .collect()
}

pub(super) async fn travellers(
    store: &PgStore,
) -> Result<Vec<(TravellerRecord, Vec<u8>)>, StoreError> {
    let e = pg_err("reading travellers");
    let client = store.client().await?;
    let people = client
        .query(
            "SELECT t.id, t.scenario, t.summary, t.name_zh, t.name_latin, t.sex, t.birth_date,
                        t.residency, t.photo, t.portrait, t.crossings, t.alerts, c.card, c.status
                 FROM travellers t JOIN cards c ON c.traveller = t.id ORDER BY t.id",
            &[],
        )
        .await
        .map_err(&e)?;
    let documents = client
        .query(
            "SELECT traveller, position, kind, number, issued, expires, status, name_zh,
                        name_latin, sex, birth_date
                 FROM documents ORDER BY traveller, position",
            &[],
        )
        .await
        .map_err(&e)?;
    let endorsements = client
        .query(
            "SELECT traveller, document, destination, type, valid_from, valid_until, trips,
                        trips_used, max_stay_days
                 FROM endorsements ORDER BY traveller, document, position",
            &[],
        )
        .await
        .map_err(&e)?;
    let mut out = Vec::with_capacity(people.len());
    for p in &people {
        let id: String = p.get(0);
        let mut docs = Vec::new();
        for d in documents.iter().filter(|d| d.get::<_, &str>(0) == id) {
            let position: i32 = d.get(1);
            let mut endorsements_here = Vec::new();
            for en in endorsements
                .iter()
                .filter(|en| en.get::<_, &str>(0) == id && en.get::<_, i32>(1) == position)
            {
                endorsements_here.push(endorsement(
                    en.get(2),
                    en.get(3),
                    en.get(4),
                    en.get(5),
                    en.get(6),
                    en.get(7),
                    en.get(8),
                )?);
            }
            docs.push(Document {
                kind: from_word(d.get(2), "document kind")?,
                number: d.get(3),
                issued: d.get(4),
                expires: d.get(5),
                status: from_word(d.get(6), "document status")?,
                name_zh: d.get(7),
                name_latin: d.get(8),
                sex: from_word(d.get(9), "sex")?,
                birth_date: d.get(10),
                endorsements: endorsements_here,
            });
        }
        out.push((
            TravellerRecord {
                scenario: p.get(1),
                summary: p.get(2),
                card: card_ref(p.get(12))?,
                card_status: from_word(p.get(13), "card status")?,
                holder: Holder {
                    id: id.clone(),
                    name_zh: p.get(3),
                    name_latin: p.get(4),
                    sex: from_word(p.get(5), "sex")?,
                    birth_date: p.get(6),
                    residency: from_word(p.get(7), "residency")?,
                    photo: p.get(8),
                },
                documents: docs,
                crossings: from_json(p.get(10), "crossings")?,
                alerts: from_json(p.get(11), "alerts")?,
            },
            p.get::<_, Vec<u8>>(9),
        ));
    }
    Ok(out)
}

pub(super) async fn cards(store: &PgStore) -> Result<Vec<CardSummary>, StoreError> {
    let rows = store
        .client()
        .await?
        .query(
            "SELECT c.card, t.id, t.name_latin, t.scenario, t.summary, c.status
                 FROM cards c JOIN travellers t ON t.id = c.traveller ORDER BY t.id",
            &[],
        )
        .await
        .map_err(pg_err("listing cards"))?;
    rows.iter()
        .map(|r| {
            Ok(CardSummary {
                card: card_ref(r.get(0))?,
                traveller: r.get(1),
                name_latin: r.get(2),
                scenario: r.get(3),
                summary: r.get(4),
                status: from_word(r.get(5), "card status")?,
            })
        })
        .collect()
}

pub(super) async fn card_state(
    store: &PgStore,
    card: CardRef,
) -> Result<Option<CardState>, StoreError> {
    let client = store.client().await?;
    let stmt = client
        .prepare_cached(&format!(
            "SELECT c.status, {CARD_TRIPS} FROM cards c WHERE c.card = $1"
        ))
        .await
        .map_err(pg_err("reading a card"))?;
    let row = client
        .query_opt(&stmt, &[&&card.0[..]])
        .await
        .map_err(pg_err("reading a card"))?;
    row.map(|r| {
        Ok(CardState {
            status: from_word(r.get(0), "card status")?,
            trips: parse_trips(r.get::<_, Option<&str>>(1).unwrap_or(""))?,
        })
    })
    .transpose()
}
