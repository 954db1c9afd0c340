//! The reference issuance service started in-process: a temporary database seeded from
//! the fixtures, listening on 127.0.0.1. The demo, training, the tests and the benchmarks
//! all start it through [`InProcessService::start`].

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::domain::clock::Clock;
use crate::domain::credential::CardRef;
use crate::domain::forgery::Forgery;
use crate::domain::trust::KeyStatus;
use crate::edges::client::{ClientConfig, ServiceClient};
use crate::issuer::store::credentials::{new_secret, secret_hash};
use crate::issuer::{self, DbLocation, Issuer, IssuerOptions, RunningIssuer, TlsFiles};

/// How to start it. `ServiceSetup::new` gives a plain-HTTP service on any free port.
pub struct ServiceSetup {
    pub fixtures: PathBuf,
    pub clock: Arc<dyn Clock>,
    pub lane_token: String,
    pub listen: SocketAddr,
    pub tls: Option<TlsFiles>,
    /// The database: by default a SQLite file in a temporary folder that goes with the
    /// service; a PostgreSQL URL for tests of several instances.
    pub db: Option<DbLocation>,
    /// The admin API's credential; without one the admin API is off.
    pub admin_token: Option<String>,
    pub retain_days: Option<u32>,
    /// Demo mode (the default here): the shared lane token, the card list and open
    /// minting. Off, the service runs as at a checkpoint: lanes need their own tokens and
    /// phones their holder secrets.
    pub demo: bool,
}

impl ServiceSetup {
    pub fn new(fixtures: &Path, clock: Arc<dyn Clock>, lane_token: &str) -> ServiceSetup {
        ServiceSetup {
            fixtures: fixtures.to_owned(),
            clock,
            lane_token: lane_token.to_owned(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            tls: None,
            db: None,
            admin_token: None,
            retain_days: None,
            demo: true,
        }
    }

    /// As at a checkpoint: no shared lane token, no card list, minting only for holders.
    pub fn not_demo(mut self) -> ServiceSetup {
        self.demo = false;
        self
    }

    pub fn port(mut self, port: u16) -> ServiceSetup {
        self.listen.set_port(port);
        self
    }

    pub fn tls(mut self, files: TlsFiles) -> ServiceSetup {
        self.tls = Some(files);
        self
    }

    pub fn db(mut self, path: &Path) -> ServiceSetup {
        self.db = Some(path.into());
        self
    }

    /// A database by location: a SQLite path or a `postgres://` URL.
    pub fn database(mut self, db: DbLocation) -> ServiceSetup {
        self.db = Some(db);
        self
    }

    pub fn admin_token(mut self, token: &str) -> ServiceSetup {
        self.admin_token = Some(token.to_owned());
        self
    }

    pub fn retain_days(mut self, days: u32) -> ServiceSetup {
        self.retain_days = Some(days);
        self
    }
}

/// A running in-process service and the temporary folder its database lives in.
pub struct InProcessService {
    pub issuer: Arc<Issuer>,
    pub url: String,
    pub lane_token: String,
    /// Every card's holder secret, enrolled at start: what the demo's phone presents.
    pub holders: HashMap<CardRef, String>,
    running: Option<RunningIssuer>,
    dir: tempfile::TempDir,
}

impl InProcessService {
    pub async fn start(setup: ServiceSetup) -> Result<InProcessService, String> {
        let dir = tempfile::tempdir()
            .map_err(|e| format!("cannot create a temporary folder for the service: {e}"))?;
        let db = setup
            .db
            .unwrap_or_else(|| DbLocation::Sqlite(dir.path().join("issuer.sqlite")));
        let mut options = IssuerOptions::new(db, &setup.fixtures, &setup.lane_token);
        options.admin_token = setup.admin_token;
        options.demo = setup.demo;
        if !setup.demo {
            options.lane_token = None;
        }
        if let Some(days) = setup.retain_days {
            options.retain_days = days;
        }
        let issuer = Arc::new(
            Issuer::open(&options, setup.clock)
                .await
                .map_err(|e| e.to_string())?,
        );
        let mut holders = HashMap::new();
        for card in issuer.cards() {
            let secret = new_secret("ldh_");
            issuer
                .store()
                .set_holder_secret(card.card, secret_hash(&secret))
                .await
                .map_err(|e| e.to_string())?;
            holders.insert(card.card, secret);
        }
        let running = issuer::spawn(issuer.clone(), setup.listen, setup.tls.as_ref())
            .await
            .map_err(|e| e.to_string())?;
        Ok(InProcessService {
            issuer,
            url: running.url.clone(),
            lane_token: setup.lane_token,
            holders,
            running: Some(running),
            dir,
        })
    }

    /// The lane's way to it: the real client, with the lane token.
    pub fn client_config(&self) -> ClientConfig {
        ClientConfig::new(&self.url).lane_token(&self.lane_token)
    }

    pub fn client(&self) -> Result<ServiceClient, String> {
        ServiceClient::new(&self.client_config()).map_err(|e| e.to_string())
    }

    /// A temporary folder that lives as long as the service (for a lane's state).
    pub fn scratch(&self) -> &Path {
        self.dir.path()
    }

    /// What a forger knows: the issuer's id and its active key's id (not the key).
    pub fn forgery(&self) -> Result<Forgery, String> {
        let (kid, _) = self
            .issuer
            .key_with_status(KeyStatus::Active)
            .ok_or("the in-process service has no active signing key")?;
        Ok(Forgery {
            issuer_id: self.issuer.issuer_id().to_owned(),
            kid,
        })
    }

    pub fn address(&self) -> Option<SocketAddr> {
        self.running.as_ref().map(|r| r.addr)
    }

    pub async fn stop(mut self) {
        if let Some(running) = self.running.take() {
            running.shutdown().await;
        }
    }
}
