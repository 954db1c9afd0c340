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

mod schema;
mod travellers;
mod trust;
mod witness;
mod writer;
mod writes;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, Utc};
use ed25519_dalek::SigningKey;
use rusqlite::{Connection, OptionalExtension, params};
use tokio::sync::{mpsc, oneshot};

use crate::api::{AuditHead, CardSummary, DecisionRequest, WitnessedHead};
use crate::domain::credential::{CardRef, Kid};
use crate::fixtures::Traveller;
use crate::issuer::TravellerRecord;

use super::{
    Access, CardChange, CardEvent, CardState, ChangeOutcome, DecisionOutcome, HeadOutcome,
    IssuerKey, LaneCredential, NewDecision, NewVerification, PoolStats, Recorded, Rotation, Store,
    StoreError, count_sql, decision_body, from_json, from_word, millis,
};

pub use schema::{MIGRATIONS, Migration, lock_path};
use schema::{identity, lock_for_serving, migrate, open_conn};
use travellers::{card_state, load_travellers, seed};
use writer::{Job, Queued, Reply, write_loop};
use writes::{OwnedChange, OwnedVerification, change_card, record_decision, record_verification};

/// Jobs committed in one transaction at most.
pub const MAX_BATCH: usize = 512;
/// Rows one prune job deletes at most, so the writer is never held for long.
const PRUNE_CHUNK: usize = 5_000;

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

    async fn anchor(&self) -> Result<SigningKey, StoreError> {
        let now = Utc::now().timestamp();
        self.write(true, move |c| trust::anchor(c, now)).await
    }

    async fn trust_sequence(&self) -> Result<u64, StoreError> {
        self.read(trust::sequence).await
    }

    async fn rotate_keys(&self, issuer: &str, now: i64) -> Result<Rotation, StoreError> {
        let issuer = issuer.to_owned();
        self.write(true, move |c| trust::rotate(c, &issuer, now))
            .await
    }

    async fn add_lane(&self, hash: [u8; 32], lane: &LaneCredential) -> Result<(), StoreError> {
        let lane = lane.clone();
        self.write(true, move |c| trust::add_lane(c, hash, &lane))
            .await
    }

    async fn revoke_lane(&self, checkpoint: &str, lane: &str, now: i64) -> Result<u64, StoreError> {
        let (checkpoint, lane) = (checkpoint.to_owned(), lane.to_owned());
        self.write(true, move |c| {
            trust::revoke_lane(c, &checkpoint, &lane, now)
        })
        .await
    }

    async fn lanes(&self) -> Result<Vec<LaneCredential>, StoreError> {
        self.read(trust::lanes).await
    }

    async fn lane_for(&self, hash: [u8; 32]) -> Result<Option<LaneCredential>, StoreError> {
        self.read(move |c| trust::lane_for(c, hash)).await
    }

    async fn set_holder_secret(&self, card: CardRef, hash: [u8; 32]) -> Result<bool, StoreError> {
        self.write(true, move |c| trust::set_holder_secret(c, card, hash))
            .await
    }

    async fn holder_secret(&self, card: CardRef) -> Result<Option<[u8; 32]>, StoreError> {
        self.read(move |c| trust::holder_secret(c, card)).await
    }

    async fn record_audit_head(
        &self,
        checkpoint: &str,
        lane: &str,
        head: &AuditHead,
        now: DateTime<Utc>,
    ) -> Result<HeadOutcome, StoreError> {
        let (checkpoint, lane, head) = (checkpoint.to_owned(), lane.to_owned(), head.clone());
        // Committed with the batch's verifications, without an fsync of its own: a head lost
        // to a power cut is carried again, later, by the lane's next decision.
        self.write(false, move |c| {
            witness::record(c, &checkpoint, &lane, &head, now)
        })
        .await
    }

    async fn audit_heads(
        &self,
        checkpoint: &str,
        lane: &str,
    ) -> Result<Vec<WitnessedHead>, StoreError> {
        let (checkpoint, lane) = (checkpoint.to_owned(), lane.to_owned());
        self.read(move |c| witness::heads(c, &checkpoint, &lane))
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
