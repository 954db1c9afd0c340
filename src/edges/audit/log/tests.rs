use super::*;
use serde_json::json;

fn at(day: u32, h: u32) -> DateTime<Utc> {
    chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 6, day, h, 0, 0).unwrap()
}

fn origin() -> Origin {
    Origin {
        checkpoint: "lo-wu".into(),
        lane: "L07".into(),
    }
}

fn open(dir: &Path, now: DateTime<Utc>) -> AuditLog {
    AuditLog::open(dir, now, &origin()).unwrap()
}

#[test]
fn records_chain_from_a_genesis_across_days_and_verify() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), at(15, 1));
    // Record 1 is the genesis, naming the lane.
    assert_eq!(log.head().0, 1);
    let first = std::fs::read_to_string(&files_in(dir.path()).unwrap()[0]).unwrap();
    assert!(first.contains(r#""kind":"genesis""#) && first.contains(r#""lane":"L07""#));
    let id = |n| json!({"kind": "decision", "id": n});
    assert_eq!(log.append(at(15, 1), &id("a")).unwrap(), 2);
    assert_eq!(log.append(at(15, 2), &id("b")).unwrap(), 3);
    // 17:00 UTC is the next day at the control point.
    assert_eq!(log.append(at(15, 17), &id("c")).unwrap(), 4);
    drop(log);
    let files = files_in(dir.path()).unwrap();
    assert_eq!(files.len(), 2);
    assert!(files[1].ends_with("audit-2026-06-16.jsonl"));
    assert_eq!(verify_files(&files), Ok(4));
    // Reopened, the chain goes on (no second genesis).
    let mut log = open(dir.path(), at(16, 3));
    assert_eq!(log.append(at(16, 3), &id("d")).unwrap(), 5);
    assert_eq!(verify_files(&files_in(dir.path()).unwrap()), Ok(5));
    // The first file gone: the chain no longer starts at its genesis.
    std::fs::remove_file(&files[0]).unwrap();
    let broken = verify_files(&files_in(dir.path()).unwrap()).unwrap_err();
    assert!(broken.why.contains("previous"), "{broken}");
}

#[test]
fn an_altered_removed_or_reordered_record_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), at(15, 1));
    for id in ["a", "b", "c", "d"] {
        log.append(
            at(15, 1),
            &json!({"kind": "decision", "id": id, "decision": "approve"}),
        )
        .unwrap();
    }
    drop(log);
    let path = files_in(dir.path()).unwrap().remove(0);
    let original = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = original.lines().collect();
    let cases: Vec<(String, usize, &str)> = vec![
        (
            original.replacen(
                "\"decision\":\"approve\",\"id\":\"b\"",
                "\"decision\":\"flag\",\"id\":\"b\"",
                1,
            ),
            3,
            "altered",
        ),
        (
            [lines[0], lines[1], lines[3], lines[4]].join("\n") + "\n",
            3,
            "previous",
        ),
        (
            [lines[0], lines[2], lines[1], lines[3], lines[4]].join("\n") + "\n",
            2,
            "previous",
        ),
        (
            original.replacen("{\"seq\":3", "{\"seq\":3 ", 1),
            3,
            "altered",
        ),
        // The genesis removed: the chain starts one record late.
        (lines[1..].join("\n") + "\n", 1, "previous"),
    ];
    for (text, line, why) in cases {
        assert_ne!(text, original, "the case must change the file");
        std::fs::write(&path, &text).unwrap();
        let broken = verify_files(std::slice::from_ref(&path)).unwrap_err();
        assert_eq!(broken.line, line, "{broken}");
        assert!(broken.why.contains(why), "{broken}");
    }
}

#[test]
fn a_record_cut_short_by_a_crash_is_removed_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), at(15, 1));
    log.append(at(15, 1), &json!({"kind": "decision", "id": "a"}))
        .unwrap();
    drop(log);
    let path = files_in(dir.path()).unwrap().remove(0);
    let mut f = OpenOptions::new().append(true).open(&path).unwrap();
    f.write_all(b"{\"seq\":3,\"at\":\"2026-06-15T01:00:00Z\",\"prev\":\"ab")
        .unwrap();
    drop(f);
    let mut log = open(dir.path(), at(15, 1));
    assert_eq!(
        log.append(at(15, 1), &json!({"kind": "decision", "id": "b"}))
            .unwrap(),
        3
    );
    assert_eq!(verify_files(&[path]), Ok(3));
}

#[test]
fn a_garbage_or_altered_last_line_is_quarantined_and_the_log_opens() {
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit");
    let mut log = open(&audit, at(15, 1));
    log.append(at(15, 1), &json!({"kind": "decision", "id": "a"}))
        .unwrap();
    drop(log);
    let path = files_in(&audit).unwrap().remove(0);
    let mut f = OpenOptions::new().append(true).open(&path).unwrap();
    f.write_all(b"\x00\x01 garbage the disk kept \xff\n")
        .unwrap();
    drop(f);
    let mut log = open(&audit, at(15, 2));
    // The garbage went to quarantine, and the move is in the chain.
    let moved = std::fs::read_dir(dir.path().join("audit-quarantine"))
        .unwrap()
        .count();
    assert_eq!(moved, 1);
    assert_eq!(log.head().0, 3, "genesis, a, then the quarantine record");
    log.append(at(15, 2), &json!({"kind": "decision", "id": "b"}))
        .unwrap();
    drop(log);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(r#""kind":"quarantined""#), "{text}");
    assert_eq!(verify_files(&files_in(&audit).unwrap()), Ok(4));
}
