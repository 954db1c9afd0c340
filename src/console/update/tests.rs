//! `update` as a function: codes read, the service's answers, the lane's health.

pub(super) use std::time::Duration;

pub(super) use crate::api::DecisionReceipt;
pub(super) use crate::console::effect::Effect;
pub(super) use crate::console::i18n::L;
pub(super) use crate::console::keymap::{Key, KeyCode};
pub(super) use crate::console::msg::{Failure, Msg};
pub(super) use crate::console::state::*;
pub(super) use crate::console::testkit::{self, TestIssuer};
pub(super) use crate::domain::checkpoint::Direction;
pub(super) use crate::domain::checks::{CodeFacts, Outcome};
pub(super) use crate::domain::credential::CredentialError;
pub(super) use crate::domain::decision::DecisionKind;
pub(super) use crate::domain::lang::Lang;
pub(super) use crate::domain::verdict::OverrideReason;

pub(super) use super::update;

pub(super) fn key(c: char) -> Msg {
    Msg::Key(Key::char(c))
}

pub(super) fn named(code: KeyCode) -> Msg {
    Msg::Key(Key::plain(code))
}

pub(super) fn setup() -> (State, TestIssuer) {
    let issuer = TestIssuer::new();
    (testkit::state(Direction::Exit, Lang::En, &issuer), issuer)
}

pub(super) fn send(state: &mut State, msg: Msg) -> Vec<Effect> {
    let now = state.now;
    update(state, msg, now)
}

pub(super) fn outcome(state: &State, id: &str) -> Option<Outcome> {
    state
        .current
        .as_ref()?
        .checks
        .iter()
        .find(|c| c.id.wire() == id)
        .map(|c| c.outcome)
}

/// The moment in which decision keys are ignored passes: the officer has looked.
pub(super) fn look(state: &mut State) {
    state.now += DECISION_LOCK;
}

pub(super) fn unreachable() -> Failure {
    Failure {
        code: None,
        message: "cannot reach the issuance service".into(),
        offline: true,
        token_refused: false,
    }
}

#[test]
fn a_read_code_is_verified_offline_then_sent_to_the_service_for_this_lane() {
    let (mut state, issuer) = setup();
    let t = testkit::traveller("T03");
    let code = issuer.code(&t, state.now, 1);
    let effects = send(&mut state, Msg::CodeRead { text: code.clone() });
    let [Effect::Verify { request, body }] = effects.as_slice() else {
        panic!("expected one verification, got {effects:?}")
    };
    assert_eq!(*request, 1);
    assert_eq!(body.token, code);
    assert_eq!(
        (
            body.checkpoint.as_str(),
            body.lane.as_str(),
            body.officer.as_str()
        ),
        ("lo-wu", "L07", "O1234")
    );
    assert_eq!(body.direction, Direction::Exit);
    let p = state.current.as_ref().unwrap();
    assert_eq!(p.offline, CodeFacts::Genuine);
    assert!(p.in_progress());
    assert_eq!(outcome(&state, "code-signature"), Some(Outcome::Pass));
    assert_eq!(outcome(&state, "service"), Some(Outcome::Unknown));
}

#[test]
fn a_complete_presentation_passes_every_check_and_approves_without_override() {
    let (mut state, issuer) = setup();
    let t = testkit::traveller("T03");
    assert!(testkit::present(&mut state, &issuer, &t, 1).is_empty());
    let p = state.current.as_ref().unwrap();
    assert!(matches!(p.portrait, PortraitState::Loaded(_)));
    assert!(
        p.checks.iter().all(|c| c.outcome == Outcome::Pass),
        "{:?}",
        p.checks
    );
    let effects = send(&mut state, key('a'));
    let [Effect::Record(d)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(d.request.decision, DecisionKind::Approve);
    assert_eq!(d.request.card, t.card);
    assert_eq!(d.request.verification_id.as_deref(), Some("v-test"));
    assert_eq!(d.request.override_reason, None);
    assert_eq!(d.request.decision_id, "s-0001");
    assert_eq!(state.history.len(), 1);
    assert_eq!(state.history[0].delivery, Delivery::Recording);
    assert_eq!(d.not_passed, Vec::<String>::new());
    assert_eq!(d.suggested.as_deref(), Some("approve"));
    assert!(d.deliver);
    // Approving twice does nothing: the traveller has a decision.
    assert!(send(&mut state, key('a')).is_empty());
    let receipt = DecisionReceipt {
        decision_id: "s-0001".into(),
        recorded_at: state.now,
        duplicate: false,
    };
    send(
        &mut state,
        Msg::Recorded {
            decision_id: "s-0001".into(),
            result: Ok(7),
        },
    );
    assert_eq!(state.history[0].delivery, Delivery::Recorded);
    // A failed delivery leaves it recorded: the outbox tries again.
    send(
        &mut state,
        Msg::DecisionSent {
            decision_id: "s-0001".into(),
            result: Err(unreachable()),
        },
    );
    assert_eq!(state.history[0].delivery, Delivery::Recorded);
    assert!(matches!(state.service, ServiceState::Offline { .. }));
    send(
        &mut state,
        Msg::DecisionSent {
            decision_id: "s-0001".into(),
            result: Ok(receipt),
        },
    );
    assert_eq!(state.history[0].delivery, Delivery::Sent);
    assert_eq!(
        state
            .current
            .as_ref()
            .unwrap()
            .decision
            .as_ref()
            .unwrap()
            .delivery,
        Delivery::Sent
    );
}

#[test]
fn a_late_reply_for_a_traveller_who_has_gone_is_dropped() {
    let (mut state, issuer) = setup();
    let t = testkit::traveller("T01");
    let code = issuer.code(&t, state.now, 1);
    send(&mut state, Msg::CodeRead { text: code.clone() });
    send(&mut state, key('c'));
    assert!(state.current.is_none());
    let v = testkit::verification(&t, &code, state.now);
    let effects = send(
        &mut state,
        Msg::ServiceReplied {
            request: 1,
            latency: Duration::ZERO,
            result: Ok(Box::new(v)),
        },
    );
    assert!(effects.is_empty());
    assert!(state.current.is_none());
    send(
        &mut state,
        Msg::PortraitLoaded {
            request: 1,
            result: Err("late".into()),
        },
    );
    assert!(state.current.is_none());
}

#[test]
fn a_forged_code_is_refused_offline_and_the_service_is_not_told() {
    let (mut state, issuer) = setup();
    let t = testkit::traveller("T01");
    let effects = send(
        &mut state,
        Msg::CodeRead {
            text: issuer.forged(&t, testkit::now()),
        },
    );
    assert!(effects.is_empty(), "{effects:?}");
    let p = state.current.as_ref().unwrap();
    assert_eq!(p.offline, CodeFacts::Refused(CredentialError::BadSignature));
    assert!(matches!(p.lookup, Lookup::NotAsked));
    assert_eq!(outcome(&state, "code-signature"), Some(Outcome::Fail));
    assert_eq!(
        crate::domain::checks::suggest(&state.current.as_ref().unwrap().checks),
        crate::domain::checks::Suggestion::Escalate
    );
}

#[test]
fn the_same_code_shown_again_after_clearing_is_a_replay() {
    let (mut state, issuer) = setup();
    let t = testkit::traveller("T01");
    testkit::present(&mut state, &issuer, &t, 1);
    // Seen again while its traveller is on screen: the same presentation.
    let code = state.current.as_ref().unwrap().code.clone();
    assert!(send(&mut state, Msg::CodeRead { text: code.clone() }).is_empty());
    assert_eq!(state.current.as_ref().unwrap().request, 1);
    send(&mut state, key('a'));
    send(&mut state, key('c'));
    let effects = send(&mut state, Msg::CodeRead { text: code });
    assert!(effects.is_empty());
    assert!(matches!(
        state.current.as_ref().unwrap().offline,
        CodeFacts::Refused(CredentialError::Replayed { .. })
    ));
    assert_eq!(outcome(&state, "code-not-replayed"), Some(Outcome::Fail));
}

#[test]
fn an_unreachable_service_leaves_the_checks_unknown_and_marks_the_console_offline() {
    let (mut state, issuer) = setup();
    let t = testkit::traveller("T01");
    send(
        &mut state,
        Msg::CodeRead {
            text: issuer.code(&t, testkit::now(), 1),
        },
    );
    let failed_at = state.now;
    send(
        &mut state,
        Msg::ServiceReplied {
            request: 1,
            latency: Duration::from_secs(2),
            result: Err(unreachable()),
        },
    );
    assert!(matches!(state.service, ServiceState::Offline { since, .. } if since == failed_at));
    assert_eq!(outcome(&state, "code-signature"), Some(Outcome::Pass));
    assert_eq!(outcome(&state, "service"), Some(Outcome::Unknown));
    assert_eq!(outcome(&state, "code-not-replayed"), Some(Outcome::Unknown));
    // The officer can still decide; approving needs an override.
    look(&mut state);
    send(&mut state, key('a'));
    assert!(matches!(state.dialog, Some(Dialog::Override(_))));
    // Offline since the first failure, not the latest.
    let later = failed_at + chrono::TimeDelta::seconds(30);
    update(
        &mut state,
        Msg::HealthChecked {
            result: Err(unreachable()),
        },
        later,
    );
    assert!(matches!(state.service, ServiceState::Offline { since, .. } if since == failed_at));
    update(
        &mut state,
        Msg::HealthChecked {
            result: Ok(Duration::from_millis(4)),
        },
        later,
    );
    assert_eq!(
        state.service,
        ServiceState::Online {
            latency: Duration::from_millis(4)
        }
    );
}

#[test]
fn health_is_polled_on_ticks_one_request_at_a_time() {
    let (mut state, _) = setup();
    let t0 = state.now + HEALTH_EVERY;
    assert_eq!(update(&mut state, Msg::Tick, t0), vec![Effect::CheckHealth]);
    assert!(update(&mut state, Msg::Tick, t0 + HEALTH_EVERY).is_empty());
    update(
        &mut state,
        Msg::HealthChecked {
            result: Ok(Duration::from_millis(2)),
        },
        t0 + HEALTH_EVERY,
    );
    assert!(update(&mut state, Msg::Tick, t0 + HEALTH_EVERY).is_empty());
    assert_eq!(
        update(&mut state, Msg::Tick, t0 + HEALTH_EVERY * 2),
        vec![Effect::CheckHealth]
    );
}

#[test]
fn the_start_asks_for_health_and_the_trust_list_and_a_stale_list_is_refreshed() {
    let (mut state, _) = setup();
    assert_eq!(
        super::start(&mut state),
        vec![Effect::CheckHealth, Effect::FetchTrustList]
    );
    state.trust_asked = Some(state.now - TRUST_EVERY - chrono::TimeDelta::seconds(1));
    let effects = send(
        &mut state,
        Msg::HealthChecked {
            result: Ok(Duration::from_millis(2)),
        },
    );
    assert!(
        effects.is_empty(),
        "the list asked for at the start is still on its way: {effects:?}"
    );
    state.trust_in_flight = false;
    let effects = send(
        &mut state,
        Msg::HealthChecked {
            result: Ok(Duration::from_millis(2)),
        },
    );
    assert_eq!(effects, vec![Effect::FetchTrustList]);
}

#[test]
fn the_language_key_cycles_through_three_languages() {
    let (mut state, _) = setup();
    for expected in [Lang::ZhHans, Lang::ZhHant, Lang::En] {
        send(&mut state, key('l'));
        assert_eq!(state.lang, expected);
    }
}

#[test]
fn frames_update_the_preview_and_the_frame_rate() {
    let (mut state, _) = setup();
    let start = state.now;
    for i in 0..11 {
        let at = start + chrono::TimeDelta::milliseconds(100 * i);
        update(
            &mut state,
            Msg::FrameShown(Box::new(testkit::preview_frame())),
            at,
        );
    }
    assert_eq!(state.camera.frames, 11);
    assert!(
        (state.camera.fps - 10.0).abs() < 0.5,
        "{}",
        state.camera.fps
    );
    // The outline is scaled from frame pixels to preview pixels (1280 → 160).
    assert_eq!(state.camera.outline.unwrap()[0], (60.0, 15.0));
}

#[test]
fn untrusted_text_is_cleaned_before_it_is_kept_for_the_screen() {
    let (mut state, _) = setup();
    send(
        &mut state,
        Msg::CameraFailed {
            message: "gone\u{1b}[2J\u{7}".into(),
        },
    );
    assert_eq!(state.camera.failure.as_deref(), Some("gone"));
    send(
        &mut state,
        Msg::WriteFailed {
            message: "x\u{1b}]0;pwned\u{7}y".into(),
        },
    );
    assert_eq!(
        state.notice.as_ref().unwrap().text,
        NoticeText::Plain("xy".into())
    );
}

#[test]
fn an_image_folder_waited_on_is_not_a_failure_and_a_frame_ends_the_wait() {
    let (mut state, _) = setup();
    send(
        &mut state,
        Msg::CameraWaiting {
            folder: "/srv/images\u{1b}[2J".into(),
        },
    );
    assert_eq!(state.camera.waiting.as_deref(), Some("/srv/images"));
    assert_eq!(state.camera.failure, None);
    send(
        &mut state,
        Msg::FrameShown(Box::new(testkit::preview_frame())),
    );
    assert_eq!(state.camera.waiting, None);
}

#[test]
fn a_code_from_a_key_the_lane_does_not_know_yet_fetches_the_list_and_is_checked_again() {
    let (mut state, mut issuer) = setup();
    let t = testkit::traveller("T01");
    // The service rotated: a new key, which the lane's list does not hold yet.
    let rotated = crate::domain::credential::Kid([9; 8]);
    let new_key = ed25519_dalek::SigningKey::from_bytes(&[11; 32]);
    let mut claims =
        crate::domain::credential::Claims::fresh("CN-NIA", t.card, testkit::now().timestamp());
    claims.nonce = crate::domain::credential::Nonce([3; 12]);
    let code = crate::domain::credential::mint(&claims, rotated, &new_key);

    let effects = send(&mut state, Msg::CodeRead { text: code });
    assert!(
        matches!(effects[..], [Effect::FetchTrustList]),
        "the list is asked for at once, and nothing is sent before: {effects:?}"
    );
    assert_eq!(outcome(&state, "code-signature"), Some(Outcome::Fail));

    let mut list = issuer.trust.clone();
    list.keys.push(crate::domain::trust::TrustedKey {
        kid: rotated,
        key: new_key.verifying_key(),
        ..list.keys[0].clone()
    });
    list.sequence += 1;
    issuer.trust = list.clone();
    let effects = send(&mut state, Msg::TrustListFetched { result: Ok(list) });
    assert!(
        matches!(effects[..], [Effect::Verify { .. }]),
        "checked again with the new list, then sent to the service: {effects:?}"
    );
    assert_eq!(outcome(&state, "code-signature"), Some(Outcome::Pass));
    assert!(state.recheck.is_none());
}

#[test]
fn a_refused_lane_token_is_not_online_and_the_officer_is_told_what_to_do() {
    let (mut state, _) = setup();
    let refused = Failure {
        code: None,
        message: "the issuance service refused this lane's token (The lane token is not valid for this service.)".into(),
        offline: false,
        token_refused: true,
    };
    let health = |result| Msg::HealthChecked { result };
    send(&mut state, health(Err(refused.clone())));
    assert!(
        matches!(&state.service, ServiceState::TokenRefused { reason } if reason.contains("not valid")),
        "{:?}",
        state.service
    );
    let notice = state.notice.clone().expect("the officer is told");
    assert_eq!(notice.text, NoticeText::Label(L::TokenRefusedNotice));
    assert_eq!(notice.level, NoticeLevel::Error);
    assert!(L::TokenRefusedNotice.get(Lang::En).contains("lane-token"));
    assert!(
        L::TokenRefusedNotice
            .get(Lang::En)
            .contains("lanedesk issuer lanes add")
    );

    // Told once: the next refusal leaves the notice line to whatever comes after.
    state.notice = None;
    send(&mut state, health(Err(refused)));
    assert!(state.notice.is_none(), "{:?}", state.notice);

    // A token fixed on the service (a new one put in): online again at the next check.
    send(&mut state, health(Ok(Duration::from_millis(3))));
    assert!(matches!(state.service, ServiceState::Online { .. }));

    // Offline is still offline, not a refused token.
    send(&mut state, health(Err(unreachable())));
    assert!(matches!(state.service, ServiceState::Offline { .. }));
}
