//! The client against services that misbehave: real sockets on 127.0.0.1, each answering
//! in one bad way. Each failure must become its own clear error, and only idempotent
//! calls may be retried.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signer, SigningKey};
use lanedesk::api::VerificationRequest;
use lanedesk::domain::checkpoint::Direction;
use lanedesk::domain::trust::{SignedTrustList, TrustAnchor};
use lanedesk::edges::client::{ClientConfig, ServiceClient, ServiceError};

/// Serves `router` on a free loopback port; returns its base URL.
async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}")
}

fn client(url: &str, timeout_ms: u64) -> ServiceClient {
    let mut config = ClientConfig::new(url).lane_token("t");
    config.timeout = Duration::from_millis(timeout_ms);
    ServiceClient::new(&config).unwrap()
}

fn verification() -> VerificationRequest {
    VerificationRequest {
        token: "EC1:X".into(),
        checkpoint: "lo-wu".into(),
        lane: "1".into(),
        direction: Direction::Entry,
        officer: "o".into(),
    }
}

#[tokio::test]
async fn a_refused_connection_is_unreachable() {
    // Bind then drop: the port is closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = client(&format!("http://127.0.0.1:{port}"), 500)
        .health()
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::Unreachable { .. }), "{err:?}");
    assert!(err.to_string().contains("work offline"), "{err}");
}

#[tokio::test]
async fn a_service_that_never_answers_times_out() {
    let router = Router::new().route(
        "/v1/health",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            "late"
        }),
    );
    let url = serve(router).await;
    let started = std::time::Instant::now();
    let mut config = ClientConfig::new(&url);
    config.timeout = Duration::from_millis(200);
    config.retries = 0;
    let err = ServiceClient::new(&config)
        .unwrap()
        .health()
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::TimedOut { .. }), "{err:?}");
    assert!(
        err.to_string().contains("did not answer within 0.2 s"),
        "{err}"
    );
    // Not a timing threshold: only that the 30 s handler was not waited for.
    assert!(started.elapsed() < Duration::from_secs(25));
}

#[tokio::test]
async fn nonsense_json_is_reported_as_such() {
    let router = Router::new()
        .route("/v1/health", get(|| async { "{\"status\": 12" }))
        .route("/v1/trust-list", get(|| async { "[1, 2, 3]" }));
    let url = serve(router).await;
    let c = client(&url, 1000);
    let err = c.health().await.unwrap_err();
    assert!(matches!(err, ServiceError::Nonsense { .. }), "{err:?}");
    assert!(err.to_string().contains("v1/health"), "{err}");
    let err = c.trust_list(&anchor_key().1, 0).await.unwrap_err();
    assert!(matches!(err, ServiceError::Nonsense { .. }), "{err:?}");
}

/// An anchor's key and its public half, as a lane pins it.
fn anchor_key() -> (SigningKey, TrustAnchor) {
    let key = SigningKey::from_bytes(&[7; 32]);
    let anchor = TrustAnchor::of(&key);
    (key, anchor)
}

/// A list signed by the pinned anchor whose only key is not EdDSA.
fn list_with_an_es256_key(anchor: &SigningKey) -> String {
    let payload = r#"{"format":"lanedesk-trust-list/1","sequence":1,"issued_at":"2026-11-21T00:00:00Z","keys":[{"kid":"0102030405060708","issuer":"CN-NIA","algorithm":"ES256","public_key":"AAAA","valid_from":"2026-01-01T00:00:00Z","valid_until":"2027-01-01T00:00:00Z","status":"active"}]}"#;
    let mut signed = SignedTrustList::sign(&Default::default(), anchor);
    let context = b"lanedesk trust list v1\n";
    let signature = anchor.sign(&[&context[..], payload.as_bytes()].concat());
    signed.list = payload.into();
    signed.signature = URL_SAFE_NO_PAD.encode(signature.to_bytes());
    serde_json::to_string(&signed).unwrap()
}

#[tokio::test]
async fn a_trust_list_with_an_unusable_key_is_refused_whole() {
    let (key, anchor) = anchor_key();
    let body = list_with_an_es256_key(&key);
    let router = Router::new().route("/v1/trust-list", get(move || async move { body }));
    let url = serve(router).await;
    let err = client(&url, 1000)
        .trust_list(&anchor, 1_800_000_000)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not EdDSA"), "{err}");
}

#[tokio::test]
async fn server_failures_and_odd_statuses_are_named_and_escapes_are_stripped() {
    let router = Router::new()
        .route(
            "/v1/health",
            get(|| async {
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    [("content-type", "application/problem+json")],
                    "{\"type\":\"x\",\"title\":\"t\",\"status\":500,\"detail\":\"disk \\u001b[31mfull\",\"code\":\"internal\"}",
                )
            }),
        )
        .route("/v1/cards", get(|| async { (StatusCode::IM_A_TEAPOT, "short and stout") }));
    let url = serve(router).await;
    let c = client(&url, 1000);
    let err = c.health().await.unwrap_err();
    assert_eq!(
        err,
        ServiceError::ServerFailed {
            status: 500,
            detail: "disk full".into()
        }
    );
    assert!(!err.to_string().contains('\u{1b}'));
    let err = c.cards().await.unwrap_err();
    assert!(
        err.to_string()
            .contains("HTTP 418 without a problem description"),
        "{err}"
    );
}

fn problem(status: u16, code: &'static str) -> axum::response::Response {
    use axum::response::IntoResponse;
    let body = format!(
        "{{\"type\":\"x\",\"title\":\"t\",\"status\":{status},\"detail\":\"d\",\"code\":\"{code}\"}}"
    );
    (
        StatusCode::from_u16(status).unwrap(),
        [("content-type", "application/problem+json")],
        body,
    )
        .into_response()
}

/// A refusal about the traveller's code (422, 404) is an answer the checks use; a request
/// the service could not read (400) is the lane's problem: no traveller code, so the
/// console and `verify` say they could not check instead of refusing the traveller.
#[tokio::test]
async fn only_refusals_about_the_code_carry_a_code_for_the_checks() {
    for (status, code, carried) in [
        (422, "replayed", Some("replayed")),
        (404, "unknown-card", Some("unknown-card")),
        (400, "bad-request", None),
        (400, "unknown-checkpoint", None),
        (403, "lane-not-allowed", None),
    ] {
        let router = Router::new().route(
            "/v1/verifications",
            axum::routing::post(move || async move { problem(status, code) }),
        );
        let url = serve(router).await;
        let err = client(&url, 1000)
            .verify(&verification())
            .await
            .unwrap_err();
        assert_eq!(err.refusal_code(), carried, "HTTP {status} {code}: {err}");
    }
}

fn counting(
    status_first: StatusCode,
    counter: Arc<AtomicUsize>,
) -> impl Fn() -> std::future::Ready<axum::response::Response> + Clone {
    move || {
        let n = counter.fetch_add(1, Ordering::SeqCst);
        let response = if n == 0 {
            (status_first, "busy").into_response()
        } else {
            (
                StatusCode::OK,
                [("content-type", "application/json")],
                r#"{"status":"ok","version":"x","time":"2026-11-21T00:00:00Z"}"#,
            )
                .into_response()
        };
        std::future::ready(response)
    }
}

#[tokio::test]
async fn idempotent_calls_are_retried_after_a_503_and_verifications_never_are() {
    let health_calls = Arc::new(AtomicUsize::new(0));
    let verify_calls = Arc::new(AtomicUsize::new(0));
    let router = Router::new()
        .route(
            "/v1/health",
            get(counting(
                StatusCode::SERVICE_UNAVAILABLE,
                health_calls.clone(),
            )),
        )
        .route(
            "/v1/verifications",
            post(counting(
                StatusCode::SERVICE_UNAVAILABLE,
                verify_calls.clone(),
            )),
        );
    let url = serve(router).await;
    let c = client(&url, 1000);
    assert_eq!(c.health().await.unwrap().status, "ok");
    assert_eq!(health_calls.load(Ordering::SeqCst), 2);

    let err = c.verify(&verification()).await.unwrap_err();
    assert!(
        matches!(err, ServiceError::ServerFailed { status: 503, .. }),
        "{err:?}"
    );
    assert_eq!(verify_calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn bad_addresses_and_ca_files_are_refused_up_front() {
    let err = ServiceClient::new(&ClientConfig::new("not a url")).unwrap_err();
    assert!(matches!(err, ServiceError::BadUrl { .. }), "{err:?}");
    let err = ServiceClient::new(&ClientConfig::new("ftp://example.org")).unwrap_err();
    assert!(err.to_string().contains("http or https"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("none.pem");
    let err = ServiceClient::new(&ClientConfig::new("https://localhost:1").ca_cert(Some(&missing)))
        .unwrap_err();
    assert!(err.to_string().contains("--ca-cert"), "{err}");
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "hello").unwrap();
    let err = ServiceClient::new(&ClientConfig::new("https://localhost:1").ca_cert(Some(&junk)))
        .unwrap_err();
    assert!(err.to_string().contains("not PEM"), "{err}");
}

#[test]
fn plain_http_is_refused_to_any_host_but_this_machine() {
    let err = ServiceClient::new(&ClientConfig::new("http://10.20.30.40:8443"))
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("in clear") && err.contains("https://"),
        "{err}"
    );
    for fine in ["http://127.0.0.1:1", "http://localhost:1", "http://[::1]:1"] {
        assert!(
            ServiceClient::new(&ClientConfig::new(fine)).is_ok(),
            "{fine}"
        );
    }
}

#[tokio::test]
async fn a_pinned_ca_trusts_only_itself() {
    // The service's certificate comes from one private CA; the lane pins another. Pinning
    // means only the pinned CA is trusted, so the connection is refused as an unknown CA.
    let svc = common::start(true).await;
    let other = tempfile::tempdir().unwrap();
    let (_, other_ca) = common::tls_material(other.path());
    let client = ServiceClient::new(&ClientConfig::new(&svc.url).ca_cert(Some(&other_ca))).unwrap();
    let err = client.health().await.unwrap_err().to_string();
    assert!(
        err.contains("not signed by the CA in") && !err.contains("give it with"),
        "{err}"
    );
    // Its own CA works.
    svc.client().health().await.unwrap();
    svc.stop().await;
}
