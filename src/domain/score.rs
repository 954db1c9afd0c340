//! Scoring a trainee: each step's decision against what was expected, and the score the
//! session earns. Approving a traveller who should have been stopped is a missed failure,
//! the worst kind of wrong.

use serde::{Deserialize, Serialize};

use super::decision::DecisionKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepResult {
    Right,
    Wrong,
    /// Approved where a flag or an escalation was expected.
    MissedFailure,
    /// No decision where one was expected.
    NoDecision,
}

/// What the trainee did at one step (`None`: nothing).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Given {
    pub decision: Option<DecisionKind>,
    pub reasons: Vec<String>,
}

/// What the session expects at one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    pub decision: Option<DecisionKind>,
    pub accept: Vec<DecisionKind>,
    pub reasons: Vec<String>,
}

pub fn judge(wanted: &Wanted, given: &Given) -> StepResult {
    match (wanted.decision, given.decision) {
        (None, None) => StepResult::Right,
        (None, Some(_)) => StepResult::Wrong,
        (Some(_), None) => StepResult::NoDecision,
        (Some(want), Some(got)) => {
            let allowed = got == want || wanted.accept.contains(&got);
            // For a flag or an escalation the reason matters, when the session names some.
            let reasons_ok = got == DecisionKind::Approve
                || wanted.reasons.is_empty()
                || given.reasons.iter().any(|r| wanted.reasons.contains(r));
            if allowed && reasons_ok {
                StepResult::Right
            } else if got == DecisionKind::Approve && !allowed {
                StepResult::MissedFailure
            } else {
                StepResult::Wrong
            }
        }
    }
}

/// The share of steps decided right, 0 to 1.
pub fn score(results: &[StepResult]) -> f64 {
    if results.is_empty() {
        return 0.0;
    }
    results.iter().filter(|r| **r == StepResult::Right).count() as f64 / results.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use DecisionKind::*;

    fn wanted(d: Option<DecisionKind>, accept: &[DecisionKind], reasons: &[&str]) -> Wanted {
        Wanted {
            decision: d,
            accept: accept.to_vec(),
            reasons: reasons.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn given(d: Option<DecisionKind>, reasons: &[&str]) -> Given {
        Given {
            decision: d,
            reasons: reasons.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn the_rules() {
        let flag_doc = wanted(Some(Flag), &[Escalate], &["document-problem"]);
        assert_eq!(
            judge(&flag_doc, &given(Some(Flag), &["document-problem"])),
            StepResult::Right
        );
        assert_eq!(
            judge(
                &flag_doc,
                &given(Some(Escalate), &["documents", "document-problem"])
            ),
            StepResult::Right
        );
        assert_eq!(
            judge(&flag_doc, &given(Some(Flag), &["other"])),
            StepResult::Wrong
        );
        assert_eq!(
            judge(&flag_doc, &given(Some(Approve), &[])),
            StepResult::MissedFailure
        );
        assert_eq!(judge(&flag_doc, &given(None, &[])), StepResult::NoDecision);
        let approve = wanted(Some(Approve), &[], &[]);
        assert_eq!(
            judge(&approve, &given(Some(Approve), &[])),
            StepResult::Right
        );
        assert_eq!(
            judge(&approve, &given(Some(Escalate), &["identity"])),
            StepResult::Wrong
        );
        let nothing = wanted(None, &[], &[]);
        assert_eq!(judge(&nothing, &given(None, &[])), StepResult::Right);
        assert_eq!(
            judge(&nothing, &given(Some(Approve), &[])),
            StepResult::Wrong
        );
        assert_eq!(
            score(&[
                StepResult::Right,
                StepResult::Wrong,
                StepResult::MissedFailure,
                StepResult::Right
            ]),
            0.5
        );
    }
}
