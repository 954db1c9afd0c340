//! What PostgreSQL keeps for trust: the anchor, the trust list's sequence and key
//! rotation, the lanes' credentials and the holders' secrets (hashes only).

use ed25519_dalek::SigningKey;

use crate::domain::credential::{CardRef, Kid};
use crate::domain::trust::KeyStatus;

use super::super::credentials::{new_anchor, rotated_key};
use super::super::{LaneCredential, Rotation, StoreError, word};
use super::{PgStore, pg_err};

/// Migration 3: the anchor and the sequence in tables of their own, lane credentials,
/// and a holder secret per card.
pub const V3: &str = "CREATE TABLE trust_anchor (
         id INTEGER PRIMARY KEY CHECK (id = 1), secret BYTEA NOT NULL,
         created_at BIGINT NOT NULL);
     CREATE TABLE trust_list (
         id INTEGER PRIMARY KEY CHECK (id = 1), sequence BIGINT NOT NULL);
     INSERT INTO trust_list (id, sequence) VALUES (1, 1);
     CREATE TABLE lane_credentials (
         token_hash BYTEA PRIMARY KEY, checkpoint TEXT NOT NULL, lane TEXT NOT NULL,
         hint TEXT NOT NULL, created_at BIGINT NOT NULL, revoked_at BIGINT);
     CREATE INDEX lane_credentials_by_lane ON lane_credentials (checkpoint, lane);
     ALTER TABLE cards ADD COLUMN holder_secret BYTEA;";

/// The anchor, made now if the database has none. Instances starting together agree:
/// the first insert wins and every one reads it back.
pub async fn anchor(store: &PgStore, now: i64) -> Result<SigningKey, StoreError> {
    let e = pg_err("reading the trust anchor");
    let client = store.client().await?;
    client
        .execute(
            "INSERT INTO trust_anchor (id, secret, created_at) VALUES (1, $1, $2)
             ON CONFLICT (id) DO NOTHING",
            &[&&new_anchor().to_bytes()[..], &now],
        )
        .await
        .map_err(&e)?;
    let row = client
        .query_one("SELECT secret FROM trust_anchor WHERE id = 1", &[])
        .await
        .map_err(&e)?;
    let secret: &[u8] = row.get(0);
    let bytes: [u8; 32] = secret
        .try_into()
        .map_err(|_| StoreError::Corrupt("the trust anchor's key is not 32 bytes".into()))?;
    Ok(SigningKey::from_bytes(&bytes))
}

pub async fn sequence(store: &PgStore) -> Result<u64, StoreError> {
    let row = store
        .client()
        .await?
        .query_one("SELECT sequence FROM trust_list WHERE id = 1", &[])
        .await
        .map_err(pg_err("reading the trust list's number"))?;
    let n: i64 = row.get(0);
    u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("trust list number {n}")))
}

/// One transaction; the row lock on `trust_list` makes two rotations at once take turns.
pub async fn rotate(store: &PgStore, issuer: &str, now: i64) -> Result<Rotation, StoreError> {
    let e = pg_err("rotating the signing keys");
    let mut client = store.client().await?;
    let tx = client.transaction().await.map_err(&e)?;
    let n: i64 = tx
        .query_one(
            "UPDATE trust_list SET sequence = sequence + 1 WHERE id = 1 RETURNING sequence",
            &[],
        )
        .await
        .map_err(&e)?
        .get(0);
    let active = word(&KeyStatus::Active);
    let retired = tx
        .query(
            "UPDATE keys SET status = $1, valid_until = LEAST(valid_until, $2)
             WHERE status = $3 RETURNING kid",
            &[&word(&KeyStatus::Retired), &now, &active],
        )
        .await
        .map_err(&e)?
        .iter()
        .map(|r| {
            Kid::from_slice(r.get::<_, &[u8]>(0))
                .ok_or_else(|| StoreError::Corrupt("key id".into()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let (kid, secret, from, until) = rotated_key(now);
    tx.execute(
        "INSERT INTO keys (kid, issuer, secret, valid_from, valid_until, status)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[&&kid.0[..], &issuer, &&secret[..], &from, &until, &active],
    )
    .await
    .map_err(&e)?;
    tx.commit().await.map_err(&e)?;
    Ok(Rotation {
        new_kid: kid,
        retired,
        sequence: u64::try_from(n).unwrap_or_default(),
    })
}

pub async fn add_lane(
    store: &PgStore,
    hash: [u8; 32],
    l: &LaneCredential,
) -> Result<(), StoreError> {
    store
        .client()
        .await?
        .execute(
            "INSERT INTO lane_credentials (token_hash, checkpoint, lane, hint, created_at, revoked_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[&&hash[..], &l.checkpoint, &l.lane, &l.hint, &l.created_at, &l.revoked_at],
        )
        .await
        .map_err(pg_err("adding a lane token"))?;
    Ok(())
}

pub async fn revoke_lane(
    store: &PgStore,
    checkpoint: &str,
    lane: &str,
    now: i64,
) -> Result<u64, StoreError> {
    store
        .client()
        .await?
        .execute(
            "UPDATE lane_credentials SET revoked_at = $1
             WHERE checkpoint = $2 AND lane = $3 AND revoked_at IS NULL",
            &[&now, &checkpoint, &lane],
        )
        .await
        .map_err(pg_err("revoking a lane token"))
}

const LANE_COLUMNS: &str = "checkpoint, lane, hint, created_at, revoked_at";

fn lane_row(r: &tokio_postgres::Row) -> LaneCredential {
    LaneCredential {
        checkpoint: r.get(0),
        lane: r.get(1),
        hint: r.get(2),
        created_at: r.get(3),
        revoked_at: r.get(4),
    }
}

pub async fn lanes(store: &PgStore) -> Result<Vec<LaneCredential>, StoreError> {
    let sql = format!(
        "SELECT {LANE_COLUMNS} FROM lane_credentials ORDER BY checkpoint, lane, created_at"
    );
    let rows = store
        .client()
        .await?
        .query(&sql, &[])
        .await
        .map_err(pg_err("reading the lane tokens"))?;
    Ok(rows.iter().map(lane_row).collect())
}

pub async fn lane_for(
    store: &PgStore,
    hash: [u8; 32],
) -> Result<Option<LaneCredential>, StoreError> {
    let sql = format!("SELECT {LANE_COLUMNS} FROM lane_credentials WHERE token_hash = $1");
    let row = store
        .client()
        .await?
        .query_opt(&sql, &[&&hash[..]])
        .await
        .map_err(pg_err("checking a lane token"))?;
    Ok(row.as_ref().map(lane_row))
}

pub async fn set_holder_secret(
    store: &PgStore,
    card: CardRef,
    hash: [u8; 32],
) -> Result<bool, StoreError> {
    let n = store
        .client()
        .await?
        .execute(
            "UPDATE cards SET holder_secret = $1 WHERE card = $2",
            &[&&hash[..], &&card.0[..]],
        )
        .await
        .map_err(pg_err("enrolling a holder"))?;
    Ok(n > 0)
}

pub async fn holder_secret(store: &PgStore, card: CardRef) -> Result<Option<[u8; 32]>, StoreError> {
    let row = store
        .client()
        .await?
        .query_opt(
            "SELECT holder_secret FROM cards WHERE card = $1",
            &[&&card.0[..]],
        )
        .await
        .map_err(pg_err("checking a holder secret"))?;
    Ok(row
        .and_then(|r| r.get::<_, Option<Vec<u8>>>(0))
        .and_then(|h| h.try_into().ok()))
}
