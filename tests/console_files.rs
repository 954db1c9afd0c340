//! Theme, keymap and lane configuration files: every shipped file loads, every broken one
//! gets its own message with the file and line; and the commands that check them.

use std::path::Path;
use std::process::Command;

use lanedesk::app::config::LaneConfig;
use lanedesk::console::keymap::Keymap;
use lanedesk::console::theme::Theme;

fn lanedesk() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lanedesk"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd.env("HOME", std::env::temp_dir().join("lanedesk-no-home"));
    cmd.env_remove("XDG_CONFIG_HOME");
    cmd
}

#[test]
fn every_file_in_themes_loads() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("themes");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        Theme::load(&path).unwrap_or_else(|e| panic!("{e}"));
        count += 1;
    }
    assert!(
        count >= 4,
        "dark, light, high contrast and colour-blind-safe at least"
    );
}

#[test]
fn each_invalid_theme_gives_its_own_message_with_the_line() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/themes-invalid");
    let mut messages = std::collections::HashSet::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let expect = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect: "))
            .expect("an `# expect:` first line");
        let err = Theme::load(&path)
            .expect_err("an invalid theme is refused")
            .to_string();
        let shown = err.replace(&format!("{}/", dir.display()), "");
        assert!(
            shown.starts_with(expect),
            "{}:\n  expected {expect:?}\n  got      {shown:?}",
            path.display()
        );
        assert!(messages.insert(shown), "two samples give the same message");
    }
    assert!(messages.len() >= 5);
}

#[test]
fn themes_check_reports_ok_or_the_line_and_exits_accordingly() {
    let ok = lanedesk().args(["themes", "check"]).output().unwrap();
    assert!(ok.status.success());
    let out = String::from_utf8_lossy(&ok.stdout);
    for name in ["dark", "light", "high-contrast", "colour-blind-safe"] {
        assert!(out.contains(&format!("ok: {name}")), "{out}");
    }
    let bad = lanedesk()
        .args(["themes", "check", "fixtures/themes-invalid/bad-colour.toml"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("fixtures/themes-invalid/bad-colour.toml:6: role \"fail\""),
        "{err}"
    );
}

#[test]
fn a_keymap_file_with_a_duplicate_names_both_actions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.toml");
    std::fs::write(
        &path,
        "# my keys\napprove = \"enter\"\nescalate = [\"x\", \"f\"]\n",
    )
    .unwrap();
    let err = Keymap::load(&path).unwrap_err().to_string();
    assert!(err.ends_with("keys.toml:3: key F is bound to both `flag` and `escalate`: give one of them another key")
        || err.ends_with("keys.toml:3: key F is bound to both `escalate` and `flag`: give one of them another key"), "{err}");
}

#[test]
fn a_keymap_cannot_leave_an_officer_without_approve_flag_escalate_clear_or_quit() {
    for action in ["approve", "flag", "escalate", "clear", "quit"] {
        let text = format!("# my keys\nhelp = \"f1\"\n{action} = []\n");
        let err = Keymap::parse(&text, "keys.toml").unwrap_err().to_string();
        assert!(
            err.starts_with(&format!("keys.toml:3: `{action}` is left without a key")),
            "{err}"
        );
    }
    // Other actions may go without a key.
    assert!(Keymap::parse("history = []\n", "keys.toml").is_ok());
}

const GOOD_CONFIG: &str = r#"
service = "https://issuer.example:8443"
checkpoint = "futian"
lane = "12"
direction = "entry"
officer = "O1234"
theme = "high-contrast"
language = "zh-Hant"

[camera]
index = 0
width = 1280
height = 720
fps = 15
"#;

#[test]
fn a_lane_configuration_loads_and_mistakes_name_the_line() {
    let config = LaneConfig::parse(GOOD_CONFIG, "lane.toml").unwrap();
    for fine in [
        "http://127.0.0.1:8443",
        "http://localhost:1",
        "http://[::1]:8443",
        "https://issuer.example",
    ] {
        let text = format!("service = \"{fine}\"\n");
        assert!(LaneConfig::parse(&text, "lane.toml").is_ok(), "{fine}");
    }
    assert_eq!(config.checkpoint.as_deref(), Some("futian"));
    assert_eq!(config.camera.width, Some(1280));
    let cases = [
        (
            "checkpoint = \"heathrow\"\n",
            1,
            "unknown checkpoint \"heathrow\"",
        ),
        ("\ndirection = \"sideways\"\n", 2, "unknown direction"),
        ("language = \"fr\"\n", 1, "unknown language"),
        ("service = \"ftp://x\"\n", 1, "must be an https:// address"),
        // Plain HTTP would carry the lane token in clear: only to this machine.
        (
            "service = \"http://10.20.30.40:8443\"\n",
            1,
            "allowed only to this machine",
        ),
        ("lane = \"\"\n", 1, "lane label is empty"),
        (
            "lane = \"0123456789012345678901234567890123456789012\"\n",
            1,
            "is 43 characters long",
        ),
        ("lane = \"L\\u001b[2J\"\n", 1, "control characters"),
        ("theme = \"neon\"\n", 1, "unknown theme \"neon\""),
        ("lane = 12\n", 1, "invalid type"),
        ("officr = \"O1\"\n", 1, "unknown field `officr`"),
        ("[camera]\nfps = 0\n", 2, "at least 1"),
        ("[camera]\nindex = 1\nimages = \"frames\"\n", 3, "not both"),
    ];
    for (text, line, needle) in cases {
        let err = LaneConfig::parse(text, "lane.toml").unwrap_err();
        assert_eq!(err.line, line, "{text:?}: {err}");
        assert!(err.to_string().contains(needle), "{text:?}: {err}");
    }
}

#[test]
fn config_check_reports_ok_or_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("lane.toml");
    // A finished lane's file: its trust anchor, and image files where this build may have
    // no camera.
    let finished = GOOD_CONFIG
        .replace(
            "[camera]",
            "trust-anchor = \"ed25519:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"\n\n[camera]",
        )
        .replace(
            "index = 0\nwidth = 1280\nheight = 720\nfps = 15\n",
            "images = \"frames\"\n",
        );
    std::fs::write(&good, finished).unwrap();
    let out = lanedesk()
        .args(["config", "check"])
        .arg(&good)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("note: no `lane-token` set"));
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "lane = \"1\"\ncheckpoint = \"atlantis\"\n").unwrap();
    let out = lanedesk()
        .args(["config", "check"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.toml:2: unknown checkpoint \"atlantis\""),
        "{err}"
    );
}

#[test]
fn the_console_commands_say_clearly_when_there_is_no_terminal() {
    for args in [
        &["demo"][..],
        &[
            "lane",
            "--service",
            "http://127.0.0.1:9",
            "--trust-anchor",
            "ed25519:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "--lane-token",
            "t",
            "--checkpoint",
            "lo-wu",
            "--lane",
            "1",
            "--direction",
            "entry",
            "--officer",
            "o",
            "--images",
            "fixtures/frames",
        ][..],
    ] {
        let out = lanedesk()
            .args(args)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("draws on a terminal"), "{err}");
    }
}

#[test]
fn lane_without_settings_names_what_is_missing() {
    let out = lanedesk()
        .args(["lane", "--service", "http://127.0.0.1:9"])
        .env_remove("LANEDESK_LANE_TOKEN")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no lane token: pass --lane-token"), "{err}");
}

#[test]
fn a_broken_script_is_refused_before_the_screen_is_taken() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("demo.txt");
    std::fs::write(&script, "wait 1\npress 1\njump\n").unwrap();
    let out = lanedesk()
        .args(["demo", "--script"])
        .arg(&script)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("demo.txt:3: unknown step \"jump\""), "{err}");
}
