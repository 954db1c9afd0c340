//! What PostgreSQL keeps of the lanes' audit chain heads: the first hash seen for each
//! record number of each lane, whichever instance saw it.

use chrono::{DateTime, Utc};

use crate::api::{AuditHead, WitnessedHead};

use super::super::{HeadOutcome, StoreError, millis};
use super::{PgStore, pg_err};

/// Migration 4: the heads the service witnessed.
pub const V4: &str = "CREATE TABLE audit_heads (
         checkpoint TEXT NOT NULL, lane TEXT NOT NULL, sequence BIGINT NOT NULL,
         hash TEXT NOT NULL, seen_at BIGINT NOT NULL,
         PRIMARY KEY (checkpoint, lane, sequence));";

pub async fn record(
    store: &PgStore,
    checkpoint: &str,
    lane: &str,
    head: &AuditHead,
    now: DateTime<Utc>,
) -> Result<HeadOutcome, StoreError> {
    let e = pg_err("keeping an audit head");
    let sequence = i64::try_from(head.sequence)
        .map_err(|_| StoreError::Corrupt(format!("audit record number {}", head.sequence)))?;
    let client = store.client().await?;
    let added = client
        .execute(
            "INSERT INTO audit_heads (checkpoint, lane, sequence, hash, seen_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            &[
                &checkpoint,
                &lane,
                &sequence,
                &head.hash,
                &now.timestamp_millis(),
            ],
        )
        .await
        .map_err(&e)?;
    if added == 1 {
        return Ok(HeadOutcome::New);
    }
    let held: Option<String> = client
        .query_opt(
            "SELECT hash FROM audit_heads WHERE checkpoint = $1 AND lane = $2 AND sequence = $3",
            &[&checkpoint, &lane, &sequence],
        )
        .await
        .map_err(&e)?
        .map(|r| r.get(0));
    Ok(match held {
        Some(held) if held != head.hash => HeadOutcome::Conflict { held },
        _ => HeadOutcome::Known,
    })
}

pub async fn heads(
    store: &PgStore,
    checkpoint: &str,
    lane: &str,
) -> Result<Vec<WitnessedHead>, StoreError> {
    let rows = store
        .client()
        .await?
        .query(
            "SELECT sequence, hash, seen_at FROM audit_heads
             WHERE checkpoint = $1 AND lane = $2 ORDER BY sequence",
            &[&checkpoint, &lane],
        )
        .await
        .map_err(pg_err("reading audit heads"))?;
    Ok(rows
        .iter()
        .map(|r| WitnessedHead {
            sequence: r.get::<_, i64>(0).max(0) as u64,
            hash: r.get(1),
            seen_at: millis(r.get(2)),
        })
        .collect())
}
