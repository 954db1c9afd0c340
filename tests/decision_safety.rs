//! Decision safety, end to end in a pseudo-terminal with the real binary: what must not pass
//! cannot be approved, a code that waits never replaces an undecided traveller, the
//! portrait reaches the terminal in the protocol asked for, and a window too small blocks
//! decisions.

use std::path::Path;
use std::time::Duration;

#[allow(dead_code)]
#[path = "common/pty.rs"]
mod pty;

use pty::Pty;

/// The decisions the demo's audit log holds, as (decision, verdict) pairs.
fn decisions(state: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(state.join("audit")) else {
        return out;
    };
    for entry in entries {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for line in text.lines() {
            let record: serde_json::Value = serde_json::from_str(line).unwrap();
            let event = &record["event"];
            if event["kind"] == "decision" {
                out.push((
                    event["decision"].as_str().unwrap_or("").to_owned(),
                    event["verdict"].as_str().unwrap_or("").to_owned(),
                ));
            }
        }
    }
    out
}

fn demo(dir: &Path, extra: &[&str], size: (u16, u16)) -> Pty {
    let state = dir.join("lane-state");
    let log = dir.join("demo.log");
    let mut args = vec![
        "demo",
        "--log",
        log.to_str().unwrap(),
        "--state",
        state.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    Pty::lanedesk_sized(&args, dir, size)
}

#[test]
fn approving_what_must_not_pass_records_no_approval() {
    let dir = tempfile::tempdir().unwrap();
    let mut term = demo(dir.path(), &[], (160, 45));
    term.wait_for(&["Waiting for a code", "online"], Duration::from_secs(60));
    let refused = "Cannot be approved at first line";
    // A revoked card (T09).
    term.press("9");
    term.wait_for(
        &["HO Ka Ho", "ESCALATE", "e-card revoked"],
        Duration::from_secs(60),
    );
    term.decide("a");
    term.wait_for(&[refused, "e-card status"], Duration::from_secs(10));
    term.decide("e");
    term.wait_for(&["Escalate to second line"], Duration::from_secs(10));
    term.press("\r");
    term.wait_for(&["ESCALATED"], Duration::from_secs(30));
    // A forged code for the same card.
    term.press("x");
    term.wait_for(&["REFUSED", "code not genuine"], Duration::from_secs(60));
    term.decide("a");
    term.wait_for(&[refused, "code signature"], Duration::from_secs(10));
    term.press("c");
    // A watch-list hit (T11, two scenarios on from T09; T10's card was reported lost).
    term.press("n");
    term.wait_for(
        &["ZHOU Min", "e-card reported lost"],
        Duration::from_secs(60),
    );
    term.decide("a");
    term.wait_for(&[refused], Duration::from_secs(10));
    term.press("c");
    term.press("n");
    term.wait_for(
        &["WU Jianguo", "watch-list alert", "ESCALATE"],
        Duration::from_secs(60),
    );
    term.decide("a");
    term.wait_for(&[refused, "watch list"], Duration::from_secs(10));
    term.press("c");
    // The same code again: a replay.
    term.press("r");
    term.wait_for(
        &["REFUSED", "code presented before"],
        Duration::from_secs(60),
    );
    term.decide("a");
    term.wait_for(&[refused], Duration::from_secs(10));
    term.press("q");
    term.press("y");
    assert!(term.wait_exit(Duration::from_secs(30)), "exit status");
    let made = decisions(&dir.path().join("lane-state"));
    assert!(
        made.iter().all(|(d, _)| d != "approve"),
        "an approval was recorded: {made:?}"
    );
    assert_eq!(
        made,
        vec![("escalate".to_owned(), "escalate".to_owned())],
        "the one escalation, with the verdict shown"
    );
}

#[test]
fn a_code_read_while_a_traveller_is_undecided_waits_and_never_replaces_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut term = demo(dir.path(), &[], (160, 45));
    term.wait_for(&["Waiting for a code", "online"], Duration::from_secs(60));
    term.press("1");
    term.wait_for(&["CHAN Chi Ming", "CLEAR"], Duration::from_secs(60));
    // T02 holds up a phone while T01 is still on screen.
    term.press("2");
    term.wait_for(&["1 code waiting"], Duration::from_secs(60));
    std::thread::sleep(Duration::from_secs(3));
    let text = term.text();
    assert!(
        text.contains("CHAN Chi Ming") && !text.contains("SOUSA"),
        "the undecided traveller was replaced:\n{text}"
    );
    // Decided: the confirmation stays, then the next traveller comes.
    term.decide("a");
    term.wait_for(&["APPROVED", "CHAN Chi Ming"], Duration::from_secs(10));
    term.wait_for(&["SOUSA, Ana Maria de"], Duration::from_secs(60));
    term.press("q");
    term.press("y");
    assert!(term.wait_exit(Duration::from_secs(30)), "exit status");
    let made = decisions(&dir.path().join("lane-state"));
    assert_eq!(made, vec![("approve".to_owned(), "clear".to_owned())]);
}

/// The portrait goes to the terminal in the protocol asked for.
fn portrait_on_the_wire(protocol: &str, signature: fn(&[u8]) -> bool) {
    let dir = tempfile::tempdir().unwrap();
    let mut term = demo(dir.path(), &["--graphics", protocol], (160, 45));
    term.wait_for(&["Waiting for a code", "online"], Duration::from_secs(60));
    term.press("1");
    term.wait_for(&["CHAN Chi Ming", "CLEAR"], Duration::from_secs(60));
    std::thread::sleep(Duration::from_millis(1500));
    let raw = term.raw.lock().unwrap().clone();
    assert!(signature(&raw), "no {protocol} image in the output");
    term.press("q");
    term.press("y");
    assert!(term.wait_exit(Duration::from_secs(30)), "exit status");
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn graphics_kitty_puts_the_portrait_on_the_wire_as_kitty_graphics() {
    // Kitty's graphics command: ESC _ G ... a=T (transmit and show) ... f=32 (RGBA).
    portrait_on_the_wire("kitty", |raw| {
        contains(raw, b"\x1b_Gq=2,") && contains(raw, b"a=T,U=1,f=32")
    });
}

#[test]
fn graphics_sixel_puts_the_portrait_on_the_wire_as_sixel() {
    // A sixel picture: ESC P <params> q "<raster> ... ESC \.
    portrait_on_the_wire("sixel", |raw| {
        raw.windows(2).enumerate().any(|(i, w)| {
            w == b"\x1bP"
                && raw[i + 2..]
                    .iter()
                    .take(12)
                    .position(|b| *b == b'q')
                    .is_some_and(|q| {
                        raw[i + 2..i + 2 + q]
                            .iter()
                            .all(|b| b.is_ascii_digit() || *b == b';')
                    })
        })
    });
}

#[test]
fn a_window_too_small_blocks_decisions() {
    let dir = tempfile::tempdir().unwrap();
    let mut term = demo(dir.path(), &[], (60, 20));
    term.wait_for(&["Window too small (60×20)"], Duration::from_secs(60));
    term.press("1");
    std::thread::sleep(Duration::from_secs(5));
    term.decide("a");
    term.decide("f");
    term.press("\r");
    std::thread::sleep(Duration::from_secs(2));
    term.press("q");
    term.press("y");
    assert!(term.wait_exit(Duration::from_secs(30)), "exit status");
    assert_eq!(decisions(&dir.path().join("lane-state")), vec![]);
}
