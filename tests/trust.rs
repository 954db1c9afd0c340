//! Issue 12's attacks, tried for real against the reference service on 127.0.0.1 and the
//! `lanedesk` binary: a key added to a lane's cached trust list, a rogue anchor, a rotated
//! key, minting without the holder's secret, one lane's token used for another, and the
//! issuer database's permissions. Each must fail with a message that says what and why.

mod common;

#[allow(dead_code)]
#[path = "common/served.rs"]
mod served;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use lanedesk::api::{DecisionRequest, TrustKeyBody, TrustListPayload, VerificationRequest};
use lanedesk::app::service::ServiceSetup;
use lanedesk::domain::checkpoint::Direction;
use lanedesk::domain::credential::{self, CardRef, Claims, Kid};
use lanedesk::domain::decision::DecisionKind;
use lanedesk::domain::trust::{KeyStatus, SignedTrustList, TrustAnchor, TrustedKey};
use lanedesk::edges::client::{ClientConfig, ServiceClient, ServiceError};
use lanedesk::issuer::auth::LANE_CACHE_FOR;
use lanedesk::issuer::store::LaneCredential;
use lanedesk::issuer::store::credentials::{hint, new_secret, secret_hash};

const T01: &str = "T01";

fn card(service: &common::TestService, traveller: &str) -> CardRef {
    service
        .issuer
        .cards()
        .into_iter()
        .find(|c| c.traveller == traveller)
        .unwrap()
        .card
}

/// `lanedesk verify` against the service with `--state`, as one JSON object and a status.
fn verify_with_state(
    url: &str,
    anchor: &str,
    state: &Path,
    text: &str,
) -> (i32, serde_json::Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_lanedesk"))
        .env_remove("LANEDESK_LANE_TOKEN")
        .env_remove("LANEDESK_TRUST_ANCHOR")
        .args([
            "verify",
            "--service",
            url,
            "--lane-token",
            common::LANE_TOKEN,
            "--trust-anchor",
            anchor,
            "--checkpoint",
            "lo-wu",
            "--direction",
            "entry",
            "--state",
        ])
        .arg(state)
        .arg(text)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let json = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{e}: {text} {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap_or(-1), json)
}

/// The attack of issue 12: while the service is down, one's own key is added to the
/// lane's cached trust list and a code signed with it is shown.
#[tokio::test(flavor = "multi_thread")]
async fn a_forged_key_in_the_cache_is_refused_offline() {
    let service = common::start(false).await;
    let anchor = service.issuer.anchor().to_string();
    let url = service.url.clone();
    let state = tempfile::tempdir().unwrap();
    let genuine = service.client().mint(card(&service, T01)).await.unwrap().qr;
    let other = service
        .client()
        .mint(card(&service, "T02"))
        .await
        .unwrap()
        .qr;
    // Online: checked by the service, and the signed list kept in the state folder.
    let (code, json) = verify_with_state(&url, &anchor, state.path(), &genuine);
    assert_eq!(code, 0, "{json}");
    assert!(state.path().join("trust-list.json").is_file());
    service.stop().await;

    // Offline with the kept list: a genuine code is checked offline and says so.
    let (code, json) = verify_with_state(&url, &anchor, state.path(), &other);
    assert_eq!(code, 0, "{json}");
    assert_eq!(json["offline"], true, "{json}");
    assert!(
        json["notes"].to_string().contains("checked offline"),
        "{json}"
    );

    // The forger's key, written into the kept list.
    let forger = ed25519_dalek::SigningKey::from_bytes(&[66; 32]);
    let kid = Kid([6; 8]);
    let path = state.path().join("trust-list.json");
    let mut signed: SignedTrustList =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let mut payload: TrustListPayload = serde_json::from_str(&signed.list).unwrap();
    let now = chrono::Utc::now().timestamp();
    payload.keys.push(TrustKeyBody::from_key(&TrustedKey {
        kid,
        issuer: payload.keys[0].issuer.clone(),
        key: forger.verifying_key(),
        valid_from: now - 86_400,
        valid_until: now + 86_400,
        status: KeyStatus::Active,
    }));
    signed.list = serde_json::to_string(&payload).unwrap();
    std::fs::write(&path, serde_json::to_vec(&signed).unwrap()).unwrap();
    let claims = Claims::fresh(
        &payload.keys[0].issuer,
        "4183a684ec00a4b6014fdd33db35ec40".parse().unwrap(),
        now,
    );
    let forged = credential::mint(&claims, kid, &forger);
    let (code, json) = verify_with_state(&url, &anchor, state.path(), &forged);
    assert_eq!(code, 2, "never accepted: {json}");
    let error = json["error"].as_str().unwrap();
    assert!(
        error.contains("trust-list.json") && error.contains("altered or forged"),
        "{error}"
    );
}

#[tokio::test]
async fn a_lane_pinned_to_another_anchor_refuses_the_service_list() {
    let service = common::start(false).await;
    let rogue = TrustAnchor::of(&ed25519_dalek::SigningKey::from_bytes(&[9; 32]));
    let err = service
        .client()
        .trust_list(&rogue, chrono::Utc::now().timestamp())
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::UntrustedList { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains(&rogue.to_string()) && text.contains(&service.issuer.anchor().to_string()),
        "{text}"
    );
    service.stop().await;
}

#[tokio::test]
async fn a_rotated_key_reaches_the_lane_and_the_old_key_is_refused() {
    let service = common::start(false).await;
    let client = service.client();
    let anchor = service.issuer.anchor();
    let now = || chrono::Utc::now().timestamp();
    let (before, _) = client.trust_list(&anchor, now()).await.unwrap();
    let (old_kid, old_key) = service.issuer.key_with_status(KeyStatus::Active).unwrap();

    let rotation = service
        .issuer
        .store()
        .rotate_keys(service.issuer.issuer_id(), now())
        .await
        .unwrap();
    assert_eq!(rotation.retired, vec![old_kid]);
    assert_eq!(rotation.sequence, before.sequence + 1);

    // The next list is the new one: a higher number, the new key active, the old retired.
    let (after, _) = client.trust_list(&anchor, now()).await.unwrap();
    assert_eq!(after.sequence, rotation.sequence);
    assert_eq!(after.replaces(Some(&before)), Ok(true));
    assert_eq!(
        after.find(&rotation.new_kid).unwrap().status,
        KeyStatus::Active
    );
    assert_eq!(after.find(&old_kid).unwrap().status, KeyStatus::Retired);
    // And the old list is now a rollback.
    assert!(before.replaces(Some(&after)).is_err());

    // Codes come from the new key and verify; one from the old key is refused as retired.
    let code = client.mint(card(&service, T01)).await.unwrap().qr;
    let parsed = credential::parse(&code).unwrap();
    assert_eq!(parsed.kid, rotation.new_kid);
    let request = |token: String| VerificationRequest {
        token,
        checkpoint: "lo-wu".into(),
        lane: "L1".into(),
        direction: Direction::Entry,
        officer: "O1".into(),
    };
    client.verify(&request(code)).await.unwrap();
    let claims = Claims::fresh(service.issuer.issuer_id(), card(&service, "T02"), now());
    let stale = credential::mint(&claims, old_kid, &old_key);
    let err = client.verify(&request(stale)).await.unwrap_err();
    assert_eq!(err.problem_code(), Some("retired-key"), "{err}");
    service.stop().await;
}

/// A service as at a checkpoint (not demo mode), and its client for `token`.
async fn checkpoint_service() -> common::TestService {
    common::start_with(false, ServiceSetup::not_demo).await
}

fn client_with(url: &str, token: &str) -> ServiceClient {
    ServiceClient::new(&ClientConfig::new(url).lane_token(token)).unwrap()
}

#[tokio::test]
async fn minting_needs_the_holder_secret_outside_demo_mode() {
    let service = checkpoint_service().await;
    let anyone = ServiceClient::new(&ClientConfig::new(&service.url)).unwrap();
    let t01 = card(&service, T01);

    let err = anyone.cards().await.unwrap_err();
    assert!(err.to_string().contains("demo"), "no card list: {err}");
    let err = anyone.mint(t01).await.unwrap_err();
    assert!(err.to_string().contains("Authorization: Holder"), "{err}");

    let secret = new_secret("ldh_");
    assert!(
        service
            .issuer
            .store()
            .set_holder_secret(t01, secret_hash(&secret))
            .await
            .unwrap()
    );
    let minted = anyone.mint_as(t01, Some(&secret)).await.unwrap();
    assert!(minted.qr.starts_with("EC1:"));
    // Another card with this secret, a wrong secret, an unknown card: the same refusal.
    for (card, secret) in [
        (card(&service, "T02"), secret.as_str()),
        (t01, "ldh_not-the-secret"),
        (
            "00000000000000000000000000000000".parse().unwrap(),
            secret.as_str(),
        ),
    ] {
        let err = anyone.mint_as(card, Some(secret)).await.unwrap_err();
        assert!(
            err.to_string().contains("does not match this card"),
            "{card}: {err}"
        );
    }
    service.stop().await;
}

#[tokio::test]
async fn a_lane_token_works_only_for_its_own_lane_and_not_after_revocation() {
    let service = checkpoint_service().await;
    let store = service.issuer.store();
    let token = new_secret("ldl_");
    store
        .add_lane(
            secret_hash(&token),
            &LaneCredential {
                checkpoint: "lo-wu".into(),
                lane: "L1".into(),
                hint: hint(&token),
                created_at: 0,
                revoked_at: None,
            },
        )
        .await
        .unwrap();
    let holder = new_secret("ldh_");
    let t01 = card(&service, T01);
    store
        .set_holder_secret(t01, secret_hash(&holder))
        .await
        .unwrap();
    let lane = client_with(&service.url, &token);
    let code = || async { lane.mint_as(t01, Some(&holder)).await.unwrap().qr };
    let request = |token: String, lane: &str| VerificationRequest {
        token,
        checkpoint: "lo-wu".into(),
        lane: lane.into(),
        direction: Direction::Entry,
        officer: "O1".into(),
    };

    let v = lane.verify(&request(code().await, "L1")).await.unwrap();
    let err = lane.verify(&request(code().await, "L2")).await.unwrap_err();
    assert!(
        err.to_string().contains("belongs to lane L1 at lo-wu"),
        "another lane's request: {err}"
    );
    assert_eq!(
        err.refusal_code(),
        None,
        "not an answer about the traveller"
    );
    let decision = DecisionRequest {
        decision_id: "d-other-lane".into(),
        verification_id: Some(v.verification_id.clone()),
        card: t01,
        checkpoint: "futian".into(),
        lane: "L1".into(),
        direction: Direction::Entry,
        officer: "O1".into(),
        decision: DecisionKind::Approve,
        reasons: vec![],
        note: String::new(),
        override_reason: None,
        decided_at: chrono::Utc::now(),
        kid: None,
        nonce: None,
        audit_head: None,
    };
    let err = lane.decide(&decision).await.unwrap_err();
    assert!(
        err.to_string().contains("belongs to lane L1 at lo-wu"),
        "{err}"
    );

    // The demo's shared token is no token here.
    let shared = client_with(&service.url, common::LANE_TOKEN);
    let err = shared
        .verify(&request(code().await, "L1"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ServiceError::LaneTokenRefused { .. }),
        "{err}"
    );

    // Revoked: refused once the lookup the service remembers has expired.
    assert_eq!(store.revoke_lane("lo-wu", "L1", 1).await.unwrap(), 1);
    tokio::time::sleep(LANE_CACHE_FOR + Duration::from_millis(200)).await;
    let err = lane.verify(&request(code().await, "L1")).await.unwrap_err();
    assert!(err.to_string().contains("revoked"), "{err}");
    service.stop().await;
}

#[tokio::test]
async fn the_issuer_database_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let service = common::start(false).await;
    let mode = std::fs::metadata(service.db())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "{:o}", mode & 0o777);
    service.stop().await;
}

/// The operator's commands, as a user runs them against a service's SQLite file.
#[test]
fn anchor_lanes_keys_and_enrolment_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("issuer.sqlite");
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_lanedesk"))
            .args(["issuer"])
            .args(args)
            .arg("--db")
            .arg(&db)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // Nothing there yet: the tools say how to make the database.
    let (code, _, err) = run(&["anchor"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("issuer serve"), "{err}");

    // A service's first start makes it; then every tool works beside it.
    let served = served::serve_on(
        env!("CARGO_BIN_EXE_lanedesk"),
        common::LANE_TOKEN,
        Some(db.to_str().unwrap()),
        &[],
    );
    let (code, out, err) = run(&["anchor"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out.trim(),
        served.anchor,
        "the anchor the service signs with"
    );
    drop(served);
    assert!(out.trim().parse::<TrustAnchor>().is_ok());

    let (code, out, err) = run(&["lanes", "add", "--checkpoint", "Lo Wu", "--lane", "L1"]);
    assert_eq!(code, 0, "{err}");
    let token = out.lines().next().unwrap().to_owned();
    assert!(token.starts_with("ldl_"), "{out}");
    let (code, out, _) = run(&["lanes", "list"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("lo-wu\tL1\tldl_") && !out.contains(&token),
        "{out}"
    );
    let (code, _, err) = run(&["lanes", "add", "--checkpoint", "Heathrow", "--lane", "L1"]);
    assert_eq!(code, 2);
    assert!(err.contains("Heathrow"), "{err}");
    let (code, out, err) = run(&["lanes", "revoke", "--checkpoint", "lo-wu", "--lane", "L1"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("revoked 1"), "{out}");
    let (code, _, err) = run(&["lanes", "revoke", "--checkpoint", "lo-wu", "--lane", "L1"]);
    assert_eq!(code, 2, "nothing left to revoke");
    assert!(err.contains("no token"), "{err}");

    let (code, out, err) = run(&["keys", "rotate"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("trust list number 2"), "{out}");

    let (code, out, err) = run(&["cards", "enrol", "--card", "T01"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("ldh_") && out.contains("T01"), "{out}");
}
