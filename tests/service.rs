//! The reference issuance service and its client, over real HTTP and HTTPS on 127.0.0.1.

mod common;

use chrono::Utc;
use common::{LANE_TOKEN, start};
use lanedesk::api::{DecisionRequest, VerificationRequest};
use lanedesk::domain::checkpoint::Direction;
use lanedesk::domain::credential::{self, CardRef, Claims, Kid};
use lanedesk::domain::decision::DecisionKind;
use lanedesk::domain::holder::CardStatus;
use lanedesk::domain::trust::KeyStatus;
use lanedesk::edges::client::{ClientConfig, ServiceClient, ServiceError};
use lanedesk::issuer::{Issuer, IssuerOptions};

fn card(hex: &str) -> CardRef {
    hex.parse().unwrap()
}

const T01: &str = "4183a684ec00a4b6014fdd33db35ec40";
const T09_REVOKED: &str = "2f3c92f0ee4ed324d7a33fb99a0af0fd";

fn request(token: &str, checkpoint: &str, lane: &str) -> VerificationRequest {
    VerificationRequest {
        token: token.to_owned(),
        checkpoint: checkpoint.to_owned(),
        lane: lane.to_owned(),
        direction: Direction::Entry,
        officer: "officer-1".to_owned(),
    }
}

fn decision(id: &str, card: CardRef) -> DecisionRequest {
    DecisionRequest {
        decision_id: id.to_owned(),
        verification_id: None,
        card,
        checkpoint: "lo-wu".into(),
        lane: "7".into(),
        direction: Direction::Entry,
        officer: "officer-1".into(),
        decision: DecisionKind::Approve,
        reasons: vec![],
        note: String::new(),
        override_reason: None,
        decided_at: Utc::now(),
        kid: None,
        nonce: None,
        audit_head: None,
    }
}

async fn full_round_trip(tls: bool) {
    let svc = start(tls).await;
    let client = svc.client();
    assert_eq!(client.health().await.unwrap().status, "ok");

    let (trust, _) = client
        .trust_list(&svc.issuer.anchor(), Utc::now().timestamp())
        .await
        .unwrap();
    assert_eq!(trust.keys.len(), 2);
    assert_eq!(
        trust
            .keys
            .iter()
            .filter(|k| k.status == KeyStatus::Retired)
            .count(),
        1
    );

    let cards = client.cards().await.unwrap();
    assert!(cards.len() >= 14, "{} cards", cards.len());

    let token = client.mint(card(T01)).await.unwrap();
    assert!(token.qr.starts_with("EC1:"));
    // The lane's offline check accepts what the service minted.
    credential::verify(&token.qr, &trust, Utc::now().timestamp(), 30, None).unwrap();

    let v = client
        .verify(&request(&token.qr, "lo-wu", "7"))
        .await
        .unwrap();
    assert_eq!(v.holder.name_latin, "CHAN Chi Ming");
    assert_eq!(v.holder.name_zh, "陳志明");
    assert_eq!(v.card.status, CardStatus::Active);
    assert_eq!(v.documents[0].number, "H2381746503");
    assert!(v.presented_before.is_none());

    let photo = client.photo(&v.holder.id).await.unwrap();
    let portrait = image::load_from_memory(&photo).unwrap();
    assert!(portrait.width() >= 360 && portrait.height() >= 480);

    let receipt = client.decide(&decision("d-1", card(T01))).await.unwrap();
    assert!(!receipt.duplicate);
    svc.stop().await;
}

#[tokio::test]
async fn every_endpoint_answers_over_plain_http() {
    full_round_trip(false).await;
}

#[tokio::test]
async fn every_endpoint_answers_over_tls_with_a_private_ca() {
    full_round_trip(true).await;
}

#[tokio::test]
async fn a_tls_service_is_refused_without_its_ca() {
    let svc = start(true).await;
    let client = ServiceClient::new(&ClientConfig::new(&svc.url).lane_token(LANE_TOKEN)).unwrap();
    let err = client.health().await.unwrap_err();
    assert!(
        matches!(err, ServiceError::UntrustedCertificate { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("--ca-cert"), "{err}");
    svc.stop().await;
}

#[tokio::test]
async fn lane_endpoints_answer_401_problems_without_the_lane_token() {
    let svc = start(false).await;
    let http = reqwest::Client::new();
    for (method, path) in [
        ("GET", "/v1/trust-list"),
        ("POST", "/v1/verifications"),
        ("GET", "/v1/holders/T01/photo"),
        ("POST", "/v1/decisions"),
    ] {
        let url = format!("{}{path}", svc.url);
        let method: reqwest::Method = method.parse().unwrap();
        let response = http.request(method.clone(), &url).send().await.unwrap();
        assert_eq!(response.status(), 401, "{method} {path}");
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["code"], "lane-token-missing");

        let wrong = http
            .request(method, &url)
            .bearer_auth("not-the-token")
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), 401);
    }
    let client = ServiceClient::new(&ClientConfig::new(&svc.url).lane_token("wrong")).unwrap();
    let err = client
        .trust_list(&svc.issuer.anchor(), 0)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ServiceError::LaneTokenRefused { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("Check the lane token"), "{err}");
    svc.stop().await;
}

#[tokio::test]
async fn a_second_presentation_is_reported_with_where_and_when_it_was_first_seen() {
    let svc = start(false).await;
    let client = svc.client();
    let token = client.mint(card(T01)).await.unwrap();
    let first = client
        .verify(&request(&token.qr, "lo-wu", "7"))
        .await
        .unwrap();
    svc.clock.advance(chrono::Duration::seconds(5));
    // The same code at another checkpoint and lane.
    let second = client
        .verify(&request(&token.qr, "futian", "12"))
        .await
        .unwrap();
    let before = second.presented_before.expect("the replay is reported");
    assert_eq!(before.checkpoint, "lo-wu");
    assert_eq!(before.lane, "7");
    assert_eq!(before.verification_id, first.verification_id);
    assert_eq!(before.at.timestamp(), first.checked_at.timestamp());
    assert_eq!(svc.issuer.store().count("verifications").unwrap(), 2);
    svc.stop().await;
}

#[tokio::test]
async fn codes_signed_with_the_retired_key_are_refused() {
    let svc = start(false).await;
    let (kid, key) = svc.issuer.key_with_status(KeyStatus::Retired).unwrap();
    let claims = Claims::fresh("CN-NIA", card(T01), svc.clock.now_unix());
    let text = credential::mint(&claims, kid, &key);
    let err = svc
        .client()
        .verify(&request(&text, "lo-wu", "7"))
        .await
        .unwrap_err();
    assert_eq!(err.problem_code(), Some("retired-key"), "{err:?}");
    assert!(err.to_string().contains("retired issuer key"), "{err}");
    svc.stop().await;
}

trait NowUnix {
    fn now_unix(&self) -> i64;
}

impl NowUnix for lanedesk::domain::clock::ManualClock {
    fn now_unix(&self) -> i64 {
        use lanedesk::domain::clock::Clock;
        self.unix()
    }
}

#[tokio::test]
async fn forged_expired_and_unknown_card_codes_get_their_own_problem() {
    let svc = start(false).await;
    let client = svc.client();

    let forger = ed25519_dalek::SigningKey::from_bytes(&[42; 32]);
    let forged = credential::mint(
        &Claims::fresh("CN-NIA", card(T01), svc.clock.now_unix()),
        Kid([9; 8]),
        &forger,
    );
    let err = client
        .verify(&request(&forged, "lo-wu", "7"))
        .await
        .unwrap_err();
    assert_eq!(err.problem_code(), Some("unknown-key"));

    let (kid, _) = svc.issuer.key_with_status(KeyStatus::Active).unwrap();
    let forged_known_kid = credential::mint(
        &Claims::fresh("CN-NIA", card(T01), svc.clock.now_unix()),
        kid,
        &forger,
    );
    let err = client
        .verify(&request(&forged_known_kid, "lo-wu", "7"))
        .await
        .unwrap_err();
    assert_eq!(err.problem_code(), Some("bad-signature"));

    let token = client.mint(card(T01)).await.unwrap();
    svc.clock.advance(chrono::Duration::seconds(120));
    let err = client
        .verify(&request(&token.qr, "lo-wu", "7"))
        .await
        .unwrap_err();
    assert_eq!(err.problem_code(), Some("expired"));
    assert!(err.to_string().contains("expired 60 seconds ago"), "{err}");

    let (kid, key) = svc.issuer.key_with_status(KeyStatus::Active).unwrap();
    let stranger = credential::mint(
        &Claims::fresh("CN-NIA", CardRef([0; 16]), svc.clock.now_unix()),
        kid,
        &key,
    );
    let err = client
        .verify(&request(&stranger, "lo-wu", "7"))
        .await
        .unwrap_err();
    assert_eq!(err.problem_code(), Some("unknown-card"));

    let err = client
        .verify(&request("HELLO", "lo-wu", "7"))
        .await
        .unwrap_err();
    assert_eq!(err.problem_code(), Some("not-ec1"));

    let token = client.mint(card(T01)).await.unwrap();
    let err = client
        .verify(&request(&token.qr, "Heathrow", "7"))
        .await
        .unwrap_err();
    assert_eq!(err.problem_code(), Some("unknown-checkpoint"));
    // Nothing refused was recorded as a presentation.
    assert_eq!(svc.issuer.store().count("verifications").unwrap(), 0);
    svc.stop().await;
}

#[tokio::test]
async fn a_revoked_card_still_verifies_and_reports_its_status() {
    let svc = start(false).await;
    let client = svc.client();
    let token = client.mint(card(T09_REVOKED)).await.unwrap();
    let v = client
        .verify(&request(&token.qr, "lo-wu", "7"))
        .await
        .unwrap();
    assert_eq!(v.card.status, CardStatus::Revoked);
    svc.stop().await;
}

#[tokio::test]
async fn decisions_are_idempotent_by_id_and_conflicts_are_refused() {
    let svc = start(false).await;
    let client = svc.client();
    let d = decision("lane7-0001", card(T01));
    let first = client.decide(&d).await.unwrap();
    let again = client.decide(&d).await.unwrap();
    assert!(!first.duplicate);
    assert!(again.duplicate);
    assert_eq!(again.recorded_at, first.recorded_at);
    assert_eq!(svc.issuer.store().count("decisions").unwrap(), 1);

    let mut changed = d.clone();
    changed.decision = DecisionKind::Escalate;
    let err = client.decide(&changed).await.unwrap_err();
    assert_eq!(err.problem_code(), Some("decision-conflict"));
    assert_eq!(svc.issuer.store().decision("lane7-0001").unwrap(), Some(d));

    let mut bad_id = decision("no spaces allowed", card(T01));
    bad_id.decision_id = "no spaces allowed".into();
    let err = client.decide(&bad_id).await.unwrap_err();
    assert_eq!(err.problem_code(), Some("bad-request"));
    svc.stop().await;
}

#[tokio::test]
async fn malformed_requests_and_unknown_paths_get_problem_json() {
    let svc = start(false).await;
    let http = reqwest::Client::new();
    let response = http
        .post(format!("{}/v1/verifications", svc.url))
        .bearer_auth(LANE_TOKEN)
        .header("content-type", "application/json")
        .body("{\"token\": \"EC1:")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], "bad-request");

    // Well-formed JSON of the wrong shape: 422, with what is wrong.
    let response = http
        .post(format!("{}/v1/verifications", svc.url))
        .bearer_auth(LANE_TOKEN)
        .json(&serde_json::json!({"token": 12}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], "bad-request");
    assert!(body["detail"].as_str().unwrap().contains("token"), "{body}");

    let huge = "x".repeat(100_000);
    let response = http
        .post(format!("{}/v1/verifications", svc.url))
        .bearer_auth(LANE_TOKEN)
        .header("content-type", "application/json")
        .body(format!("{{\"token\": \"{huge}\"}}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);

    let response = http
        .get(format!("{}/v2/anything", svc.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );

    let response = http
        .post(format!("{}/v1/cards/not-hex/tokens", svc.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);

    let err = svc.client().photo("T99").await.unwrap_err();
    assert_eq!(err.problem_code(), Some("unknown-holder"));
    svc.stop().await;
}

#[tokio::test]
async fn a_second_start_on_the_same_database_duplicates_nothing() {
    let svc = start(false).await;
    let keys = svc.issuer.store().count("keys").unwrap();
    let travellers = svc.issuer.store().count("travellers").unwrap();
    let trust = svc.issuer.trust_list().clone();
    let db = svc.db();
    let clock = svc.clock.clone();
    let common::TestService {
        service,
        dir,
        issuer,
        ..
    } = svc;
    // Stopping lets the database go; only then may another service open it.
    service.unwrap().stop().await;
    drop(issuer);

    let options = IssuerOptions::new(&db, common::fixtures_dir(), LANE_TOKEN);
    let again = Issuer::open(&options, std::sync::Arc::new(clock))
        .await
        .unwrap();
    assert_eq!(again.store().count("keys").unwrap(), keys);
    assert_eq!(again.store().count("travellers").unwrap(), travellers);
    assert_eq!(keys, 2);
    // The same keys: codes minted before a restart still verify after it.
    assert_eq!(again.trust_list().keys, trust.keys);
    drop(dir);
}

#[tokio::test]
async fn a_service_that_cannot_start_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let clock = std::sync::Arc::new(lanedesk::domain::clock::SystemClock);
    let no_token = IssuerOptions::new(dir.path().join("a.sqlite"), common::fixtures_dir(), " ");
    let err = Issuer::open(&no_token, clock.clone()).await.err().unwrap();
    assert!(err.to_string().contains("--lane-token"), "{err}");

    let no_fixtures = IssuerOptions::new(dir.path().join("a.sqlite"), dir.path(), "t");
    let err = Issuer::open(&no_fixtures, clock.clone())
        .await
        .err()
        .unwrap();
    assert!(err.to_string().contains("--fixtures"), "{err}");

    let bad_db = IssuerOptions::new(
        dir.path().join("missing/dir/a.sqlite"),
        common::fixtures_dir(),
        "t",
    );
    let err = Issuer::open(&bad_db, clock.clone()).await.err().unwrap();
    assert!(err.to_string().contains("--db"), "{err}");

    let svc = start(false).await;
    let err = lanedesk::issuer::spawn(svc.issuer.clone(), svc.addr(), None)
        .await
        .err()
        .unwrap();
    assert!(
        err.to_string().contains("Choose another with --listen"),
        "{err}"
    );
    let bogus = lanedesk::issuer::TlsFiles {
        cert: dir.path().join("none.pem"),
        key: dir.path().join("none.key"),
    };
    let err = lanedesk::issuer::spawn(svc.issuer.clone(), common::loopback(), Some(&bogus))
        .await
        .err()
        .unwrap();
    assert!(err.to_string().contains("must be PEM files"), "{err}");
    svc.stop().await;
}

#[test]
fn the_openapi_description_names_every_route_the_service_serves() {
    let spec =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/openapi.yaml")).unwrap();
    let routes = include_str!("../src/issuer/routes.rs");
    let served: Vec<&str> = routes
        .split(".route(\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap())
        .collect();
    assert!(served.len() >= 7, "{served:?}");
    for path in served {
        assert!(
            spec.contains(&format!("  {path}:")),
            "docs/openapi.yaml lacks {path}"
        );
    }
}
