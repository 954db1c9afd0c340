//! The service as witness of a lane's audit trail: decisions delivered by the real
//! delivery worker carry the chain's head; `lanedesk audit verify DIR --service URL`
//! proves the log still holds what the service saw, and catches a log cut short after it.

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lanedesk::api::DecisionRequest;
use lanedesk::domain::checkpoint::Direction;
use lanedesk::domain::clock::{Clock, SystemClock};
use lanedesk::domain::credential::CardRef;
use lanedesk::domain::decision::DecisionKind;
use lanedesk::edges::audit::recorder::Origin;
use lanedesk::edges::audit::{RecordedDecision, Recorder, delivery};
use tokio::sync::Notify;

fn decision(id: &str, card: CardRef) -> RecordedDecision {
    RecordedDecision {
        request: DecisionRequest {
            decision_id: id.into(),
            verification_id: None,
            card,
            checkpoint: "lo-wu".into(),
            lane: "W1".into(),
            direction: Direction::Entry,
            officer: "O1".into(),
            decision: DecisionKind::Flag,
            reasons: vec![],
            note: String::new(),
            override_reason: None,
            decided_at: chrono::Utc::now(),
            kid: None,
            nonce: None,
            audit_head: None,
        },
        deliver: true,
        not_passed: vec![],
        suggested: None,
        verdict: None,
        clock_offset: None,
    }
}

fn audit_verify(audit: &Path, url: &str, ca: Option<&Path>) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lanedesk"));
    cmd.args(["audit", "verify"]).arg(audit).args([
        "--service",
        url,
        "--lane-token",
        common::LANE_TOKEN,
    ]);
    if let Some(ca) = ca {
        cmd.arg("--ca-cert").arg(ca);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_cut_short_after_the_service_saw_it_is_caught() {
    let svc = common::start(true).await;
    let card = svc.client().cards().await.unwrap()[0].card;
    let state = tempfile::tempdir().unwrap();
    let origin = Origin {
        checkpoint: "lo-wu".into(),
        lane: "W1".into(),
    };
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let recorder = Recorder::open(state.path(), clock.now(), &origin).unwrap();
    let recorder = Arc::new(Mutex::new(recorder));
    for i in 0..3 {
        let d = decision(&format!("w-{i}"), card);
        recorder.lock().unwrap().record(&d, clock.now()).unwrap();
    }
    let client = Arc::new(svc.client());
    let worker = tokio::spawn(delivery::run(
        recorder.clone(),
        move || client.clone(),
        clock.clone(),
        Arc::new(Notify::new()),
        Arc::new(Notify::new()),
        |_| {},
    ));
    for _ in 0..200 {
        if recorder.lock().unwrap().outbox().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    worker.abort();
    assert!(recorder.lock().unwrap().outbox().is_empty(), "delivered");
    drop(recorder);

    let heads = svc.client().audit_heads("lo-wu", "W1").await.unwrap();
    assert_eq!(heads.len(), 3, "one head per delivered decision: {heads:?}");
    let audit = state.path().join("audit");
    let ca = svc.ca_cert.clone();
    let (code, out, err) = audit_verify(&audit, &svc.url, ca.as_deref());
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("3 of 3 witnessed heads of lo-wu/W1"), "{out}");

    // Cut the log back to before the last witnessed head: the chain alone still verifies.
    let file = std::fs::read_dir(&audit)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let text = std::fs::read_to_string(&file).unwrap();
    let last = heads.last().unwrap().sequence as usize;
    let kept: Vec<&str> = text.lines().take(last - 1).collect();
    std::fs::write(&file, kept.join("\n") + "\n").unwrap();
    let alone = Command::new(env!("CARGO_BIN_EXE_lanedesk"))
        .args(["audit", "verify"])
        .arg(&audit)
        .output()
        .unwrap();
    assert!(alone.status.success(), "the chain alone cannot tell");
    let (code, out, err) = audit_verify(&audit, &svc.url, ca.as_deref());
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("no longer holds what the issuance service witnessed")
            && err.contains(&format!("{last}")),
        "{err}"
    );
    svc.stop().await;
}

#[tokio::test]
async fn a_malformed_head_is_refused_before_the_decision_is_recorded() {
    let svc = common::start(false).await;
    let client = svc.client();
    let card = client.cards().await.unwrap()[0].card;
    let mut d = decision("w-bad", card).request;
    d.audit_head = Some(lanedesk::api::AuditHead {
        sequence: 0,
        hash: "zz".into(),
    });
    let err = client.decide(&d).await.unwrap_err();
    assert_eq!(err.problem_code(), Some("bad-request"), "{err}");
    assert!(err.to_string().contains("audit_head"), "{err}");
    assert_eq!(svc.issuer.store().count("decisions").unwrap(), 0);
    svc.stop().await;
}
