//! `update` as a function: the officer's decisions, dialogs and the lane's own records.

use super::tests::*;

#[test]
fn a_hard_stop_cannot_be_approved_and_the_officer_is_told_why() {
    let (mut state, issuer) = setup();
    let t = testkit::traveller("T01");
    let forged = issuer.forged(&t, testkit::now());
    send(&mut state, Msg::CodeRead { text: forged });
    look(&mut state);
    assert!(send(&mut state, key('a')).is_empty());
    assert!(state.dialog.is_none(), "no override dialog for a hard stop");
    let Some(Notice {
        text: NoticeText::LabelWith(L::CannotApprove, why),
        level: NoticeLevel::Error,
        ..
    }) = &state.notice
    else {
        panic!("{:?}", state.notice)
    };
    assert!(
        why.contains("code signature") && why.contains("E escalate"),
        "{why}"
    );
    // A revoked card and a watch-list hit are stopped the same way.
    for id in ["T09", "T11"] {
        let (mut state, issuer) = setup();
        testkit::present(&mut state, &issuer, &testkit::traveller(id), 1);
        assert!(send(&mut state, key('a')).is_empty(), "{id}");
        assert!(state.current.as_ref().unwrap().decision.is_none(), "{id}");
    }
}

#[test]
fn approving_over_a_document_failure_takes_a_reason_code_a_note_and_a_second_confirmation() {
    let (mut state, issuer) = setup();
    testkit::present(&mut state, &issuer, &testkit::traveller("T07"), 1);
    assert!(send(&mut state, key('a')).is_empty());
    let Some(Dialog::Override(form)) = &state.dialog else {
        panic!("{:?}", state.dialog)
    };
    let overridden: Vec<String> = form.overridden.iter().map(|id| id.wire()).collect();
    assert!(
        overridden.contains(&"document-valid/exit-entry-permit".to_owned()),
        "{overridden:?}"
    );
    assert_eq!(
        form.cursor,
        OverrideReason::DocumentSeen.index(),
        "preselected"
    );
    // No note, no decision.
    assert!(send(&mut state, named(KeyCode::Enter)).is_empty());
    let Some(Dialog::Override(form)) = &state.dialog else {
        panic!("dialog closed")
    };
    assert!(form.error && form.on_note);
    for c in "renewal receipt seen".chars() {
        send(&mut state, key(c));
    }
    // The first Enter asks again; Esc goes back to the form, not out of it.
    assert!(send(&mut state, named(KeyCode::Enter)).is_empty());
    assert!(matches!(&state.dialog, Some(Dialog::Override(f)) if f.confirming));
    send(&mut state, named(KeyCode::Esc));
    assert!(matches!(&state.dialog, Some(Dialog::Override(f)) if !f.confirming));
    send(&mut state, named(KeyCode::Enter));
    let effects = send(&mut state, named(KeyCode::Enter));
    let [Effect::Record(d)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(d.request.decision, DecisionKind::Approve);
    assert_eq!(d.request.override_reason.as_deref(), Some("document-seen"));
    assert_eq!(d.request.note, "renewal receipt seen");
    assert_eq!(d.request.reasons, overridden);
    assert_eq!(d.verdict.as_deref(), Some("review"));
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
fn a_code_read_while_a_traveller_is_undecided_waits_for_the_decision() {
    let (mut state, issuer) = setup();
    testkit::present(&mut state, &issuer, &testkit::traveller("T01"), 1);
    let next = issuer.code(&testkit::traveller("T02"), state.now, 2);
    assert!(send(&mut state, Msg::CodeRead { text: next.clone() }).is_empty());
    assert_eq!(state.pending_code.as_deref(), Some(next.as_str()));
    assert_eq!(state.current.as_ref().unwrap().request, 1);
    // Decided: the confirmation stays on screen; the waiting code does not take its place.
    let effects = send(&mut state, key('a'));
    assert!(matches!(effects[..], [Effect::Record(_)]), "{effects:?}");
    assert_eq!(state.current.as_ref().unwrap().request, 1);
    state.now += chrono::TimeDelta::milliseconds(1000);
    send(&mut state, Msg::Tick);
    assert_eq!(state.current.as_ref().unwrap().request, 1, "too soon");
    // Once the confirmation has been seen long enough, the next traveller comes.
    state.now += chrono::TimeDelta::milliseconds(600);
    let effects = send(&mut state, Msg::Tick);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Verify { request: 2, body } if body.token == next)),
        "{effects:?}"
    );
    assert!(state.pending_code.is_none());
    // And decision keys wait a moment for the officer to look at the new traveller.
    assert!(send(&mut state, key('a')).is_empty());
    assert_eq!(
        state.notice.as_ref().unwrap().text,
        NoticeText::Label(L::LookFirst)
    );
}

#[test]
fn moving_on_takes_a_waiting_code_at_once() {
    let (mut state, issuer) = setup();
    testkit::present(&mut state, &issuer, &testkit::traveller("T01"), 1);
    let next = issuer.code(&testkit::traveller("T02"), state.now, 2);
    send(&mut state, Msg::CodeRead { text: next.clone() });
    send(&mut state, key('a'));
    let effects = send(&mut state, key('c'));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Verify { body, .. } if body.token == next)),
        "{effects:?}"
    );
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
    look(&mut state);
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
