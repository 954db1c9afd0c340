//! A session graded headless: the same desk, effect runner and service as on screen, with
//! no terminal and no camera. The grader reads each code off the phone (where the camera
//! would), moves the session's clock on to each step, and types the trainee's decisions
//! in as keys, so a decision the console would not accept is not accepted here.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc::UnboundedReceiver;

use crate::console::desk::Desk;
use crate::console::keymap::{Key, KeyCode};
use crate::console::msg::{Msg, TrainingMsg};
use crate::console::runner::EffectRunner;
use crate::console::state::{DECISION_LOCK, Dialog};
use crate::domain::clock::{Clock, local_date};
use crate::domain::decision::{DecisionKind, FlagReason, ReferralReason};
use crate::edges::reader::{ReaderEvent, Via};

use super::Training;
use super::faults::Switchboard;
use super::report::Report;
use super::session::Session;

/// One decision from a trainee, as in a `--decisions` file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraineeDecision {
    pub step: usize,
    pub decision: DecisionKind,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
    /// Why an approval went ahead over a failed or unknown check.
    #[serde(default, rename = "override", skip_serializing_if = "Option::is_none")]
    pub override_reason: Option<String>,
    /// How long the trainee took, if the recording says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<f64>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DecisionsFile {
    #[serde(default)]
    decision: Vec<TraineeDecision>,
}

pub fn load_decisions(path: &Path) -> Result<Vec<TraineeDecision>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the decisions file {}: {e}", path.display()))?;
    let file: DecisionsFile = toml::from_str(&text).map_err(|e: toml::de::Error| {
        let line = e.span().map_or(0, |s| {
            text[..s.start.min(text.len())].matches('\n').count() + 1
        });
        format!("{}:{line}: {}", path.display(), e.message().trim())
    })?;
    Ok(file.decision)
}

/// The session's expected decisions in the `--decisions` format.
pub fn expected_decisions(session: &Session) -> String {
    let decision = session
        .steps
        .iter()
        .filter_map(|s| {
            Some(TraineeDecision {
                step: s.number,
                decision: s.expect.decision?,
                reasons: s.expect.reasons.first().cloned().into_iter().collect(),
                note: String::new(),
                override_reason: None,
                seconds: None,
            })
        })
        .collect();
    let header = format!(
        "# Expected decisions for \"{}\" (lanedesk train --expected).\n",
        session.name
    );
    header + &toml::to_string(&DecisionsFile { decision }).expect("decisions serialise")
}

/// Checks that every decision names a step the session has.
pub fn check_decisions(session: &Session, decisions: &[TraineeDecision]) -> Result<(), String> {
    match decisions
        .iter()
        .find(|d| d.step == 0 || d.step > session.steps.len())
    {
        Some(d) => Err(format!(
            "decisions: step {} is not in the session, which has steps 1 to {}",
            d.step,
            session.steps.len()
        )),
        None => Ok(()),
    }
}

/// The virtual start: the session's time of day, today at the control point.
pub fn start_time(session: &Session) -> DateTime<Utc> {
    let day = local_date(Utc::now());
    let local = day.and_time(session.start);
    DateTime::<Utc>::from_naive_utc_and_offset(local - TimeDelta::hours(8), Utc)
}

/// A session by name (`basics`) from `fixtures/sessions/`, or by path.
pub fn session_path(name_or_path: &str, fixtures: &Path) -> PathBuf {
    let as_path = PathBuf::from(name_or_path);
    if as_path.is_file() || name_or_path.ends_with(".toml") {
        as_path
    } else {
        fixtures
            .join("sessions")
            .join(format!("{name_or_path}.toml"))
    }
}

/// What `traveller = ...` may name: the fixtures' ids and scenarios.
pub fn traveller_names(fixtures: &Path) -> Result<HashSet<String>, String> {
    let travellers =
        crate::fixtures::load(fixtures, local_date(Utc::now())).map_err(|e| e.to_string())?;
    Ok(travellers
        .into_iter()
        .flat_map(|t| [t.holder.id, t.scenario])
        .collect())
}

/// The console without a terminal: the desk, the runner that performs its effects one at
/// a time (so the session plays the same way every time), and the session's clock.
pub struct Headless {
    pub desk: Desk,
    runner: EffectRunner,
    rx: UnboundedReceiver<Msg>,
    switchboard: Arc<Switchboard>,
    queue: VecDeque<Msg>,
}

impl Headless {
    /// `desk` must carry the training; the switchboard's clock must be paused (the grader
    /// moves it).
    pub fn new(
        desk: Desk,
        runner: EffectRunner,
        rx: UnboundedReceiver<Msg>,
        switchboard: Arc<Switchboard>,
    ) -> Headless {
        Headless {
            desk,
            runner,
            rx,
            switchboard,
            queue: VecDeque::new(),
        }
    }

    fn training(&self) -> Option<&Training> {
        self.desk.modes.training.as_ref()
    }

    /// Plays the session with `decisions` and returns its report.
    pub async fn grade(mut self, decisions: &[TraineeDecision]) -> Result<Report, String> {
        let by_step: HashMap<usize, &TraineeDecision> =
            decisions.iter().map(|d| (d.step, d)).collect();
        let steps = self.training().map_or(0, |t| t.session.steps.len());
        let mut typed = HashSet::new();
        for effect in self.desk.start() {
            self.perform(effect).await;
        }
        self.settle().await;
        // Each round presents, decides or skips a step: a generous bound against a stall.
        for _ in 0..(steps * 4 + 16) {
            let t = self.training().ok_or("no training session to grade")?;
            if let Some(report) = &t.report {
                return Ok(report.clone());
            }
            let Some((step, _)) = t.on_screen else {
                // Nothing on screen: the clock moves on to when the next step can come.
                let next = t.next_at(&self.desk.lane).unwrap_or(t.due);
                let wait = next - self.desk.lane.now;
                if wait > TimeDelta::zero() {
                    self.switchboard.clock.advance(wait);
                }
                self.send(Msg::Tick).await;
                continue;
            };
            let undecided = self.desk.lane.undecided();
            match by_step.get(&step) {
                Some(d) if undecided && typed.insert(step) => self.decide(d).await?,
                // No decision for this step (or none the lane would take): left undecided.
                _ => self.send(Msg::Key(Key::char('s'))).await,
            }
        }
        Err("training stalled: the session did not end; this is a bug in lanedesk".into())
    }

    /// Types a trainee's decision into the console, as an officer would, after the time it
    /// took (when the decisions file says).
    async fn decide(&mut self, d: &TraineeDecision) -> Result<(), String> {
        // The console ignores decision keys in the first moment a traveller is on screen.
        let took = match d.seconds {
            Some(secs) => TimeDelta::milliseconds((secs * 1000.0) as i64),
            None => {
                if let Some(t) = self.desk.modes.training.as_mut() {
                    t.untimed.insert(d.step);
                }
                TimeDelta::zero()
            }
        };
        self.switchboard.clock.advance(took.max(DECISION_LOCK));
        match d.decision {
            DecisionKind::Approve => {
                self.key(Key::char('a')).await;
                if matches!(self.desk.lane.dialog, Some(Dialog::Override(_))) {
                    // The reason the console suggests stays picked; the note is typed, then
                    // the override is confirmed a second time.
                    let note = d.override_reason.as_deref().unwrap_or("(no reason given)");
                    self.key(Key::plain(KeyCode::Tab)).await;
                    self.type_text(note).await;
                    self.key(Key::plain(KeyCode::Enter)).await;
                    self.key(Key::plain(KeyCode::Enter)).await;
                }
            }
            DecisionKind::Flag => {
                self.key(Key::char('f')).await;
                let mut wanted = d
                    .reasons
                    .iter()
                    .map(|r| {
                        FlagReason::parse(r)
                            .map(FlagReason::index)
                            .ok_or_else(|| unknown(d.step, "flag reason", r, &FlagReason::known()))
                    })
                    .collect::<Result<Vec<usize>, String>>()?;
                if wanted.is_empty() {
                    // The console insists on a reason: "other" stands for none given.
                    wanted.push(FlagReason::Other.index());
                }
                // The console ticks the reasons the checks point to: the trainee's own
                // reasons are exactly what is ticked when they confirm.
                let ticked = match &self.desk.lane.dialog {
                    Some(Dialog::Flag(form)) => form.chosen.clone(),
                    _ => vec![],
                };
                for i in 0..FlagReason::ALL.len() {
                    if ticked.contains(&i) != wanted.contains(&i) {
                        self.key(digit(i)).await;
                    }
                }
            }
            DecisionKind::Escalate => {
                self.key(Key::char('e')).await;
                if let Some(r) = d.reasons.first() {
                    let reason = ReferralReason::parse(r).ok_or_else(|| {
                        unknown(d.step, "referral reason", r, &ReferralReason::known())
                    })?;
                    self.key(digit(reason.index())).await;
                }
            }
        }
        if self
            .desk
            .lane
            .dialog
            .as_ref()
            .is_some_and(Dialog::is_decision)
        {
            if !d.note.is_empty() && !matches!(self.desk.lane.dialog, Some(Dialog::Override(_))) {
                self.key(Key::plain(KeyCode::Tab)).await;
                self.type_text(&d.note).await;
            }
            self.key(Key::plain(KeyCode::Enter)).await;
        }
        if self
            .desk
            .lane
            .dialog
            .as_ref()
            .is_some_and(Dialog::is_decision)
        {
            // The console did not take it (a reason missing): the step stays undecided.
            self.key(Key::plain(KeyCode::Esc)).await;
        }
        Ok(())
    }

    async fn key(&mut self, key: Key) {
        self.send(Msg::Key(key)).await;
    }

    async fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.key(Key::plain(KeyCode::Char(c))).await;
        }
    }

    async fn send(&mut self, msg: Msg) {
        self.queue.push_back(msg);
        self.settle().await;
    }

    /// Handles every message waiting (and those their effects answer with) until none is
    /// left. A code put on the phone is read, as the camera would.
    async fn settle(&mut self) {
        loop {
            let msg = match self.queue.pop_front() {
                Some(m) => m,
                None => match self.rx.try_recv() {
                    Ok(m) => m,
                    Err(_) => break,
                },
            };
            let read = match &msg {
                Msg::Training(TrainingMsg::Shown {
                    step,
                    code: Some(code),
                }) => Some((*step, code.clone())),
                _ => None,
            };
            let now = self.switchboard.lane_clock.now();
            for effect in self.desk.update(msg, now) {
                self.perform(effect).await;
            }
            if let Some((step, text)) = read {
                self.queue.push_back(self.read(step, text));
            }
        }
    }

    /// A step's code, read as the camera would, or as the reader for a step via it.
    fn read(&self, step: usize, text: String) -> Msg {
        let via_reader = self.desk.modes.training.as_ref().is_some_and(|t| {
            t.session
                .steps
                .iter()
                .any(|s| s.number == step && s.via_reader)
        });
        if via_reader {
            Msg::Reader(ReaderEvent::Read {
                text,
                via: Via::Serial,
            })
        } else {
            Msg::CodeRead { text }
        }
    }

    async fn perform(&mut self, effect: crate::console::effect::Effect) {
        if let Some(reply) = self.runner.perform(effect).await {
            self.queue.push_back(reply);
        }
    }
}

/// The key that picks the reason at `index` in a dialog (1-9).
fn digit(index: usize) -> Key {
    Key::char(char::from(b'1' + index.min(8) as u8))
}

fn unknown(step: usize, what: &str, code: &str, known: &str) -> String {
    format!("decisions, step {step}: unknown {what} {code:?}: use {known}")
}
