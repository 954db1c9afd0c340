//! What SQLite keeps of the lanes' audit chain heads: the first hash seen for each record
//! number of each lane.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use crate::api::{AuditHead, WitnessedHead};

use super::super::{HeadOutcome, StoreError, millis};

/// Migration 4: the heads the service witnessed.
pub fn v4(c: &Connection) -> Result<(), StoreError> {
    c.execute_batch(
        "CREATE TABLE audit_heads (
             checkpoint TEXT NOT NULL, lane TEXT NOT NULL, sequence INTEGER NOT NULL,
             hash TEXT NOT NULL, seen_at INTEGER NOT NULL,
             PRIMARY KEY (checkpoint, lane, sequence));",
    )?;
    Ok(())
}

pub fn record(
    c: &Connection,
    checkpoint: &str,
    lane: &str,
    head: &AuditHead,
    now: DateTime<Utc>,
) -> Result<HeadOutcome, StoreError> {
    let sequence = i64::try_from(head.sequence)
        .map_err(|_| StoreError::Corrupt(format!("audit record number {}", head.sequence)))?;
    let added = c.execute(
        "INSERT OR IGNORE INTO audit_heads (checkpoint, lane, sequence, hash, seen_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            checkpoint,
            lane,
            sequence,
            head.hash,
            now.timestamp_millis()
        ],
    )?;
    if added == 1 {
        return Ok(HeadOutcome::New);
    }
    let held: Option<String> = c
        .query_row(
            "SELECT hash FROM audit_heads WHERE checkpoint = ?1 AND lane = ?2 AND sequence = ?3",
            params![checkpoint, lane, sequence],
            |r| r.get(0),
        )
        .optional()?;
    Ok(match held {
        Some(held) if held != head.hash => HeadOutcome::Conflict { held },
        _ => HeadOutcome::Known,
    })
}

pub fn heads(
    c: &Connection,
    checkpoint: &str,
    lane: &str,
) -> Result<Vec<WitnessedHead>, StoreError> {
    let rows = c
        .prepare(
            "SELECT sequence, hash, seen_at FROM audit_heads
             WHERE checkpoint = ?1 AND lane = ?2 ORDER BY sequence",
        )?
        .query_map(params![checkpoint, lane], |r| {
            Ok(WitnessedHead {
                sequence: r.get::<_, i64>(0)?.max(0) as u64,
                hash: r.get(1)?,
                seen_at: millis(r.get(2)?),
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}
