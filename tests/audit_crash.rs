//! The audit trail survives SIGKILL at any instant: a process records a stream of decisions
//! (printing `confirmed ID` once each is fsynced) while its outbox delivers them to the real
//! service; it is killed at random moments, many times. After each restart the chain
//! verifies and every confirmed decision is in the log; at the end the service has each
//! decision exactly once, and nothing the log does not have.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[allow(dead_code)]
#[path = "common/served.rs"]
mod served;

const TOKEN: &str = "crash-test-token";
const RUNS: usize = 12;

fn lanedesk() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lanedesk"));
    cmd.env("LANEDESK_LOG", "warn")
        .env_remove("LANEDESK_LANE_TOKEN");
    cmd
}

fn stress(state: &Path, url: &str, run: &str, count: usize) -> Command {
    let mut cmd = lanedesk();
    cmd.args(["audit", "stress", "--state"]).arg(state).args([
        "--service",
        url,
        "--lane-token",
        TOKEN,
        "--run",
        run,
        "--count",
        &count.to_string(),
    ]);
    cmd
}

/// Decision ids the audit log records as decisions.
fn logged(state: &Path) -> Vec<String> {
    let mut ids = Vec::new();
    for entry in std::fs::read_dir(state.join("audit")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            if v["event"]["kind"] == "decision" {
                ids.push(v["event"]["decision_id"].as_str().unwrap().to_owned());
            }
        }
    }
    ids
}

fn verify_chain(state: &Path) {
    let out = lanedesk()
        .args(["audit", "verify"])
        .arg(state.join("audit"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A small deterministic generator: the kill moments vary, and a failure can be replayed.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

#[test]
fn killed_at_random_it_loses_no_confirmed_decision_and_delivers_each_once() {
    let served = served::serve(env!("CARGO_BIN_EXE_lanedesk"), TOKEN, &[]);
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let mut confirmed: HashSet<String> = HashSet::new();
    let mut rng = Lcg(0x1a2b_3c4d);
    for run in 0..RUNS {
        let mut child = stress(&state, &served.url, &format!("r{run:02}"), 1_000_000)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .filter_map(|l| l.strip_prefix("confirmed ").map(str::to_owned))
                .collect::<Vec<_>>()
        });
        std::thread::sleep(Duration::from_millis(150 + rng.next(500)));
        child.kill().unwrap(); // SIGKILL: no destructor, no flush, no goodbye.
        child.wait().unwrap();
        let this_run = reader.join().unwrap();
        assert!(
            !this_run.is_empty() || run > 0,
            "the first run confirmed nothing in time"
        );
        confirmed.extend(this_run);

        // Restart (repairing a record the kill cut short), then check.
        let status = stress(&state, &served.url, &format!("r{run:02}-restart"), 0)
            .status()
            .unwrap();
        assert!(status.success());
        verify_chain(&state);
        let in_log: HashSet<String> = logged(&state).into_iter().collect();
        let missing: Vec<_> = confirmed.difference(&in_log).collect();
        assert!(
            missing.is_empty(),
            "run {run}: confirmed but not in the audit log: {missing:?}"
        );
    }
    assert!(
        confirmed.len() > RUNS,
        "too few decisions to mean anything: {}",
        confirmed.len()
    );

    // Let the outbox finish.
    let mut drain = stress(&state, &served.url, "final", 0)
        .arg("--drain")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while drain.try_wait().unwrap().is_none() {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the outbox did not drain"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    verify_chain(&state);
    let outbox_left = std::fs::read_dir(state.join("outbox"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "json")
        })
        .count();
    assert_eq!(outbox_left, 0);

    let logged = logged(&state);
    let unique: HashSet<&String> = logged.iter().collect();
    assert_eq!(unique.len(), logged.len(), "a decision was logged twice");
    let conn = rusqlite::Connection::open(&served.db).unwrap();
    let mut stmt = conn.prepare("SELECT decision_id FROM decisions").unwrap();
    let at_service: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let service_set: HashSet<&String> = at_service.iter().collect();
    assert_eq!(service_set.len(), at_service.len());
    assert_eq!(
        service_set, unique,
        "the service and the audit log disagree"
    );
    for id in &confirmed {
        assert!(
            service_set.contains(id),
            "{id} was confirmed but never reached the service"
        );
    }
    eprintln!(
        "{} decisions confirmed over {RUNS} kills; {} logged and delivered once each",
        confirmed.len(),
        logged.len()
    );
}
