//! Where the reference service keeps what it knows: signing keys, travellers with their
//! cards, documents and endorsements, every verification, the first presentation of each
//! code, decisions and card lifecycle events.
//!
//! One trait, [`Store`], two back ends: [`sqlite::SqliteStore`] (a file, the embedded
//! default, one service process) and [`postgres::PgStore`] (any number of service processes
//! on one database). The routes only see `Arc<dyn Store>`.
//!
//! Adding a table (issue 12 will add lane credentials, holder credentials and audit heads):
//! add a migration to both back ends' lists (`sqlite::MIGRATIONS`, `postgres::MIGRATIONS`,
//! same version number in both), add the methods here, implement them in both, and add a
//! case to `tests/service_store.rs`, which runs every store test against both back ends.

pub mod credentials;
pub mod postgres;
pub mod sqlite;

use std::fmt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use ed25519_dalek::SigningKey;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::api::{AuditHead, CardSummary, DecisionRequest, Presentation, WitnessedHead};
use crate::domain::checkpoint::Region;
use crate::domain::credential::{CardRef, Kid, Nonce};
use crate::domain::documents::Endorsement;
use crate::domain::holder::CardStatus;
use crate::domain::trust::KeyStatus;
use crate::fixtures::Traveller;

use super::TravellerRecord;
use super::lifecycle::CardAction;

/// Which database `--db` names: a `postgres://` URL, or else a SQLite file path.
#[derive(Clone, PartialEq, Eq)]
pub enum DbLocation {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DbLocation {
    pub fn parse(text: &str) -> DbLocation {
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            DbLocation::Postgres(text.to_owned())
        } else {
            DbLocation::Sqlite(PathBuf::from(text))
        }
    }
}

/// Shows a PostgreSQL URL without its password, so it can go into logs and messages.
impl fmt::Display for DbLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DbLocation::Sqlite(path) => write!(f, "{}", path.display()),
            DbLocation::Postgres(url) => f.write_str(&postgres::redact(url)),
        }
    }
}

impl fmt::Debug for DbLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DbLocation({self})")
    }
}

impl From<PathBuf> for DbLocation {
    fn from(path: PathBuf) -> Self {
        match path.to_str() {
            Some(text) => DbLocation::parse(text),
            None => DbLocation::Sqlite(path),
        }
    }
}

impl From<&Path> for DbLocation {
    fn from(path: &Path) -> Self {
        path.to_owned().into()
    }
}

impl From<&PathBuf> for DbLocation {
    fn from(path: &PathBuf) -> Self {
        path.clone().into()
    }
}

impl From<&str> for DbLocation {
    fn from(text: &str) -> Self {
        DbLocation::parse(text)
    }
}

impl From<String> for DbLocation {
    fn from(text: String) -> Self {
        DbLocation::parse(&text)
    }
}

/// How a process uses the database: the service (one per SQLite file) or a short-lived
/// tool such as `issuer cards revoke` (allowed beside a running service).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Serve,
    Tool,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the issuer database {path} cannot be opened: {source}. Check the --db path and its folder's permissions."
    )]
    Open {
        path: String,
        source: rusqlite::Error,
    },
    #[error(
        "there is no issuer database at {0}. Start `lanedesk issuer serve --db {0}` once to create and seed it."
    )]
    Missing(String),
    #[error("{0}")]
    Busy(String),
    #[error("the issuer database failed: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("{0}")]
    Postgres(String),
    #[error(
        "the issuer database holds a record it cannot read ({0}); it may come from another version: start with a new --db"
    )]
    Corrupt(String),
    #[error(
        "the issuer database's schema is at version {found}, newer than this lanedesk knows ({known}); run a newer lanedesk against it"
    )]
    TooNew { found: i64, known: i64 },
    #[error(
        "the issuer database is closed: the service is stopping (or its database writer stopped: see the log)"
    )]
    Closed,
}

impl StoreError {
    /// A copy for every waiter of a failed batch (the driver errors are not `Clone`).
    fn shared(&self) -> StoreError {
        match self {
            StoreError::Closed => StoreError::Closed,
            other => StoreError::Busy(other.to_string()),
        }
    }
}

pub use credentials::{LaneCredential, Rotation};

pub struct IssuerKey {
    pub kid: Kid,
    pub issuer: String,
    pub signing: SigningKey,
    pub valid_from: i64,
    pub valid_until: i64,
    pub status: KeyStatus,
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

/// One endorsement's place in a traveller's record and the trips it has used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TripsUsed {
    pub document: u32,
    pub position: u32,
    pub trips_used: u32,
}

/// The parts of a card's record that change while the service runs, read from the database
/// at every verification so that every instance answers with the same truth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardState {
    pub status: CardStatus,
    pub trips: Vec<TripsUsed>,
}

pub struct Recorded {
    /// The code's first presentation, when this was not it.
    pub presented_before: Option<Presentation>,
    /// `None` when the card is not in the database.
    pub card: Option<CardState>,
}

/// An approved exit: use one trip of an endorsement for one of these destinations, valid on
/// this day.
#[derive(Debug, Clone, Copy)]
pub struct TripUse {
    pub destinations: &'static [Region],
    pub on: NaiveDate,
}

/// The trip an approved exit used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TripTaken {
    pub document: u32,
    pub position: u32,
    pub destination: Region,
    pub trips_used: u32,
}

/// What became of an audit chain head a lane sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeadOutcome {
    /// Not seen before for this lane and record number: kept.
    New,
    /// Seen before, with the same hash.
    Known,
    /// Seen before with another hash (`held`): the lane's log was rewritten or restarted.
    Conflict { held: String },
}

pub enum DecisionOutcome {
    /// Stored now; with the trip it used, if it was an approved exit with one to use.
    Recorded(DateTime<Utc>, Option<TripTaken>),
    Duplicate(DateTime<Utc>),
    Conflict,
}

pub struct NewDecision<'a> {
    pub request: &'a DecisionRequest,
    pub received_at: DateTime<Utc>,
    pub trip: Option<TripUse>,
}

/// A lifecycle action asked for by `issuer cards ...` or the admin API.
pub struct CardChange<'a> {
    pub card: CardRef,
    pub action: CardAction,
    pub reason: &'a str,
    pub actor: &'a str,
    /// `cli` or `api`.
    pub via: &'a str,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CardEvent {
    pub card: CardRef,
    pub action: CardAction,
    pub from: CardStatus,
    pub to: CardStatus,
    pub reason: String,
    pub actor: String,
    pub via: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeOutcome {
    Changed(CardEvent),
    /// The card already had the status the action leads to.
    Unchanged(CardStatus),
    /// The action does not apply to a card with this status.
    Refused(CardStatus),
    UnknownCard,
}

/// How busy the connections are, for `/metrics`.
#[derive(Debug, Clone, Copy, Default)]
pub struct PoolStats {
    pub max: usize,
    pub open: usize,
    pub idle: usize,
    pub waiting: usize,
}

/// Every store operation the service and its tools need. Hot paths are async; `count` and
/// `decision` block and exist for tests and tools that look from outside (they work from
/// inside a current-thread runtime too, which the async ones cannot promise there).
#[async_trait::async_trait]
pub trait Store: Send + Sync {
    /// `sqlite` or `postgresql`.
    fn kind(&self) -> &'static str;

    /// Creates the signing keys if there are none (one active, one retired last rotation),
    /// then adds every fixture traveller whose card is not yet present. Running it again,
    /// from any number of instances at once, changes nothing.
    async fn seed(
        &self,
        issuer: &str,
        now: i64,
        travellers: &[Traveller],
    ) -> Result<(), StoreError>;

    async fn keys(&self) -> Result<Vec<IssuerKey>, StoreError>;

    /// The trust anchor's key, made by `seed` and kept apart from the signing keys.
    async fn anchor(&self) -> Result<SigningKey, StoreError>;

    /// The trust list's number: it grows whenever the signing keys change.
    async fn trust_sequence(&self) -> Result<u64, StoreError>;

    /// Adds a new active signing key, retires the active ones and raises the trust
    /// list's sequence, in one transaction.
    async fn rotate_keys(&self, issuer: &str, now: i64) -> Result<Rotation, StoreError>;

    /// Stores a lane's credential (the token's hash) for `checkpoint` and `lane`.
    async fn add_lane(
        &self,
        token_hash: [u8; 32],
        credential: &LaneCredential,
    ) -> Result<(), StoreError>;

    /// Revokes every credential of `checkpoint` / `lane`; returns how many.
    async fn revoke_lane(&self, checkpoint: &str, lane: &str, now: i64) -> Result<u64, StoreError>;

    async fn lanes(&self) -> Result<Vec<LaneCredential>, StoreError>;

    /// The credential a token's hash belongs to, revoked or not.
    async fn lane_for(&self, token_hash: [u8; 32]) -> Result<Option<LaneCredential>, StoreError>;

    /// Gives `card` a new holder secret (its hash); false for an unknown card.
    async fn set_holder_secret(&self, card: CardRef, hash: [u8; 32]) -> Result<bool, StoreError>;

    /// The hash of `card`'s holder secret: `Ok(None)` for an unknown card or one never
    /// enrolled (no secret yet, so no code can be minted for it).
    async fn holder_secret(&self, card: CardRef) -> Result<Option<[u8; 32]>, StoreError>;

    /// Keeps a lane's audit chain head (the first hash seen for a record number stays).
    async fn record_audit_head(
        &self,
        checkpoint: &str,
        lane: &str,
        head: &AuditHead,
        now: DateTime<Utc>,
    ) -> Result<HeadOutcome, StoreError>;

    /// Every head kept for a lane, by record number.
    async fn audit_heads(
        &self,
        checkpoint: &str,
        lane: &str,
    ) -> Result<Vec<WitnessedHead>, StoreError>;

    /// Every traveller as the database has it now, with the portrait.
    async fn travellers(&self) -> Result<Vec<(TravellerRecord, Vec<u8>)>, StoreError>;

    /// Every card with its holder and current status, by traveller id.
    async fn cards(&self) -> Result<Vec<CardSummary>, StoreError>;

    async fn card_state(&self, card: CardRef) -> Result<Option<CardState>, StoreError>;

    /// Records a verification. The database decides atomically which presentation of a
    /// code is the first: exactly one caller gets `presented_before: None`, however many
    /// instances see the code at once. Also reads the card's current state.
    async fn record_verification(&self, v: &NewVerification<'_>) -> Result<Recorded, StoreError>;

    /// Stores a decision once (same id and body again: `Duplicate`; other body: `Conflict`),
    /// durably, and uses a trip when asked, in the same transaction.
    async fn record_decision(&self, d: &NewDecision<'_>) -> Result<DecisionOutcome, StoreError>;

    async fn change_card(&self, change: &CardChange<'_>) -> Result<ChangeOutcome, StoreError>;

    async fn card_events(&self, card: CardRef) -> Result<Vec<CardEvent>, StoreError>;

    /// Deletes verification and presentation records older than `before`; returns how many.
    async fn prune(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;

    /// Fails when the database cannot be reached or written (readiness).
    async fn ping(&self) -> Result<(), StoreError>;

    fn pool(&self) -> PoolStats;

    /// Finishes what is queued and lets the database go (the SQLite file's lock, the
    /// PostgreSQL connections).
    async fn close(&self);

    /// Blocking: rows in one of the store's tables.
    fn count(&self, table: &str) -> Result<i64, StoreError>;

    /// Blocking: a stored decision.
    fn decision(&self, id: &str) -> Result<Option<DecisionRequest>, StoreError>;
}

/// Opens (creating and migrating as needed) the database `location` names.
/// `pool_size` is PostgreSQL's connections per instance; SQLite has one writer.
pub async fn open(
    location: &DbLocation,
    access: Access,
    pool_size: usize,
) -> Result<Box<dyn Store>, StoreError> {
    Ok(match location {
        DbLocation::Sqlite(path) => Box::new(sqlite::SqliteStore::open(path, access)?),
        DbLocation::Postgres(url) => {
            Box::new(postgres::PgStore::open_with(url, access, pool_size).await?)
        }
    })
}

/// The tables `count` knows.
pub const TABLES: &[&str] = &[
    "keys",
    "travellers",
    "cards",
    "documents",
    "endorsements",
    "verifications",
    "presentations",
    "decisions",
    "card_events",
];

fn count_sql(table: &str) -> Result<String, StoreError> {
    if TABLES.contains(&table) {
        Ok(format!("SELECT COUNT(*) FROM {table}"))
    } else {
        Err(StoreError::Corrupt(format!("no table {table}")))
    }
}

/// The two signing keys a new database starts with: one retired at the last rotation,
/// 180 days ago, and the active one.
fn initial_keys(now: i64) -> Vec<(Kid, [u8; 32], i64, i64, KeyStatus)> {
    const DAY: i64 = 86_400;
    [
        (now - 3 * 365 * DAY, now - 180 * DAY, KeyStatus::Retired),
        (now - 180 * DAY, now + 2 * 365 * DAY, KeyStatus::Active),
    ]
    .into_iter()
    .map(|(from, until, status)| {
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).expect("the operating system's random number source failed");
        (Kid::random(), secret, from, until, status)
    })
    .collect()
}

/// A plain enum as the word serde gives it (`reported-lost`, `HK`, `multiple`).
pub(crate) fn word<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        other => format!("{other:?}"),
    }
}

pub(crate) fn from_word<T: DeserializeOwned>(text: &str, what: &str) -> Result<T, StoreError> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|_| StoreError::Corrupt(format!("{what} {text:?}")))
}

pub(crate) fn to_json<T: Serialize>(value: &T, what: &str) -> Result<String, StoreError> {
    serde_json::to_string(value)
        .map_err(|e| StoreError::Corrupt(format!("cannot encode {what}: {e}")))
}

pub(crate) fn from_json<T: DeserializeOwned>(text: &str, what: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

pub(crate) fn millis(at: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(at).unwrap_or_default()
}

/// The stored form of a decision: compared byte for byte to tell a duplicate from a
/// conflicting reuse of its id. serde_json writes struct fields in declaration order, so
/// the same decision always gives the same text. The audit head a lane sent with it is
/// not part of the decision (a resend carries a later head) and is left out.
pub(crate) fn decision_body(d: &DecisionRequest) -> Result<String, StoreError> {
    let decision = DecisionRequest {
        audit_head: None,
        ..d.clone()
    };
    to_json(&decision, "decision")
}

/// One endorsement row, as both back ends read it to choose the trip an exit uses.
pub(crate) struct EndorsementRow {
    pub document: u32,
    pub position: u32,
    pub endorsement: Endorsement,
}

/// Trips used, overlaid on a record's endorsements.
pub fn apply_state(record: &mut TravellerRecord, state: &CardState) {
    record.card_status = state.status;
    for t in &state.trips {
        if let Some(e) = record
            .documents
            .get_mut(t.document as usize)
            .and_then(|d| d.endorsements.get_mut(t.position as usize))
        {
            e.trips_used = t.trips_used;
        }
    }
}
