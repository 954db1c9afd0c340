//! What a training session reports: each step judged against what was expected, and the
//! session's score. The same report comes from a session played on screen and one graded
//! headless.

use serde::Serialize;

use crate::console::presentation::Presentation;
use crate::domain::checks;
use crate::domain::decision::DecisionKind;
use crate::domain::score::{self, Given, StepResult, Wanted};
use crate::domain::verdict::{Approval, approval};

/// The share of steps decided right that passes a session (with no critical step).
pub const PASS_MARK: f64 = 0.8;

use super::session::{Present, Session, Step};

#[derive(Debug, Clone, Serialize)]
pub struct StepReport {
    pub step: usize,
    pub presented: String,
    pub expected: Option<DecisionKind>,
    pub accepted: Vec<DecisionKind>,
    pub expected_reasons: Vec<String>,
    pub decision: Option<DecisionKind>,
    pub reasons: Vec<String>,
    #[serde(rename = "override", skip_serializing_if = "std::ops::Not::not")]
    pub overridden: bool,
    pub result: StepResult,
    /// What the checks suggested, and those that did not pass.
    pub suggested: Option<String>,
    pub not_passed: Vec<String>,
    pub seconds: Option<f64>,
    /// What became of the service lookup (`answered`, `offline`, `refused`, `unusable`)
    /// and how long it took: an outage or a slow service shows here.
    pub service: Option<&'static str>,
    pub service_ms: Option<u64>,
    /// A hard stop (a refused code, a card not active, a watch-list hit) that was approved
    /// or left undecided: the traveller should have been stopped.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub critical: bool,
}

/// What the trainee did at a step: the decision, its reasons, whether it overrode a check.
#[derive(Debug, Clone, Default)]
pub struct Taken {
    pub decision: Option<DecisionKind>,
    pub reasons: Vec<String>,
    pub overridden: bool,
    pub seconds: Option<f64>,
}

impl StepReport {
    /// Judges `step`: what was `taken` about the traveller `shown` (none when no code was
    /// read).
    pub fn judge(step: &Step, shown: Option<&Presentation>, taken: Taken) -> StepReport {
        let wanted = Wanted {
            decision: step.expect.decision,
            accept: step.expect.accept.clone(),
            reasons: step.expect.reasons.clone(),
        };
        let given = Given {
            decision: taken.decision,
            reasons: taken.reasons.clone(),
        };
        let hard_stop =
            shown.is_some_and(|p| matches!(approval(&p.checks), Approval::Forbidden(_)));
        let stopped = matches!(
            taken.decision,
            Some(DecisionKind::Flag | DecisionKind::Escalate)
        );
        StepReport {
            critical: hard_stop && !stopped,
            step: step.number,
            presented: describe(&step.present),
            expected: step.expect.decision,
            accepted: step.expect.accept.clone(),
            expected_reasons: step.expect.reasons.clone(),
            decision: taken.decision,
            reasons: taken.reasons,
            overridden: taken.overridden,
            result: score::judge(&wanted, &given),
            suggested: shown.map(|p| checks::suggest(&p.checks).as_str().to_owned()),
            not_passed: shown.map_or_else(Vec::new, |p| checks::not_passed(&p.checks)),
            seconds: taken.decision.and(taken.seconds),
            service: shown.and_then(Presentation::lookup_outcome),
            service_ms: shown
                .and_then(|p| p.lookup_latency)
                .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub session: String,
    /// False with any critical step, whatever the score; else the score reaches the pass
    /// mark.
    pub passed: bool,
    /// Travellers with a hard stop who were approved or left undecided.
    pub critical: usize,
    pub score: f64,
    pub right: usize,
    pub wrong: usize,
    pub missed_failures: usize,
    pub no_decision: usize,
    /// Mean seconds per traveller, when the decisions say how long they took.
    pub seconds_per_traveller: Option<f64>,
    pub steps: Vec<StepReport>,
}

pub fn report(session: &Session, steps: Vec<StepReport>) -> Report {
    let results: Vec<StepResult> = steps.iter().map(|s| s.result).collect();
    let count = |r: StepResult| results.iter().filter(|x| **x == r).count();
    let times: Vec<f64> = steps.iter().filter_map(|s| s.seconds).collect();
    let critical = steps.iter().filter(|s| s.critical).count();
    let score = score::score(&results);
    Report {
        session: session.name.clone(),
        passed: critical == 0 && score >= PASS_MARK,
        critical,
        score,
        right: count(StepResult::Right),
        wrong: count(StepResult::Wrong),
        missed_failures: count(StepResult::MissedFailure),
        no_decision: count(StepResult::NoDecision),
        seconds_per_traveller: (!times.is_empty())
            .then(|| times.iter().sum::<f64>() / times.len() as f64),
        steps,
    }
}

pub fn describe(present: &Present) -> String {
    match present {
        Present::Traveller(t) => t.clone(),
        Present::Forged(t) => format!("forged code ({t})"),
        Present::Replay => "the previous code again".into(),
        Present::CorruptFrame => "a corrupt camera frame".into(),
    }
}
