use std::time::Duration;

use crate::console::effects::{DemoEffect, Effect};
use crate::console::keymap::{Key, KeyCode};
use crate::console::msg::{Failure, Msg};
use crate::console::state::*;
use crate::console::testkit::{self, TestIssuer};
use crate::domain::checkpoint::Direction;
use crate::domain::checks::{CodeFacts, Outcome};
use crate::domain::credential::CredentialError;
use crate::domain::decision::DecisionKind;
use crate::domain::lang::Lang;
use crate::edges::api::{CardSummary, DecisionReceipt};

use super::update;

fn key(c: char) -> Msg {
    Msg::Key(Key::char(c))
}

fn named(code: KeyCode) -> Msg {
    Msg::Key(Key::plain(code))
}

fn setup() -> (State, TestIssuer) {
    let issuer = TestIssuer::new();
    (testkit::state(Direction::Exit, Lang::En, &issuer), issuer)
}

fn send(state: &mut State, msg: Msg) -> Vec<Effect> {
    let now = state.now;
    update(state, msg, now)
}

fn outcome(state: &State, id: &str) -> Option<Outcome> {
    state
        .current
        .as_ref()?
        .checks
        .iter()
        .find(|c| c.id == id)
        .map(|c| c.outcome)
}

fn unreachable() -> Failure {
    Failure {
        code: None,
        message: "cannot reach the issuance service".into(),
        offline: true,
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
fn approving_over_a_failed_check_needs_a_reason_and_is_recorded_as_an_override() {
    let (mut state, issuer) = setup();
    let t = testkit::traveller("T01");
    send(
        &mut state,
        Msg::CodeRead {
            text: issuer.forged(&t, testkit::now()),
        },
    );
    assert!(send(&mut state, key('a')).is_empty());
    assert!(matches!(state.dialog, Some(Dialog::Override(_))));
    // No reason, no decision.
    assert!(send(&mut state, named(KeyCode::Enter)).is_empty());
    let Some(Dialog::Override(form)) = &state.dialog else {
        panic!("dialog closed")
    };
    assert!(form.error);
    for c in "known courier".chars() {
        send(&mut state, key(c));
    }
    let effects = send(&mut state, named(KeyCode::Enter));
    let [Effect::Record(d)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(d.request.decision, DecisionKind::Approve);
    assert_eq!(d.request.override_reason.as_deref(), Some("known courier"));
    assert_eq!(d.request.reasons, vec!["code-signature".to_owned()]);
    assert!(state.dialog.is_none());
    assert!(state.history[0].override_reason.is_some());
}

#[test]
fn escape_cancels_a_decision_form_without_deciding() {
    let (mut state, issuer) = setup();
    testkit::present(&mut state, &issuer, &testkit::traveller("T01"), 1);
    send(&mut state, key('f'));
    assert!(matches!(state.dialog, Some(Dialog::Flag(_))));
    send(&mut state, named(KeyCode::Esc));
    assert!(state.dialog.is_none());
    assert!(state.undecided());
}

#[test]
fn flagging_needs_a_reason_code_and_carries_the_note() {
    let (mut state, issuer) = setup();
    testkit::present(&mut state, &issuer, &testkit::traveller("T01"), 1);
    send(&mut state, key('f'));
    assert!(send(&mut state, named(KeyCode::Enter)).is_empty());
    send(&mut state, named(KeyCode::Down));
    send(&mut state, key(' '));
    send(&mut state, key('5'));
    send(&mut state, named(KeyCode::Tab));
    for c in "bag".chars() {
        send(&mut state, key(c));
    }
    send(&mut state, named(KeyCode::Backspace));
    let effects = send(&mut state, named(KeyCode::Enter));
    let [Effect::Record(d)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(d.request.decision, DecisionKind::Flag);
    assert_eq!(
        d.request.reasons,
        vec![
            "document-problem".to_owned(),
            "goods-declaration".to_owned()
        ]
    );
    assert_eq!(d.request.note, "ba");
}

#[test]
fn escalating_a_watch_list_hit_suggests_the_watch_list_referral() {
    let (mut state, issuer) = setup();
    testkit::present(&mut state, &issuer, &testkit::traveller("T11"), 1);
    assert_eq!(outcome(&state, "watch-list"), Some(Outcome::Fail));
    send(&mut state, key('e'));
    let effects = send(&mut state, named(KeyCode::Enter));
    let [Effect::Record(d)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(d.request.decision, DecisionKind::Escalate);
    assert_eq!(d.request.reasons, vec!["watch-list".to_owned()]);
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
fn a_code_read_while_a_traveller_is_undecided_waits_for_the_decision() {
    let (mut state, issuer) = setup();
    testkit::present(&mut state, &issuer, &testkit::traveller("T01"), 1);
    let next = issuer.code(&testkit::traveller("T02"), state.now, 2);
    assert!(send(&mut state, Msg::CodeRead { text: next.clone() }).is_empty());
    assert_eq!(state.pending_code.as_deref(), Some(next.as_str()));
    assert_eq!(state.current.as_ref().unwrap().request, 1);
    let effects = send(&mut state, key('a'));
    assert!(matches!(effects[0], Effect::Record(_)));
    assert!(matches!(&effects[1], Effect::Verify { request: 2, body } if body.token == next));
    assert!(state.pending_code.is_none());
}

#[test]
fn quitting_asks_only_when_a_decision_is_half_made() {
    let (mut state, issuer) = setup();
    testkit::present(&mut state, &issuer, &testkit::traveller("T01"), 1);
    send(&mut state, key('q'));
    assert_eq!(state.dialog, Some(Dialog::ConfirmQuit));
    send(&mut state, key('n'));
    assert!(!state.quit && state.dialog.is_none());
    send(&mut state, key('q'));
    send(&mut state, key('y'));
    assert!(state.quit);

    let (mut idle, _) = setup();
    send(&mut idle, Msg::Key(Key::ctrl('c')));
    assert!(idle.quit);
}

#[test]
fn a_revealed_number_is_logged_and_hidden_again_after_a_few_seconds() {
    let (mut state, issuer) = setup();
    testkit::present(&mut state, &issuer, &testkit::traveller("T03"), 1);
    send(&mut state, named(KeyCode::Down));
    let effects = send(&mut state, key('v'));
    let [
        Effect::LogReveal {
            officer,
            holder,
            document,
            ..
        },
    ] = effects.as_slice()
    else {
        panic!("{effects:?}")
    };
    assert_eq!((officer.as_str(), holder.as_str()), ("O1234", "T03"));
    assert_eq!(
        *document,
        crate::domain::documents::DocumentKind::ExitEntryPermit
    );
    assert_eq!(state.current.as_ref().unwrap().reveal.map(|r| r.0), Some(1));
    let later = state.now + REVEAL_FOR;
    update(&mut state, Msg::Tick, later);
    assert!(state.current.as_ref().unwrap().reveal.is_none());
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
        super::start(&state),
        vec![Effect::CheckHealth, Effect::FetchTrustList]
    );
    state.trust.as_mut().unwrap().fetched_at -= TRUST_EVERY.num_seconds() + 1;
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
fn demo_keys_present_scenario_travellers_and_replay_the_last_code() {
    let (mut state, _) = setup();
    state.demo = Some(DemoState::default());
    assert!(send(&mut state, key('3')).is_empty(), "no cards yet");
    let cards: Vec<CardSummary> = testkit::travellers()
        .iter()
        .map(|t| CardSummary {
            card: t.card,
            traveller: t.holder.id.clone(),
            name_latin: t.holder.name_latin.clone(),
            scenario: t.scenario.clone(),
            summary: t.summary.clone(),
            status: t.card_status,
        })
        .collect();
    send(
        &mut state,
        Msg::DemoCards {
            result: Ok(cards.clone()),
        },
    );
    let effects = send(&mut state, key('3'));
    assert!(
        matches!(&effects[..], [Effect::Demo(DemoEffect::Present { card, .. })] if *card == cards[2].card)
    );
    let effects = send(&mut state, key('n'));
    assert!(
        matches!(&effects[..], [Effect::Demo(DemoEffect::Present { card, .. })] if *card == cards[3].card)
    );
    assert!(matches!(
        &send(&mut state, key('x'))[..],
        [Effect::Demo(DemoEffect::PresentForged { .. })]
    ));
    assert!(send(&mut state, key('r')).is_empty(), "nothing shown yet");
    send(
        &mut state,
        Msg::DemoShown {
            label: "T04".into(),
            code: "EC1:X".into(),
            genuine: true,
        },
    );
    assert!(
        matches!(&send(&mut state, key('r'))[..], [Effect::Demo(DemoEffect::Show { code, .. })] if code == "EC1:X")
    );
    // A forged code is shown but not kept for replay: R replays the last genuine code.
    send(
        &mut state,
        Msg::DemoShown {
            label: "forged".into(),
            code: "EC1:F".into(),
            genuine: false,
        },
    );
    assert!(
        matches!(&send(&mut state, key('r'))[..], [Effect::Demo(DemoEffect::Show { code, .. })] if code == "EC1:X")
    );
}

#[test]
fn a_full_note_takes_no_more_and_typing_never_ticks_a_reason() {
    let (mut state, issuer) = setup();
    testkit::present(&mut state, &issuer, &testkit::traveller("T01"), 1);
    send(&mut state, key('f'));
    send(&mut state, named(KeyCode::Tab));
    for _ in 0..super::NOTE_MAX + 10 {
        send(&mut state, key('1'));
    }
    let Some(Dialog::Flag(form)) = &state.dialog else {
        panic!("the form closed")
    };
    assert_eq!(form.note.chars().count(), super::NOTE_MAX);
    assert!(form.chosen.is_empty());
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
        Msg::DemoFailed {
            message: "x\u{1b}]0;pwned\u{7}y".into(),
        },
    );
    assert_eq!(
        state.notice.as_ref().unwrap().text,
        NoticeText::Plain("xy".into())
    );
}

#[test]
fn a_decision_that_cannot_be_written_says_so() {
    let (mut state, issuer) = setup();
    testkit::present(&mut state, &issuer, &testkit::traveller("T01"), 1);
    send(&mut state, key('a'));
    let id = state.history[0].decision_id.clone();
    send(
        &mut state,
        Msg::Recorded {
            decision_id: id,
            result: Err("cannot write the audit log in /x: disk full".into()),
        },
    );
    assert_eq!(state.history[0].delivery, Delivery::NotRecorded);
    assert!(matches!(
        &state.notice,
        Some(Notice {
            level: NoticeLevel::Error,
            ..
        })
    ));
}

#[test]
fn a_code_that_names_no_card_is_decided_at_this_lane_only() {
    let (mut state, _) = setup();
    send(
        &mut state,
        Msg::CodeRead {
            text: "https://example.org/menu".into(),
        },
    );
    send(&mut state, key('e'));
    let effects = send(&mut state, named(KeyCode::Enter));
    let [Effect::Record(d)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert!(!d.deliver);
    assert_eq!(d.request.decision, DecisionKind::Escalate);
    assert_eq!(d.request.reasons, vec!["forged-code".to_owned()]);
    assert_eq!(state.history[0].delivery, Delivery::LocalOnly);
}
