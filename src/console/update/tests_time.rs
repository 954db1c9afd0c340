//! `update` and the lane's clock (an offset learned, a clock set back) and the readers
//! (a code read the camera's way, a port lost and found, noise).

use super::tests::*;
use crate::domain::lane_time::Offset;
use crate::domain::verdict::{Approval, Verdict, approval};
use crate::edges::reader::{ReaderEvent, Via};

fn offset(secs: i64) -> Msg {
    Msg::ClockChecked {
        offset: Offset {
            ms: secs * 1000,
            error_ms: 2,
            measured: true,
        },
    }
}

fn verdict(state: &State) -> (Verdict, Approval) {
    let checks = &state.current.as_ref().unwrap().checks;
    (Verdict::of(checks), approval(checks))
}

#[test]
fn within_thirty_seconds_nothing_changes() {
    let (mut state, issuer) = setup();
    send(&mut state, offset(-20));
    assert!(state.clock.standing().caveat().is_none());
    testkit::present(&mut state, &issuer, &testkit::traveller("T01"), 1);
    assert_eq!(outcome(&state, "code-fresh"), Some(Outcome::Pass));
    assert_eq!(verdict(&state).0, Verdict::Clear);
}

#[test]
fn past_the_warning_the_window_is_still_judged_but_the_checks_say_so() {
    let (mut state, issuer) = setup();
    send(&mut state, offset(90));
    let standing = state.clock.standing();
    assert!(standing.caveat().is_some() && standing.untrusted().is_none());
    assert!(
        standing
            .caveat_sentence(Lang::En)
            .unwrap()
            .contains("1 min 30 s behind")
    );
    testkit::present(&mut state, &issuer, &testkit::traveller("T01"), 1);
    assert_eq!(outcome(&state, "code-fresh"), Some(Outcome::Pass));
}

#[test]
fn past_five_minutes_the_window_is_unknown_and_approving_is_an_override_not_a_hard_stop() {
    let (mut state, issuer) = setup();
    // The lane's clock runs ten minutes ahead: on it, the fresh code looks expired.
    send(&mut state, offset(-600));
    let t01 = testkit::traveller("T01");
    let issued = state.now - chrono::TimeDelta::minutes(10);
    let code = issuer.code(&t01, issued, 1);
    let effects = send(&mut state, Msg::CodeRead { text: code.clone() });
    let Some(Effect::Verify { request, .. }) = effects.first() else {
        panic!("a code whose window is unknown still goes to the service: {effects:?}")
    };
    let v = testkit::verification(&t01, &code, issued);
    let reply = Msg::ServiceReplied {
        request: *request,
        latency: Duration::from_millis(3),
        result: Ok(Box::new(v)),
    };
    send(&mut state, reply);
    assert_eq!(
        state.current.as_ref().unwrap().offline,
        CodeFacts::Untimed { offset_secs: -600 }
    );
    assert_eq!(outcome(&state, "code-fresh"), Some(Outcome::Unknown));
    let (v, a) = verdict(&state);
    assert_eq!(v, Verdict::Review);
    assert!(matches!(a, Approval::Override(ids) if ids.iter().any(|i| i.wire() == "code-fresh")));
    // The override's reason points at the clock.
    look(&mut state);
    send(&mut state, key('a'));
    let Some(Dialog::Override(form)) = &state.dialog else {
        panic!("approving needs the override: {:?}", state.dialog)
    };
    assert_eq!(
        OverrideReason::ALL[form.cursor],
        OverrideReason::LaneClockWrong
    );
}

#[test]
fn a_code_refused_on_a_wrong_clock_is_judged_again_when_the_offset_is_learned() {
    let (mut state, issuer) = setup();
    let code = issuer.code(
        &testkit::traveller("T01"),
        state.now - chrono::TimeDelta::minutes(10),
        1,
    );
    send(&mut state, Msg::CodeRead { text: code });
    assert_eq!(
        verdict(&state).0,
        Verdict::Refused,
        "expired, on this clock"
    );
    let effects = send(&mut state, offset(-600));
    assert_eq!(outcome(&state, "code-fresh"), Some(Outcome::Unknown));
    assert!(
        matches!(&effects[..], [Effect::Verify { .. }]),
        "no longer refused: the service is asked, as it would have been at once: {effects:?}"
    );
    assert!(matches!(verdict(&state).1, Approval::Override(_)));
    // Set right again (and learned so): judged on the clock once more.
    send(&mut state, offset(0));
    assert_eq!(verdict(&state).0, Verdict::Refused);
}

#[test]
fn a_replay_is_still_caught_when_the_window_is_unknown() {
    let (mut state, issuer) = setup();
    send(&mut state, offset(-600));
    let code = issuer.code(
        &testkit::traveller("T01"),
        state.now - chrono::TimeDelta::minutes(10),
        1,
    );
    send(&mut state, Msg::CodeRead { text: code.clone() });
    send(&mut state, key('c'));
    send(&mut state, Msg::CodeRead { text: code });
    assert!(matches!(
        state.current.as_ref().unwrap().offline,
        CodeFacts::Refused(CredentialError::Replayed { .. })
    ));
}

#[test]
fn a_clock_set_back_is_never_trusted_and_the_service_is_asked_again() {
    let (mut state, issuer) = setup();
    send(&mut state, offset(0));
    state.health_in_flight = false;
    // Someone sets the lane's clock back ten minutes between two messages.
    let back = state.now - chrono::TimeDelta::minutes(10);
    let effects = update(&mut state, Msg::Tick, back);
    assert!(effects.contains(&Effect::CheckHealth), "{effects:?}");
    assert_eq!(state.clock.offset.unwrap().ms, 600_000);
    assert!(!state.clock.offset.unwrap().measured);
    let code = issuer.code(&testkit::traveller("T01"), back, 1);
    send(&mut state, Msg::CodeRead { text: code });
    assert_eq!(outcome(&state, "code-fresh"), Some(Outcome::Unknown));
}

#[test]
fn the_decision_records_the_offset_known_then() {
    let (mut state, issuer) = setup();
    send(&mut state, offset(45));
    testkit::present(&mut state, &issuer, &testkit::traveller("T01"), 1);
    let effects = send(&mut state, key('a'));
    let Some(Effect::Record(d)) = effects.iter().find(|e| matches!(e, Effect::Record(_))) else {
        panic!("approved and recorded: {effects:?}")
    };
    assert_eq!(d.clock_offset.unwrap().ms, 45_000);
}

#[test]
fn a_readers_code_goes_the_cameras_way_and_waits_for_an_undecided_traveller() {
    let (mut state, issuer) = setup();
    let read = |text: String| {
        Msg::Reader(ReaderEvent::Read {
            text,
            via: Via::Serial,
        })
    };
    let code = issuer.code(&testkit::traveller("T01"), state.now, 1);
    let effects = send(&mut state, read(code.clone()));
    assert!(effects.iter().any(|e| matches!(e, Effect::Verify { .. })));
    assert!(state.reader.read_at.is_some());
    assert!(state.camera.read_at.is_none(), "the camera read nothing");
    // The camera reads the same code a moment later: the same presentation.
    assert!(send(&mut state, Msg::CodeRead { text: code }).is_empty());
    // Another code through the reader waits; it never replaces the traveller.
    let other = issuer.code(&testkit::traveller("T02"), state.now, 2);
    send(&mut state, read(other.clone()));
    assert_eq!(state.pending_code, Some(other));
}

#[test]
fn a_reader_lost_and_found_and_its_noise_are_said() {
    let (mut state, _) = setup();
    state.reader.serial = Some("ttyACM0".into());
    send(
        &mut state,
        Msg::Reader(ReaderEvent::Opened {
            port: "/dev/ttyACM0".into(),
        }),
    );
    assert_eq!(state.reader.status, ReaderStatus::Ready);
    let lost = |reason: &str| {
        Msg::Reader(ReaderEvent::Lost {
            port: "/dev/ttyACM0".into(),
            reason: reason.into(),
        })
    };
    send(&mut state, lost("unplugged\u{1b}[2J"));
    let ReaderStatus::Lost { since, reason } = state.reader.status.clone() else {
        panic!("lost")
    };
    assert!(!reason.contains('\u{1b}'), "sanitised: {reason:?}");
    state.now += chrono::TimeDelta::seconds(5);
    send(&mut state, lost("still unplugged"));
    assert!(matches!(&state.reader.status, ReaderStatus::Lost { since: s, .. } if *s == since));
    send(
        &mut state,
        Msg::Reader(ReaderEvent::Opened {
            port: "/dev/ttyACM0".into(),
        }),
    );
    assert_eq!(state.reader.status, ReaderStatus::Ready);
    assert!(matches!(
        &state.notice.as_ref().unwrap().text,
        NoticeText::LabelWith(L::ReaderBack, _)
    ));
    send(
        &mut state,
        Msg::Reader(ReaderEvent::Ignored {
            preview: "4006381333931".into(),
        }),
    );
    assert!(matches!(
        &state.notice.as_ref().unwrap().text,
        NoticeText::LabelWith(L::ReaderIgnored, p) if p.contains("4006381333931")
    ));
    assert!(state.current.is_none(), "noise presents nobody");
}
