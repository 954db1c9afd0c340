//! The embedded back end: one SQLite file, one service process.
//!
//! **One writer.** Every write goes through one connection owned by a writer thread, which
//! takes what is queued (up to [`MAX_BATCH`] jobs) and commits it in `BEGIN IMMEDIATE`
//! transactions, each job in its own savepoint. One writer means no "database is locked"
//! inside the process; `IMMEDIATE` means a tool in another process (`issuer cards revoke`)
//! waits for the lock with the busy timeout instead of failing on a lock upgrade; and
//! committing many verifications at once is what lets one instance reach 10,000/s.
//!
//! **Durability.** The verifications of a batch commit together with `synchronous=NORMAL`
//! (a power cut may forget the last few, which only weakens replay detection for codes
//! that expire within a minute anyway) and are answered at once; then the batch's decisions
//! and card status changes commit with `synchronous=FULL`, and none of them is answered
//! before that commit is on disk.
//!
//! **One service per file.** `issuer serve` holds an exclusive lock on `FILE.lock` for its
//! life; a second one refuses to start and says why. Several instances need PostgreSQL.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, NaiveDate, Utc};
use ed25519_dalek::SigningKey;
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use tokio::sync::{mpsc, oneshot};

use crate::api::{CardSummary, DecisionRequest, Presentation};
use crate::domain::credential::{CardRef, Kid};
use crate::domain::documents::{Document, Endorsement};
use crate::domain::holder::{CardStatus, Holder};
use crate::fixtures::Traveller;
use crate::issuer::TravellerRecord;
use crate::issuer::lifecycle::{CardAction, pick_endorsement};

use super::{
    Access, CardChange, CardEvent, CardState, ChangeOutcome, DecisionOutcome, EndorsementRow,
    IssuerKey, NewDecision, NewVerification, PoolStats, Recorded, Store, StoreError, TripTaken,
    TripUse, TripsUsed, count_sql, decision_body, from_json, from_word, initial_keys, millis,
    to_json, word,
};

/// Jobs committed in one transaction at most.
pub const MAX_BATCH: usize = 512;
/// Rows one prune job deletes at most, so the writer is never held for long.
const PRUNE_CHUNK: usize = 5_000;

/// A job runs on the writer thread inside the batch's transaction; it answers its caller
/// only after the commit, through the reply it returns.
type Reply = Box<dyn FnOnce(Option<&StoreError>) + Send>;
type Job = Box<dyn FnOnce(&Connection) -> (bool, Reply) + Send>;

struct Queued {
    job: Job,
    durable: bool,
}

pub struct SqliteStore {
    path: PathBuf,
    queue: Mutex<Option<mpsc::Sender<Queued>>>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
    queued: Arc<AtomicUsize>,
    reader: Mutex<Connection>,
    /// The file's device and inode when opened: readiness fails if the file is replaced.
    identity: Option<(u64, u64)>,
    lock: Mutex<Option<File>>,
}

/// One schema step, run inside the migration transaction.
pub type Migration = fn(&Connection) -> Result<(), StoreError>;

/// Versioned migrations. Version 1 is the schema from before versions were recorded
/// (every statement `IF NOT EXISTS`, so a file made by an earlier lanedesk is taken as it
/// is); version 2 moves travellers into tables of their own and adds the card lifecycle.
pub const MIGRATIONS: &[(i64, &str, Migration)] = &[
    (1, "keys, travellers, verifications, decisions", v1),
    (
        2,
        "cards, documents, endorsements, first presentations, card events",
        v2,
    ),
];

fn v1(c: &Connection) -> Result<(), StoreError> {
    c.execute_batch(
        "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
         CREATE TABLE IF NOT EXISTS keys (
             kid BLOB PRIMARY KEY, issuer TEXT NOT NULL, secret BLOB NOT NULL,
             valid_from INTEGER NOT NULL, valid_until INTEGER NOT NULL, status TEXT NOT NULL);
         CREATE TABLE IF NOT EXISTS travellers (
             id TEXT PRIMARY KEY, card BLOB NOT NULL UNIQUE, record TEXT NOT NULL,
             portrait BLOB NOT NULL);
         CREATE TABLE IF NOT EXISTS verifications (
             id TEXT PRIMARY KEY, nonce BLOB NOT NULL, card BLOB NOT NULL,
             checkpoint TEXT NOT NULL, lane TEXT NOT NULL, direction TEXT NOT NULL,
             officer TEXT NOT NULL, at INTEGER NOT NULL); -- Unix milliseconds
         CREATE INDEX IF NOT EXISTS verifications_by_nonce ON verifications (nonce, at);
         CREATE TABLE IF NOT EXISTS decisions (
             decision_id TEXT PRIMARY KEY, body TEXT NOT NULL,
             received_at INTEGER NOT NULL); -- Unix milliseconds",
    )?;
    Ok(())
}

fn v2(c: &Connection) -> Result<(), StoreError> {
    c.execute_batch(
        "ALTER TABLE travellers RENAME TO travellers_v1;
         CREATE TABLE travellers (
             id TEXT PRIMARY KEY, scenario TEXT NOT NULL, summary TEXT NOT NULL,
             name_zh TEXT NOT NULL, name_latin TEXT NOT NULL, sex TEXT NOT NULL,
             birth_date TEXT NOT NULL, residency TEXT NOT NULL, photo TEXT NOT NULL,
             portrait BLOB NOT NULL,
             crossings TEXT NOT NULL,  -- JSON: read and shown whole
             alerts TEXT NOT NULL);    -- JSON
         CREATE TABLE cards (
             card BLOB PRIMARY KEY, traveller TEXT NOT NULL UNIQUE REFERENCES travellers (id),
             status TEXT NOT NULL, changed_at INTEGER, changed_by TEXT, change_reason TEXT);
         CREATE TABLE documents (
             traveller TEXT NOT NULL REFERENCES travellers (id), position INTEGER NOT NULL,
             kind TEXT NOT NULL, number TEXT NOT NULL, issued TEXT NOT NULL, expires TEXT,
             status TEXT NOT NULL, name_zh TEXT NOT NULL, name_latin TEXT NOT NULL,
             sex TEXT NOT NULL, birth_date TEXT NOT NULL,
             PRIMARY KEY (traveller, position));
         CREATE TABLE endorsements (
             traveller TEXT NOT NULL, document INTEGER NOT NULL, position INTEGER NOT NULL,
             destination TEXT NOT NULL, type TEXT NOT NULL, valid_from TEXT NOT NULL,
             valid_until TEXT NOT NULL, trips TEXT NOT NULL, trips_used INTEGER NOT NULL,
             max_stay_days INTEGER NOT NULL,
             PRIMARY KEY (traveller, document, position),
             FOREIGN KEY (traveller, document) REFERENCES documents (traveller, position));
         CREATE TABLE card_events (
             id INTEGER PRIMARY KEY, card BLOB NOT NULL REFERENCES cards (card),
             action TEXT NOT NULL, from_status TEXT NOT NULL, to_status TEXT NOT NULL,
             reason TEXT NOT NULL, actor TEXT NOT NULL, via TEXT NOT NULL,
             at INTEGER NOT NULL);
         CREATE INDEX card_events_by_card ON card_events (card, at);
         -- The first presentation of each code: the primary key makes it atomic.
         CREATE TABLE presentations (
             nonce BLOB PRIMARY KEY, verification_id TEXT NOT NULL, card BLOB NOT NULL,
             checkpoint TEXT NOT NULL, lane TEXT NOT NULL, at INTEGER NOT NULL);
         INSERT OR IGNORE INTO presentations (nonce, verification_id, card, checkpoint, lane, at)
             SELECT nonce, id, card, checkpoint, lane, at FROM verifications ORDER BY at, rowid;
         CREATE INDEX presentations_by_time ON presentations (at);
         DROP INDEX IF EXISTS verifications_by_nonce;
         CREATE INDEX verifications_by_time ON verifications (at);
         ALTER TABLE decisions ADD COLUMN trip TEXT;",
    )?;
    // Records kept whole by version 1 move into the new tables.
    let old: Vec<(String, Vec<u8>)> = c
        .prepare("SELECT record, portrait FROM travellers_v1 ORDER BY id")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (json, portrait) in old {
        let record: TravellerRecord = from_json(&json, "traveller record")?;
        insert_traveller(c, &record, &portrait)?;
    }
    c.execute_batch("DROP TABLE travellers_v1;")?;
    Ok(())
}

fn migrate(c: &Connection) -> Result<(), StoreError> {
    c.execute_batch("BEGIN IMMEDIATE")?;
    let result = (|| {
        c.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
        )?;
        let at: i64 = c.query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            [],
            |r| r.get(0),
        )?;
        let known = MIGRATIONS.last().map_or(0, |m| m.0);
        if at > known {
            return Err(StoreError::TooNew { found: at, known });
        }
        for (version, name, apply) in MIGRATIONS.iter().filter(|m| m.0 > at) {
            apply(c)?;
            c.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
                params![version, name, Utc::now().timestamp()],
            )?;
            tracing::info!(version, name, "applied database migration");
        }
        Ok(())
    })();
    match result {
        Ok(()) => {
            c.execute_batch("COMMIT")?;
            Ok(())
        }
        Err(e) => {
            let _ = c.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

fn open_conn(path: &Path, access: Access) -> Result<Connection, StoreError> {
    let open_err = |source| StoreError::Open {
        path: path.display().to_string(),
        source,
    };
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if access == Access::Serve {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    } else if !path.exists() {
        return Err(StoreError::Missing(path.display().to_string()));
    }
    let conn = Connection::open_with_flags(path, flags).map_err(open_err)?;
    // The service's writer waits a little for a tool's short transaction; a tool waits
    // longer, since the service's writer may hold the lock batch after batch.
    conn.busy_timeout(std::time::Duration::from_secs(match access {
        Access::Serve => 5,
        Access::Tool => 30,
    }))?;
    Ok(conn)
}

/// Takes the one-service lock beside the database, or says who holds it.
fn lock_for_serving(path: &Path) -> Result<File, StoreError> {
    let lock_path = lock_path(path);
    let io_err = |e: std::io::Error| {
        StoreError::Busy(format!(
            "cannot use the lock file {}: {e}. Check the --db folder's permissions.",
            lock_path.display()
        ))
    };
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock_path)
        .map_err(io_err)?;
    match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => {
            file.set_len(0).map_err(io_err)?;
            file.rewind().map_err(io_err)?;
            let _ = writeln!(file, "pid {}", std::process::id());
            Ok(file)
        }
        Err(rustix::io::Errno::WOULDBLOCK) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            let who = if holder.is_empty() {
                "another lanedesk issuer serve".to_owned()
            } else {
                format!("another lanedesk issuer serve ({holder})")
            };
            Err(StoreError::Busy(format!(
                "{who} is already serving {}. A SQLite database serves one instance: stop the other one, \
                 or run several instances on one PostgreSQL database (--db postgres://USER@HOST/DB).",
                path.display()
            )))
        }
        Err(e) => Err(io_err(e.into())),
    }
}

pub fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

fn identity(path: &Path) -> Option<(u64, u64)> {
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

impl SqliteStore {
    pub fn open(path: &Path, access: Access) -> Result<SqliteStore, StoreError> {
        let writer = open_conn(path, access)?;
        let lock = match access {
            Access::Serve => Some(lock_for_serving(path)?),
            Access::Tool => None,
        };
        writer.pragma_update(None, "journal_mode", "WAL")?;
        writer.pragma_update(None, "synchronous", "NORMAL")?;
        migrate(&writer)?;
        let reader = open_conn(path, Access::Tool)?;
        let (tx, rx) = mpsc::channel(4 * MAX_BATCH);
        let queued = Arc::new(AtomicUsize::new(0));
        let thread = {
            let queued = queued.clone();
            std::thread::Builder::new()
                .name("lanedesk-sqlite-writer".into())
                .spawn(move || write_loop(writer, rx, &queued))
                .map_err(|e| StoreError::Busy(format!("cannot start the database writer: {e}")))?
        };
        Ok(SqliteStore {
            path: path.to_owned(),
            queue: Mutex::new(Some(tx)),
            writer: Mutex::new(Some(thread)),
            queued,
            reader: Mutex::new(reader),
            identity: identity(path),
            lock: Mutex::new(lock),
        })
    }

    fn reader(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite consistent (transactions roll back),
        // so a poisoned lock is safe to keep using.
        self.reader.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on the writer inside its next batch's transaction.
    async fn write<T: Send + 'static>(
        &self,
        durable: bool,
        f: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let result = f(conn);
            let ok = result.is_ok();
            let reply: Reply = Box::new(move |commit: Option<&StoreError>| {
                let _ = tx.send(match (result, commit) {
                    (Ok(_), Some(e)) => Err(e.shared()),
                    (result, _) => result,
                });
            });
            (ok, reply)
        });
        let queue = self
            .queue
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or(StoreError::Closed)?;
        self.queued.fetch_add(1, Ordering::Relaxed);
        if queue.send(Queued { job, durable }).await.is_err() {
            self.queued.fetch_sub(1, Ordering::Relaxed);
            return Err(StoreError::Closed);
        }
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Runs a read on the reader connection off the async threads.
    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        // The reader is behind a mutex owned by self; block_in_place would need a
        // multi-thread runtime, so the read runs here: they are rare and short (card
        // lists, events, start-up).
        f(&self.reader())
    }
}

fn write_loop(conn: Connection, mut rx: mpsc::Receiver<Queued>, queued: &AtomicUsize) {
    let mut full = false;
    while let Some(first) = rx.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        queued.fetch_sub(batch.len(), Ordering::Relaxed);
        // Jobs that were queued together were in flight together, so any order between them
        // is one their callers could have seen: the verifications commit first, without an
        // fsync, and are answered before the decisions' fsync instead of after it.
        let (durable, fast): (Vec<Queued>, Vec<Queued>) =
            batch.into_iter().partition(|j| j.durable);
        for (jobs, want_full) in [(fast, false), (durable, true)] {
            if jobs.is_empty() {
                continue;
            }
            if want_full != full {
                let level = if want_full { "FULL" } else { "NORMAL" };
                if conn.pragma_update(None, "synchronous", level).is_ok() {
                    full = want_full;
                }
            }
            commit_batch(&conn, jobs);
        }
    }
}

/// Runs `jobs` in one `BEGIN IMMEDIATE` transaction, each in a savepoint (a failing job
/// leaves nothing behind and fails alone), and answers them after the commit.
fn commit_batch(conn: &Connection, jobs: Vec<Queued>) {
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        let e = StoreError::from(e);
        for q in jobs {
            // Each job still runs so its caller hears why; nothing it does is kept.
            let (_, reply) = (q.job)(conn);
            reply(Some(&e));
        }
        let _ = conn.execute_batch("ROLLBACK");
        return;
    }
    let run = |sql: &str| conn.prepare_cached(sql).and_then(|mut s| s.execute([]));
    let mut replies = Vec::with_capacity(jobs.len());
    for q in jobs {
        let savepoint = run("SAVEPOINT job");
        let (ok, reply) = (q.job)(conn);
        if savepoint.is_ok() {
            if !ok {
                let _ = run("ROLLBACK TO job");
            }
            let _ = run("RELEASE job");
        }
        replies.push(reply);
    }
    let commit = conn.execute_batch("COMMIT").map_err(StoreError::from);
    if commit.is_err() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    let commit = commit.err();
    for reply in replies {
        reply(commit.as_ref());
    }
}

fn date(text: &str, what: &str) -> Result<NaiveDate, StoreError> {
    text.parse()
        .map_err(|_| StoreError::Corrupt(format!("{what} {text:?}")))
}

/// Adds a traveller with card, documents and endorsements, unless the traveller id is
/// already there. Returns whether it was added.
fn insert_traveller(
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

fn seed(
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

fn endorsement_rows(c: &Connection, traveller: &str) -> Result<Vec<EndorsementRow>, StoreError> {
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

fn card_state(c: &Connection, card: CardRef) -> Result<Option<CardState>, StoreError> {
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

fn record_verification(c: &Connection, v: &OwnedVerification) -> Result<Recorded, StoreError> {
    let nonce = v.nonce.to_vec();
    let first =
        c.prepare_cached(
            "INSERT INTO presentations (nonce, verification_id, card, checkpoint, lane, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (nonce) DO NOTHING",
        )?
        .execute(params![
            nonce,
            v.id,
            v.card.0.to_vec(),
            v.checkpoint,
            v.lane,
            v.at
        ])? == 1;
    let presented_before = if first {
        None
    } else {
        c.prepare_cached(
            "SELECT verification_id, at, checkpoint, lane FROM presentations WHERE nonce = ?1",
        )?
        .query_row(params![nonce], |r| {
            Ok(Presentation {
                verification_id: r.get(0)?,
                at: millis(r.get(1)?),
                checkpoint: r.get(2)?,
                lane: r.get(3)?,
            })
        })
        .optional()?
    };
    c.prepare_cached(
        "INSERT INTO verifications (id, nonce, card, checkpoint, lane, direction, officer, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        v.id,
        nonce,
        v.card.0.to_vec(),
        v.checkpoint,
        v.lane,
        v.direction,
        v.officer,
        v.at
    ])?;
    Ok(Recorded {
        presented_before,
        card: card_state(c, v.card)?,
    })
}

fn take_trip(
    c: &Connection,
    card: CardRef,
    trip: TripUse,
) -> Result<Option<TripTaken>, StoreError> {
    let traveller: Option<String> = c
        .query_row(
            "SELECT traveller FROM cards WHERE card = ?1",
            params![card.0.to_vec()],
            |r| r.get(0),
        )
        .optional()?;
    let Some(traveller) = traveller else {
        return Ok(None);
    };
    let rows = endorsement_rows(c, &traveller)?;
    let Some(chosen) = pick_endorsement(&rows, trip.destinations, trip.on) else {
        return Ok(None);
    };
    c.execute(
        "UPDATE endorsements SET trips_used = trips_used + 1
         WHERE traveller = ?1 AND document = ?2 AND position = ?3",
        params![traveller, chosen.document, chosen.position],
    )?;
    Ok(Some(TripTaken {
        document: chosen.document,
        position: chosen.position,
        destination: chosen.endorsement.destination,
        trips_used: chosen.endorsement.trips_used + 1,
    }))
}

fn record_decision(
    c: &Connection,
    d: &DecisionRequest,
    body: &str,
    at: i64,
    trip: Option<TripUse>,
) -> Result<DecisionOutcome, StoreError> {
    let existing: Option<(String, i64)> = c
        .prepare_cached("SELECT body, received_at FROM decisions WHERE decision_id = ?1")?
        .query_row(params![d.decision_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match existing {
        Some((stored, at)) if stored == body => Ok(DecisionOutcome::Duplicate(millis(at))),
        Some(_) => Ok(DecisionOutcome::Conflict),
        None => {
            let taken = match trip {
                Some(trip) => take_trip(c, d.card, trip)?,
                None => None,
            };
            c.prepare_cached(
                "INSERT INTO decisions (decision_id, body, received_at, trip) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![
                d.decision_id,
                body,
                at,
                taken.as_ref().map(|t| format!("{}/{}", t.document, t.position))
            ])?;
            Ok(DecisionOutcome::Recorded(millis(at), taken))
        }
    }
}

fn change_card(c: &Connection, ch: &OwnedChange) -> Result<ChangeOutcome, StoreError> {
    let status: Option<String> = c
        .query_row(
            "SELECT status FROM cards WHERE card = ?1",
            params![ch.card.0.to_vec()],
            |r| r.get(0),
        )
        .optional()?;
    let Some(status) = status else {
        return Ok(ChangeOutcome::UnknownCard);
    };
    let from: CardStatus = from_word(&status, "card status")?;
    let to = match ch.action.apply(from) {
        Err(()) => return Ok(ChangeOutcome::Refused(from)),
        Ok(None) => return Ok(ChangeOutcome::Unchanged(from)),
        Ok(Some(to)) => to,
    };
    let at = ch.at.timestamp_millis();
    c.execute(
        "UPDATE cards SET status = ?2, changed_at = ?3, changed_by = ?4, change_reason = ?5
         WHERE card = ?1",
        params![ch.card.0.to_vec(), word(&to), at, ch.actor, ch.reason],
    )?;
    c.execute(
        "INSERT INTO card_events (card, action, from_status, to_status, reason, actor, via, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            ch.card.0.to_vec(),
            ch.action.as_str(),
            word(&from),
            word(&to),
            ch.reason,
            ch.actor,
            ch.via,
            at
        ],
    )?;
    Ok(ChangeOutcome::Changed(CardEvent {
        card: ch.card,
        action: ch.action,
        from,
        to,
        reason: ch.reason.clone(),
        actor: ch.actor.clone(),
        via: ch.via.clone(),
        at: millis(at),
    }))
}

fn load_travellers(c: &Connection) -> Result<Vec<(TravellerRecord, Vec<u8>)>, StoreError> {
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

/// What a verification job carries to the writer thread.
struct OwnedVerification {
    id: String,
    nonce: [u8; 12],
    card: CardRef,
    checkpoint: String,
    lane: String,
    direction: String,
    officer: String,
    at: i64,
}

struct OwnedChange {
    card: CardRef,
    action: CardAction,
    reason: String,
    actor: String,
    via: String,
    at: DateTime<Utc>,
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    fn kind(&self) -> &'static str {
        "sqlite"
    }

    async fn seed(
        &self,
        issuer: &str,
        now: i64,
        travellers: &[Traveller],
    ) -> Result<(), StoreError> {
        let issuer = issuer.to_owned();
        let travellers = travellers.to_vec();
        self.write(true, move |c| seed(c, &issuer, now, &travellers))
            .await
    }

    async fn keys(&self) -> Result<Vec<IssuerKey>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT kid, issuer, secret, valid_from, valid_until, status FROM keys ORDER BY valid_from",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Vec<u8>>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, String>(5)?,
                ))
            })?;
            let mut keys = Vec::new();
            for row in rows {
                let (kid, issuer, secret, valid_from, valid_until, status) = row?;
                let kid =
                    Kid::from_slice(&kid).ok_or_else(|| StoreError::Corrupt("key id".into()))?;
                let secret: [u8; 32] = secret
                    .try_into()
                    .map_err(|_| StoreError::Corrupt("signing key".into()))?;
                keys.push(IssuerKey {
                    kid,
                    issuer,
                    signing: SigningKey::from_bytes(&secret),
                    valid_from,
                    valid_until,
                    status: from_word(&status, "key status")?,
                });
            }
            Ok(keys)
        })
        .await
    }

    async fn travellers(&self) -> Result<Vec<(TravellerRecord, Vec<u8>)>, StoreError> {
        self.read(load_travellers).await
    }

    async fn cards(&self) -> Result<Vec<CardSummary>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT c.card, t.id, t.name_latin, t.scenario, t.summary, c.status
                 FROM cards c JOIN travellers t ON t.id = c.traveller ORDER BY t.id",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    [
                        r.get::<_, String>(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ],
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (card, [traveller, name_latin, scenario, summary, status]) = row?;
                out.push(CardSummary {
                    card: CardRef::from_slice(&card)
                        .ok_or_else(|| StoreError::Corrupt("card reference".into()))?,
                    traveller,
                    name_latin,
                    scenario,
                    summary,
                    status: from_word(&status, "card status")?,
                });
            }
            Ok(out)
        })
        .await
    }

    async fn card_state(&self, card: CardRef) -> Result<Option<CardState>, StoreError> {
        self.read(move |c| card_state(c, card)).await
    }

    async fn record_verification(&self, v: &NewVerification<'_>) -> Result<Recorded, StoreError> {
        let owned = OwnedVerification {
            id: v.id.to_owned(),
            nonce: v.nonce.0,
            card: v.card,
            checkpoint: v.checkpoint.to_owned(),
            lane: v.lane.to_owned(),
            direction: v.direction.to_owned(),
            officer: v.officer.to_owned(),
            at: v.at.timestamp_millis(),
        };
        self.write(false, move |c| record_verification(c, &owned))
            .await
    }

    async fn record_decision(&self, d: &NewDecision<'_>) -> Result<DecisionOutcome, StoreError> {
        let body = decision_body(d.request)?;
        let request = d.request.clone();
        let at = d.received_at.timestamp_millis();
        let trip = d.trip;
        self.write(true, move |c| record_decision(c, &request, &body, at, trip))
            .await
    }

    async fn change_card(&self, change: &CardChange<'_>) -> Result<ChangeOutcome, StoreError> {
        let owned = OwnedChange {
            card: change.card,
            action: change.action,
            reason: change.reason.to_owned(),
            actor: change.actor.to_owned(),
            via: change.via.to_owned(),
            at: change.at,
        };
        self.write(true, move |c| change_card(c, &owned)).await
    }

    async fn card_events(&self, card: CardRef) -> Result<Vec<CardEvent>, StoreError> {
        self.read(move |c| {
            let mut stmt = c.prepare(
                "SELECT action, from_status, to_status, reason, actor, via, at FROM card_events
                 WHERE card = ?1 ORDER BY at, id",
            )?;
            let rows = stmt.query_map(params![card.0.to_vec()], |r| {
                Ok((
                    [
                        r.get::<_, String>(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ],
                    r.get::<_, i64>(6)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let ([action, from, to, reason, actor, via], at) = row?;
                out.push(CardEvent {
                    card,
                    action: action
                        .parse()
                        .map_err(|_| StoreError::Corrupt(format!("card action {action:?}")))?,
                    from: from_word(&from, "card status")?,
                    to: from_word(&to, "card status")?,
                    reason,
                    actor,
                    via,
                    at: millis(at),
                });
            }
            Ok(out)
        })
        .await
    }

    async fn prune(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let before = before.timestamp_millis();
        let mut total = 0u64;
        // In chunks, each its own job, so verifications keep flowing while it runs.
        loop {
            let deleted = self
                .write(false, move |c| {
                    let mut n = 0;
                    for table in ["verifications", "presentations"] {
                        n += c.execute(
                            &format!(
                                "DELETE FROM {table} WHERE rowid IN
                                 (SELECT rowid FROM {table} WHERE at < ?1 LIMIT {PRUNE_CHUNK})"
                            ),
                            params![before],
                        )?;
                    }
                    Ok(n)
                })
                .await?;
            total += deleted as u64;
            if deleted == 0 {
                return Ok(total);
            }
        }
    }

    async fn ping(&self) -> Result<(), StoreError> {
        if identity(&self.path) != self.identity {
            return Err(StoreError::Busy(format!(
                "the database file {} was removed or replaced while the service ran; restart the service",
                self.path.display()
            )));
        }
        self.write(false, |c| {
            c.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?;
            Ok(())
        })
        .await
    }

    fn pool(&self) -> PoolStats {
        let waiting = self.queued.load(Ordering::Relaxed);
        PoolStats {
            max: 1,
            open: 1,
            idle: usize::from(waiting == 0),
            waiting,
        }
    }

    async fn close(&self) {
        // Dropping the sender ends the writer once it has committed what is queued.
        self.queue.lock().unwrap_or_else(|p| p.into_inner()).take();
        let thread = self.writer.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(thread) = thread {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
        self.lock.lock().unwrap_or_else(|p| p.into_inner()).take();
    }

    fn count(&self, table: &str) -> Result<i64, StoreError> {
        let sql = count_sql(table)?;
        Ok(self.reader().query_row(&sql, [], |r| r.get(0))?)
    }

    fn decision(&self, id: &str) -> Result<Option<DecisionRequest>, StoreError> {
        let body: Option<String> = self
            .reader()
            .query_row(
                "SELECT body FROM decisions WHERE decision_id = ?1",
                params![id],
                |r| r.get(0),
            )
            .optional()?;
        body.map(|b| from_json(&b, "decision")).transpose()
    }
}
