//! What SQLite keeps for trust: the anchor, the trust list's sequence and key rotation,
//! the lanes' credentials and the holders' secrets (hashes only).

use ed25519_dalek::SigningKey;
use rusqlite::{Connection, OptionalExtension, params};

use crate::domain::credential::{CardRef, Kid};
use crate::domain::trust::KeyStatus;

use super::super::credentials::{new_anchor, rotated_key};
use super::super::{LaneCredential, Rotation, StoreError, word};

/// Migration 3: the anchor and the sequence in tables of their own, lane credentials,
/// and a holder secret per card.
pub fn v3(c: &Connection) -> Result<(), StoreError> {
    c.execute_batch(
        "CREATE TABLE trust_anchor (
             id INTEGER PRIMARY KEY CHECK (id = 1), secret BLOB NOT NULL,
             created_at INTEGER NOT NULL);
         CREATE TABLE trust_list (
             id INTEGER PRIMARY KEY CHECK (id = 1), sequence INTEGER NOT NULL);
         INSERT INTO trust_list (id, sequence) VALUES (1, 1);
         CREATE TABLE lane_credentials (
             token_hash BLOB PRIMARY KEY, checkpoint TEXT NOT NULL, lane TEXT NOT NULL,
             hint TEXT NOT NULL, created_at INTEGER NOT NULL, revoked_at INTEGER);
         CREATE INDEX lane_credentials_by_lane ON lane_credentials (checkpoint, lane);
         ALTER TABLE cards ADD COLUMN holder_secret BLOB;",
    )?;
    Ok(())
}

/// The anchor, made now if the database has none (first start, or a file from before).
pub fn anchor(c: &Connection, now: i64) -> Result<SigningKey, StoreError> {
    c.execute(
        "INSERT OR IGNORE INTO trust_anchor (id, secret, created_at) VALUES (1, ?1, ?2)",
        params![new_anchor().to_bytes().to_vec(), now],
    )?;
    let secret: Vec<u8> = c.query_row("SELECT secret FROM trust_anchor WHERE id = 1", [], |r| {
        r.get(0)
    })?;
    let bytes: [u8; 32] = secret
        .try_into()
        .map_err(|_| StoreError::Corrupt("the trust anchor's key is not 32 bytes".into()))?;
    Ok(SigningKey::from_bytes(&bytes))
}

pub fn sequence(c: &Connection) -> Result<u64, StoreError> {
    let n: i64 = c.query_row("SELECT sequence FROM trust_list WHERE id = 1", [], |r| {
        r.get(0)
    })?;
    u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("trust list number {n}")))
}

pub fn rotate(c: &Connection, issuer: &str, now: i64) -> Result<Rotation, StoreError> {
    let active = word(&KeyStatus::Active);
    let retired: Vec<Kid> = c
        .prepare("SELECT kid FROM keys WHERE status = ?1 ORDER BY valid_from")?
        .query_map([&active], |r| r.get::<_, Vec<u8>>(0))?
        .map(|kid| {
            let kid = kid?;
            Kid::from_slice(&kid).ok_or_else(|| StoreError::Corrupt("key id".into()))
        })
        .collect::<Result<_, _>>()?;
    c.execute(
        "UPDATE keys SET status = ?1, valid_until = MIN(valid_until, ?2) WHERE status = ?3",
        params![word(&KeyStatus::Retired), now, active],
    )?;
    let (kid, secret, from, until) = rotated_key(now);
    c.execute(
        "INSERT INTO keys (kid, issuer, secret, valid_from, valid_until, status)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![kid.0.to_vec(), issuer, secret.to_vec(), from, until, active],
    )?;
    c.execute(
        "UPDATE trust_list SET sequence = sequence + 1 WHERE id = 1",
        [],
    )?;
    Ok(Rotation {
        new_kid: kid,
        retired,
        sequence: sequence(c)?,
    })
}

pub fn add_lane(c: &Connection, hash: [u8; 32], l: &LaneCredential) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO lane_credentials (token_hash, checkpoint, lane, hint, created_at, revoked_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            hash.to_vec(),
            l.checkpoint,
            l.lane,
            l.hint,
            l.created_at,
            l.revoked_at
        ],
    )?;
    Ok(())
}

pub fn revoke_lane(
    c: &Connection,
    checkpoint: &str,
    lane: &str,
    now: i64,
) -> Result<u64, StoreError> {
    let n = c.execute(
        "UPDATE lane_credentials SET revoked_at = ?1
         WHERE checkpoint = ?2 AND lane = ?3 AND revoked_at IS NULL",
        params![now, checkpoint, lane],
    )?;
    Ok(n as u64)
}

const LANE_COLUMNS: &str = "checkpoint, lane, hint, created_at, revoked_at";

fn lane_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<LaneCredential> {
    Ok(LaneCredential {
        checkpoint: r.get(0)?,
        lane: r.get(1)?,
        hint: r.get(2)?,
        created_at: r.get(3)?,
        revoked_at: r.get(4)?,
    })
}

pub fn lanes(c: &Connection) -> Result<Vec<LaneCredential>, StoreError> {
    let sql = format!(
        "SELECT {LANE_COLUMNS} FROM lane_credentials ORDER BY checkpoint, lane, created_at"
    );
    let rows = c
        .prepare(&sql)?
        .query_map([], lane_row)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

pub fn lane_for(c: &Connection, hash: [u8; 32]) -> Result<Option<LaneCredential>, StoreError> {
    let sql = format!("SELECT {LANE_COLUMNS} FROM lane_credentials WHERE token_hash = ?1");
    Ok(c.query_row(&sql, [hash.to_vec()], lane_row).optional()?)
}

pub fn set_holder_secret(
    c: &Connection,
    card: CardRef,
    hash: [u8; 32],
) -> Result<bool, StoreError> {
    let n = c.execute(
        "UPDATE cards SET holder_secret = ?1 WHERE card = ?2",
        params![hash.to_vec(), card.0.to_vec()],
    )?;
    Ok(n > 0)
}

pub fn holder_secret(c: &Connection, card: CardRef) -> Result<Option<[u8; 32]>, StoreError> {
    let found: Option<Option<Vec<u8>>> = c
        .query_row(
            "SELECT holder_secret FROM cards WHERE card = ?1",
            [card.0.to_vec()],
            |r| r.get(0),
        )
        .optional()?;
    Ok(found.flatten().and_then(|h| h.try_into().ok()))
}
