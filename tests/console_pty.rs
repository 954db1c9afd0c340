//! End to end in a pseudo-terminal: the real binary, keys typed, the screen read back.

use std::time::Duration;

#[path = "common/pty.rs"]
mod pty;

#[allow(dead_code)]
#[path = "common/served.rs"]
mod served;

use pty::Pty;

/// `lanedesk demo` starts, a traveller is presented through the simulated camera, the
/// officer approves and quits, and the terminal is given back as it was.
#[test]
fn the_demo_presents_a_traveller_approves_and_gives_the_terminal_back() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("demo.log");
    let mut term = Pty::lanedesk(&["demo", "--log", log.to_str().unwrap()], dir.path());
    term.wait_for(&["Waiting for a code", "online"], Duration::from_secs(60));
    assert!(
        term.parser.lock().unwrap().screen().alternate_screen(),
        "the console draws on the alternate screen"
    );
    // Traveller 1: a Hong Kong resident. The code goes phone → camera → scanner → verifier
    // → loopback service → screen.
    term.press("1");
    term.wait_for(
        &["CHAN Chi Ming", "陳志明", "Home Return Permit", "E-card"],
        Duration::from_secs(60),
    );
    term.decide("a");
    term.wait_for(
        &["APPROVED", "recorded ✓", "sent to the service"],
        Duration::from_secs(30),
    );
    term.press("h");
    term.wait_for(
        &["Recent decisions at this lane", "CHAN Chi Ming"],
        Duration::from_secs(10),
    );
    term.press("\x1b");
    // Apart, so the terminal does not read Esc and Q as Alt-Q.
    std::thread::sleep(Duration::from_millis(300));
    term.press("q");
    assert!(term.wait_exit(Duration::from_secs(30)), "exit status");
    term.assert_restored();
    let log = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        log.contains("demo issuance service started"),
        "the log went elsewhere: {log}"
    );
}

/// `lanedesk lane` against the service as its own process, reading image files: a minted
/// code is read, flagged, recorded in the state folder's audit log, delivered.
#[test]
fn a_lane_reads_image_files_and_records_its_decision() {
    const TOKEN: &str = "pty-lane-token";
    let served = served::serve(env!("CARGO_BIN_EXE_lanedesk"), TOKEN, &[]);
    let dir = tempfile::tempdir().unwrap();
    let frames = dir.path().join("frames");
    std::fs::create_dir_all(&frames).unwrap();
    let png = frames.join("t08.png");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_lanedesk"))
        .args([
            "issuer",
            "mint",
            "--service",
            &served.url,
            "--card",
            "permit-expiring-soon",
            "--png",
        ])
        .arg(&png)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let state = dir.path().join("state-dir");
    let log = dir.path().join("lane.log");
    let mut term = Pty::lanedesk(
        &[
            "lane",
            "--service",
            &served.url,
            "--lane-token",
            TOKEN,
            "--trust-anchor",
            &served.anchor,
            "--checkpoint",
            "futian",
            "--lane",
            "12",
            "--direction",
            "entry",
            "--officer",
            "O7",
            "--lang",
            "zh-Hant",
            "--images",
            frames.to_str().unwrap(),
            "--state",
            state.to_str().unwrap(),
            "--log",
            log.to_str().unwrap(),
        ],
        dir.path(),
    );
    // The permit expires in twenty days: a warning, so the checks suggest a review.
    term.wait_for(
        &["福田", "黃嘉欣", "WONG Ka Yan", "即將到期", "需核查"],
        Duration::from_secs(60),
    );
    term.decide("f");
    term.wait_for(&["標記此旅客"], Duration::from_secs(10));
    term.press("2");
    term.press("\r");
    term.wait_for(&["已標記", "已記錄 ✓"], Duration::from_secs(30));
    term.wait_for(&["已發送至服務"], Duration::from_secs(30));
    term.press("q");
    assert!(term.wait_exit(Duration::from_secs(30)));
    term.assert_restored();
    let audit = std::process::Command::new(env!("CARGO_BIN_EXE_lanedesk"))
        .args(["audit", "verify"])
        .arg(state.join("audit"))
        .output()
        .unwrap();
    assert!(
        audit.status.success(),
        "{}",
        String::from_utf8_lossy(&audit.stderr)
    );
    assert!(
        String::from_utf8_lossy(&audit.stdout).contains("ok: 3 records"),
        "genesis, decision and delivery"
    );
    assert!(
        state.join("trust-list.json").is_file(),
        "the trust list is cached for offline starts"
    );
}

/// `lanedesk train` on screen: steps arrive on the session's clock through the simulated
/// phone, the outage shows, the corrupt frame passes without a decision, and the score
/// card and report come at the end.
#[test]
fn a_training_session_plays_on_screen_and_ends_with_a_score_card() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let log = dir.path().join("train.log");
    let mut term = Pty::lanedesk(
        &[
            "train",
            "tests/sessions/quick.toml",
            "--report",
            report.to_str().unwrap(),
            "--log",
            log.to_str().unwrap(),
        ],
        dir.path(),
    );
    term.wait_for(&["TRAINING 0/4", "CHAN Chi Ming"], Duration::from_secs(60));
    term.decide("a");
    // Step 2 comes with the service down: offline, the watch-list hit cannot show.
    term.wait_for(&["TRAINING 1/4", "OFFLINE"], Duration::from_secs(60));
    term.wait_for(&["Issuance service unavailable"], Duration::from_secs(30));
    term.decide("e");
    term.wait_for(&["Escalate to second line"], Duration::from_secs(10));
    term.press("\r");
    // Step 3 is a corrupt frame (nothing to decide); step 4 a forged code.
    term.wait_for(&["REFUSED", "forged"], Duration::from_secs(60));
    term.decide("e");
    term.wait_for(&["Escalate to second line"], Duration::from_secs(10));
    term.press("\r");
    term.wait_for(&["Score card", "Score 100%"], Duration::from_secs(30));
    term.press("q");
    assert!(term.wait_exit(Duration::from_secs(30)));
    term.assert_restored();
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(report["score"], 1.0, "{report:#}");
    assert_eq!(report["steps"].as_array().unwrap().len(), 4);
}

/// `lanedesk demo --record` saves what happened as a session; `train` replays it, and the
/// decisions the officer made score full marks against it.
#[test]
fn a_recorded_demo_session_replays_and_scores() {
    let dir = tempfile::tempdir().unwrap();
    let recorded = dir.path().join("recorded.toml");
    let log = dir.path().join("demo.log");
    let mut term = Pty::lanedesk(
        &[
            "demo",
            "--record",
            recorded.to_str().unwrap(),
            "--log",
            log.to_str().unwrap(),
        ],
        dir.path(),
    );
    term.wait_for(&["Waiting for a code", "online"], Duration::from_secs(60));
    term.press("3");
    term.wait_for(
        &["李明华", "Names, sex and birth date agree"], // on screen only once read and answered
        Duration::from_secs(60),
    );
    term.decide("a");
    term.wait_for(&["APPROVED"], Duration::from_secs(30));
    term.press("5");
    term.wait_for(&["张伟", "endorsement expired on"], Duration::from_secs(60));
    term.decide("f");
    term.wait_for(&["Flag this traveller"], Duration::from_secs(10));
    // "Document problem" is ticked already: the checks point to it.
    term.press("\r");
    term.wait_for(&["FLAGGED"], Duration::from_secs(30));
    term.press("x");
    term.wait_for(&["REFUSED"], Duration::from_secs(60));
    term.decide("e");
    term.wait_for(&["Escalate to second line"], Duration::from_secs(10));
    term.press("\r");
    term.wait_for(&["ESCALATED"], Duration::from_secs(30));
    term.press("q");
    assert!(term.wait_exit(Duration::from_secs(30)));

    let text = std::fs::read_to_string(&recorded).unwrap();
    assert!(
        text.contains("traveller = \"T03\"\nexpect = \"approve\""),
        "{text}"
    );
    assert!(
        text.contains("traveller = \"T05\"\nexpect = \"flag\"\nreasons = [\"document-problem\"]"),
        "{text}"
    );
    assert!(
        text.contains("code = \"forged\"\ntraveller = \"T05\"\nexpect = \"escalate\""),
        "{text}"
    );
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_lanedesk"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let expected = run(&["train", recorded.to_str().unwrap(), "--expected"]);
    let decisions = dir.path().join("decisions.toml");
    std::fs::write(&decisions, expected).unwrap();
    let report: serde_json::Value = serde_json::from_str(&run(&[
        "train",
        recorded.to_str().unwrap(),
        "--decisions",
        decisions.to_str().unwrap(),
    ]))
    .unwrap();
    assert_eq!(report["score"], 1.0, "{report:#}");
    assert_eq!(report["steps"].as_array().unwrap().len(), 3);
}

/// A keyboard-wedge reader types a whole code and Enter in one burst: it is one code read,
/// and none of its letters (Q quit, H history, L language, A, F, E, C) presses a binding.
/// The same first letters typed at human speed are the officer's keys: `1` presents a
/// traveller.
#[test]
fn a_wedge_burst_is_one_code_and_the_same_keys_typed_slowly_are_commands() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("demo.log");
    let mut term = Pty::lanedesk(&["demo", "--log", log.to_str().unwrap()], dir.path());
    term.wait_for(
        &["Waiting for a code", "online", "Reader demo ●"],
        Duration::from_secs(60),
    );
    // At human speed: E (escalate: nobody to escalate), C (next: nobody), 1 (traveller 1).
    for key in ["E", "C", "1"] {
        term.press(key);
        std::thread::sleep(Duration::from_millis(250));
    }
    term.wait_for(&["CHAN Chi Ming"], Duration::from_secs(60));
    term.decide("a");
    term.wait_for(&["APPROVED", "recorded ✓"], Duration::from_secs(30));
    // A burst: a code that is no genuine one, full of letters bound to commands.
    term.press("EC1:QHL+AFEC+XRN+QQQ\r");
    term.wait_for(&["REFUSED", "not valid base45"], Duration::from_secs(30));
    let screen = term.text();
    assert!(
        !screen.contains("Recent decisions"),
        "H was pressed:\n{screen}"
    );
    assert!(
        !screen.contains("Quit lanedesk"),
        "Q was pressed:\n{screen}"
    );
    assert!(
        screen.contains("Decision"),
        "the language changed:\n{screen}"
    );
    term.press("q");
    std::thread::sleep(Duration::from_millis(300));
    term.press("y");
    assert!(term.wait_exit(Duration::from_secs(30)), "exit status");
}

/// The demo's simulated reader: B sends the code on the phone down a real serial line (a
/// pseudo-terminal the real reader opens); with no code on the phone it says so.
#[test]
fn the_demos_reader_key_sends_the_phones_code_through_the_reader() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("demo.log");
    let mut term = Pty::lanedesk(&["demo", "--log", log.to_str().unwrap()], dir.path());
    term.wait_for(&["online", "Reader demo ●"], Duration::from_secs(60));
    term.press("b");
    term.wait_for(
        &["no code on the phone for the reader"],
        Duration::from_secs(10),
    );
    term.press("x");
    term.wait_for(&["forged code for"], Duration::from_secs(30));
    term.press("b");
    // Whichever reads first presents it; the other's read is the same presentation.
    term.wait_for(&["REFUSED"], Duration::from_secs(30));
    term.press("q");
    std::thread::sleep(Duration::from_millis(300));
    term.press("y");
    assert!(term.wait_exit(Duration::from_secs(30)), "exit status");
}
