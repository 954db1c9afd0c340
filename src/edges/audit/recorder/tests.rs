use super::*;
use crate::domain::checkpoint::Direction;
use crate::domain::credential::CardRef;
use crate::edges::audit::log::verify_files;

fn decision(id: &str, kind: DecisionKind) -> RecordedDecision {
    RecordedDecision {
        request: DecisionRequest {
            decision_id: id.into(),
            verification_id: Some("v1".into()),
            card: CardRef([5; 16]),
            checkpoint: "lo-wu".into(),
            lane: "L1".into(),
            direction: Direction::Exit,
            officer: "O1".into(),
            decision: kind,
            reasons: vec!["watch-list".into()],
            note: "CHAN Tai Man looked nervous, passport H12345678".into(),
            override_reason: None,
            decided_at: chrono::DateTime::from_timestamp(1_780_000_000, 0).unwrap(),
            kid: Some("0102030405060708".parse().unwrap()),
            nonce: Some("aabbccddeeff001122334455".parse().unwrap()),
            audit_head: None,
        },
        deliver: true,
        not_passed: vec!["watch-list:fail".into()],
        suggested: Some("escalate".into()),
        verdict: Some("escalate".into()),
        clock_offset: None,
    }
}

fn origin() -> Origin {
    Origin {
        checkpoint: "lo-wu".into(),
        lane: "L1".into(),
    }
}

fn log_text(dir: &Path) -> String {
    std::fs::read_to_string(&files_in(&dir.join("audit")).unwrap()[0]).unwrap()
}

fn now() -> DateTime<Utc> {
    chrono::DateTime::from_timestamp(1_780_000_000, 0).unwrap()
}

#[test]
fn recording_writes_outbox_log_and_hand_off_without_free_text_in_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = Recorder::open(dir.path(), now(), &origin()).unwrap();
    r.record(&decision("s-1", DecisionKind::Escalate), now())
        .unwrap();
    assert_eq!(r.outbox().pending().unwrap().len(), 1);
    let handoff = std::fs::read_to_string(dir.path().join("handoff/s-1.json")).unwrap();
    assert!(handoff.contains("looked nervous") && handoff.contains("watch-list"));
    let files = files_in(&dir.path().join("audit")).unwrap();
    let log = std::fs::read_to_string(&files[0]).unwrap();
    assert!(
        !log.contains("CHAN") && !log.contains("H12345678") && !log.contains("nervous"),
        "{log}"
    );
    assert!(
        log.contains("\"note_sha256\"") && log.contains("\"handoff\":true"),
        "{log}"
    );
    assert!(
        log.contains(r#""kid":"0102030405060708""#)
            && log.contains(r#""nonce":"aabbccddeeff001122334455""#)
            && log.contains(r#""body_sha256""#),
        "{log}"
    );
    r.delivered("s-1", false, now()).unwrap();
    assert!(r.outbox().is_empty());
    assert_eq!(verify_files(&files), Ok(3), "genesis, decision, delivery");
}

#[test]
fn a_staged_decision_the_log_vouches_for_is_committed_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let d = decision("s-9", DecisionKind::Flag);
    let mut r = Recorder::open(dir.path(), now(), &origin()).unwrap();
    // As if killed after the audit record, before the file joined the queue.
    let sha = r.outbox.stage(&d.request).unwrap();
    r.log.append(now(), &decision_event(&d, Some(sha))).unwrap();
    drop(r);
    let r = Recorder::open(dir.path(), now(), &origin()).unwrap();
    assert_eq!(r.outbox().pending().unwrap().len(), 1);
    assert!(!log_text(dir.path()).contains("set-aside"));
}

#[test]
fn a_staged_decision_the_log_never_recorded_is_set_aside_unconfirmed() {
    let dir = tempfile::tempdir().unwrap();
    let r = Recorder::open(dir.path(), now(), &origin()).unwrap();
    // As if killed between staging and the audit record: never confirmed on screen.
    r.outbox
        .stage(&decision("s-8", DecisionKind::Flag).request)
        .unwrap();
    drop(r);
    let r = Recorder::open(dir.path(), now(), &origin()).unwrap();
    assert!(r.outbox().is_empty());
    assert!(dir.path().join("outbox/unconfirmed/s-8.json").is_file());
    let log = log_text(dir.path());
    assert!(
        log.contains(r#""kind":"set-aside""#) && log.contains(r#""why":"unconfirmed""#),
        "{log}"
    );
}

#[test]
fn a_decision_file_dropped_into_the_outbox_is_set_aside_not_delivered() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = Recorder::open(dir.path(), now(), &origin()).unwrap();
    r.record(&decision("s-1", DecisionKind::Flag), now())
        .unwrap();
    drop(r);
    // Someone drops a decision of their own, and alters the genuine one.
    let forged = serde_json::to_vec(&decision("s-7", DecisionKind::Approve).request).unwrap();
    std::fs::write(dir.path().join("outbox/s-7.json"), forged).unwrap();
    let genuine = dir.path().join("outbox/s-1.json");
    let altered = std::fs::read_to_string(&genuine)
        .unwrap()
        .replace("flag", "approve");
    std::fs::write(&genuine, altered).unwrap();
    let r = Recorder::open(dir.path(), now(), &origin()).unwrap();
    assert!(r.outbox().is_empty(), "nothing unvouched is delivered");
    assert!(dir.path().join("outbox/orphaned/s-7.json").is_file());
    assert!(dir.path().join("outbox/orphaned/s-1.json").is_file());
    let log = log_text(dir.path());
    assert_eq!(log.matches(r#""why":"orphaned""#).count(), 2, "{log}");
}

#[test]
fn state_files_are_for_the_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let mut r = Recorder::open(&state, now(), &origin()).unwrap();
    r.record(&decision("s-3", DecisionKind::Escalate), now())
        .unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    for folder in ["", "audit", "outbox", "handoff"] {
        assert_eq!(mode(&state.join(folder)), 0o700, "{folder}");
    }
    for file in ["outbox/s-3.json", "handoff/s-3.json"] {
        assert_eq!(mode(&state.join(file)), 0o600, "{file}");
    }
    assert_eq!(mode(&files_in(&state.join("audit")).unwrap()[0]), 0o600);
}

#[test]
fn a_refused_decision_is_set_aside_and_logged() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = Recorder::open(dir.path(), now(), &origin()).unwrap();
    r.record(&decision("s-2", DecisionKind::Approve), now())
        .unwrap();
    r.rejected("s-2", "unknown-card", now()).unwrap();
    assert!(r.outbox().is_empty());
    assert!(dir.path().join("outbox/rejected/s-2.json").is_file());
    let log = std::fs::read_to_string(&files_in(&dir.path().join("audit")).unwrap()[0]).unwrap();
    assert!(log.contains("\"kind\":\"rejected\""), "{log}");
}

#[test]
fn an_id_that_cannot_name_a_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = Recorder::open(dir.path(), now(), &origin()).unwrap();
    let err = r
        .record(&decision("../../etc/passwd", DecisionKind::Flag), now())
        .unwrap_err();
    assert!(err.to_string().contains("cannot name a file"), "{err}");
}
