//! Several service instances on one real PostgreSQL database (`LANEDESK_TEST_POSTGRES`,
//! started by `.ci/run`; never skipped): in-process instances with pools of their own, and
//! `lanedesk issuer serve` processes, over real HTTP on 127.0.0.1.

mod common;
#[allow(dead_code)]
#[path = "common/postgres.rs"]
mod pg;
#[allow(dead_code)]
#[path = "common/served.rs"]
mod served;

use std::process::Command;
use std::sync::Arc;

use chrono::Utc;
use common::{ADMIN_TOKEN, LANE_TOKEN, TestService, start_with};
use lanedesk::api::{DecisionRequest, VerificationRequest};
use lanedesk::domain::checkpoint::Direction;
use lanedesk::domain::credential::CardRef;
use lanedesk::domain::decision::DecisionKind;
use lanedesk::domain::holder::CardStatus;
use lanedesk::edges::client::{ClientConfig, ServiceClient, ServiceError};
use lanedesk::issuer::DbLocation;
use serde_json::{Value, json};

const T01: &str = "4183a684ec00a4b6014fdd33db35ec40";

fn card(hex: &str) -> CardRef {
    hex.parse().unwrap()
}

async fn instance(db: &pg::TestDb) -> TestService {
    let url = db.url.clone();
    start_with(false, move |s| {
        s.admin_token(ADMIN_TOKEN)
            .database(DbLocation::Postgres(url))
    })
    .await
}

/// Two instances started at the same moment: migrations and seeding run once.
async fn two_instances(db: &pg::TestDb) -> (TestService, TestService) {
    tokio::join!(instance(db), instance(db))
}

fn request(token: &str, lane: &str) -> VerificationRequest {
    VerificationRequest {
        token: token.to_owned(),
        checkpoint: "lo-wu".to_owned(),
        lane: lane.to_owned(),
        direction: Direction::Entry,
        officer: "officer-1".to_owned(),
    }
}

fn decision(id: &str, kind: DecisionKind) -> DecisionRequest {
    DecisionRequest {
        decision_id: id.to_owned(),
        verification_id: None,
        card: card(T01),
        checkpoint: "lo-wu".into(),
        lane: "7".into(),
        direction: Direction::Entry,
        officer: "officer-1".into(),
        decision: kind,
        reasons: vec![],
        note: String::new(),
        override_reason: None,
        decided_at: Utc::now(),
        kid: None,
        nonce: None,
        audit_head: None,
    }
}

fn client(url: &str) -> ServiceClient {
    ServiceClient::new(&ClientConfig::new(url).lane_token(LANE_TOKEN)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_shown_at_lanes_of_two_instances_is_first_at_exactly_one() {
    let db = pg::TestDb::create().await;
    let (a, b) = two_instances(&db).await;
    assert_eq!(a.issuer.store().count("keys").unwrap(), 2, "seeded once");
    assert_eq!(a.issuer.trust_list().keys, b.issuer.trust_list().keys);
    let travellers = a.issuer.store().count("travellers").unwrap();
    assert!(travellers >= 14, "{travellers}");

    let lanes: Vec<Arc<ServiceClient>> = (0..8)
        .map(|i| Arc::new(if i % 2 == 0 { a.client() } else { b.client() }))
        .collect();
    for round in 0..20 {
        // Minted by one instance, verifiable at both: they share the keys.
        let code = lanes[round % 2].mint(card(T01)).await.unwrap().qr;
        let mut tasks = Vec::new();
        for (i, lane) in lanes.iter().enumerate() {
            let (lane, code) = (lane.clone(), code.clone());
            tasks.push(tokio::spawn(async move {
                lane.verify(&request(&code, &format!("L{i}"))).await
            }));
        }
        let mut first = 0;
        for t in tasks {
            let v = t.await.unwrap().expect("answered");
            first += usize::from(v.presented_before.is_none());
        }
        assert_eq!(first, 1, "round {round}: {first} lanes told first");
    }
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decision_is_recorded_once_across_instances() {
    let db = pg::TestDb::create().await;
    let (a, b) = two_instances(&db).await;
    let d = decision("lane7-0001", DecisionKind::Approve);
    let (ca, cb) = (a.client(), b.client());
    let (ra, rb) = tokio::join!(ca.decide(&d), cb.decide(&d));
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!(
        [ra.duplicate, rb.duplicate].iter().filter(|d| !**d).count(),
        1,
        "exactly one instance recorded it: {ra:?} {rb:?}"
    );
    assert_eq!(ra.recorded_at, rb.recorded_at);
    let again = a.client().decide(&d).await.unwrap();
    assert!(again.duplicate);

    let mut other = d.clone();
    other.decision = DecisionKind::Escalate;
    let err = b.client().decide(&other).await.unwrap_err();
    assert_eq!(err.problem_code(), Some("decision-conflict"));
    assert_eq!(a.issuer.store().count("decisions").unwrap(), 1);
    assert_eq!(a.issuer.store().decision("lane7-0001").unwrap(), Some(d));
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_revoked_on_one_instance_or_from_the_command_line_is_revoked_on_every_one() {
    let db = pg::TestDb::create().await;
    let (a, b) = two_instances(&db).await;
    let status_at = |svc: &TestService, c: CardRef| {
        let client = svc.client();
        async move {
            let code = client.mint(c).await.unwrap().qr;
            client
                .verify(&request(&code, "1"))
                .await
                .unwrap()
                .card
                .status
        }
    };
    assert_eq!(status_at(&b, card(T01)).await, CardStatus::Active);
    let response = reqwest::Client::new()
        .post(format!("{}/v1/admin/cards/{T01}/status", a.url))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({"action": "revoke", "reason": "stolen", "actor": "duty-supervisor"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(status_at(&b, card(T01)).await, CardStatus::Revoked);

    // The command line works on the database directly, while both run.
    let output = Command::new(env!("CARGO_BIN_EXE_lanedesk"))
        .args([
            "issuer",
            "cards",
            "report-lost",
            "--db",
            &db.url,
            "--card",
            "T02",
            "--reason",
            "holder called the hotline",
            "--by",
            "clerk-4",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{output:?}");
    assert!(
        stdout.contains("active -> reported-lost, by clerk-4"),
        "{stdout}"
    );
    let t02 = a
        .client()
        .cards()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.traveller == "T02")
        .unwrap();
    assert_eq!(t02.status, CardStatus::ReportedLost);
    assert_eq!(status_at(&a, t02.card).await, CardStatus::ReportedLost);
    assert_eq!(status_at(&b, t02.card).await, CardStatus::ReportedLost);

    // Refused transitions exit 1 and say why.
    let output = Command::new(env!("CARGO_BIN_EXE_lanedesk"))
        .args([
            "issuer",
            "cards",
            "reinstate",
            "--db",
            &db.url,
            "--card",
            "T01",
            "--reason",
            "x",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("revocation is final"), "{stderr}");
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_fails_and_liveness_holds_when_the_database_is_gone() {
    let db = pg::TestDb::create().await;
    let svc = instance(&db).await;
    let http = reqwest::Client::new();
    let ready = http
        .get(format!("{}/v1/ready", svc.url))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["database"], "postgresql");

    db.drop_now().await;
    let ready = http
        .get(format!("{}/v1/ready", svc.url))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 503);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["code"], "not-ready");
    assert!(!body["detail"].as_str().unwrap().is_empty());
    let health = http
        .get(format!("{}/v1/health", svc.url))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);

    // A lane asking now hears "unavailable" (503), not a 500.
    let code = svc.issuer.mint(card(T01)).unwrap().qr;
    let err = svc.client().verify(&request(&code, "1")).await.unwrap_err();
    assert!(
        matches!(err, ServiceError::ServerFailed { status: 503, .. }),
        "{err:?}"
    );
    let metrics = http
        .get(format!("{}/metrics", svc.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("lanedesk_ready 0"), "{metrics}");
    svc.stop().await;
}

#[test]
fn two_serve_processes_on_one_database_record_400_decisions_and_catch_every_replay() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(pg::TestDb::create());
    let bin = env!("CARGO_BIN_EXE_lanedesk");
    let one = served::serve_on(bin, LANE_TOKEN, Some(&db.url), &[]);
    let two = served::serve_on(bin, LANE_TOKEN, Some(&db.url), &[]);
    rt.block_on(async {
        let clients: Vec<Arc<ServiceClient>> = (0..8)
            .map(|i| Arc::new(client(if i % 2 == 0 { &one.url } else { &two.url })))
            .collect();
        // 400 decisions at once: 100 ids, each sent to both instances twice.
        let mut tasks = Vec::new();
        for n in 0..100 {
            let d = decision(&format!("p-{n}"), DecisionKind::Approve);
            for c in clients.iter().take(4) {
                let (c, d) = (c.clone(), d.clone());
                tasks.push(tokio::spawn(async move { c.decide(&d).await }));
            }
        }
        let mut recorded = 0;
        for t in tasks {
            let receipt = t.await.unwrap().expect("no decision fails");
            recorded += usize::from(!receipt.duplicate);
        }
        assert_eq!(recorded, 100);
        for round in 0..10 {
            let code = clients[0].mint(card(T01)).await.unwrap().qr;
            let mut tasks = Vec::new();
            for (i, c) in clients.iter().enumerate() {
                let (c, code) = (c.clone(), code.clone());
                tasks.push(tokio::spawn(async move {
                    c.verify(&request(&code, &format!("L{i}"))).await
                }));
            }
            let mut first = 0;
            for t in tasks {
                first += usize::from(t.await.unwrap().unwrap().presented_before.is_none());
            }
            assert_eq!(first, 1, "round {round}");
        }
    });
    drop((one, two));
}

#[test]
fn serve_says_what_to_do_when_postgresql_cannot_be_reached() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let output = Command::new(env!("CARGO_BIN_EXE_lanedesk"))
        .env_remove("LANEDESK_LANE_TOKEN")
        .args([
            "issuer",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--demo",
            "--lane-token",
            "t",
        ])
        .args([
            "--db",
            &format!("postgres://lanedesk:s3cret@127.0.0.1:{port}/lanedesk"),
        ])
        .arg("--fixtures")
        .arg(common::fixtures_dir())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Is PostgreSQL running"), "{stderr}");
    assert!(!stderr.contains("s3cret"), "the password leaked: {stderr}");
    assert!(stderr.contains("lanedesk:***@"), "{stderr}");
    // The test server itself is needed for the rest of this file; name it if missing.
    let _ = pg::server_url();
}
