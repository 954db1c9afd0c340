//! Shared by the integration tests: a real reference service on 127.0.0.1, and TLS material.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use lanedesk::domain::clock::{Clock, ManualClock};
use lanedesk::edges::client::{ClientConfig, ServiceClient};
use lanedesk::edges::issuer::{self, Issuer, IssuerOptions, RunningIssuer, TlsFiles};

pub const LANE_TOKEN: &str = "test-lane-token";

pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

pub fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

pub struct TestService {
    pub issuer: Arc<Issuer>,
    pub running: Option<RunningIssuer>,
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

    pub async fn stop(mut self) {
        if let Some(running) = self.running.take() {
            running.shutdown().await;
        }
    }
}

/// A reference service on a free loopback port with a fresh database, on a manual clock
/// set to now.
pub async fn start(tls: bool) -> TestService {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(chrono::Utc::now());
    let options = IssuerOptions::new(dir.path().join("issuer.sqlite"), fixtures_dir(), LANE_TOKEN);
    let shared: Arc<dyn Clock> = Arc::new(clock.clone());
    let issuer = Arc::new(Issuer::open(&options, shared).unwrap());
    let (files, ca_cert) = if tls {
        let (files, ca) = tls_material(dir.path());
        (Some(files), Some(ca))
    } else {
        (None, None)
    };
    let running = issuer::spawn(issuer.clone(), loopback(), files.as_ref())
        .await
        .unwrap();
    TestService {
        url: running.url.clone(),
        issuer,
        running: Some(running),
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
