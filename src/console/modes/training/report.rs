//! What a training session reports: each step judged against what was expected, and the
//! session's score. The same report comes from a session played on screen and one graded
//! headless.

use serde::Serialize;

use crate::console::presentation::Presentation;
use crate::domain::checks;
use crate::domain::decision::DecisionKind;
use crate::domain::score::{self, Given, StepResult, Wanted};

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
        StepReport {
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
    Report {
        session: session.name.clone(),
        score: score::score(&results),
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
