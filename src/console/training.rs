//! Training in the console: which step of the session is on screen, when the next one is
//! due on the session's clock, the trainer's keys (pause, skip, restart), and the score
//! card at the end. Pure, like `update`: it returns effects.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};

use crate::domain::checks::suggest;
use crate::domain::decision::DecisionKind;
use crate::domain::score::{self, Given, Wanted};
use crate::edges::sessions::{Fault, Session};

use super::effects::Effect;
use super::state::{Dialog, State};
use super::train::{Report, StepReport, report};

#[derive(Debug, Clone)]
pub struct Training {
    pub session: Arc<Session>,
    /// Index of the next step to present.
    pub next: usize,
    /// When (session time) the next step comes.
    pub due: DateTime<Utc>,
    pub paused: bool,
    /// The step whose code is on screen, and when it came.
    pub on_screen: Option<(usize, DateTime<Utc>)>,
    /// What happened at each step presented so far.
    pub steps: Vec<StepReport>,
    pub last_code: Option<String>,
    pub down: bool,
    pub slow: bool,
    pub skew: i64,
    pub stale: bool,
    /// Where to write the report when the session ends.
    pub report_path: Option<PathBuf>,
    pub report: Option<Report>,
}

impl Training {
    pub fn new(
        session: Arc<Session>,
        now: DateTime<Utc>,
        report_path: Option<PathBuf>,
    ) -> Training {
        let due = now + first_gap(&session);
        Training {
            session,
            next: 0,
            due,
            paused: false,
            on_screen: None,
            steps: vec![],
            last_code: None,
            down: false,
            slow: false,
            skew: 0,
            stale: false,
            report_path,
            report: None,
        }
    }

    /// Which step of how many, for the header.
    pub fn progress(&self) -> (usize, usize) {
        (self.steps.len(), self.session.steps.len())
    }
}

fn first_gap(session: &Session) -> TimeDelta {
    session.steps.first().map_or(TimeDelta::zero(), |s| {
        TimeDelta::from_std(s.after).unwrap_or_default()
    })
}

fn gap(session: &Session, index: usize) -> TimeDelta {
    session.steps.get(index).map_or(TimeDelta::zero(), |s| {
        TimeDelta::from_std(s.after).unwrap_or_default()
    })
}

/// Presents the next step when it is due and the lane is free.
pub fn tick(state: &mut State) -> Vec<Effect> {
    let now = state.now;
    let busy = state.undecided() || state.dialog.as_ref().is_some_and(Dialog::is_decision);
    let Some(t) = state.training.as_mut() else {
        return vec![];
    };
    // A step stays on until it is dealt with: its code may take a while to be read.
    if t.paused || t.report.is_some() || busy || t.on_screen.is_some() {
        return vec![];
    }
    if t.next >= t.session.steps.len() {
        return finish(state);
    }
    if now < t.due {
        return vec![];
    }
    let step = t.session.steps[t.next].clone();
    t.next += 1;
    t.due = now + gap(&t.session, t.next);
    for fault in &step.faults {
        match fault {
            Fault::ServiceDown => t.down = true,
            Fault::ServiceSlow => t.slow = true,
            Fault::ClockSkew(s) => t.skew = *s,
            Fault::StaleTrustList => t.stale = true,
            Fault::Clear => (t.down, t.slow, t.skew, t.stale) = (false, false, 0, false),
        }
    }
    t.on_screen = Some((step.number, now));
    let mut effects = vec![Effect::TrainFaults {
        down: t.down,
        slow: t.slow,
        skew: t.skew,
    }];
    let present = Effect::TrainPresent {
        step: step.number,
        present: step.present.clone(),
        last_code: t.last_code.clone(),
    };
    // The last traveller's phone goes away before the next one is shown: presenting runs
    // on a task and can finish at once (a forged code needs no service), so a hide after
    // it could put the new code away before the camera sees it.
    if state.current.is_some() {
        state.current = None;
        effects.push(Effect::Demo(super::effects::DemoEffect::HidePhone));
    }
    effects.push(present);
    effects
}

/// The code for a step is on the phone (or nothing, for a corrupt frame).
pub fn shown(state: &mut State, step: usize, code: Option<String>) -> Vec<Effect> {
    let Some(t) = state.training.as_mut() else {
        return vec![];
    };
    if let Some(code) = &code {
        t.last_code = Some(code.clone());
    }
    if code.is_none() {
        // Nothing to read, nothing to decide: the step is recorded as it stands.
        record(state, step, None);
        return tick(state);
    }
    vec![]
}

/// Notes what was decided for the step on screen.
pub fn decided(state: &mut State, kind: DecisionKind, reasons: &[String], overridden: bool) {
    let Some((step, _)) = state.training.as_ref().and_then(|t| t.on_screen) else {
        return;
    };
    record(state, step, Some((kind, reasons.to_vec(), overridden)));
}

fn record(state: &mut State, number: usize, given: Option<(DecisionKind, Vec<String>, bool)>) {
    let now = state.now;
    let (suggested, not_passed) = match &state.current {
        Some(p) => (
            Some(suggest(&p.checks).as_str().to_owned()),
            crate::domain::checks::not_passed(&p.checks),
        ),
        None => (None, vec![]),
    };
    let (service, service_ms) = super::train::lookup_facts(state);
    let Some(t) = state.training.as_mut() else {
        return;
    };
    let Some(step) = t.session.steps.iter().find(|s| s.number == number).cloned() else {
        return;
    };
    if t.steps.iter().any(|s| s.step == number) {
        return;
    }
    let seconds = t
        .on_screen
        .filter(|(n, _)| *n == number)
        .map(|(_, at)| (now - at).as_seconds_f64());
    t.on_screen = None;
    let (decision, reasons, overridden) = match given {
        Some((k, r, o)) => (Some(k), r, o),
        None => (None, vec![], false),
    };
    let wanted = Wanted {
        decision: step.expect.decision,
        accept: step.expect.accept.clone(),
        reasons: step.expect.reasons.clone(),
    };
    let given = Given {
        decision,
        reasons: reasons.clone(),
    };
    t.steps.push(StepReport {
        step: number,
        presented: super::train::describe(&step.present),
        expected: step.expect.decision,
        accepted: step.expect.accept.clone(),
        expected_reasons: step.expect.reasons.clone(),
        decision,
        reasons,
        overridden,
        result: score::judge(&wanted, &given),
        suggested,
        not_passed,
        seconds: if decision.is_some() { seconds } else { None },
        service,
        service_ms,
    });
}

/// Every step presented and dealt with: the score card, and the report file if asked for.
fn finish(state: &mut State) -> Vec<Effect> {
    let Some(t) = state.training.as_mut() else {
        return vec![];
    };
    if t.report.is_some() || t.on_screen.is_some() {
        return vec![];
    }
    let r = report(&t.session, t.steps.clone());
    let mut effects = vec![];
    if let Some(path) = &t.report_path {
        effects.push(Effect::WriteReport {
            path: path.clone(),
            json: serde_json::to_string_pretty(&r).expect("reports serialise"),
        });
    }
    t.report = Some(r);
    state.dialog = Some(Dialog::ScoreCard);
    effects
}

/// The officer cleared the traveller on screen without deciding.
pub fn cleared(state: &mut State) {
    if let Some((step, _)) = state.training.as_ref().and_then(|t| t.on_screen)
        && state.undecided()
    {
        record(state, step, None);
    }
}

/// The trust list's age as the training session makes it look.
pub fn trust_age(state: &State) -> Option<Option<i64>> {
    state
        .training
        .as_ref()
        .filter(|t| t.stale)
        .map(|_| Some(30 * 3600))
}

pub fn pause(state: &mut State) -> Vec<Effect> {
    let now = state.now;
    let Some(t) = state.training.as_mut() else {
        return vec![];
    };
    t.paused = !t.paused;
    if !t.paused {
        // The wait for the next step goes on from where it stopped.
        t.due = t.due.max(now);
    }
    vec![Effect::TrainClock { paused: t.paused }]
}

pub fn skip(state: &mut State) -> Vec<Effect> {
    let now = state.now;
    let Some(t) = state.training.as_mut() else {
        return vec![];
    };
    if t.paused {
        return vec![];
    }
    t.due = now;
    // A traveller left undecided (or whose code was never read) is recorded as such.
    if let Some((step, _)) = t.on_screen {
        record(state, step, None);
        state.current = None;
    }
    state.dialog = None;
    tick(state)
}

pub fn restart(state: &mut State) -> Vec<Effect> {
    let now = state.now;
    let Some(t) = state.training.as_mut() else {
        return vec![];
    };
    let fresh = Training::new(t.session.clone(), now, t.report_path.clone());
    *t = fresh;
    state.current = None;
    state.pending_code = None;
    state.dialog = None;
    vec![
        Effect::TrainFaults {
            down: false,
            slow: false,
            skew: 0,
        },
        Effect::TrainClock { paused: false },
    ]
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::console::keymap::Key;
    use crate::console::msg::Msg;
    use crate::console::state::Dialog;
    use crate::console::testkit::{self, TestIssuer};
    use crate::console::update::update;
    use crate::domain::checkpoint::Direction;
    use crate::domain::lang::Lang;
    use crate::domain::score::StepResult;
    use crate::edges::sessions;

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

    fn setup(report: Option<PathBuf>) -> (State, TestIssuer) {
        let names: HashSet<String> = ["hk-resident", "watch-list-alert"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let session = sessions::parse(SESSION, "t.toml", &names).unwrap();
        let issuer = TestIssuer::new();
        let mut state = testkit::state(Direction::Exit, Lang::En, &issuer);
        state.training = Some(Training::new(Arc::new(session), state.now, report));
        (state, issuer)
    }

    fn at(state: &mut State, secs: i64, msg: Msg) -> Vec<Effect> {
        let now = testkit::now() + TimeDelta::seconds(secs);
        update(state, msg, now)
    }

    fn training(state: &State) -> &Training {
        state.training.as_ref().unwrap()
    }

    #[test]
    fn steps_come_when_due_and_when_the_lane_is_free_and_are_judged() {
        let (mut state, issuer) = setup(Some(PathBuf::from("/tmp/report.json")));
        assert!(
            at(&mut state, 9, Msg::Tick)
                .iter()
                .all(|e| *e == Effect::CheckHealth)
        );
        let effects = at(&mut state, 10, Msg::Tick);
        assert!(
            effects.contains(&Effect::TrainFaults {
                down: false,
                slow: false,
                skew: 0
            }),
            "{effects:?}"
        );
        assert!(
            effects
                .iter()
                .any(|e| matches!(e, Effect::TrainPresent { step: 1, .. })),
            "{effects:?}"
        );
        // The phone shows the code; the traveller is read and answered as the service would.
        state.now = testkit::now() + TimeDelta::seconds(10);
        testkit::present(&mut state, &issuer, &testkit::traveller("T01"), 1);
        // Not due yet, and the lane is busy anyway.
        assert!(
            !at(&mut state, 40, Msg::Tick)
                .iter()
                .any(|e| matches!(e, Effect::TrainPresent { .. }))
        );
        let effects = at(&mut state, 42, Msg::Key(Key::char('a')));
        assert_eq!(training(&state).steps[0].result, StepResult::Right);
        assert_eq!(training(&state).steps[0].seconds, Some(32.0));
        assert_eq!(training(&state).steps[0].service, Some("answered"));
        assert_eq!(training(&state).steps[0].service_ms, Some(3));
        // Step 2 was due 20 s after step 1 came: it comes as soon as step 1 is decided.
        assert!(
            effects.contains(&Effect::TrainFaults {
                down: true,
                slow: false,
                skew: 5
            }),
            "{effects:?}"
        );
        assert!(
            effects
                .iter()
                .any(|e| matches!(e, Effect::TrainPresent { step: 2, .. })),
            "{effects:?}"
        );
        // Step 1's phone is put away before step 2's is shown, never after: presenting runs
        // on a task and may be done before the next effect is even looked at.
        let shown = effects
            .iter()
            .position(|e| matches!(e, Effect::TrainPresent { .. }))
            .unwrap();
        let hidden = effects
            .iter()
            .rposition(|e| *e == Effect::Demo(crate::console::effects::DemoEffect::HidePhone));
        assert!(hidden.is_some_and(|h| h < shown), "{effects:?}");
        // Skipping an undecided step records it as such and brings the next.
        state.now = testkit::now() + TimeDelta::seconds(44);
        testkit::present(&mut state, &issuer, &testkit::traveller("T11"), 2);
        let effects = at(&mut state, 45, Msg::Key(Key::char('s')));
        assert_eq!(training(&state).steps[1].result, StepResult::NoDecision);
        assert!(
            effects.contains(&Effect::TrainFaults {
                down: false,
                slow: false,
                skew: 0
            }),
            "{effects:?}"
        );
        assert!(
            effects
                .iter()
                .any(|e| matches!(e, Effect::TrainPresent { step: 3, .. }))
        );
        // A corrupt frame: nothing read, nothing to decide, right; then the score card.
        let effects = at(
            &mut state,
            46,
            Msg::TrainShown {
                step: 3,
                code: None,
            },
        );
        assert_eq!(training(&state).steps[2].result, StepResult::Right);
        assert!(
            effects
                .iter()
                .any(|e| matches!(e, Effect::WriteReport { .. })),
            "{effects:?}"
        );
        assert_eq!(state.dialog, Some(Dialog::ScoreCard));
        let report = training(&state).report.as_ref().unwrap();
        assert!((report.score - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(report.no_decision, 1);
        // Restart from the score card.
        let effects = at(&mut state, 50, Msg::Key(Key::ctrl('r')));
        assert!(effects.contains(&Effect::TrainClock { paused: false }));
        assert!(training(&state).steps.is_empty() && training(&state).report.is_none());
        assert_eq!(state.dialog, None);
    }

    #[test]
    fn a_step_whose_code_is_not_read_yet_holds_the_next_back_until_skipped() {
        let (mut state, _) = setup(None);
        assert!(
            at(&mut state, 10, Msg::Tick)
                .iter()
                .any(|e| matches!(e, Effect::TrainPresent { step: 1, .. }))
        );
        // The camera has not read it yet (a slow machine, a shaky hand): step 2 waits.
        assert!(
            !at(&mut state, 60, Msg::Tick)
                .iter()
                .any(|e| matches!(e, Effect::TrainPresent { .. }))
        );
        let effects = at(&mut state, 61, Msg::Key(Key::char('s')));
        assert!(
            effects
                .iter()
                .any(|e| matches!(e, Effect::TrainPresent { step: 2, .. })),
            "{effects:?}"
        );
        assert_eq!(training(&state).steps[0].result, StepResult::NoDecision);
    }

    #[test]
    fn a_paused_session_presents_nothing_until_resumed() {
        let (mut state, _) = setup(None);
        assert_eq!(
            at(&mut state, 1, Msg::Key(Key::char('p'))),
            vec![Effect::TrainClock { paused: true }]
        );
        assert!(training(&state).paused);
        assert!(
            !at(&mut state, 60, Msg::Tick)
                .iter()
                .any(|e| matches!(e, Effect::TrainPresent { .. }))
        );
        assert!(
            at(&mut state, 61, Msg::Key(Key::char('s'))).is_empty(),
            "no skipping while paused"
        );
        assert_eq!(
            at(&mut state, 62, Msg::Key(Key::char('p'))),
            vec![Effect::TrainClock { paused: false }]
        );
        assert!(
            at(&mut state, 63, Msg::Tick)
                .iter()
                .any(|e| matches!(e, Effect::TrainPresent { step: 1, .. }))
        );
    }

    #[test]
    fn a_stale_trust_list_fault_shows_in_the_checks() {
        let (mut state, issuer) = setup(None);
        state.training.as_mut().unwrap().stale = true;
        testkit::present(&mut state, &issuer, &testkit::traveller("T01"), 1);
        let p = state.current.as_ref().unwrap();
        let check = p
            .checks
            .iter()
            .find(|c| c.id == "trust-list-fresh")
            .unwrap();
        assert_eq!(check.outcome, crate::domain::checks::Outcome::Warning);
    }
}
