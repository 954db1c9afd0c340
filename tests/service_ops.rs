//! Running the service as an operator does: `lanedesk issuer serve` as a real process on
//! a SQLite file, its config file and logs, a second process on the same file, tools
//! beside it, SIGTERM with a request in flight, the load tool, an upgrade from a file an
//! earlier lanedesk made.

mod common;
#[allow(dead_code)]
#[path = "common/served.rs"]
mod served;

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use chrono::Utc;
use common::LANE_TOKEN;
use lanedesk::api::{DecisionRequest, VerificationRequest};
use lanedesk::domain::checkpoint::Direction;
use lanedesk::domain::decision::DecisionKind;
use lanedesk::domain::holder::CardStatus;
use lanedesk::edges::client::{ClientConfig, ServiceClient};
use lanedesk::issuer::{Issuer, IssuerOptions};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_lanedesk");
const T01: &str = "4183a684ec00a4b6014fdd33db35ec40";

fn lanedesk() -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_remove("LANEDESK_LANE_TOKEN")
        .env_remove("LANEDESK_ADMIN_TOKEN");
    cmd
}

fn run(cmd: &mut Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().unwrap();
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

fn client(url: &str) -> ServiceClient {
    ServiceClient::new(&ClientConfig::new(url).lane_token(LANE_TOKEN)).unwrap()
}

fn decision(id: &str) -> DecisionRequest {
    DecisionRequest {
        decision_id: id.to_owned(),
        verification_id: None,
        card: T01.parse().unwrap(),
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

fn serve_args(db: &Path) -> Vec<String> {
    vec![
        "issuer".into(),
        "serve".into(),
        "--demo".into(),
        "--listen".into(),
        "127.0.0.1:0".into(),
        "--lane-token".into(),
        LANE_TOKEN.into(),
        "--fixtures".into(),
        common::fixtures_dir().display().to_string(),
        "--db".into(),
        db.display().to_string(),
    ]
}

#[test]
fn a_second_service_on_the_same_sqlite_file_refuses_to_start_and_says_why() {
    let first = served::serve(BIN, LANE_TOKEN, &[]);
    let (code, _, err) = run(lanedesk().args(serve_args(&first.db)));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is already serving"), "{err}");
    assert!(err.contains(&format!("pid {}", first.pid())), "{err}");
    assert!(err.contains("PostgreSQL"), "{err}");
    // The first one is untouched.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        assert_eq!(client(&first.url).health().await.unwrap().status, "ok");
    });
}

#[tokio::test]
async fn a_second_issuer_in_the_same_process_refuses_the_file_too() {
    let svc = common::start(false).await;
    let options = IssuerOptions::new(svc.db(), common::fixtures_dir(), LANE_TOKEN);
    let clock = std::sync::Arc::new(lanedesk::domain::clock::SystemClock);
    let err = Issuer::open(&options, clock).await.err().unwrap();
    assert!(err.to_string().contains("is already serving"), "{err}");
    svc.stop().await;
}

#[test]
fn the_cards_command_changes_a_card_beside_a_running_sqlite_service() {
    let served = served::serve(BIN, LANE_TOKEN, &[]);
    let db = served.db.display().to_string();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let status = || {
        rt.block_on(async {
            let c = client(&served.url);
            let code = c.mint(T01.parse().unwrap()).await.unwrap().qr;
            c.verify(&VerificationRequest {
                token: code,
                checkpoint: "lo-wu".into(),
                lane: "7".into(),
                direction: Direction::Entry,
                officer: "o".into(),
            })
            .await
            .unwrap()
            .card
            .status
        })
    };
    assert_eq!(status(), CardStatus::Active);
    let (code, out, err) = run(lanedesk().args([
        "issuer",
        "cards",
        "suspend",
        "--db",
        &db,
        "--card",
        "hk-resident",
        "--reason",
        "identity check pending",
        "--by",
        "clerk-4",
    ]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("T01 CHAN Chi Ming"), "{out}");
    assert!(
        out.contains("active -> suspended, by clerk-4 at 20"),
        "{out}"
    );
    assert_eq!(status(), CardStatus::Suspended);

    let (code, out, _) = run(lanedesk().args([
        "issuer", "cards", "suspend", "--db", &db, "--card", T01, "--reason", "again",
    ]));
    assert_eq!(code, 0);
    assert!(out.contains("already suspended; nothing changed"), "{out}");

    let (code, _, err) = run(lanedesk().args([
        "issuer",
        "cards",
        "reinstate",
        "--db",
        &db,
        "--card",
        "T01",
        "--reason",
        "cleared",
    ]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(status(), CardStatus::Active);

    let (code, _, err) = run(lanedesk().args([
        "issuer", "cards", "revoke", "--db", &db, "--card", "nobody", "--reason", "x",
    ]));
    assert_eq!(code, 2);
    assert!(err.contains("no card \"nobody\""), "{err}");

    let missing = served.db.with_file_name("missing.sqlite");
    let (code, _, err) = run(lanedesk()
        .args([
            "issuer", "cards", "revoke", "--card", "T01", "--reason", "x", "--db",
        ])
        .arg(&missing));
    assert_eq!(code, 2);
    assert!(err.contains("there is no issuer database at"), "{err}");
    assert!(!missing.exists(), "a tool must not create a database");

    let (code, _, err) = run(lanedesk().args([
        "issuer", "cards", "revoke", "--db", &db, "--card", "T01", "--reason", " ",
    ]));
    assert_eq!(code, 2);
    assert!(err.contains("--reason"), "{err}");
}

#[test]
fn sigterm_lets_a_decision_in_flight_finish_then_the_service_exits_0() {
    let mut served = served::serve(BIN, LANE_TOKEN, &[]);
    // Hold the database's write lock from outside, so the decision waits in the service
    // (its writer waits with a busy timeout) while we ask the service to stop.
    let blocker = rusqlite::Connection::open(&served.db).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let url = served.url.clone();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let in_flight = rt.spawn(async move { client(&url).decide(&decision("in-flight-1")).await });
    std::thread::sleep(Duration::from_millis(300));
    let _ = Command::new("kill")
        .args(["-TERM", &served.pid().to_string()])
        .status();
    std::thread::sleep(Duration::from_millis(500));
    blocker.execute_batch("COMMIT").unwrap();
    let receipt = rt
        .block_on(in_flight)
        .unwrap()
        .expect("the request in flight is answered");
    assert!(!receipt.duplicate);
    let status = served.terminate();
    assert!(status.success(), "{status:?}");
    let log = served.log.lock().unwrap().join("\n");
    assert!(
        log.contains("stopping after the requests in flight"),
        "{log}"
    );
    let stored: i64 = blocker
        .query_row(
            "SELECT COUNT(*) FROM decisions WHERE decision_id = 'in-flight-1'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stored, 1);
}

#[test]
fn a_config_file_takes_the_flags_keys_and_its_mistakes_name_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("issuer.toml");
    std::fs::write(
        &bad,
        "listen = \"127.0.0.1:0\"\nlane-token = \"t\"\nretain_days = 30\n",
    )
    .unwrap();
    let (code, _, err) = run(lanedesk().args(["issuer", "serve", "--config"]).arg(&bad));
    assert_eq!(code, 2);
    assert!(err.contains("issuer.toml line 3:"), "{err}");
    assert!(err.contains("retain_days"), "{err}");

    std::fs::write(&bad, "listen = \"127.0.0.1:0\"\nlane-token = [1, 2\n").unwrap();
    let (code, _, err) = run(lanedesk().args(["issuer", "serve", "--config"]).arg(&bad));
    assert_eq!(code, 2);
    assert!(err.contains("line 2"), "{err}");

    let (code, _, err) = run(lanedesk().args(["issuer", "serve", "--config", "/nonexistent.toml"]));
    assert_eq!(code, 2);
    assert!(
        err.contains("cannot read the service configuration /nonexistent.toml"),
        "{err}"
    );

    // A good file: relative paths are the file's; the flags' names; a flag wins.
    let good = dir.path().join("good.toml");
    std::fs::write(
        &good,
        format!(
            "listen = \"127.0.0.1:1\"\ndb = \"issuer.sqlite\"\nlane-token = \"{LANE_TOKEN}\"\n\
             fixtures = \"{}\"\nretain-days = 30\nlog-format = \"json\"\nadmin-token = \"adm\"\n",
            common::fixtures_dir().display()
        ),
    )
    .unwrap();
    let served = served::serve_with_env(
        BIN,
        LANE_TOKEN,
        Some(&dir.path().join("issuer.sqlite").display().to_string()),
        &["--config", good.to_str().unwrap()],
        &[("LANEDESK_LOG", "info")],
    );
    assert!(dir.path().join("issuer.sqlite").exists());
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let ready: Value = reqwest::get(format!("{}/v1/ready", served.url))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(ready["database"], "sqlite");
        // admin-token came from the file: the admin API is on.
        let response = reqwest::Client::new()
            .get(format!("{}/v1/admin/cards/{T01}", served.url))
            .bearer_auth("adm")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    });
    // log-format = "json" came from the file: the log lines are JSON objects.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let lines = served.log.lock().unwrap().clone();
        if let Some(line) = lines.iter().find(|l| l.contains("\"serving\"")) {
            let event: Value = serde_json::from_str(line).unwrap();
            assert_eq!(event["message"], "serving");
            assert_eq!(event["url"], served.url.as_str());
            assert_eq!(event["retain_days"], 30);
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no JSON log line: {lines:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_load_tool_plays_lanes_against_two_urls_and_prints_one_json_line() {
    let served = served::serve(BIN, LANE_TOKEN, &[]);
    let urls = format!("{},{}", served.url, served.url);
    let (code, out, err) = run(lanedesk().args([
        "issuer",
        "load",
        "--service",
        &urls,
        "--lane-token",
        LANE_TOKEN,
        "--lanes",
        "4",
        "--seconds",
        "1",
    ]));
    assert_eq!(code, 0, "{out}{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 1, "{out}");
    let report: Value = serde_json::from_str(lines[0]).unwrap();
    for key in [
        "lanes",
        "verifications",
        "per_second",
        "p50_ms",
        "p99_ms",
        "errors",
        "false_replays",
    ] {
        assert!(report.get(key).is_some(), "{key} missing: {report}");
    }
    assert_eq!(report["lanes"], 4);
    assert_eq!(report["instances"], 2);
    assert_eq!(report["errors"], 0, "{report}");
    assert_eq!(report["false_replays"], 0, "{report}");
    assert!(report["verifications"].as_u64().unwrap() > 0, "{report}");
    assert_eq!(report["decisions"], report["verifications"], "{report}");

    // A service that cannot be reached: exit 2 and a sentence.
    let (code, _, err) = run(lanedesk().args([
        "issuer",
        "load",
        "--service",
        "http://127.0.0.1:9",
        "--lane-token",
        "t",
        "--seconds",
        "1",
    ]));
    assert_eq!(code, 2);
    assert!(err.contains("cannot list the cards"), "{err}");
    assert!(err.contains("demo mode"), "{err}");
}

#[tokio::test]
async fn readiness_fails_when_the_sqlite_file_is_removed() {
    let svc = common::start(false).await;
    let http = reqwest::Client::new();
    let ready = http
        .get(format!("{}/v1/ready", svc.url))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    std::fs::remove_file(svc.db()).unwrap();
    let ready = http
        .get(format!("{}/v1/ready", svc.url))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 503);
    let body: Value = ready.json().await.unwrap();
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("removed or replaced"),
        "{body}"
    );
    let health = http
        .get(format!("{}/v1/health", svc.url))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    svc.stop().await;
}

#[tokio::test]
async fn a_file_from_an_earlier_lanedesk_is_upgraded_in_place() {
    // What `issuer serve` wrote before versioned migrations: travellers kept whole as
    // JSON, verifications without a first-presentation table, decisions.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite");
    let today = Utc::now().date_naive();
    let fixtures = lanedesk::fixtures::load(&common::fixtures_dir(), today).unwrap();
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
             CREATE TABLE keys (kid BLOB PRIMARY KEY, issuer TEXT NOT NULL, secret BLOB NOT NULL,
                 valid_from INTEGER NOT NULL, valid_until INTEGER NOT NULL, status TEXT NOT NULL);
             CREATE TABLE travellers (id TEXT PRIMARY KEY, card BLOB NOT NULL UNIQUE,
                 record TEXT NOT NULL, portrait BLOB NOT NULL);
             CREATE TABLE verifications (id TEXT PRIMARY KEY, nonce BLOB NOT NULL, card BLOB NOT NULL,
                 checkpoint TEXT NOT NULL, lane TEXT NOT NULL, direction TEXT NOT NULL,
                 officer TEXT NOT NULL, at INTEGER NOT NULL);
             CREATE INDEX verifications_by_nonce ON verifications (nonce, at);
             CREATE TABLE decisions (decision_id TEXT PRIMARY KEY, body TEXT NOT NULL,
                 received_at INTEGER NOT NULL);",
        )
        .unwrap();
        let t = &fixtures[0];
        let mut record = lanedesk::issuer::TravellerRecord::from_fixture(t);
        record.card_status = CardStatus::Suspended;
        c.execute(
            "INSERT INTO travellers VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![
                t.holder.id,
                t.card.0.to_vec(),
                serde_json::to_string(&record).unwrap(),
                t.portrait
            ],
        )
        .unwrap();
        let now = Utc::now().timestamp_millis();
        for (id, at) in [("v-old-2", now - 1000), ("v-old-1", now - 2000)] {
            c.execute(
                "INSERT INTO verifications VALUES (?1, ?2, ?3, 'lo-wu', '7', 'entry', 'o', ?4)",
                rusqlite::params![id, vec![7u8; 12], t.card.0.to_vec(), at],
            )
            .unwrap();
        }
    }
    let options = IssuerOptions::new(&path, common::fixtures_dir(), LANE_TOKEN);
    let clock = std::sync::Arc::new(lanedesk::domain::clock::SystemClock);
    let issuer = Issuer::open(&options, clock).await.unwrap();
    let store = issuer.store();
    // The old traveller kept its state; the others were seeded beside it.
    let first = issuer.record(&fixtures[0].card).unwrap();
    assert_eq!(first.card_status, CardStatus::Suspended);
    assert_eq!(first.documents, fixtures[0].documents);
    assert_eq!(store.count("travellers").unwrap(), fixtures.len() as i64);
    // The earliest of the old verifications is the code's first presentation.
    assert_eq!(store.count("presentations").unwrap(), 1);
    let c = rusqlite::Connection::open(&path).unwrap();
    let first_id: String = c
        .query_row("SELECT verification_id FROM presentations", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(first_id, "v-old-1");
    let versions: Vec<i64> = c
        .prepare("SELECT version FROM schema_migrations ORDER BY version")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(versions, vec![1, 2, 3, 4]);
    issuer.close().await;

    // Opened again: nothing to migrate, nothing duplicated.
    let clock = std::sync::Arc::new(lanedesk::domain::clock::SystemClock);
    let again = Issuer::open(&options, clock).await.unwrap();
    assert_eq!(again.store().count("keys").unwrap(), 2);
    again.close().await;
}

#[test]
fn a_database_from_a_newer_lanedesk_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.sqlite");
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,
             applied_at INTEGER NOT NULL);
         INSERT INTO schema_migrations VALUES (99, 'from the future', 0);",
    )
    .unwrap();
    let (code, _, err) = run(lanedesk().args(serve_args(&path)));
    assert_eq!(code, 2);
    assert!(err.contains("schema is at version 99"), "{err}");
    assert!(err.contains("newer lanedesk"), "{err}");
}

#[tokio::test]
async fn a_service_prunes_old_verification_records_when_it_starts() {
    let svc = common::start(false).await;
    let client = svc.client();
    let code = client.mint(T01.parse().unwrap()).await.unwrap().qr;
    client
        .verify(&VerificationRequest {
            token: code,
            checkpoint: "lo-wu".into(),
            lane: "7".into(),
            direction: Direction::Entry,
            officer: "o".into(),
        })
        .await
        .unwrap();
    assert_eq!(svc.issuer.store().count("verifications").unwrap(), 1);
    let db = svc.db();
    let clock = svc.clock.clone();
    let common::TestService {
        service,
        issuer,
        dir,
        ..
    } = svc;
    service.unwrap().stop().await;
    drop(issuer);

    // 91 days later the service starts again on the same file; its pruner runs at once.
    clock.advance(chrono::Duration::days(91));
    let setup = lanedesk::app::service::ServiceSetup::new(
        &common::fixtures_dir(),
        std::sync::Arc::new(clock),
        LANE_TOKEN,
    )
    .db(&db);
    let again = lanedesk::app::service::InProcessService::start(setup)
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while again.issuer.store().count("verifications").unwrap() > 0 {
        assert!(std::time::Instant::now() < deadline, "not pruned");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(again.issuer.store().count("presentations").unwrap(), 0);
    // The count follows the delete's commit by a moment.
    loop {
        let metrics = reqwest::get(format!("{}/metrics", again.url))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if metrics.contains("lanedesk_verifications_pruned_total 2") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{metrics}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    again.stop().await;
    drop(dir);
}
