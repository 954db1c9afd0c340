//! `lanedesk config check`: every problem with its line; `--connect` against a live service
//! on 127.0.0.1 (TLS with a private CA, lane tokens per lane): a wrong CA, a wrong token,
//! another lane's token, a wrong anchor, a clock apart, and the right configuration.

mod common;

use std::path::Path;
use std::process::Command;

use lanedesk::app::config::LaneConfig;
use lanedesk::app::config_connect::{Step, connect};
use lanedesk::app::service::ServiceSetup;
use lanedesk::domain::trust::TrustAnchor;
use lanedesk::edges::client::{ClientConfig, ServiceClient, ServiceError};
use lanedesk::issuer::store::LaneCredential;
use lanedesk::issuer::store::credentials::{hint, new_secret, secret_hash};

fn check(file: &Path, connect: bool) -> (i32, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lanedesk"));
    command
        .env_remove("LANEDESK_LANE_TOKEN")
        .env_remove("LANEDESK_TRUST_ANCHOR")
        .args(["config", "check"])
        .arg(file);
    if connect {
        command.arg("--connect");
    }
    let out = command.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_problem_is_listed_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lane.toml");
    let text = r#"service = "http://issuer.example:8443"
checkpoint = "Lo Wu"
lane = "L1"
direction = "in"
ca-cert = "/nonexistent/ca.pem"
colour = "blue"
trust-anchor = "ed25519:not-a-key"

[camera]
images = "/nonexistent/frames"
fsp = 10
"#;
    std::fs::write(&file, text).unwrap();
    let (code, _, err) = check(&file, false);
    assert_eq!(code, 1, "{err}");
    let name = file.display().to_string();
    for (line, words) in [
        (1, "plain http://"),
        (2, "Did you mean checkpoint = \"lo-wu\"?"),
        (4, "Write direction = \"entry\""),
        (5, "cannot read the CA certificate"),
        (6, "unknown field `colour`"),
        (7, "trust"),
        (7, "no officer"),
        (10, "/nonexistent"),
        (11, "unknown field `fsp`"),
    ] {
        let prefix = format!("{name}:{line}: ");
        assert!(
            err.lines()
                .any(|l| l.starts_with(&prefix) && l.contains(words)),
            "no {prefix}… {words:?} in:\n{err}"
        );
    }
    assert!(
        err.lines()
            .filter(|l| l.starts_with(&name))
            .all(|l| l.ends_with(['.', '?'])),
        "each is a sentence:\n{err}"
    );
    assert!(err.contains("problems in"), "{err}");
}

#[test]
fn a_file_that_is_not_toml_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lane.toml");
    std::fs::write(&file, "lane = \"L1\"\nofficer = \n").unwrap();
    let (code, _, err) = check(&file, false);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("lane.toml:2: "), "{err}");
}

/// A checkpoint's service over TLS, with lane L1 at lo-wu's own token.
async fn lane_service() -> (common::TestService, String) {
    let service = common::start_with(true, ServiceSetup::not_demo).await;
    let token = new_secret("ldl_");
    let credential = LaneCredential {
        checkpoint: "lo-wu".into(),
        lane: "L1".into(),
        hint: hint(&token),
        created_at: 0,
        revoked_at: None,
    };
    let store = service.issuer.store();
    store
        .add_lane(secret_hash(&token), &credential)
        .await
        .unwrap();
    (service, token)
}

fn lane_config(service: &common::TestService, token: &str, ca: &Path) -> String {
    format!(
        "service = \"{}\"\nlane-token = \"{token}\"\nca-cert = \"{}\"\ntrust-anchor = \"{}\"\ncheckpoint = \"lo-wu\"\nlane = \"L1\"\ndirection = \"entry\"\nofficer = \"O1\"\n\n[camera]\nimages = \"{}\"\n",
        service.url,
        ca.display(),
        service.issuer.anchor(),
        service.dir.path().display(),
    )
}

fn parsed(text: &str) -> LaneConfig {
    LaneConfig::parse(text, "lane.toml").unwrap()
}

fn step<'a>(steps: &'a [Step], name: &str) -> &'a Result<String, String> {
    &steps.iter().find(|s| s.name == name).unwrap().result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_says_for_each_step_ok_or_what_to_do() {
    let (service, token) = lane_service().await;
    let ca = service.ca_cert.clone().unwrap();
    let right = lane_config(&service, &token, &ca);

    let steps = connect(&parsed(&right)).await;
    for s in &steps {
        assert!(s.result.is_ok(), "{}: {:?}", s.name, s.result);
    }
    assert!(
        step(&steps, "lane token")
            .as_ref()
            .unwrap()
            .contains("lane L1 at lo-wu")
    );

    // Another CA: the client's own words for an unknown CA.
    let other_dir = tempfile::tempdir().unwrap();
    let (_, other_ca) = common::tls_material(other_dir.path());
    let steps = connect(&parsed(&lane_config(&service, &token, &other_ca))).await;
    let why = step(&steps, "connection").as_ref().unwrap_err();
    assert!(why.contains("not signed by the CA in"), "{why}");
    assert!(
        step(&steps, "lane token")
            .as_ref()
            .unwrap_err()
            .contains("not tried")
    );

    // A token the service does not know.
    let steps = connect(&parsed(&lane_config(&service, "ldl_wrong", &ca))).await;
    let why = step(&steps, "lane token").as_ref().unwrap_err();
    assert!(
        why.contains("refused the token") && why.contains("lanes add"),
        "{why}"
    );
    assert!(step(&steps, "connection").is_ok());

    // Lane L2's token in L1's configuration.
    let other = new_secret("ldl_");
    let l2 = LaneCredential {
        checkpoint: "lo-wu".into(),
        lane: "L2".into(),
        hint: hint(&other),
        created_at: 0,
        revoked_at: None,
    };
    service
        .issuer
        .store()
        .add_lane(secret_hash(&other), &l2)
        .await
        .unwrap();
    let steps = connect(&parsed(&lane_config(&service, &other, &ca))).await;
    let why = step(&steps, "lane token").as_ref().unwrap_err();
    assert!(why.contains("belongs to lane L2 at lo-wu"), "{why}");

    // An anchor that is not the service's.
    let stranger = TrustAnchor::of(&lanedesk::issuer::store::credentials::new_anchor());
    let wrong_anchor = right.replace(&service.issuer.anchor().to_string(), &stranger.to_string());
    let steps = connect(&parsed(&wrong_anchor)).await;
    let why = step(&steps, "trust list").as_ref().unwrap_err();
    assert!(why.contains("not by this lane's pinned anchor"), "{why}");

    // The service's clock ten minutes ahead of this machine's.
    service.clock.advance(chrono::Duration::minutes(10));
    let steps = connect(&parsed(&right)).await;
    let why = step(&steps, "clock").as_ref().unwrap_err();
    assert!(why.contains("behind the service's clock"), "{why}");
    service.clock.advance(chrono::Duration::minutes(-10));

    // The command itself: 0 when every step is ok, 1 otherwise.
    let file = service.dir.path().join("lane.toml");
    std::fs::write(&file, &right).unwrap();
    let run = file.clone();
    let (code, out, err) = tokio::task::spawn_blocking(move || check(&run, true))
        .await
        .unwrap();
    assert_eq!(code, 0, "{out}{err}");
    for name in [
        "connection: ok",
        "lane token: ok",
        "trust list: ok",
        "clock: ok",
    ] {
        assert!(out.contains(name), "{out}");
    }
    std::fs::write(&file, lane_config(&service, "ldl_wrong", &ca)).unwrap();
    let (code, out, err) = tokio::task::spawn_blocking(move || check(&file, true))
        .await
        .unwrap();
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("lane token: the service refused the token"),
        "{out}"
    );
    service.stop().await;
}

#[tokio::test]
async fn the_lane_check_answers_for_the_tokens_own_lane_only() {
    let (service, token) = lane_service().await;
    let client = |token: &str| {
        ServiceClient::new(
            &ClientConfig::new(&service.url)
                .lane_token(token)
                .ca_cert(service.ca_cert.as_deref()),
        )
        .unwrap()
    };
    let id = client(&token).lane_identity("Lo Wu", "L1").await.unwrap();
    assert_eq!(
        (id.checkpoint.as_str(), id.lane.as_str(), id.shared),
        ("lo-wu", "L1", false)
    );
    let err = client(&token)
        .lane_identity("lo-wu", "L2")
        .await
        .unwrap_err();
    assert!(
        matches!(err, ServiceError::Refused { status: 403, .. }),
        "{err}"
    );
    assert!(err.token_refused(), "{err}");
    let err = client("ldl_unknown")
        .lane_identity("lo-wu", "L1")
        .await
        .unwrap_err();
    assert!(
        matches!(err, ServiceError::LaneTokenRefused { .. }),
        "{err}"
    );
    service.stop().await;

    // In demo mode the shared token is good for any lane.
    let demo = common::start(false).await;
    let id = demo.client().lane_identity("futian", "9").await.unwrap();
    assert!(id.shared && id.checkpoint == "futian", "{id:?}");
    demo.stop().await;
}
