//! Training: a session's steps presented on its clock, each judged against the decision
//! the lane made, and a score card at the end. One engine: on screen the steps reach the
//! lane through the simulated phone and the camera; graded headless (`grade.rs`) the grader
//! reads each code off the phone and types the trainee's decisions in as keys. Both run
//! the same `Desk::update` and the same effect runner.
//!
//! - `session.rs`: the session file format
//! - `report.rs`: each step judged, the session scored
//! - `faults.rs`: the trainer's fault switches and the slow service
//! - `present.rs`: a step's code put on the phone
//! - `grade.rs`: a session graded headless from a decisions file

pub mod faults;
pub mod grade;
pub mod present;
pub mod report;
pub mod session;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};

use crate::console::effect::{Effect, Faults, TrainingEffect};
use crate::console::keymap::Command;
use crate::console::msg::TrainingMsg;
use crate::console::presentation::Presentation;
use crate::console::state::{Fact, NoticeLevel, NoticeText, State};
use crate::console::update::notify;

use report::{Report, StepReport, Taken, report};
use session::{Fault, Session};

/// How old the trust list looks in a stale-trust-list drill.
pub const STALE_AGE_SECS: i64 = 30 * 3600;

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
    pub faults: Faults,
    /// Steps whose time is not known (a graded decision that does not say how long it took).
    pub untimed: HashSet<usize>,
    /// Where to write the report when the session ends.
    pub report_path: Option<PathBuf>,
    pub report: Option<Report>,
    /// The score card is on screen.
    pub card_open: bool,
}

impl Training {
    pub fn new(
        session: Arc<Session>,
        now: DateTime<Utc>,
        report_path: Option<PathBuf>,
    ) -> Training {
        let due = now + gap(&session, 0);
        Training {
            session,
            next: 0,
            due,
            paused: false,
            on_screen: None,
            steps: vec![],
            last_code: None,
            faults: Faults::default(),
            untimed: HashSet::new(),
            report_path,
            report: None,
            card_open: false,
        }
    }

    /// When the next step can come: when it is due and the lane is free.
    pub fn next_at(&self, lane: &State) -> Option<DateTime<Utc>> {
        lane.free_at().map(|free| free.max(self.due))
    }

    /// Which step of how many, for the header.
    pub fn progress(&self) -> (usize, usize) {
        (self.steps.len(), self.session.steps.len())
    }

    /// Presents the next step when it is due and the lane is free.
    pub fn tick(&mut self, lane: &mut State) -> Vec<Effect> {
        // A step stays on until it is dealt with (its code may take a while to be read),
        // and a decision's confirmation stays on screen a moment before the next comes.
        if self.paused || self.report.is_some() || !lane.free() || self.on_screen.is_some() {
            return vec![];
        }
        if self.next >= self.session.steps.len() {
            return self.finish();
        }
        if lane.now < self.due {
            return vec![];
        }
        let step = self.session.steps[self.next].clone();
        self.next += 1;
        self.due = lane.now + gap(&self.session, self.next);
        let (was_stale, was_skew) = (self.faults.stale, self.faults.skew);
        for fault in &step.faults {
            self.apply(*fault);
        }
        if self.faults.stale && !was_stale {
            // The list on hand now looks a day and more old; refreshing it does not help.
            if let Some(trust) = lane.trust.as_mut() {
                trust.issued_at = lane.now.timestamp() - STALE_AGE_SECS;
            }
        }
        self.on_screen = Some((step.number, lane.now));
        let mut effects = vec![Effect::Training(TrainingEffect::Faults(self.faults))];
        if self.faults.skew != was_skew {
            // The lane's clock was just set wrong (or right): it asks the service's time at
            // once, as it would within seconds anyway.
            lane.health_in_flight = true;
            effects.push(Effect::CheckHealth);
        }
        // The last traveller's phone goes away before the next one is shown: presenting runs
        // on a task and can finish at once (a forged code needs no service), so a hide after
        // it could put the new code away before the camera sees it.
        if lane.current.is_some() {
            lane.current = None;
            effects.push(Effect::HidePhone);
        }
        effects.push(Effect::Training(TrainingEffect::Present {
            step: step.number,
            present: step.present.clone(),
            last_code: self.last_code.clone(),
            via_reader: step.via_reader,
        }));
        effects
    }

    fn apply(&mut self, fault: Fault) {
        let f = &mut self.faults;
        match fault {
            Fault::ServiceDown => f.down = true,
            Fault::ServiceSlow => f.slow = true,
            Fault::ClockSkew(s) => f.skew = s,
            Fault::StaleTrustList => f.stale = true,
            Fault::Clear => *f = Faults::default(),
        }
    }

    pub fn on_msg(&mut self, lane: &mut State, msg: TrainingMsg) -> Vec<Effect> {
        match msg {
            TrainingMsg::Shown {
                code: Some(code), ..
            } => {
                self.last_code = Some(code);
                vec![]
            }
            TrainingMsg::Shown { step, code: None } => {
                // Nothing to read, nothing to decide: the step is recorded as it stands.
                self.record(lane.now, step, None, Taken::default());
                self.tick(lane)
            }
            TrainingMsg::Failed { message } => {
                notify(lane, NoticeText::Plain(message), NoticeLevel::Error);
                vec![]
            }
        }
    }

    /// The lane decided or moved on: the step on screen is judged, and after a decision
    /// the phone goes away.
    pub fn react(&mut self, lane: &State, fact: &Fact) -> Vec<Effect> {
        let step = self.on_screen.map(|(n, _)| n);
        match fact {
            Fact::Decided(p) => {
                if let (Some(step), Some(d)) = (step, &p.decision) {
                    let taken = Taken {
                        decision: Some(d.kind),
                        reasons: d.reasons.clone(),
                        overridden: d.override_reason.is_some(),
                        seconds: None,
                    };
                    self.record(lane.now, step, Some(p), taken);
                }
                vec![Effect::HidePhone]
            }
            Fact::Cleared(p) => {
                if let Some(step) = step.filter(|_| p.decision.is_none()) {
                    self.record(lane.now, step, Some(p), Taken::default());
                }
                vec![]
            }
        }
    }

    fn record(
        &mut self,
        now: DateTime<Utc>,
        number: usize,
        shown: Option<&Presentation>,
        mut taken: Taken,
    ) {
        let Some(step) = self.session.steps.iter().find(|s| s.number == number) else {
            return;
        };
        if self.steps.iter().any(|s| s.step == number) {
            return;
        }
        if !self.untimed.contains(&number) {
            taken.seconds = self
                .on_screen
                .filter(|(n, _)| *n == number)
                .map(|(_, at)| (now - at).as_seconds_f64());
        }
        self.on_screen = None;
        self.steps.push(StepReport::judge(step, shown, taken));
    }

    /// Every step presented and dealt with: the score card, and the report file if asked for.
    fn finish(&mut self) -> Vec<Effect> {
        if self.report.is_some() || self.on_screen.is_some() {
            return vec![];
        }
        let r = report(&self.session, self.steps.clone());
        let mut effects = vec![];
        if let Some(path) = &self.report_path {
            effects.push(Effect::WriteFile {
                path: path.clone(),
                contents: serde_json::to_string_pretty(&r).expect("reports serialise"),
            });
        }
        self.report = Some(r);
        self.card_open = true;
        effects
    }

    /// The trainer's keys: pause, skip, restart.
    pub fn on_command(&mut self, lane: &mut State, command: Command) -> Vec<Effect> {
        match command {
            Command::TrainPause => self.pause(lane),
            Command::TrainSkip => self.skip(lane),
            Command::TrainRestart => self.restart(lane),
            _ => vec![],
        }
    }

    /// A key while the score card is open: quit, restart, or anything else to close it.
    pub fn card_key(&mut self, lane: &mut State, command: Option<Command>) -> Vec<Effect> {
        self.card_open = false;
        match command {
            Some(Command::Quit) => {
                lane.quit = true;
                vec![]
            }
            Some(Command::TrainRestart) => self.restart(lane),
            _ => vec![],
        }
    }

    fn pause(&mut self, lane: &State) -> Vec<Effect> {
        self.paused = !self.paused;
        if !self.paused {
            // The wait for the next step goes on from where it stopped.
            self.due = self.due.max(lane.now);
        }
        vec![Effect::Training(TrainingEffect::Clock {
            paused: self.paused,
        })]
    }

    fn skip(&mut self, lane: &mut State) -> Vec<Effect> {
        if self.paused {
            return vec![];
        }
        self.due = lane.now;
        // A traveller left undecided (or whose code was never read) is recorded as such.
        if let Some((step, _)) = self.on_screen {
            let shown = lane.current.take();
            self.record(lane.now, step, shown.as_ref(), Taken::default());
        }
        lane.dialog = None;
        self.tick(lane)
    }

    fn restart(&mut self, lane: &mut State) -> Vec<Effect> {
        *self = Training::new(self.session.clone(), lane.now, self.report_path.clone());
        lane.current = None;
        lane.pending_code = None;
        lane.dialog = None;
        vec![
            Effect::Training(TrainingEffect::Faults(Faults::default())),
            Effect::Training(TrainingEffect::Clock { paused: false }),
        ]
    }
}

/// How long after the previous step (or the start) step `index` comes.
fn gap(session: &Session, index: usize) -> TimeDelta {
    session.steps.get(index).map_or(TimeDelta::zero(), |s| {
        TimeDelta::from_std(s.after).unwrap_or_default()
    })
}

#[cfg(test)]
mod tests;
