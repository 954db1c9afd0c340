use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::TimeDelta;

use super::*;
use crate::console::desk::Desk;
use crate::console::keymap::Key;
use crate::console::msg::{Msg, TrainingMsg};
use crate::console::testkit::{self, TestIssuer};
use crate::domain::checkpoint::Direction;
use crate::domain::checks::{CheckId, Outcome};
use crate::domain::lang::Lang;
use crate::domain::score::StepResult;

const SESSION: &str = r#"
name = "Three"
checkpoint = "lo-wu"
direction = "exit"
[[step]]
after = "10s"
traveller = "hk-resident"
expect = "approve"
[[step]]
after = "20s"
faults = ["service-down", "clock-skew:+5s"]
traveller = "watch-list-alert"
expect = "escalate"
[[step]]
after = "5s"
faults = ["clear"]
code = "corrupt-frame"
expect = "none"
"#;

fn setup(report: Option<PathBuf>) -> (Desk, TestIssuer) {
    let names: HashSet<String> = ["hk-resident", "watch-list-alert"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let session = session::parse(SESSION, "t.toml", &names).unwrap();
    let issuer = TestIssuer::new();
    let state = testkit::state(Direction::Exit, Lang::En, &issuer);
    let now = state.now;
    let mut desk = Desk::from(state);
    desk.modes.training = Some(Training::new(Arc::new(session), now, report));
    (desk, issuer)
}

fn at(desk: &mut Desk, secs: i64, msg: Msg) -> Vec<Effect> {
    let now = testkit::now() + TimeDelta::seconds(secs);
    desk.update(msg, now)
}

fn training(desk: &Desk) -> &Training {
    desk.modes.training.as_ref().unwrap()
}

fn faults(down: bool, skew: i64) -> Effect {
    Effect::Training(TrainingEffect::Faults(Faults {
        down,
        skew,
        ..Faults::default()
    }))
}

fn presents(effects: &[Effect], step: usize) -> bool {
    effects.iter().any(
        |e| matches!(e, Effect::Training(TrainingEffect::Present { step: s, .. }) if *s == step),
    )
}

fn presents_any(effects: &[Effect]) -> bool {
    effects
        .iter()
        .any(|e| matches!(e, Effect::Training(TrainingEffect::Present { .. })))
}

/// The step's traveller is read and answered as the service would, at `secs`.
fn read(desk: &mut Desk, issuer: &TestIssuer, secs: i64, who: &str, seq: u8) {
    desk.lane.now = testkit::now() + TimeDelta::seconds(secs);
    testkit::present(&mut desk.lane, issuer, &testkit::traveller(who), seq);
}

#[test]
fn steps_come_when_due_and_when_the_lane_is_free_and_are_judged() {
    let (mut desk, issuer) = setup(Some(PathBuf::from("/tmp/report.json")));
    assert!(
        at(&mut desk, 9, Msg::Tick)
            .iter()
            .all(|e| *e == Effect::CheckHealth)
    );
    let effects = at(&mut desk, 10, Msg::Tick);
    assert!(effects.contains(&faults(false, 0)), "{effects:?}");
    assert!(presents(&effects, 1), "{effects:?}");
    read(&mut desk, &issuer, 10, "T01", 1);
    // Not due yet, and the lane is busy anyway.
    assert!(!presents_any(&at(&mut desk, 40, Msg::Tick)));
    let effects = at(&mut desk, 42, Msg::Key(Key::char('a')));
    assert_eq!(training(&desk).steps[0].result, StepResult::Right);
    assert_eq!(training(&desk).steps[0].seconds, Some(32.0));
    assert_eq!(training(&desk).steps[0].service, Some("answered"));
    assert_eq!(training(&desk).steps[0].service_ms, Some(3));
    assert!(effects.contains(&Effect::HidePhone), "{effects:?}");
    // Step 2 was due 20 s after step 1 came: it comes as soon as step 1's decision has
    // been on screen long enough to be seen.
    assert!(!presents_any(&effects), "{effects:?}");
    let effects = at(&mut desk, 44, Msg::Tick);
    assert!(effects.contains(&faults(true, 5)), "{effects:?}");
    assert!(presents(&effects, 2), "{effects:?}");
    // Step 1's phone is put away before step 2's is shown, never after: presenting runs
    // on a task and may be done before the next effect is even looked at.
    let shown = effects
        .iter()
        .position(|e| presents(std::slice::from_ref(e), 2));
    let hidden = effects.iter().rposition(|e| *e == Effect::HidePhone);
    assert!(
        hidden.is_some_and(|h| shown.is_some_and(|s| h < s)),
        "{effects:?}"
    );
    // Skipping an undecided step records it as such and brings the next.
    read(&mut desk, &issuer, 44, "T11", 2);
    let effects = at(&mut desk, 45, Msg::Key(Key::char('s')));
    assert_eq!(training(&desk).steps[1].result, StepResult::NoDecision);
    assert!(effects.contains(&faults(false, 0)), "{effects:?}");
    assert!(presents(&effects, 3));
    // A corrupt frame: nothing read, nothing to decide, right; then the score card.
    let shown = Msg::Training(TrainingMsg::Shown {
        step: 3,
        code: None,
    });
    let effects = at(&mut desk, 46, shown);
    assert_eq!(training(&desk).steps[2].result, StepResult::Right);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::WriteFile { .. })),
        "{effects:?}"
    );
    assert!(training(&desk).card_open);
    let report = training(&desk).report.as_ref().unwrap();
    assert!((report.score - 2.0 / 3.0).abs() < 1e-9);
    assert_eq!(report.no_decision, 1);
    // Restart from the score card.
    let effects = at(&mut desk, 50, Msg::Key(Key::ctrl('r')));
    assert!(effects.contains(&Effect::Training(TrainingEffect::Clock { paused: false })));
    assert!(training(&desk).steps.is_empty() && training(&desk).report.is_none());
    assert!(!training(&desk).card_open);
    assert_eq!(desk.lane.dialog, None);
}

#[test]
fn a_step_whose_code_is_not_read_yet_holds_the_next_back_until_skipped() {
    let (mut desk, _) = setup(None);
    assert!(presents(&at(&mut desk, 10, Msg::Tick), 1));
    // The camera has not read it yet (a slow machine, a shaky hand): step 2 waits.
    assert!(!presents_any(&at(&mut desk, 60, Msg::Tick)));
    let effects = at(&mut desk, 61, Msg::Key(Key::char('s')));
    assert!(presents(&effects, 2), "{effects:?}");
    assert_eq!(training(&desk).steps[0].result, StepResult::NoDecision);
}

#[test]
fn a_paused_session_presents_nothing_until_resumed() {
    let (mut desk, _) = setup(None);
    let clock = |paused| vec![Effect::Training(TrainingEffect::Clock { paused })];
    assert_eq!(at(&mut desk, 1, Msg::Key(Key::char('p'))), clock(true));
    assert!(training(&desk).paused);
    assert!(!presents_any(&at(&mut desk, 60, Msg::Tick)));
    assert!(
        at(&mut desk, 61, Msg::Key(Key::char('s'))).is_empty(),
        "no skipping while paused"
    );
    assert_eq!(at(&mut desk, 62, Msg::Key(Key::char('p'))), clock(false));
    assert!(presents(&at(&mut desk, 63, Msg::Tick), 1));
}

#[test]
fn a_stale_trust_list_fault_shows_in_the_checks() {
    let (mut desk, issuer) = setup(None);
    let names: HashSet<String> = ["hk-resident"].iter().map(|s| s.to_string()).collect();
    let stale = r#"
name = "Stale"
checkpoint = "lo-wu"
direction = "exit"
[[step]]
after = "1s"
faults = ["stale-trust-list"]
traveller = "hk-resident"
expect = "approve"
"#;
    let session = session::parse(stale, "s.toml", &names).unwrap();
    desk.modes.training = Some(Training::new(Arc::new(session), desk.lane.now, None));
    let effects = at(&mut desk, 1, Msg::Tick);
    let stale_on = Faults {
        stale: true,
        ..Faults::default()
    };
    assert!(effects.contains(&Effect::Training(TrainingEffect::Faults(stale_on))));
    read(&mut desk, &issuer, 1, "T01", 1);
    let p = desk.lane.current.as_ref().unwrap();
    let check = p
        .checks
        .iter()
        .find(|c| c.id == CheckId::TrustListFresh)
        .unwrap();
    assert_eq!(check.outcome, Outcome::Warning);
}

#[test]
fn a_decision_on_a_step_puts_the_phone_away_and_the_demo_keys_do_nothing_in_training() {
    let (mut desk, issuer) = setup(None);
    at(&mut desk, 10, Msg::Tick);
    read(&mut desk, &issuer, 10, "T01", 1);
    assert!(at(&mut desk, 11, Msg::Key(Key::char('x'))).is_empty());
    let effects = at(&mut desk, 12, Msg::Key(Key::char('a')));
    assert!(effects.contains(&Effect::HidePhone), "{effects:?}");
}
