//! The reference issuance service (`lanedesk issuer serve`): API v1 over HTTP or HTTPS,
//! backed by a SQLite file (one instance) or a PostgreSQL database (any number of
//! instances), seeded from the fixtures. Tests, the demo and training run it in-process
//! on 127.0.0.1.
//!
//! What never changes while the service runs (holders, documents, portraits) is read from
//! the database at start and served from memory; what does (card status, trips used, first
//! presentations, decisions) is read and written in the database at every request, so every
//! instance gives the same answer.

pub mod admin;
pub mod auth;
pub mod config;
pub mod keys;
pub mod lifecycle;
pub mod load;
pub mod metrics;
mod problem;
mod routes;
mod running;
pub mod store;
mod witness;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::api::{CardSummary, MintedToken};
use crate::domain::clock::Clock;
use crate::domain::credential::{self, CardRef, Claims, DEFAULT_SKEW_SECS, Kid};
use crate::domain::documents::Document;
use crate::domain::holder::{Alert, CardStatus, Crossing, Holder};
use crate::domain::trust::{KeyStatus, SignedTrustList, TrustAnchor, TrustList};
use crate::fixtures::{self, FixtureError, Traveller};

pub use running::{RunningIssuer, TlsFiles, spawn};
use store::{Access, Store};
pub use store::{DbLocation, StoreError};

pub const DEFAULT_ISSUER_ID: &str = "CN-NIA";
/// How long `shutdown` waits for requests in flight.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);
/// How often the retention pruner runs.
pub const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// What the service knows about one card and its holder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TravellerRecord {
    pub scenario: String,
    pub summary: String,
    pub card: CardRef,
    pub card_status: CardStatus,
    pub holder: Holder,
    pub documents: Vec<Document>,
    pub crossings: Vec<Crossing>,
    pub alerts: Vec<Alert>,
}

impl TravellerRecord {
    pub fn from_fixture(t: &Traveller) -> Self {
        Self {
            scenario: t.scenario.clone(),
            summary: t.summary.clone(),
            card: t.card,
            card_status: t.card_status,
            holder: t.holder.clone(),
            documents: t.documents.clone(),
            crossings: t.crossings.clone(),
            alerts: t.alerts.clone(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IssuerError {
    #[error(transparent)]
    Fixtures(#[from] FixtureError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the lane token is empty: pass --lane-token with the secret lanes will present")]
    EmptyLaneToken,
    #[error(
        "a shared lane token (--lane-token) is accepted only in demo mode (--demo): at a real checkpoint each lane has its own, made with `lanedesk issuer lanes add --db DB --checkpoint C --lane L`"
    )]
    SharedTokenNeedsDemo,
    #[error(
        "the admin token is empty or the same as the lane token: give --admin-token a secret of its own, or leave it out to keep the admin API off"
    )]
    BadAdminToken,
    #[error(
        "the issuer database has no active signing key in service today; start with a new --db"
    )]
    NoActiveKey,
    #[error(
        "cannot listen on {addr}: {source}. Is another service using that port? Choose another with --listen."
    )]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(
        "cannot load the TLS certificate {cert} and key {key}: {source}. Both must be PEM files."
    )]
    Tls {
        cert: PathBuf,
        key: PathBuf,
        source: std::io::Error,
    },
}

pub struct IssuerOptions {
    pub db: DbLocation,
    pub fixtures: PathBuf,
    /// One token for every lane: demo mode only.
    pub lane_token: Option<String>,
    /// Demo mode: the shared lane token, the card list and minting without a holder
    /// credential. For the demo, training, tests and the load tool; never at a checkpoint.
    pub demo: bool,
    /// The credential of the admin API (card lifecycle); without one the API is off.
    pub admin_token: Option<String>,
    pub issuer_id: String,
    pub skew_secs: i64,
    /// Verification records older than this are pruned.
    pub retain_days: u32,
    /// PostgreSQL connections per instance.
    pub pool_size: usize,
}

impl IssuerOptions {
    /// A service in demo mode, with `lane_token` shared by every lane (see [`Self::demo`]).
    pub fn new(db: impl Into<DbLocation>, fixtures: impl Into<PathBuf>, lane_token: &str) -> Self {
        Self {
            db: db.into(),
            fixtures: fixtures.into(),
            lane_token: Some(lane_token.to_owned()),
            demo: true,
            admin_token: None,
            issuer_id: DEFAULT_ISSUER_ID.to_owned(),
            skew_secs: DEFAULT_SKEW_SECS,
            retain_days: lifecycle::DEFAULT_RETAIN_DAYS,
            pool_size: store::postgres::DEFAULT_POOL_SIZE,
        }
    }

    pub fn admin_token(mut self, token: &str) -> Self {
        self.admin_token = Some(token.to_owned());
        self
    }
}

/// Holders and documents as read at start (their changing parts are overlaid from the
/// database at each verification).
#[derive(Default)]
struct Records {
    by_card: HashMap<CardRef, Arc<TravellerRecord>>,
    portraits: HashMap<String, Arc<[u8]>>,
}

pub struct Issuer {
    store: Arc<dyn Store>,
    db: DbLocation,
    issuer_id: String,
    lane_token: Option<String>,
    demo: bool,
    lanes: auth::LaneCache,
    admin_token: Option<String>,
    clock: Arc<dyn Clock>,
    skew_secs: i64,
    retain_days: u32,
    keys: keys::Keys,
    records: RwLock<Records>,
    reloaded: std::sync::Mutex<Option<std::time::Instant>>,
    metrics: metrics::Metrics,
    stopping: AtomicBool,
}

/// How often an instance may read every traveller again to find a card new to it.
const RELOAD_AT_MOST_EVERY: Duration = Duration::from_secs(5);

impl Issuer {
    /// Opens (creating, migrating and seeding on first start) the service's database.
    pub async fn open(options: &IssuerOptions, clock: Arc<dyn Clock>) -> Result<Self, IssuerError> {
        if let Some(shared) = &options.lane_token {
            if shared.trim().is_empty() {
                return Err(IssuerError::EmptyLaneToken);
            }
            if !options.demo {
                return Err(IssuerError::SharedTokenNeedsDemo);
            }
        }
        if let Some(admin) = &options.admin_token {
            if admin.trim().is_empty() || options.lane_token.as_ref() == Some(admin) {
                return Err(IssuerError::BadAdminToken);
            }
        }
        let now = clock.now();
        let travellers = fixtures::load(&options.fixtures, now.date_naive())?;
        let store: Arc<dyn Store> =
            Arc::from(store::open(&options.db, Access::Serve, options.pool_size).await?);
        let opened = async {
            store
                .seed(&options.issuer_id, now.timestamp(), &travellers)
                .await?;
            let anchor = store.anchor().await?;
            let keys = keys::KeySet::read(&*store, now.timestamp()).await?;
            let records = load_records(&*store).await?;
            Ok::<_, StoreError>((keys::Keys::new(anchor, keys), records))
        };
        let (keys, records) = match opened.await {
            Ok(v) => v,
            Err(e) => {
                store.close().await;
                return Err(e.into());
            }
        };
        let issuer = Self {
            store,
            db: options.db.clone(),
            issuer_id: options.issuer_id.clone(),
            lane_token: options.lane_token.clone(),
            demo: options.demo,
            lanes: auth::LaneCache::default(),
            admin_token: options.admin_token.clone(),
            clock,
            skew_secs: options.skew_secs,
            retain_days: options.retain_days,
            keys,
            records: RwLock::new(records),
            reloaded: std::sync::Mutex::new(None),
            metrics: metrics::Metrics::new(),
            stopping: AtomicBool::new(false),
        };
        if issuer.keys.current().active(issuer.clock.unix()).is_none() {
            issuer.store.close().await;
            return Err(IssuerError::NoActiveKey);
        }
        Ok(issuer)
    }

    /// The issuer id codes carry (`iss`).
    pub fn issuer_id(&self) -> &str {
        &self.issuer_id
    }

    /// The database behind the service. Its `count` and `decision` block and suit tests.
    pub fn store(&self) -> &dyn Store {
        &*self.store
    }

    pub fn db(&self) -> &DbLocation {
        &self.db
    }

    pub fn metrics(&self) -> &metrics::Metrics {
        &self.metrics
    }

    /// The keys lanes trust now (issued now), as this instance last read them.
    pub fn trust_list(&self) -> TrustList {
        let mut list = self.keys.current().trust.clone();
        list.issued_at = self.clock.unix();
        list
    }

    /// The trust anchor's public key: what every lane pins.
    pub fn anchor(&self) -> TrustAnchor {
        self.keys.anchor()
    }

    /// The trust list signed by the anchor now, as `GET /v1/trust-list` serves it.
    pub fn signed_trust_list(&self) -> SignedTrustList {
        self.keys.signed_list(self.clock.unix())
    }

    /// Reads the keys again if another process rotated them.
    pub async fn refresh_keys(&self) -> Result<bool, StoreError> {
        self.keys.refresh(&*self.store, self.clock.unix()).await
    }

    pub fn retain_days(&self) -> u32 {
        self.retain_days
    }

    /// A signing key in the given state, for tests and training that need codes a phone
    /// app would no longer receive (signed by the retired key).
    pub fn key_with_status(&self, status: KeyStatus) -> Option<(Kid, ed25519_dalek::SigningKey)> {
        self.keys.current().with_status(status)
    }

    fn records(&self) -> std::sync::RwLockReadGuard<'_, Records> {
        self.records.read().unwrap_or_else(|p| p.into_inner())
    }

    /// The card's record as read at start (its status and trips as they were then).
    pub fn record(&self, card: &CardRef) -> Option<Arc<TravellerRecord>> {
        self.records().by_card.get(card).cloned()
    }

    fn portrait(&self, holder: &str) -> Option<Arc<[u8]>> {
        self.records().portraits.get(holder).cloned()
    }

    /// The record of `card`, reading the travellers again when the card is new to this
    /// instance (enrolled after it started, by another instance's seeding); at most every
    /// few seconds, so codes for unknown cards cannot make it read them all each time.
    async fn find_record(
        &self,
        card: &CardRef,
    ) -> Result<Option<Arc<TravellerRecord>>, StoreError> {
        if let Some(record) = self.record(card) {
            return Ok(Some(record));
        }
        {
            let mut last = self.reloaded.lock().unwrap_or_else(|p| p.into_inner());
            if last.is_some_and(|at| at.elapsed() < RELOAD_AT_MOST_EVERY) {
                return Ok(None);
            }
            *last = Some(std::time::Instant::now());
        }
        let fresh = load_records(&*self.store).await?;
        let found = fresh.by_card.get(card).cloned();
        *self.records.write().unwrap_or_else(|p| p.into_inner()) = fresh;
        Ok(found)
    }

    /// Every card as read at start, for the demo's phone and the benches.
    pub fn cards(&self) -> Vec<CardSummary> {
        let mut cards: Vec<CardSummary> = self
            .records()
            .by_card
            .values()
            .map(|r| CardSummary {
                card: r.card,
                traveller: r.holder.id.clone(),
                name_latin: r.holder.name_latin.clone(),
                scenario: r.scenario.clone(),
                summary: r.summary.clone(),
                status: r.card_status,
            })
            .collect();
        cards.sort_by(|a, b| a.traveller.cmp(&b.traveller));
        cards
    }

    /// A fresh code for `card`, as the phone app would receive it. `None` for unknown cards.
    pub fn mint(&self, card: CardRef) -> Option<MintedToken> {
        self.records().by_card.get(&card)?;
        let keys = self.keys.current();
        let key = keys.active(self.clock.unix())?;
        let claims = Claims::fresh(&self.issuer_id, card, self.clock.unix());
        let qr = credential::mint(&claims, key.kid, &key.signing);
        Some(MintedToken {
            card,
            qr,
            expires_at: chrono::DateTime::from_timestamp(claims.expires_at, 0).unwrap_or_default(),
        })
    }

    /// Deletes verification records older than the retention period, now.
    pub async fn prune(&self) -> Result<u64, StoreError> {
        let before = self.clock.now() - chrono::Duration::days(i64::from(self.retain_days));
        let n = self.store.prune(before).await?;
        self.metrics.pruned(n);
        Ok(n)
    }

    /// Ready to take traffic: the database answers and the service is not stopping.
    pub async fn ready(&self) -> Result<(), String> {
        if self.stopping.load(Ordering::Relaxed) {
            return Err("the service is stopping".into());
        }
        self.store.ping().await.map_err(|e| e.to_string())
    }

    /// Lets the database go (after the last request). Later requests fail with 503.
    pub async fn close(&self) {
        self.stopping.store(true, Ordering::Relaxed);
        self.store.close().await;
    }
}

async fn load_records(store: &dyn Store) -> Result<Records, StoreError> {
    let mut records = Records::default();
    for (record, portrait) in store.travellers().await? {
        records
            .portraits
            .insert(record.holder.id.clone(), Arc::from(portrait));
        records.by_card.insert(record.card, Arc::new(record));
    }
    Ok(records)
}
