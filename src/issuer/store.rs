//! The reference service's SQLite file: signing keys, travellers (seeded once from the
//! fixtures), every verification, every decision.
//!
//! Two connections: verifications are written with `synchronous=NORMAL` (a power cut may
//! forget the last few, which only weakens replay detection for codes that expire within a
//! minute anyway); decisions with `synchronous=FULL`, because an acknowledged decision must
//! survive anything.

use std::path::Path;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use ed25519_dalek::SigningKey;
use rusqlite::{Connection, OptionalExtension, params};

use crate::api::{DecisionRequest, Presentation};
use crate::domain::credential::{CardRef, Kid, Nonce};
use crate::domain::trust::KeyStatus;
use crate::fixtures::Traveller;

use super::TravellerRecord;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the issuer database {path} cannot be opened: {source}. Check the --db path and its folder's permissions."
    )]
    Open {
        path: String,
        source: rusqlite::Error,
    },
    #[error("the issuer database failed: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error(
        "the issuer database holds a record it cannot read ({0}); it may come from another version: start with a new --db file"
    )]
    Corrupt(String),
}

pub struct IssuerKey {
    pub kid: Kid,
    pub issuer: String,
    pub signing: SigningKey,
    pub valid_from: i64,
    pub valid_until: i64,
    pub status: KeyStatus,
}

pub struct Store {
    fast: Mutex<Connection>,
    durable: Mutex<Connection>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS keys (
    kid BLOB PRIMARY KEY, issuer TEXT NOT NULL, secret BLOB NOT NULL,
    valid_from INTEGER NOT NULL, valid_until INTEGER NOT NULL, status TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS travellers (
    id TEXT PRIMARY KEY, card BLOB NOT NULL UNIQUE, record TEXT NOT NULL, portrait BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS verifications (
    id TEXT PRIMARY KEY, nonce BLOB NOT NULL, card BLOB NOT NULL, checkpoint TEXT NOT NULL,
    lane TEXT NOT NULL, direction TEXT NOT NULL, officer TEXT NOT NULL,
    at INTEGER NOT NULL); -- Unix milliseconds
CREATE INDEX IF NOT EXISTS verifications_by_nonce ON verifications (nonce, at);
CREATE TABLE IF NOT EXISTS decisions (
    decision_id TEXT PRIMARY KEY, body TEXT NOT NULL,
    received_at INTEGER NOT NULL); -- Unix milliseconds
";

fn open_conn(path: &Path, synchronous: &str) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(|source| StoreError::Open {
        path: path.display().to_string(),
        source,
    })?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", synchronous)?;
    Ok(conn)
}

fn status_str(status: KeyStatus) -> &'static str {
    match status {
        KeyStatus::Active => "active",
        KeyStatus::Retired => "retired",
        KeyStatus::Revoked => "revoked",
    }
}

fn parse_status(s: &str) -> Result<KeyStatus, StoreError> {
    match s {
        "active" => Ok(KeyStatus::Active),
        "retired" => Ok(KeyStatus::Retired),
        "revoked" => Ok(KeyStatus::Revoked),
        other => Err(StoreError::Corrupt(format!("key status {other:?}"))),
    }
}

impl Store {
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let fast = open_conn(path, "NORMAL")?;
        fast.execute_batch(SCHEMA)?;
        let durable = open_conn(path, "FULL")?;
        Ok(Self {
            fast: Mutex::new(fast),
            durable: Mutex::new(durable),
        })
    }

    fn fast(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite consistent (transactions roll back),
        // so a poisoned lock is safe to keep using.
        self.fast.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn durable(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.durable.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Creates the signing keys if there are none: one active, one retired last rotation.
    /// Then adds every fixture traveller not yet present. Running it again changes nothing.
    pub fn seed(&self, issuer: &str, now: i64, travellers: &[Traveller]) -> Result<(), StoreError> {
        let mut conn = self.fast();
        let tx = conn.transaction()?;
        let key_count: i64 = tx.query_row("SELECT COUNT(*) FROM keys", [], |r| r.get(0))?;
        if key_count == 0 {
            const DAY: i64 = 86_400;
            let keys = [
                (now - 3 * 365 * DAY, now - 180 * DAY, KeyStatus::Retired),
                (now - 180 * DAY, now + 2 * 365 * DAY, KeyStatus::Active),
            ];
            for (from, until, status) in keys {
                let mut secret = [0u8; 32];
                getrandom::fill(&mut secret)
                    .expect("the operating system's random number source failed");
                tx.execute(
                    "INSERT INTO keys (kid, issuer, secret, valid_from, valid_until, status)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        Kid::random().0.to_vec(),
                        issuer,
                        secret.to_vec(),
                        from,
                        until,
                        status_str(status)
                    ],
                )?;
            }
        }
        for t in travellers {
            let record = TravellerRecord::from_fixture(t);
            let json = serde_json::to_string(&record)
                .map_err(|e| StoreError::Corrupt(format!("cannot encode traveller: {e}")))?;
            tx.execute(
                "INSERT OR IGNORE INTO travellers (id, card, record, portrait) VALUES (?1, ?2, ?3, ?4)",
                params![t.holder.id, t.card.0.to_vec(), json, t.portrait],
            )?;
        }
        tx.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('seeded_at', ?1)",
            params![now.to_string()],
        )?;
        tx.commit()?;
        Ok(())
    }

    pub fn keys(&self) -> Result<Vec<IssuerKey>, StoreError> {
        let conn = self.fast();
        let mut stmt = conn.prepare(
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
            let kid = Kid::from_slice(&kid).ok_or_else(|| StoreError::Corrupt("key id".into()))?;
            let secret: [u8; 32] = secret
                .try_into()
                .map_err(|_| StoreError::Corrupt("signing key".into()))?;
            keys.push(IssuerKey {
                kid,
                issuer,
                signing: SigningKey::from_bytes(&secret),
                valid_from,
                valid_until,
                status: parse_status(&status)?,
            });
        }
        Ok(keys)
    }

    /// Every traveller with its portrait.
    pub fn travellers(&self) -> Result<Vec<(TravellerRecord, Vec<u8>)>, StoreError> {
        let conn = self.fast();
        let mut stmt = conn.prepare("SELECT record, portrait FROM travellers ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (json, portrait) = row?;
            let record: TravellerRecord = serde_json::from_str(&json)
                .map_err(|e| StoreError::Corrupt(format!("traveller record: {e}")))?;
            out.push((record, portrait));
        }
        Ok(out)
    }

    pub fn count(&self, table: &str) -> Result<i64, StoreError> {
        let sql = match table {
            "keys" => "SELECT COUNT(*) FROM keys",
            "travellers" => "SELECT COUNT(*) FROM travellers",
            "verifications" => "SELECT COUNT(*) FROM verifications",
            "decisions" => "SELECT COUNT(*) FROM decisions",
            other => return Err(StoreError::Corrupt(format!("no table {other}"))),
        };
        Ok(self.fast().query_row(sql, [], |r| r.get(0))?)
    }

    /// Records a verification and returns the first earlier presentation of the same code.
    pub fn record_verification(
        &self,
        v: &NewVerification<'_>,
    ) -> Result<Option<Presentation>, StoreError> {
        let conn = self.fast();
        let earlier = conn
            .prepare_cached(
                "SELECT id, at, checkpoint, lane FROM verifications WHERE nonce = ?1 ORDER BY at, rowid LIMIT 1",
            )?
            .query_row(params![v.nonce.0.to_vec()], |r| {
                Ok(Presentation {
                    verification_id: r.get(0)?,
                    at: DateTime::from_timestamp_millis(r.get(1)?).unwrap_or_default(),
                    checkpoint: r.get(2)?,
                    lane: r.get(3)?,
                })
            })
            .optional()?;
        conn.prepare_cached(
            "INSERT INTO verifications (id, nonce, card, checkpoint, lane, direction, officer, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
            v.id,
            v.nonce.0.to_vec(),
            v.card.0.to_vec(),
            v.checkpoint,
            v.lane,
            v.direction,
            v.officer,
            v.at.timestamp_millis()
        ])?;
        Ok(earlier)
    }

    /// Stores a decision once. Returns the stored body and when it was first received.
    pub fn record_decision(
        &self,
        decision: &DecisionRequest,
        now: DateTime<Utc>,
    ) -> Result<DecisionOutcome, StoreError> {
        let body = serde_json::to_string(decision)
            .map_err(|e| StoreError::Corrupt(format!("cannot encode decision: {e}")))?;
        let mut conn = self.durable();
        let tx = conn.transaction()?;
        let existing: Option<(String, i64)> = tx
            .query_row(
                "SELECT body, received_at FROM decisions WHERE decision_id = ?1",
                params![decision.decision_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let outcome = match existing {
            Some((stored, at)) if stored == body => {
                DecisionOutcome::Duplicate(DateTime::from_timestamp_millis(at).unwrap_or_default())
            }
            Some(_) => DecisionOutcome::Conflict,
            None => {
                tx.execute(
                    "INSERT INTO decisions (decision_id, body, received_at) VALUES (?1, ?2, ?3)",
                    params![decision.decision_id, body, now.timestamp_millis()],
                )?;
                DecisionOutcome::Recorded(
                    DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or_default(),
                )
            }
        };
        tx.commit()?;
        Ok(outcome)
    }

    pub fn decision(&self, id: &str) -> Result<Option<DecisionRequest>, StoreError> {
        let body: Option<String> = self
            .durable()
            .query_row(
                "SELECT body FROM decisions WHERE decision_id = ?1",
                params![id],
                |r| r.get(0),
            )
            .optional()?;
        body.map(|b| {
            serde_json::from_str(&b).map_err(|e| StoreError::Corrupt(format!("decision: {e}")))
        })
        .transpose()
    }
}

pub struct NewVerification<'a> {
    pub id: &'a str,
    pub nonce: Nonce,
    pub card: CardRef,
    pub checkpoint: &'a str,
    pub lane: &'a str,
    pub direction: &'a str,
    pub officer: &'a str,
    pub at: DateTime<Utc>,
}

pub enum DecisionOutcome {
    Recorded(DateTime<Utc>),
    Duplicate(DateTime<Utc>),
    Conflict,
}
