//! The SQLite schema and its migrations, opening connections, and the one-service file lock.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use chrono::Utc;
use rusqlite::{Connection, OpenFlags, params};

use crate::issuer::TravellerRecord;
use crate::issuer::store::{Access, StoreError, from_json};

use super::travellers::insert_traveller;

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
    (
        3,
        "trust anchor, trust list number, lane credentials, holder secrets",
        super::trust::v3,
    ),
    (4, "audit heads the service witnessed", super::witness::v4),
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

pub(super) fn migrate(c: &Connection) -> Result<(), StoreError> {
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

pub(super) fn open_conn(path: &Path, access: Access) -> Result<Connection, StoreError> {
    let open_err = |source| StoreError::Open {
        path: path.display().to_string(),
        source,
    };
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if access == Access::Serve {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
        keep_private(path).map_err(|e| {
            StoreError::Busy(format!(
                "cannot create the issuer database {} readable by its owner only: {e}. Check the --db folder's permissions.",
                path.display()
            ))
        })?;
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

/// The database holds the signing keys and the trust anchor: it is made readable by its
/// owner only (SQLite gives its -wal and -shm files the same mode), and a file found with
/// a wider mode is narrowed.
fn keep_private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)?;
    let mode = file.metadata()?.permissions().mode() & 0o777;
    if mode != 0o600 {
        tracing::warn!(path = %path.display(), mode = format!("{mode:o}"), "the issuer database was readable by others; narrowed to 600");
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

/// Takes the one-service lock beside the database, or says who holds it.
pub(super) fn lock_for_serving(path: &Path) -> Result<File, StoreError> {
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

pub(super) fn identity(path: &Path) -> Option<(u64, u64)> {
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}
