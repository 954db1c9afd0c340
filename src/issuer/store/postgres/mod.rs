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

mod schema;
#[cfg(test)]
mod tests;
mod travellers;
mod trust;
mod witness;
mod writes;

use std::time::Duration;

use chrono::{DateTime, Utc};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

use crate::api::{AuditHead, CardSummary, DecisionRequest, WitnessedHead};
use crate::domain::credential::CardRef;
use crate::fixtures::Traveller;
use crate::issuer::TravellerRecord;

use super::{
    Access, CardChange, CardEvent, CardState, ChangeOutcome, DecisionOutcome, HeadOutcome,
    IssuerKey, LaneCredential, NewDecision, NewVerification, PoolStats, Recorded, Rotation, Store,
    StoreError, count_sql, from_json,
};
use ed25519_dalek::SigningKey;

pub use schema::{MIGRATIONS, redact};
use schema::{blocking, config, pg_err, pool_err};

/// Connections per instance unless `--pool-size` says otherwise.
pub const DEFAULT_POOL_SIZE: usize = 16;
/// Any number: instances agree on it to take turns at migrating and seeding.
const MIGRATION_LOCK: i64 = 0x6c61_6e65_6465_736b; // "lanedesk"
const PRUNE_CHUNK: i64 = 5_000;

pub struct PgStore {
    pool: Pool,
    url: String,
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
        travellers::seed(self, issuer, now, travellers).await
    }

    async fn keys(&self) -> Result<Vec<IssuerKey>, StoreError> {
        travellers::keys(self).await
    }

    async fn anchor(&self) -> Result<SigningKey, StoreError> {
        trust::anchor(self, Utc::now().timestamp()).await
    }

    async fn trust_sequence(&self) -> Result<u64, StoreError> {
        trust::sequence(self).await
    }

    async fn rotate_keys(&self, issuer: &str, now: i64) -> Result<Rotation, StoreError> {
        trust::rotate(self, issuer, now).await
    }

    async fn add_lane(&self, hash: [u8; 32], lane: &LaneCredential) -> Result<(), StoreError> {
        trust::add_lane(self, hash, lane).await
    }

    async fn revoke_lane(&self, checkpoint: &str, lane: &str, now: i64) -> Result<u64, StoreError> {
        trust::revoke_lane(self, checkpoint, lane, now).await
    }

    async fn lanes(&self) -> Result<Vec<LaneCredential>, StoreError> {
        trust::lanes(self).await
    }

    async fn lane_for(&self, hash: [u8; 32]) -> Result<Option<LaneCredential>, StoreError> {
        trust::lane_for(self, hash).await
    }

    async fn set_holder_secret(&self, card: CardRef, hash: [u8; 32]) -> Result<bool, StoreError> {
        trust::set_holder_secret(self, card, hash).await
    }

    async fn holder_secret(&self, card: CardRef) -> Result<Option<[u8; 32]>, StoreError> {
        trust::holder_secret(self, card).await
    }

    async fn record_audit_head(
        &self,
        checkpoint: &str,
        lane: &str,
        head: &AuditHead,
        now: DateTime<Utc>,
    ) -> Result<HeadOutcome, StoreError> {
        witness::record(self, checkpoint, lane, head, now).await
    }

    async fn audit_heads(
        &self,
        checkpoint: &str,
        lane: &str,
    ) -> Result<Vec<WitnessedHead>, StoreError> {
        witness::heads(self, checkpoint, lane).await
    }

    async fn travellers(&self) -> Result<Vec<(TravellerRecord, Vec<u8>)>, StoreError> {
        travellers::travellers(self).await
    }

    async fn cards(&self) -> Result<Vec<CardSummary>, StoreError> {
        travellers::cards(self).await
    }

    async fn card_state(&self, card: CardRef) -> Result<Option<CardState>, StoreError> {
        travellers::card_state(self, card).await
    }

    async fn record_verification(&self, v: &NewVerification<'_>) -> Result<Recorded, StoreError> {
        writes::record_verification(self, v).await
    }

    async fn record_decision(&self, d: &NewDecision<'_>) -> Result<DecisionOutcome, StoreError> {
        writes::record_decision(self, d).await
    }

    async fn change_card(&self, ch: &CardChange<'_>) -> Result<ChangeOutcome, StoreError> {
        writes::change_card(self, ch).await
    }

    async fn card_events(&self, card: CardRef) -> Result<Vec<CardEvent>, StoreError> {
        writes::card_events(self, card).await
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
