//! The reference issuance service (`lanedesk issuer serve`): API v1 over HTTP or HTTPS,
//! backed by a SQLite file seeded from the fixtures. Tests, the demo and training run it
//! in-process on 127.0.0.1.
//!
//! Traveller records are read-only after seeding, so they are served from memory; only
//! verifications and decisions touch the database.

mod routes;
pub mod store;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::api::{CardSummary, MintedToken};
use crate::domain::clock::Clock;
use crate::domain::credential::{self, CardRef, Claims, DEFAULT_SKEW_SECS, Kid};
use crate::domain::documents::Document;
use crate::domain::holder::{Alert, CardStatus, Crossing, Holder};
use crate::domain::trust::{KeyStatus, TrustList, TrustedKey};
use crate::fixtures::{self, FixtureError, Traveller};

use store::{IssuerKey, Store, StoreError};

pub const DEFAULT_ISSUER_ID: &str = "CN-NIA";

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
        "the issuer database has no active signing key in service today; start with a new --db file"
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
    pub db: PathBuf,
    pub fixtures: PathBuf,
    pub lane_token: String,
    pub issuer_id: String,
    pub skew_secs: i64,
}

impl IssuerOptions {
    pub fn new(db: impl Into<PathBuf>, fixtures: impl Into<PathBuf>, lane_token: &str) -> Self {
        Self {
            db: db.into(),
            fixtures: fixtures.into(),
            lane_token: lane_token.to_owned(),
            issuer_id: DEFAULT_ISSUER_ID.to_owned(),
            skew_secs: DEFAULT_SKEW_SECS,
        }
    }
}

pub struct Issuer {
    store: Store,
    issuer_id: String,
    lane_token: String,
    clock: Arc<dyn Clock>,
    skew_secs: i64,
    keys: Vec<IssuerKey>,
    trust: TrustList,
    by_card: HashMap<CardRef, Arc<TravellerRecord>>,
    portraits: HashMap<String, Arc<[u8]>>,
}

impl Issuer {
    /// Opens (creating and seeding on first start) the service's database.
    pub fn open(options: &IssuerOptions, clock: Arc<dyn Clock>) -> Result<Self, IssuerError> {
        if options.lane_token.trim().is_empty() {
            return Err(IssuerError::EmptyLaneToken);
        }
        let now = clock.now();
        let travellers = fixtures::load(&options.fixtures, now.date_naive())?;
        let store = Store::open(&options.db)?;
        store.seed(&options.issuer_id, now.timestamp(), &travellers)?;
        let keys = store.keys()?;
        let trust = TrustList {
            keys: keys
                .iter()
                .map(|k| TrustedKey {
                    kid: k.kid,
                    issuer: k.issuer.clone(),
                    key: k.signing.verifying_key(),
                    valid_from: k.valid_from,
                    valid_until: k.valid_until,
                    status: k.status,
                })
                .collect(),
            fetched_at: now.timestamp(),
        };
        let mut by_card = HashMap::new();
        let mut portraits = HashMap::new();
        for (record, portrait) in store.travellers()? {
            portraits.insert(record.holder.id.clone(), Arc::from(portrait));
            by_card.insert(record.card, Arc::new(record));
        }
        let issuer = Self {
            store,
            issuer_id: options.issuer_id.clone(),
            lane_token: options.lane_token.clone(),
            clock,
            skew_secs: options.skew_secs,
            keys,
            trust,
            by_card,
            portraits,
        };
        issuer.active_key().ok_or(IssuerError::NoActiveKey)?;
        Ok(issuer)
    }

    /// The issuer id codes carry (`iss`).
    pub fn issuer_id(&self) -> &str {
        &self.issuer_id
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn trust_list(&self) -> &TrustList {
        &self.trust
    }

    fn active_key(&self) -> Option<&IssuerKey> {
        let now = self.clock.unix();
        self.keys
            .iter()
            .find(|k| k.status == KeyStatus::Active && k.valid_from <= now && now <= k.valid_until)
    }

    /// A signing key in the given state, for tests and training that need codes a phone
    /// app would no longer receive (signed by the retired key).
    pub fn key_with_status(&self, status: KeyStatus) -> Option<(Kid, ed25519_dalek::SigningKey)> {
        self.keys
            .iter()
            .find(|k| k.status == status)
            .map(|k| (k.kid, k.signing.clone()))
    }

    pub fn record(&self, card: &CardRef) -> Option<&Arc<TravellerRecord>> {
        self.by_card.get(card)
    }

    pub fn cards(&self) -> Vec<CardSummary> {
        let mut cards: Vec<CardSummary> = self
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
        self.by_card.get(&card)?;
        let key = self.active_key()?;
        let claims = Claims::fresh(&self.issuer_id, card, self.clock.unix());
        let qr = credential::mint(&claims, key.kid, &key.signing);
        Some(MintedToken {
            card,
            qr,
            expires_at: chrono::DateTime::from_timestamp(claims.expires_at, 0).unwrap_or_default(),
        })
    }
}

/// Where the service's TLS certificate and key are.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// A service listening in the background. Dropping it leaves the server running until the
/// runtime ends; call [`RunningIssuer::shutdown`] to stop it.
pub struct RunningIssuer {
    pub addr: SocketAddr,
    /// `http://127.0.0.1:PORT` or `https://localhost:PORT`.
    pub url: String,
    handle: axum_server::Handle<SocketAddr>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl RunningIssuer {
    pub async fn shutdown(self) {
        self.handle
            .graceful_shutdown(Some(std::time::Duration::from_secs(1)));
        let _ = self.task.await;
    }

    /// Runs until the server stops by itself (it only does on error).
    pub async fn wait(self) -> std::io::Result<()> {
        match self.task.await {
            Ok(result) => result,
            Err(e) => Err(std::io::Error::other(e)),
        }
    }
}

/// Binds `listen` and serves the API there, over TLS when `tls` is given.
pub async fn spawn(
    issuer: Arc<Issuer>,
    listen: SocketAddr,
    tls: Option<&TlsFiles>,
) -> Result<RunningIssuer, IssuerError> {
    let bind_err = |source| IssuerError::Bind {
        addr: listen,
        source,
    };
    let listener = std::net::TcpListener::bind(listen).map_err(bind_err)?;
    listener.set_nonblocking(true).map_err(bind_err)?;
    let addr = listener.local_addr().map_err(bind_err)?;
    let app = routes::router(issuer).into_make_service();
    let handle = axum_server::Handle::new();
    let (url, task) = match tls {
        Some(files) => {
            let config =
                axum_server::tls_rustls::RustlsConfig::from_pem_file(&files.cert, &files.key)
                    .await
                    .map_err(|source| IssuerError::Tls {
                        cert: files.cert.clone(),
                        key: files.key.clone(),
                        source,
                    })?;
            let server = axum_server::from_tcp_rustls(listener, config)
                .map_err(bind_err)?
                .handle(handle.clone());
            // Certificates name hosts, and test certificates name localhost.
            let host = if addr.ip().is_loopback() {
                "localhost".to_owned()
            } else {
                addr.ip().to_string()
            };
            (
                format!("https://{host}:{}", addr.port()),
                tokio::spawn(server.serve(app)),
            )
        }
        None => {
            let server = axum_server::from_tcp(listener)
                .map_err(bind_err)?
                .handle(handle.clone());
            (format!("http://{addr}"), tokio::spawn(server.serve(app)))
        }
    };
    Ok(RunningIssuer {
        addr,
        url,
        handle,
        task,
    })
}
