//! HTTPS between a lane and a service, over 127.0.0.1: each way a service's certificate can
//! be wrong gets its own message, the lane's --ca-cert pins its CA, and what
//! `issuer tls-init` makes is accepted end to end.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use lanedesk::edges::client::{ClientConfig, ServiceClient};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, date_time_ymd,
};
use rustls::crypto::aws_lc_rs;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

#[allow(dead_code)]
#[path = "common/served.rs"]
mod served;

mod common;

type Ca = CertifiedIssuer<'static, KeyPair>;

fn make_ca(name: &str) -> Ca {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

/// A server certificate and its key (PEM), for `names`, changed by `change`, signed by `ca`.
fn leaf(ca: &Ca, names: &[&str], change: impl FnOnce(&mut CertificateParams)) -> (String, String) {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let mut params = CertificateParams::new(names).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    change(&mut params);
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, ca).unwrap();
    (cert.pem(), key.serialize_pem())
}

/// Always the same certificate, unchecked: rustls's own loading would refuse a v1 one.
#[derive(Debug)]
struct Always(Arc<CertifiedKey>);

impl ResolvesServerCert for Always {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
}

/// An HTTPS server on 127.0.0.1 presenting `cert` with `key`; returns its port.
async fn serve_cert(cert: &str, key: &str) -> u16 {
    let provider = Arc::new(aws_lc_rs::default_provider());
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert.as_bytes())
        .collect::<Result<_, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_slice(key.as_bytes()).unwrap();
    let signer = provider.key_provider.load_private_key(key).unwrap();
    let resolver = Always(Arc::new(CertifiedKey::new(chain, signer)));
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(resolver));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let tls = axum_server::tls_rustls::RustlsConfig::from_config(Arc::new(config));
    let server = axum_server::from_tcp_rustls(listener, tls).unwrap();
    tokio::spawn(server.serve(axum::Router::new().into_make_service()));
    port
}

/// What the lane says when it asks the service on `port` for its health, with `ca` pinned.
async fn refusal(port: u16, ca: Option<&Path>) -> String {
    let config = ClientConfig::new(&format!("https://localhost:{port}")).ca_cert(ca);
    let client = ServiceClient::new(&config).unwrap();
    client.health().await.unwrap_err().to_string()
}

fn write_ca(dir: &Path, ca: &Ca) -> PathBuf {
    let path = dir.join("ca.pem");
    std::fs::write(&path, ca.pem()).unwrap();
    path
}

#[tokio::test]
async fn a_v1_certificate_is_named_and_tls_init_offered() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tls-v1");
    let read = |f: &str| std::fs::read_to_string(data.join(f)).unwrap();
    let port = serve_cert(&read("server-v1.pem"), &read("server-v1-key.pem")).await;
    let said = refusal(port, Some(&data.join("ca.pem"))).await;
    assert!(said.contains("is X.509 v1"), "{said}");
    assert!(said.contains("lanedesk issuer tls-init"), "{said}");
}

#[tokio::test]
async fn a_certificate_without_subject_alt_name_is_told_from_a_wrong_name() {
    let dir = tempfile::tempdir().unwrap();
    let ca = make_ca("test CA");
    let ca_path = write_ca(dir.path(), &ca);
    // The common name says localhost; only subjectAltName counts.
    let (cert, key) = leaf(&ca, &[], |_| {});
    let said = refusal(serve_cert(&cert, &key).await, Some(&ca_path)).await;
    assert!(said.contains("names no host"), "{said}");
    assert!(said.contains("no subjectAltName"), "{said}");
    assert!(said.contains("tls-init DIR --name localhost"), "{said}");

    let (cert, key) = leaf(&ca, &["issuer.example", "10.0.0.5"], |_| {});
    let said = refusal(serve_cert(&cert, &key).await, Some(&ca_path)).await;
    assert!(
        said.contains("is for issuer.example, 10.0.0.5, not localhost"),
        "{said}"
    );
}

#[tokio::test]
async fn an_expired_certificate_says_when_it_expired() {
    let dir = tempfile::tempdir().unwrap();
    let ca = make_ca("test CA");
    let ca_path = write_ca(dir.path(), &ca);
    let (cert, key) = leaf(&ca, &["localhost"], |p| {
        p.not_before = date_time_ymd(2019, 1, 1);
        p.not_after = date_time_ymd(2020, 1, 31);
    });
    let said = refusal(serve_cert(&cert, &key).await, Some(&ca_path)).await;
    assert!(said.contains("expired on 2020-01-31"), "{said}");
    assert!(said.contains("make a new one"), "{said}");
}

#[tokio::test]
async fn an_unknown_ca_asks_for_ca_cert_only_when_none_was_given() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, other) = (make_ca("service CA"), make_ca("another CA"));
    let (cert, key) = leaf(&ca, &["localhost"], |_| {});
    let port = serve_cert(&cert, &key).await;

    let said = refusal(port, None).await;
    assert!(said.contains("a CA this lane does not know"), "{said}");
    assert!(said.contains("give it with --ca-cert"), "{said}");

    let other_path = write_ca(dir.path(), &other);
    let said = refusal(port, Some(&other_path)).await;
    assert!(said.contains("not signed by the CA in"), "{said}");
    assert!(said.contains(&other_path.display().to_string()), "{said}");
    assert!(!said.contains("give it with --ca-cert"), "{said}");
}

/// `lanedesk issuer mint` against `url`, with the system's CAs being only `system_ca`.
fn mint_with_system_ca(url: &str, system_ca: &Path, pinned: Option<&Path>) -> (bool, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lanedesk"));
    cmd.env("SSL_CERT_FILE", system_ca)
        .env_remove("SSL_CERT_DIR")
        .args(["issuer", "mint", "--service", url, "--card", "T01"]);
    if let Some(ca) = pinned {
        cmd.arg("--ca-cert").arg(ca);
    }
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ca_cert_pins_the_system_roots_are_not_added() {
    let svc = common::start(true).await;
    let service_ca = svc.ca_cert.clone().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let other = write_ca(dir.path(), &make_ca("another CA"));
    let url = svc.url.clone();
    let (trusted, refused) = tokio::task::spawn_blocking(move || {
        (
            // The service's CA as a system root is trusted without --ca-cert...
            mint_with_system_ca(&url, &service_ca, None),
            // ...and not once the lane pins another CA.
            mint_with_system_ca(&url, &service_ca, Some(&other)),
        )
    })
    .await
    .unwrap();
    assert!(trusted.0, "{}", trusted.1);
    assert!(!refused.0);
    assert!(
        refused.1.contains("not signed by the CA in"),
        "{}",
        refused.1
    );
    svc.stop().await;
}

fn tls_init(dir: &Path, extra: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_lanedesk"))
        .args(["issuer", "tls-init"])
        .arg(dir)
        .args(["--name", "localhost,127.0.0.1"])
        .args(extra)
        .output()
        .unwrap();
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    (out.status.success(), text(out.stdout), text(out.stderr))
}

/// The service's flags and the lane's CA file, read from what tls-init printed.
fn printed_settings(out: &str) -> (Vec<String>, PathBuf) {
    let flags = out
        .lines()
        .find(|l| l.trim_start().starts_with("--tls-cert "))
        .unwrap_or_else(|| panic!("no --tls-cert line in:\n{out}"));
    let lane = out
        .lines()
        .find(|l| l.trim_start().starts_with("ca-cert = "))
        .unwrap_or_else(|| panic!("no ca-cert line in:\n{out}"));
    let table: toml::Table = toml::from_str(lane.trim()).unwrap();
    let ca = PathBuf::from(table["ca-cert"].as_str().unwrap());
    (flags.split_whitespace().map(str::to_owned).collect(), ca)
}

#[tokio::test]
async fn what_tls_init_makes_is_served_and_accepted_by_name_and_by_address() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let tls = dir.path().join("tls");
    let (ok, out, err) = tls_init(&tls, &[]);
    assert!(ok, "{err}");
    let mode = std::fs::metadata(tls.join("server-key.pem"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let (flags, ca) = printed_settings(&out);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();

    let served = served::serve(env!("CARGO_BIN_EXE_lanedesk"), "t", &flags);
    let port = served.url.rsplit(':').next().unwrap().to_owned();
    for host in ["localhost", "127.0.0.1"] {
        let url = format!("https://{host}:{port}");
        let client = ServiceClient::new(&ClientConfig::new(&url).ca_cert(Some(&ca))).unwrap();
        let health = client.health().await;
        assert!(health.is_ok(), "{url}: {health:?}");
    }

    // Run again, it keeps what is there unless told to replace it.
    let (ok, _, err) = tls_init(&tls, &[]);
    assert!(!ok);
    assert!(
        err.contains("already there") && err.contains("--force"),
        "{err}"
    );
    let (ok, _, err) = tls_init(&tls, &["--force"]);
    assert!(ok, "{err}");
}
