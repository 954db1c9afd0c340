//! The `lanedesk` binary as a user runs it: `issuer serve` as a real process, `issuer mint`
//! and `verify` against it, their JSON, their exit statuses and their messages.

use std::path::Path;
use std::process::{Command, Output};

const LANE_TOKEN: &str = "cli-test-token";

fn lanedesk() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lanedesk"));
    cmd.env_remove("LANEDESK_LANE_TOKEN");
    cmd
}

#[allow(dead_code)]
#[path = "common/served.rs"]
mod served;

mod common;

use served::Served;

fn serve(extra: &[&str]) -> Served {
    served::serve(env!("CARGO_BIN_EXE_lanedesk"), LANE_TOKEN, extra)
}

/// `lanedesk verify` against `url` at Gongbei or Lo Wu, entering; callers add the rest.
fn verify_cmd(url: &str, anchor: &str, token: &str, checkpoint: &str) -> Command {
    let mut cmd = lanedesk();
    cmd.args([
        "verify",
        "--trust-anchor",
        anchor,
        "--service",
        url,
        "--lane-token",
        token,
        "--checkpoint",
        checkpoint,
        "--direction",
        "entry",
    ]);
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
        String::from_utf8(stdout).unwrap(),
        String::from_utf8(stderr).unwrap(),
    )
}

fn mint(url: &str, card: &str) -> String {
    let (code, out, err) =
        run(lanedesk().args(["issuer", "mint", "--service", url, "--card", card]));
    assert_eq!(code, 0, "{err}");
    out.trim().to_owned()
}

fn verify(served: &Served, text: &str, lane: &str) -> (i32, serde_json::Value) {
    verify_at(&served.url, &served.anchor, text, lane)
}

fn verify_at(url: &str, anchor: &str, text: &str, lane: &str) -> (i32, serde_json::Value) {
    let (code, out, err) =
        run(verify_cmd(url, anchor, LANE_TOKEN, "lo-wu").args(["--lane", lane, text]));
    let json = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out:?} {err}"));
    (code, json)
}

#[test]
fn mint_then_verify_accepts_and_prints_holder_and_documents() {
    let served = serve(&[]);
    let text = mint(&served.url, "T01");
    assert!(text.starts_with("EC1:"), "{text}");
    let (code, json) = verify(&served, &text, "7");
    assert_eq!(code, 0, "{json}");
    assert_eq!(json["accepted"], true);
    assert_eq!(json["holder"]["name_latin"], "CHAN Chi Ming");
    assert_eq!(json["documents"][0]["kind"], "home-return-permit");
    assert_eq!(json["suggested"], "approve", "{json}");
    let checks = json["checks"].as_array().unwrap();
    assert!(checks.iter().all(|c| c["outcome"] == "pass"), "{json}");
    assert!(
        checks
            .iter()
            .any(|c| c["id"] == "card-active" && !c["sentence"].as_str().unwrap().is_empty())
    );

    // The same code again, at another lane: refused as a replay, saying where it was first seen.
    let (code, json) = verify(&served, &text, "8");
    assert_eq!(code, 1, "{json}");
    assert_eq!(json["accepted"], false);
    assert_eq!(json["reason_code"], "replayed");
    assert_eq!(json["suggested"], "escalate", "{json}");
    assert!(
        json["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == "code-not-replayed" && c["outcome"] == "fail")
    );
    assert!(
        json["reason"].as_str().unwrap().contains("lo-wu lane 7"),
        "{json}"
    );
}

#[test]
fn cards_are_found_by_scenario_and_a_revoked_card_is_refused() {
    let served = serve(&[]);
    let text = mint(&served.url, "card-revoked");
    let (code, json) = verify(&served, &text, "7");
    assert_eq!(code, 1);
    assert_eq!(json["reason_code"], "card-revoked");
    assert_eq!(json["holder"]["id"], "T09");
    assert_eq!(json["suggested"], "escalate", "{json}");

    // The checks know the direction: a Macau endorsement does not open the Hong Kong side,
    // and the sentences come in the language asked for.
    let text = mint(&served.url, "mainland-macau-endorsement");
    let (code, out, err) = run(lanedesk().args([
        "verify",
        "--trust-anchor",
        &served.anchor,
        "--service",
        &served.url,
        "--lane-token",
        LANE_TOKEN,
        "--checkpoint",
        "lo-wu",
        "--direction",
        "exit",
        "--lang",
        "zh-Hant",
        &text,
    ]));
    assert_eq!(code, 0, "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["suggested"], "review", "{json}");
    let endorsement = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "endorsement")
        .unwrap()
        .clone();
    assert_eq!(endorsement["outcome"], "fail");
    assert!(
        endorsement["sentence"].as_str().unwrap().contains("簽注"),
        "{endorsement}"
    );

    let (code, _, err) = run(lanedesk().args([
        "issuer",
        "mint",
        "--service",
        &served.url,
        "--card",
        "nobody",
    ]));
    assert_eq!(code, 2);
    assert!(err.contains("no card \"nobody\""), "{err}");
    assert!(err.contains("T01 (hk-resident)"), "{err}");
}

#[test]
fn a_forged_or_garbled_code_is_refused_with_a_reason() {
    let served = serve(&[]);
    let text = mint(&served.url, "T03");
    // Change one character of the signature region.
    let mut forged: Vec<char> = text.chars().collect();
    let i = forged.len() - 5;
    forged[i] = if forged[i] == 'A' { 'B' } else { 'A' };
    let forged: String = forged.into_iter().collect();
    let (code, json) = verify(&served, &forged, "7");
    assert_eq!(code, 1, "{json}");
    assert_eq!(json["accepted"], false);
    assert!(
        ["bad-signature", "damaged", "malformed"].contains(&json["reason_code"].as_str().unwrap()),
        "{json}"
    );
    assert!(!json["reason"].as_str().unwrap().is_empty());
    assert_eq!(json["suggested"], "escalate", "{json}");

    let (code, json) = verify(&served, "https://example.org/not-a-card", "7");
    assert_eq!(code, 1);
    assert_eq!(json["reason_code"], "not-ec1");
}

#[test]
fn verify_exits_2_when_it_cannot_check() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let any_anchor = "ed25519:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let (code, json) = verify_at(
        &format!("http://127.0.0.1:{port}"),
        any_anchor,
        "EC1:X",
        "7",
    );
    assert_eq!(code, 2);
    assert_eq!(json["checked"], false);
    assert!(
        json["error"].as_str().unwrap().contains("cannot reach"),
        "{json}"
    );

    let served = serve(&[]);
    let (code, out, _) =
        run(verify_cmd(&served.url, &served.anchor, LANE_TOKEN, "Heathrow").arg("EC1:X"));
    assert_eq!(code, 2);
    assert!(out.contains("unknown checkpoint"), "{out}");

    let (code, out, _) =
        run(verify_cmd(&served.url, &served.anchor, "wrong", "lo-wu").arg("EC1:X"));
    assert_eq!(code, 2);
    assert!(out.contains("refused this lane's token"), "{out}");

    let (code, _, err) = run(lanedesk().args(["verify", "--service", &served.url]));
    assert_eq!(code, 2, "bad usage");
    assert!(err.contains("--lane-token"), "{err}");

    let (code, _, err) = run(verify_cmd(&served.url, &served.anchor, LANE_TOKEN, "lo-wu")
        .args(["--skew", "86400", "EC1:X"]));
    assert_eq!(code, 2, "a day of skew would let yesterday's codes through");
    assert!(err.contains("--skew") && err.contains("0..=3600"), "{err}");

    let (code, out, _) = run(
        verify_cmd(&served.url, &served.anchor, LANE_TOKEN, "lo-wu").args([
            "--lane",
            "L1\u{1b}[2J",
            "EC1:X",
        ]),
    );
    assert_eq!(code, 2, "a lane label with control characters is refused");
    assert!(out.contains("lane"), "{out}");
}

#[test]
fn serve_over_tls_and_mint_a_png_that_a_real_decoder_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let (files, ca_path) = common::tls_material(dir.path());
    let served = serve(&[
        "--tls-cert",
        files.cert.to_str().unwrap(),
        "--tls-key",
        files.key.to_str().unwrap(),
    ]);
    assert!(
        served.url.starts_with("https://localhost:"),
        "{}",
        served.url
    );
    let png = dir.path().join("code.png");
    let (code, out, err) = run(lanedesk()
        .args([
            "issuer",
            "mint",
            "--service",
            &served.url,
            "--card",
            "T02",
            "--ca-cert",
        ])
        .arg(&ca_path)
        .arg("--png")
        .arg(&png));
    assert_eq!(code, 0, "{err}");
    let text = out.trim();

    let image = image::open(&png).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(image);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1);
    let (meta, content) = grids[0].decode().unwrap();
    assert_eq!(content, text);
    assert!(meta.version.0 <= 9, "version {}", meta.version.0);

    let (code, out, _) = run(
        verify_cmd(&served.url, &served.anchor, LANE_TOKEN, "gongbei")
            .arg("--ca-cert")
            .arg(&ca_path)
            .arg(text),
    );
    assert_eq!(code, 0, "{out}");

    // Without the CA, the lane refuses the service's certificate and says how to fix it.
    let (code, out, _) =
        run(verify_cmd(&served.url, &served.anchor, LANE_TOKEN, "gongbei").arg(text));
    assert_eq!(code, 2);
    assert!(out.contains("--ca-cert"), "{out}");
}

#[test]
fn every_command_explains_itself_with_an_example() {
    for args in [
        vec!["--help"],
        vec!["issuer", "serve", "--help"],
        vec!["issuer", "mint", "--help"],
        vec!["verify", "--help"],
        vec!["demo", "--help"],
        vec!["lane", "--help"],
        vec!["train", "--help"],
        vec!["audit", "verify", "--help"],
        vec!["themes", "check", "--help"],
        vec!["config", "check", "--help"],
    ] {
        let (code, out, _) = run(lanedesk().args(&args));
        assert_eq!(code, 0, "{args:?}");
        assert!(out.contains("Example"), "{args:?}: {out}");
    }
}

#[test]
fn serve_refuses_a_shared_lane_token_outside_demo_mode_or_a_busy_port() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run(lanedesk()
        .args([
            "issuer",
            "serve",
            "--lane-token",
            "t",
            "--listen",
            "127.0.0.1:0",
        ])
        .arg("--db")
        .arg(dir.path().join("shared.sqlite")));
    assert_eq!(code, 2);
    assert!(err.contains("--demo") && err.contains("lanes add"), "{err}");

    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run(lanedesk()
        .args([
            "issuer",
            "serve",
            "--demo",
            "--lane-token",
            "t",
            "--listen",
            &addr,
            "--fixtures",
        ])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"))
        .arg("--db")
        .arg(dir.path().join("x.sqlite")));
    assert_eq!(code, 2);
    assert!(err.contains("cannot listen on"), "{err}");
}
