//! Shared by the integration tests: a real reference service on 127.0.0.1, and TLS material.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use lanedesk::app::service::{InProcessService, ServiceSetup};
use lanedesk::domain::clock::{Clock, ManualClock};
use lanedesk::edges::client::{ClientConfig, ServiceClient};
use lanedesk::issuer::{Issuer, TlsFiles};

pub const LANE_TOKEN: &str = "test-lane-token";
pub const ADMIN_TOKEN: &str = "test-admin-token";

pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

pub fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

pub struct TestService {
    pub issuer: Arc<Issuer>,
    pub service: Option<InProcessService>,
    pub url: String,
    pub clock: ManualClock,
    pub ca_cert: Option<PathBuf>,
    pub dir: tempfile::TempDir,
}

impl TestService {
    pub fn client(&self) -> ServiceClient {
        ServiceClient::new(&self.config()).unwrap()
    }

    pub fn config(&self) -> ClientConfig {
        ClientConfig::new(&self.url)
            .lane_token(LANE_TOKEN)
            .ca_cert(self.ca_cert.as_deref())
    }

    pub fn db(&self) -> PathBuf {
        self.dir.path().join("issuer.sqlite")
    }

    pub fn addr(&self) -> SocketAddr {
        self.service.as_ref().and_then(|s| s.address()).unwrap()
    }

    pub async fn stop(mut self) {
        if let Some(service) = self.service.take() {
            service.stop().await;
        }
    }
}

/// A reference service on a free loopback port with a fresh database (kept in `dir`), on
/// a manual clock set to now.
pub async fn start(tls: bool) -> TestService {
    start_with(tls, |setup| setup).await
}

/// As [`start`], with the setup changed by `change` (another database, an admin token...).
pub async fn start_with(
    tls: bool,
    change: impl FnOnce(ServiceSetup) -> ServiceSetup,
) -> TestService {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(chrono::Utc::now());
    let shared: Arc<dyn Clock> = Arc::new(clock.clone());
    let mut setup = change(
        ServiceSetup::new(&fixtures_dir(), shared, LANE_TOKEN)
            .db(&dir.path().join("issuer.sqlite")),
    );
    let mut ca_cert = None;
    if tls {
        let (files, ca) = tls_material(dir.path());
        setup = setup.tls(files);
        ca_cert = Some(ca);
    }
    let service = InProcessService::start(setup).await.unwrap();
    TestService {
        url: service.url.clone(),
        issuer: service.issuer.clone(),
        service: Some(service),
        clock,
        ca_cert,
        dir,
    }
}

/// A private CA and a server certificate it signed for localhost and 127.0.0.1.
/// Returns the server's files and the CA certificate's path.
pub fn tls_material(dir: &Path) -> (TlsFiles, PathBuf) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "lanedesk test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &ca)
        .unwrap();
    let files = TlsFiles {
        cert: dir.join("server.pem"),
        key: dir.join("server.key"),
    };
    std::fs::write(&files.cert, leaf.pem()).unwrap();
    std::fs::write(&files.key, leaf_key.serialize_pem()).unwrap();
    let ca_path = dir.join("ca.pem");
    std::fs::write(&ca_path, ca.pem()).unwrap();
    (files, ca_path)
}
