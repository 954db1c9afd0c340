//! The shared back end: one PostgreSQL database, any number of service processes.
//!
//! **One truth.** The first presentation of a code is decided by the `presentations`
//! primary key: `INSERT ... ON CONFLICT (nonce) DO UPDATE ... RETURNING` gives back the
//! row that won, in one statement, so exactly one lane is told "first" however the
//! requests are spread. Decisions are inserted `ON CONFLICT DO NOTHING` and compared with
//! what is stored; a trip is taken with the endorsement rows locked (`FOR UPDATE`).
//!
//! **Durability.** Connections default to `synchronous_commit = off` (a crash of the
//! database server may forget the last few verifications, as with SQLite's NORMAL);
//! decisions and card status changes set it back `on` for their transaction, so nobody is
//! told "recorded" before the record is on disk.
//!
//! **Migrations** run at start under an advisory lock, so instances starting together
//! apply each one once; seeding runs under the same lock.
//!
//! TLS to the database is not built in: reach PostgreSQL over its Unix socket or a trusted
//! network (docs/DEPLOY.md).

use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use ed25519_dalek::SigningKey;
use tokio_postgres::NoTls;
use tokio_postgres::types::ToSql;

use crate::api::{CardSummary, DecisionRequest, Presentation};
use crate::domain::credential::{CardRef, Kid};
use crate::domain::documents::{Document, Endorsement};
use crate::domain::holder::{CardStatus, Holder};
use crate::fixtures::Traveller;
use crate::issuer::TravellerRecord;
use crate::issuer::lifecycle::pick_endorsement;

use super::{
    Access, CardChange, CardEvent, CardState, ChangeOutcome, DecisionOutcome, EndorsementRow,
    IssuerKey, NewDecision, NewVerification, PoolStats, Recorded, Store, StoreError, TripTaken,
    TripsUsed, count_sql, decision_body, from_json, from_word, initial_keys, millis, to_json, word,
};

/// Connections per instance unless `--pool-size` says otherwise.
pub const DEFAULT_POOL_SIZE: usize = 16;
/// Any number: instances agree on it to take turns at migrating and seeding.
const MIGRATION_LOCK: i64 = 0x6c61_6e65_6465_736b; // "lanedesk"
const PRUNE_CHUNK: i64 = 5_000;

/// Versioned migrations, numbered as SQLite's: PostgreSQL starts at version 2, the first
/// schema with the card lifecycle (SQLite's version 1 is the single-file schema from
/// before versions were recorded).
pub const MIGRATIONS: &[(i64, &str, &str)] = &[(
    2,
    "cards, documents, endorsements, first presentations, card events",
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
     CREATE TABLE keys (
         kid BYTEA PRIMARY KEY, issuer TEXT NOT NULL, secret BYTEA NOT NULL,
         valid_from BIGINT NOT NULL, valid_until BIGINT NOT NULL, status TEXT NOT NULL);
     CREATE TABLE travellers (
         id TEXT PRIMARY KEY, scenario TEXT NOT NULL, summary TEXT NOT NULL,
         name_zh TEXT NOT NULL, name_latin TEXT NOT NULL, sex TEXT NOT NULL,
         birth_date DATE NOT NULL, residency TEXT NOT NULL, photo TEXT NOT NULL,
         portrait BYTEA NOT NULL,
         crossings TEXT NOT NULL,  -- JSON: read and shown whole
         alerts TEXT NOT NULL);    -- JSON
     CREATE TABLE cards (
         card BYTEA PRIMARY KEY, traveller TEXT NOT NULL UNIQUE REFERENCES travellers (id),
         status TEXT NOT NULL, changed_at BIGINT, changed_by TEXT, change_reason TEXT);
     CREATE TABLE documents (
         traveller TEXT NOT NULL REFERENCES travellers (id), position INTEGER NOT NULL,
         kind TEXT NOT NULL, number TEXT NOT NULL, issued DATE NOT NULL, expires DATE,
         status TEXT NOT NULL, name_zh TEXT NOT NULL, name_latin TEXT NOT NULL,
         sex TEXT NOT NULL, birth_date DATE NOT NULL,
         PRIMARY KEY (traveller, position));
     CREATE TABLE endorsements (
         traveller TEXT NOT NULL, document INTEGER NOT NULL, position INTEGER NOT NULL,
         destination TEXT NOT NULL, type TEXT NOT NULL, valid_from DATE NOT NULL,
         valid_until DATE NOT NULL, trips TEXT NOT NULL, trips_used INTEGER NOT NULL,
         max_stay_days INTEGER NOT NULL,
         PRIMARY KEY (traveller, document, position),
         FOREIGN KEY (traveller, document) REFERENCES documents (traveller, position));
     CREATE TABLE card_events (
         id BIGSERIAL PRIMARY KEY, card BYTEA NOT NULL REFERENCES cards (card),
         action TEXT NOT NULL, from_status TEXT NOT NULL, to_status TEXT NOT NULL,
         reason TEXT NOT NULL, actor TEXT NOT NULL, via TEXT NOT NULL, at BIGINT NOT NULL);
     CREATE INDEX card_events_by_card ON card_events (card, at);
     CREATE TABLE presentations (
         nonce BYTEA PRIMARY KEY, verification_id TEXT NOT NULL, card BYTEA NOT NULL,
         checkpoint TEXT NOT NULL, lane TEXT NOT NULL, at BIGINT NOT NULL); -- Unix ms
     CREATE INDEX presentations_by_time ON presentations (at);
     CREATE TABLE verifications (
         id TEXT PRIMARY KEY, nonce BYTEA NOT NULL, card BYTEA NOT NULL,
         checkpoint TEXT NOT NULL, lane TEXT NOT NULL, direction TEXT NOT NULL,
         officer TEXT NOT NULL, at BIGINT NOT NULL);                      -- Unix ms
     CREATE INDEX verifications_by_time ON verifications (at);
     CREATE TABLE decisions (
         decision_id TEXT PRIMARY KEY, body TEXT NOT NULL, received_at BIGINT NOT NULL,
         trip TEXT);",
)];

/// The URL with its password replaced, for messages and logs.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) if userinfo.contains(':') => {
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{scheme}://{user}:***@{host}{tail}")
        }
        _ => url.to_owned(),
    }
}

/// The driver's Display hides the server's message; the database error or the source has it.
fn describe(e: &tokio_postgres::Error) -> String {
    e.as_db_error()
        .map(|d| d.message().to_owned())
        .or_else(|| std::error::Error::source(e).map(|s| s.to_string()))
        .unwrap_or_else(|| e.to_string())
}

fn pg_err(what: &str) -> impl Fn(tokio_postgres::Error) -> StoreError + '_ {
    move |e| StoreError::Postgres(format!("PostgreSQL failed while {what}: {}", describe(&e)))
}

fn pool_err(e: deadpool_postgres::PoolError) -> StoreError {
    use deadpool_postgres::PoolError;
    StoreError::Postgres(match e {
        PoolError::Backend(b) => format!("cannot connect to PostgreSQL: {}", describe(&b)),
        PoolError::Timeout(_) => "no PostgreSQL connection could be had within the pool's timeout \
             (the server is unreachable, or every connection is busy: see --pool-size)"
            .to_owned(),
        other => format!("cannot get a PostgreSQL connection: {other}"),
    })
}

pub struct PgStore {
    pool: Pool,
    url: String,
}

fn config(url: &str) -> Result<tokio_postgres::Config, StoreError> {
    let mut config: tokio_postgres::Config = url.parse().map_err(|e| {
        StoreError::Postgres(format!(
            "--db {} is not a PostgreSQL URL this service understands ({e}); write it as postgres://USER@HOST[:PORT]/DATABASE",
            redact(url)
        ))
    })?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(5));
    }
    if config.get_application_name().is_none() {
        config.application_name("lanedesk-issuer");
    }
    config.options("-c synchronous_commit=off");
    Ok(config)
}

impl PgStore {
    pub async fn open(url: &str, access: Access) -> Result<PgStore, StoreError> {
        Self::open_with(url, access, DEFAULT_POOL_SIZE).await
    }

    pub async fn open_with(
        url: &str,
        _access: Access,
        pool_size: usize,
    ) -> Result<PgStore, StoreError> {
        let manager = Manager::from_config(
            config(url)?,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(pool_size.max(1))
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(Duration::from_secs(10)))
            .create_timeout(Some(Duration::from_secs(5)))
            .build()
            .map_err(|e| StoreError::Postgres(format!("cannot build the connection pool: {e}")))?;
        let store = PgStore {
            pool,
            url: url.to_owned(),
        };
        store.migrate().await.map_err(|e| match e {
            StoreError::Postgres(m) => StoreError::Postgres(format!(
                "{m}. Is PostgreSQL running and does --db {} name an existing database this user may use?",
                redact(url)
            )),
            other => other,
        })?;
        Ok(store)
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool.get().await.map_err(pool_err)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(pg_err("migrating"))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(pg_err("waiting for another instance's migration"))?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
        )
        .await
        .map_err(pg_err("migrating"))?;
        let at: i64 = tx
            .query_one(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                &[],
            )
            .await
            .map_err(pg_err("migrating"))?
            .get(0);
        let known = MIGRATIONS.last().map_or(0, |m| m.0);
        if at > known {
            return Err(StoreError::TooNew { found: at, known });
        }
        for (version, name, sql) in MIGRATIONS.iter().filter(|m| m.0 > at) {
            tx.batch_execute(sql)
                .await
                .map_err(pg_err("applying a migration"))?;
            tx.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                &[version, name, &Utc::now().timestamp()],
            )
            .await
            .map_err(pg_err("migrating"))?;
            tracing::info!(version, name, "applied database migration");
        }
        tx.commit().await.map_err(pg_err("migrating"))
    }
}

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

fn endorsement(
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
fn parse_trips(text: &str) -> Result<Vec<TripsUsed>, StoreError> {
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

const CARD_TRIPS: &str =
    "(SELECT string_agg(e.document || ':' || e.position || ':' || e.trips_used, ','
                                 ORDER BY e.document, e.position)
                          FROM endorsements e WHERE e.traveller = c.traveller)";

fn card_ref(bytes: &[u8]) -> Result<CardRef, StoreError> {
    CardRef::from_slice(bytes).ok_or_else(|| StoreError::Corrupt("card reference".into()))
}

/// Runs `f` on a current-thread runtime of its own, on a thread of its own, with a
/// connection of its own: the blocking look-ups must work from any caller, including a
/// test's current-thread runtime, whose own tasks (the pool's connections) it blocks.
fn blocking<T: Send>(
    url: &str,
    f: impl for<'c> FnOnce(
        &'c tokio_postgres::Client,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<T, StoreError>> + Send + 'c>,
    > + Send,
) -> Result<T, StoreError> {
    let config = config(url)?;
    std::thread::scope(|s| {
        s.spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| StoreError::Postgres(format!("cannot start a runtime: {e}")))?;
            rt.block_on(async move {
                let (client, conn) = config.connect(NoTls).await.map_err(pg_err("connecting"))?;
                let task = tokio::spawn(conn);
                let result = f(&client).await;
                drop(client);
                let _ = task.await;
                result
            })
        })
        .join()
        .unwrap_or_else(|_| Err(StoreError::Postgres("a database look-up panicked".into())))
    })
}

#[async_trait::async_trait]
impl Store for PgStore {
    fn kind(&self) -> &'static str {
        "postgresql"
    }

    async fn seed(
        &self,
        issuer: &str,
        now: i64,
        travellers: &[Traveller],
    ) -> Result<(), StoreError> {
        let e = pg_err("seeding");
        let mut client = self.client().await?;
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

    async fn keys(&self) -> Result<Vec<IssuerKey>, StoreError> {
        let rows = self
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
                    kid: Kid::from_slice(kid)
                        .ok_or_else(|| StoreError::Corrupt("key id".into()))?,
                    issuer: r.get(1),
                    signing: SigningKey::from_bytes(&secret),
                    valid_from: r.get(3),
                    valid_until: r.get(4),
                    status: from_word(r.get(5), "key status")?,
                })
            })
            .collect()
    }

    async fn travellers(&self) -> Result<Vec<(TravellerRecord, Vec<u8>)>, StoreError> {
        let e = pg_err("reading travellers");
        let client = self.client().await?;
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

    async fn cards(&self) -> Result<Vec<CardSummary>, StoreError> {
        let rows = self
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

    async fn card_state(&self, card: CardRef) -> Result<Option<CardState>, StoreError> {
        let client = self.client().await?;
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

    async fn record_verification(&self, v: &NewVerification<'_>) -> Result<Recorded, StoreError> {
        let e = pg_err("recording a verification");
        let client = self.client().await?;
        // One statement, one round trip: the first presentation (the row that won the
        // primary key, returned whether this insert won or not), the verification itself,
        // and the card's state now.
        let stmt = client
            .prepare_cached(&format!(
                "WITH first AS (
                     INSERT INTO presentations AS p (nonce, verification_id, card, checkpoint, lane, at)
                     VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (nonce) DO UPDATE SET nonce = EXCLUDED.nonce
                     RETURNING p.verification_id, p.at, p.checkpoint, p.lane
                 ), logged AS (
                     INSERT INTO verifications (id, nonce, card, checkpoint, lane, direction, officer, at)
                     VALUES ($2, $1, $3, $4, $5, $7, $8, $6)
                 )
                 SELECT f.verification_id, f.at, f.checkpoint, f.lane, c.status, {CARD_TRIPS}
                 FROM first f LEFT JOIN cards c ON c.card = $3"
            ))
            .await
            .map_err(&e)?;
        let nonce = &v.nonce.0[..];
        let card = &v.card.0[..];
        let at = v.at.timestamp_millis();
        let params: [&(dyn ToSql + Sync); 8] = [
            &nonce,
            &v.id,
            &card,
            &v.checkpoint,
            &v.lane,
            &at,
            &v.direction,
            &v.officer,
        ];
        let row = client.query_one(&stmt, &params).await.map_err(&e)?;
        let first_id: &str = row.get(0);
        let presented_before = (first_id != v.id).then(|| Presentation {
            verification_id: first_id.to_owned(),
            at: millis(row.get(1)),
            checkpoint: row.get(2),
            lane: row.get(3),
        });
        let card = match row.get::<_, Option<&str>>(4) {
            Some(status) => Some(CardState {
                status: from_word(status, "card status")?,
                trips: parse_trips(row.get::<_, Option<&str>>(5).unwrap_or(""))?,
            }),
            None => None,
        };
        Ok(Recorded {
            presented_before,
            card,
        })
    }

    async fn record_decision(&self, d: &NewDecision<'_>) -> Result<DecisionOutcome, StoreError> {
        let e = pg_err("recording a decision");
        let body = decision_body(d.request)?;
        let at = d.received_at.timestamp_millis();
        let id = &d.request.decision_id;
        let mut client = self.client().await?;
        // Prepared once per connection: no parse or plan per decision.
        let insert = client
            .prepare_cached(
                "INSERT INTO decisions (decision_id, body, received_at) VALUES ($1, $2, $3)
                 ON CONFLICT (decision_id) DO NOTHING",
            )
            .await
            .map_err(&e)?;
        let stored = client
            .prepare_cached("SELECT body, received_at FROM decisions WHERE decision_id = $1")
            .await
            .map_err(&e)?;
        let tx = client.transaction().await.map_err(&e)?;
        // Sent together (the driver pipelines them): one round trip for both.
        let params: [&(dyn ToSql + Sync); 3] = [id, &body, &at];
        let ((), inserted) = tokio::try_join!(
            tx.batch_execute("SET LOCAL synchronous_commit = on"),
            tx.execute(&insert, &params),
        )
        .map_err(&e)?;
        if inserted == 0 {
            // Another request (on any instance) stored this id first and has committed:
            // ON CONFLICT waited for it, and this statement's snapshot is newer.
            let row = tx.query_one(&stored, &[id]).await.map_err(&e)?;
            let stored: &str = row.get(0);
            let outcome = if stored == body {
                DecisionOutcome::Duplicate(millis(row.get(1)))
            } else {
                DecisionOutcome::Conflict
            };
            tx.commit().await.map_err(&e)?;
            return Ok(outcome);
        }
        let mut taken = None;
        if let Some(trip) = d.trip {
            let rows = tx
                .query(
                    "SELECT e.traveller, e.document, e.position, e.destination, e.type,
                            e.valid_from, e.valid_until, e.trips, e.trips_used, e.max_stay_days
                     FROM endorsements e
                     JOIN cards c ON c.traveller = e.traveller
                     JOIN documents d ON d.traveller = e.traveller AND d.position = e.document
                     WHERE c.card = $1 AND d.kind = 'exit-entry-permit'
                     ORDER BY e.document, e.position
                     FOR UPDATE OF e",
                    &[&&d.request.card.0[..]],
                )
                .await
                .map_err(&e)?;
            let mut candidates = Vec::with_capacity(rows.len());
            for r in &rows {
                candidates.push(EndorsementRow {
                    document: r.get::<_, i32>(1).max(0) as u32,
                    position: r.get::<_, i32>(2).max(0) as u32,
                    endorsement: endorsement(
                        r.get(3),
                        r.get(4),
                        r.get(5),
                        r.get(6),
                        r.get(7),
                        r.get(8),
                        r.get(9),
                    )?,
                });
            }
            if let (Some(chosen), Some(first)) = (
                pick_endorsement(&candidates, trip.destinations, trip.on),
                rows.first(),
            ) {
                let traveller: &str = first.get(0);
                tx.execute(
                    "UPDATE endorsements SET trips_used = trips_used + 1
                     WHERE traveller = $1 AND document = $2 AND position = $3",
                    &[
                        &traveller,
                        &(chosen.document as i32),
                        &(chosen.position as i32),
                    ],
                )
                .await
                .map_err(&e)?;
                tx.execute(
                    "UPDATE decisions SET trip = $2 WHERE decision_id = $1",
                    &[id, &format!("{}/{}", chosen.document, chosen.position)],
                )
                .await
                .map_err(&e)?;
                taken = Some(TripTaken {
                    document: chosen.document,
                    position: chosen.position,
                    destination: chosen.endorsement.destination,
                    trips_used: chosen.endorsement.trips_used + 1,
                });
            }
        }
        tx.commit().await.map_err(&e)?;
        Ok(DecisionOutcome::Recorded(millis(at), taken))
    }

    async fn change_card(&self, ch: &CardChange<'_>) -> Result<ChangeOutcome, StoreError> {
        let e = pg_err("changing a card's status");
        let card = &ch.card.0[..];
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(&e)?;
        tx.batch_execute("SET LOCAL synchronous_commit = on")
            .await
            .map_err(&e)?;
        let Some(row) = tx
            .query_opt(
                "SELECT status FROM cards WHERE card = $1 FOR UPDATE",
                &[&card],
            )
            .await
            .map_err(&e)?
        else {
            return Ok(ChangeOutcome::UnknownCard);
        };
        let from: CardStatus = from_word(row.get(0), "card status")?;
        let to = match ch.action.apply(from) {
            Err(()) => return Ok(ChangeOutcome::Refused(from)),
            Ok(None) => return Ok(ChangeOutcome::Unchanged(from)),
            Ok(Some(to)) => to,
        };
        let at = ch.at.timestamp_millis();
        tx.execute(
            "UPDATE cards SET status = $2, changed_at = $3, changed_by = $4, change_reason = $5
             WHERE card = $1",
            &[&card, &word(&to), &at, &ch.actor, &ch.reason],
        )
        .await
        .map_err(&e)?;
        tx.execute(
            "INSERT INTO card_events (card, action, from_status, to_status, reason, actor, via, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                &card,
                &ch.action.as_str(),
                &word(&from),
                &word(&to),
                &ch.reason,
                &ch.actor,
                &ch.via,
                &at,
            ],
        )
        .await
        .map_err(&e)?;
        tx.commit().await.map_err(&e)?;
        Ok(ChangeOutcome::Changed(CardEvent {
            card: ch.card,
            action: ch.action,
            from,
            to,
            reason: ch.reason.to_owned(),
            actor: ch.actor.to_owned(),
            via: ch.via.to_owned(),
            at: millis(at),
        }))
    }

    async fn card_events(&self, card: CardRef) -> Result<Vec<CardEvent>, StoreError> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT action, from_status, to_status, reason, actor, via, at FROM card_events
                 WHERE card = $1 ORDER BY at, id",
                &[&&card.0[..]],
            )
            .await
            .map_err(pg_err("reading card events"))?;
        rows.iter()
            .map(|r| {
                let action: &str = r.get(0);
                Ok(CardEvent {
                    card,
                    action: action
                        .parse()
                        .map_err(|_| StoreError::Corrupt(format!("card action {action:?}")))?,
                    from: from_word(r.get(1), "card status")?,
                    to: from_word(r.get(2), "card status")?,
                    reason: r.get(3),
                    actor: r.get(4),
                    via: r.get(5),
                    at: millis(r.get(6)),
                })
            })
            .collect()
    }

    async fn prune(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let e = pg_err("pruning old verifications");
        let before = before.timestamp_millis();
        let client = self.client().await?;
        let mut total = 0;
        for table in ["verifications", "presentations"] {
            // In chunks, so no statement holds many row locks for long.
            loop {
                let n = client
                    .execute(
                        &format!(
                            "DELETE FROM {table} WHERE ctid = ANY(ARRAY(
                                 SELECT ctid FROM {table} WHERE at < $1 LIMIT {PRUNE_CHUNK}))"
                        ),
                        &[&before],
                    )
                    .await
                    .map_err(&e)?;
                total += n;
                if n == 0 {
                    break;
                }
            }
        }
        Ok(total)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let check = async {
            self.client()
                .await?
                .query_one("SELECT 1", &[])
                .await
                .map_err(pg_err("answering a readiness check"))?;
            Ok(())
        };
        tokio::time::timeout(Duration::from_secs(3), check)
            .await
            .unwrap_or_else(|_| {
                Err(StoreError::Postgres(
                    "PostgreSQL did not answer within 3 seconds".into(),
                ))
            })
    }

    fn pool(&self) -> PoolStats {
        let s = self.pool.status();
        PoolStats {
            max: s.max_size,
            open: s.size,
            idle: s.available,
            waiting: s.waiting,
        }
    }

    async fn close(&self) {
        self.pool.close();
    }

    fn count(&self, table: &str) -> Result<i64, StoreError> {
        let sql = count_sql(table)?;
        blocking(&self.url, move |c| {
            Box::pin(async move {
                Ok(c.query_one(sql.as_str(), &[])
                    .await
                    .map_err(pg_err("counting"))?
                    .get::<_, i64>(0))
            })
        })
    }

    fn decision(&self, id: &str) -> Result<Option<DecisionRequest>, StoreError> {
        let id = id.to_owned();
        let body: Option<String> = blocking(&self.url, move |c| {
            Box::pin(async move {
                Ok(
                    c.query_opt("SELECT body FROM decisions WHERE decision_id = $1", &[&id])
                        .await
                        .map_err(pg_err("reading a decision"))?
                        .map(|r| r.get(0)),
                )
            })
        })?;
        body.map(|b| from_json(&b, "decision")).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_stay_out_of_messages() {
        assert_eq!(
            redact("postgres://app:s3cret@db.example:5432/lanedesk"),
            "postgres://app:***@db.example:5432/lanedesk"
        );
        assert_eq!(
            redact("postgres://app@127.0.0.1/lanedesk"),
            "postgres://app@127.0.0.1/lanedesk"
        );
    }

    #[test]
    fn trips_used_read_back_from_the_aggregate() {
        assert_eq!(
            parse_trips("2:0:1,2:1:0").unwrap(),
            vec![
                TripsUsed {
                    document: 2,
                    position: 0,
                    trips_used: 1
                },
                TripsUsed {
                    document: 2,
                    position: 1,
                    trips_used: 0
                }
            ]
        );
        assert!(parse_trips("").unwrap().is_empty());
        assert!(parse_trips("x").is_err());
    }
}
