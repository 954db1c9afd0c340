//! The service's promises, each tested on both back ends over real HTTP on 127.0.0.1:
//! a SQLite file, and a real PostgreSQL server (`LANEDESK_TEST_POSTGRES`, started by
//! `.ci/run`; never skipped). Adding a store method? Add its promise here.

mod common;
#[allow(dead_code)]
#[path = "common/postgres.rs"]
mod pg;

use std::sync::Arc;

use chrono::Utc;
use common::{ADMIN_TOKEN, LANE_TOKEN, TestService, start_with};
use lanedesk::api::{DecisionRequest, VerificationRequest};
use lanedesk::domain::checkpoint::{Checkpoint, Direction};
use lanedesk::domain::checks::{self, CodeFacts, LaneContext, ServiceFacts};
use lanedesk::domain::credential::CardRef;
use lanedesk::domain::decision::DecisionKind;
use lanedesk::domain::holder::CardStatus;
use lanedesk::edges::client::ServiceClient;
use lanedesk::issuer::DbLocation;
use serde_json::{Value, json};

const T01: &str = "4183a684ec00a4b6014fdd33db35ec40";
/// Mainland resident with a single-trip Macau endorsement.
const T08: &str = "bb7dd33335896aa970f03ff5c6dcb1f3";

fn card(hex: &str) -> CardRef {
    hex.parse().unwrap()
}

/// A service on one back end, and what keeps its database alive.
struct Backend {
    svc: TestService,
    _db: Option<pg::TestDb>,
}

impl Backend {
    async fn sqlite() -> Backend {
        Backend {
            svc: start_with(false, |s| s.admin_token(ADMIN_TOKEN)).await,
            _db: None,
        }
    }

    async fn postgres() -> Backend {
        let db = pg::TestDb::create().await;
        let url = db.url.clone();
        Backend {
            svc: start_with(false, move |s| {
                s.admin_token(ADMIN_TOKEN)
                    .database(DbLocation::Postgres(url))
            })
            .await,
            _db: Some(db),
        }
    }

    fn client(&self) -> ServiceClient {
        self.svc.client()
    }
}

macro_rules! on_both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(super::Backend::sqlite().await).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name(super::Backend::postgres().await).await;
            }
        }
    )*};
}

on_both!(
    exactly_one_lane_is_told_first_however_many_present_a_code_at_once,
    decisions_sent_at_once_are_recorded_once_and_a_reused_id_conflicts,
    a_revoked_card_shows_revoked_at_the_next_verification,
    an_approved_exit_spends_a_single_trip_endorsement,
    verification_records_older_than_the_retention_period_are_pruned,
    metrics_count_requests_verifications_replays_and_decisions,
    the_admin_api_needs_its_own_token,
);

fn request(token: &str, lane: &str, checkpoint: &str, direction: Direction) -> VerificationRequest {
    VerificationRequest {
        token: token.to_owned(),
        checkpoint: checkpoint.to_owned(),
        lane: lane.to_owned(),
        direction,
        officer: "officer-1".to_owned(),
    }
}

fn decision(id: &str, card: CardRef, kind: DecisionKind, direction: Direction) -> DecisionRequest {
    DecisionRequest {
        decision_id: id.to_owned(),
        verification_id: None,
        card,
        checkpoint: "gongbei".into(),
        lane: "3".into(),
        direction,
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

async fn exactly_one_lane_is_told_first_however_many_present_a_code_at_once(b: Backend) {
    // Each lane has its own connection, as real lanes do.
    let lanes: Vec<Arc<ServiceClient>> = (0..8).map(|_| Arc::new(b.client())).collect();
    for round in 0..15 {
        let code = b.client().mint(card(T01)).await.unwrap().qr;
        let mut tasks = Vec::new();
        for (i, lane) in lanes.iter().enumerate() {
            let (lane, code) = (lane.clone(), code.clone());
            tasks.push(tokio::spawn(async move {
                lane.verify(&request(&code, &format!("L{i}"), "lo-wu", Direction::Entry))
                    .await
            }));
        }
        let mut answers = Vec::new();
        for t in tasks {
            answers.push(t.await.unwrap().expect("every verification is answered"));
        }
        let first: Vec<_> = answers
            .iter()
            .filter(|v| v.presented_before.is_none())
            .collect();
        assert_eq!(
            first.len(),
            1,
            "round {round}: {} lanes told first",
            first.len()
        );
        for v in &answers {
            if let Some(p) = &v.presented_before {
                assert_eq!(p.verification_id, first[0].verification_id, "round {round}");
            }
        }
    }
    assert_eq!(b.svc.issuer.store().count("presentations").unwrap(), 15);
    assert_eq!(b.svc.issuer.store().count("verifications").unwrap(), 15 * 8);
}

async fn decisions_sent_at_once_are_recorded_once_and_a_reused_id_conflicts(b: Backend) {
    let clients: Vec<Arc<ServiceClient>> = (0..4).map(|_| Arc::new(b.client())).collect();
    let mut tasks = Vec::new();
    for n in 0..50 {
        let d = decision(
            &format!("lane3-{n:04}"),
            card(T01),
            DecisionKind::Approve,
            Direction::Entry,
        );
        for c in &clients {
            let (c, d) = (c.clone(), d.clone());
            tasks.push(tokio::spawn(async move { c.decide(&d).await }));
        }
    }
    let (mut fresh, mut duplicate) = (0, 0);
    for t in tasks {
        let receipt = t.await.unwrap().expect("no decision fails");
        if receipt.duplicate {
            duplicate += 1;
        } else {
            fresh += 1;
        }
    }
    assert_eq!((fresh, duplicate), (50, 150));
    assert_eq!(b.svc.issuer.store().count("decisions").unwrap(), 50);

    let mut changed = decision(
        "lane3-0007",
        card(T01),
        DecisionKind::Escalate,
        Direction::Entry,
    );
    changed.note = "other".into();
    let err = b.client().decide(&changed).await.unwrap_err();
    assert_eq!(err.problem_code(), Some("decision-conflict"));
}

async fn admin(b: &Backend, card: &str, action: &str, reason: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/v1/admin/cards/{card}/status", b.svc.url))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({"action": action, "reason": reason, "actor": "supervisor-9"}))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn a_revoked_card_shows_revoked_at_the_next_verification(b: Backend) {
    let client = b.client();
    let verify = |lane: &'static str| {
        let client = &client;
        async move {
            let code = client.mint(card(T01)).await.unwrap().qr;
            client
                .verify(&request(&code, lane, "lo-wu", Direction::Entry))
                .await
                .unwrap()
        }
    };
    assert_eq!(verify("1").await.card.status, CardStatus::Active);

    let (status, body) = admin(&b, T01, "suspend", "identity check pending").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "suspended");
    assert_eq!(body["previous"], "active");
    assert_eq!(verify("2").await.card.status, CardStatus::Suspended);

    let (status, body) = admin(&b, T01, "revoke", "reported stolen, case 2291").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(verify("3").await.card.status, CardStatus::Revoked);

    // Asking again changes nothing; revocation is final.
    let (status, body) = admin(&b, T01, "revoke", "again").await;
    assert_eq!((status, &body["changed"]), (200, &json!(false)), "{body}");
    let (status, body) = admin(&b, T01, "reinstate", "found it").await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["code"], "status-change-refused");
    assert!(
        body["detail"].as_str().unwrap().contains("new card"),
        "{body}"
    );

    // Who and when, for each change.
    let report: Value = reqwest::Client::new()
        .get(format!("{}/v1/admin/cards/{T01}", b.svc.url))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(report["status"], "revoked");
    let events = report["events"].as_array().unwrap();
    assert_eq!(events.len(), 2, "{report}");
    assert_eq!(events[1]["action"], "revoke");
    assert_eq!(events[1]["actor"], "supervisor-9");
    assert_eq!(events[1]["reason"], "reported stolen, case 2291");
    assert_eq!(events[1]["via"], "api");
    assert!(
        events[1]["at"].as_str().unwrap().starts_with("20"),
        "{report}"
    );

    // The demo's card list shows it too.
    let cards = client.cards().await.unwrap();
    let t01 = cards.iter().find(|c| c.card == card(T01)).unwrap();
    assert_eq!(t01.status, CardStatus::Revoked);

    let (status, body) = admin(&b, "00000000000000000000000000000000", "revoke", "x").await;
    assert_eq!((status, body["code"].as_str()), (404, Some("unknown-card")));
}

async fn an_approved_exit_spends_a_single_trip_endorsement(b: Backend) {
    let client = b.client();
    let gongbei = Checkpoint::find("gongbei").unwrap();
    let verify = || async {
        let code = client.mint(card(T08)).await.unwrap().qr;
        client
            .verify(&request(&code, "3", "gongbei", Direction::Exit))
            .await
            .unwrap()
    };
    let not_passed = |v: &lanedesk::api::Verification| {
        let lane = LaneContext {
            checkpoint: gongbei,
            direction: Direction::Exit,
            trust_age_secs: Some(0),
        };
        let today = lanedesk::domain::clock::local_date(Utc::now());
        checks::not_passed(&checks::evaluate(
            lane,
            &CodeFacts::Genuine,
            ServiceFacts::Answered(v.record()),
            today,
        ))
    };
    let before = verify().await;
    let endorsement = &before.documents[1].endorsements[0];
    assert_eq!(
        (endorsement.trips_used, endorsement.destination.code()),
        (0, "MO")
    );
    assert!(not_passed(&before).is_empty(), "{:?}", not_passed(&before));

    // An approved entry, a flagged exit and an escalated exit use nothing.
    for (id, kind, direction) in [
        ("e-1", DecisionKind::Approve, Direction::Entry),
        ("e-2", DecisionKind::Flag, Direction::Exit),
        ("e-3", DecisionKind::Escalate, Direction::Exit),
    ] {
        client
            .decide(&decision(id, card(T08), kind, direction))
            .await
            .unwrap();
    }
    assert_eq!(verify().await.documents[1].endorsements[0].trips_used, 0);

    let exit = decision("x-1", card(T08), DecisionKind::Approve, Direction::Exit);
    client.decide(&exit).await.unwrap();
    // Delivered again (an outbox retry): the trip is used once.
    assert!(client.decide(&exit).await.unwrap().duplicate);

    let after = verify().await;
    assert_eq!(after.documents[1].endorsements[0].trips_used, 1);
    let failed = not_passed(&after);
    assert!(
        failed.iter().any(|c| c.starts_with("endorsement:fail")),
        "the lane's check must say the endorsement is spent: {failed:?}"
    );
    // A second approved exit finds no trip to use and changes nothing.
    client
        .decide(&decision(
            "x-2",
            card(T08),
            DecisionKind::Approve,
            Direction::Exit,
        ))
        .await
        .unwrap();
    assert_eq!(verify().await.documents[1].endorsements[0].trips_used, 1);
}

async fn verification_records_older_than_the_retention_period_are_pruned(b: Backend) {
    let client = b.client();
    let verify_one = || async {
        let code = client.mint(card(T01)).await.unwrap().qr;
        client
            .verify(&request(&code, "1", "lo-wu", Direction::Entry))
            .await
            .unwrap()
    };
    let old = verify_one().await;
    b.svc.clock.advance(chrono::Duration::days(60));
    let recent = verify_one().await;
    assert_ne!(old.verification_id, recent.verification_id);
    b.svc.clock.advance(chrono::Duration::days(31));
    // 91 days after the first and 31 after the second: only the first goes (its
    // verification and its first-presentation record).
    assert_eq!(b.svc.issuer.retain_days(), 90);
    assert_eq!(b.svc.issuer.prune().await.unwrap(), 2);
    let store = b.svc.issuer.store();
    assert_eq!(store.count("verifications").unwrap(), 1);
    assert_eq!(store.count("presentations").unwrap(), 1);
    assert_eq!(b.svc.issuer.prune().await.unwrap(), 0);
    // Decisions are never pruned.
    client
        .decide(&decision(
            "d-1",
            card(T01),
            DecisionKind::Approve,
            Direction::Entry,
        ))
        .await
        .unwrap();
    b.svc.clock.advance(chrono::Duration::days(400));
    b.svc.issuer.prune().await.unwrap();
    assert_eq!(store.count("decisions").unwrap(), 1);
    assert_eq!(store.count("verifications").unwrap(), 0);
}

async fn metrics_count_requests_verifications_replays_and_decisions(b: Backend) {
    let client = b.client();
    let code = client.mint(card(T01)).await.unwrap().qr;
    client
        .verify(&request(&code, "1", "lo-wu", Direction::Entry))
        .await
        .unwrap();
    client
        .verify(&request(&code, "2", "lo-wu", Direction::Entry))
        .await
        .unwrap();
    let _ = client
        .verify(&request("EC1:NOPE", "2", "lo-wu", Direction::Entry))
        .await;
    let d = decision("m-1", card(T01), DecisionKind::Approve, Direction::Entry);
    client.decide(&d).await.unwrap();
    client.decide(&d).await.unwrap();

    let response = reqwest::get(format!("{}/metrics", b.svc.url))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain"),
    );
    let text = response.text().await.unwrap();
    for needle in [
        "# TYPE lanedesk_http_requests_total counter",
        "lanedesk_http_requests_total{route=\"/v1/verifications\",method=\"POST\",status=\"200\"} 2",
        "lanedesk_http_requests_total{route=\"/v1/cards/{card}/tokens\",method=\"POST\",status=\"201\"} 1",
        "# TYPE lanedesk_http_request_duration_seconds histogram",
        "lanedesk_http_request_duration_seconds_bucket{route=\"/v1/verifications\",method=\"POST\",le=\"0.05\"}",
        "lanedesk_http_request_duration_seconds_count{route=\"/v1/verifications\",method=\"POST\"} 3",
        "lanedesk_verifications_total{outcome=\"first\",code=\"\"} 1",
        "lanedesk_verifications_total{outcome=\"presented-before\",code=\"\"} 1",
        "lanedesk_verifications_total{outcome=\"refused\",code=\"",
        "lanedesk_replays_caught_total 1",
        "lanedesk_decisions_total{result=\"recorded\",decision=\"approve\"} 1",
        "lanedesk_decisions_total{result=\"duplicate\",decision=\"approve\"} 1",
        "# TYPE lanedesk_db_connections_max gauge",
        "lanedesk_ready 1",
    ] {
        assert!(text.contains(needle), "/metrics lacks {needle:?}:\n{text}");
    }
    assert!(text.contains("lanedesk_db_connections_open"), "{text}");
}

async fn the_admin_api_needs_its_own_token(b: Backend) {
    let http = reqwest::Client::new();
    let url = format!("{}/v1/admin/cards/{T01}/status", b.svc.url);
    let body = json!({"action": "revoke", "reason": "x", "actor": "a"});
    let none = http.post(&url).json(&body).send().await.unwrap();
    assert_eq!(none.status(), 401);
    let lane = http
        .post(&url)
        .bearer_auth(LANE_TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(lane.status(), 401);
    let problem: Value = lane.json().await.unwrap();
    assert_eq!(problem["code"], "admin-token-refused");
    let bad = http
        .post(&url)
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({"action": "shred", "reason": "x", "actor": "a"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    let empty_reason = http
        .post(&url)
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({"action": "revoke", "reason": " ", "actor": "a"}))
        .send()
        .await
        .unwrap();
    assert_eq!(empty_reason.status(), 400);
    assert_eq!(b.svc.issuer.store().count("card_events").unwrap(), 0);
}

#[tokio::test]
async fn without_an_admin_token_the_admin_api_is_off() {
    let svc = common::start(false).await;
    let response = reqwest::Client::new()
        .post(format!("{}/v1/admin/cards/{T01}/status", svc.url))
        .bearer_auth(LANE_TOKEN)
        .json(&json!({"action": "revoke", "reason": "x", "actor": "a"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "admin-off");
    assert!(body["detail"].as_str().unwrap().contains("--admin-token"));
    svc.stop().await;
}
