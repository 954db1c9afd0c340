//! `--record FILE`: what happened at the console (each code read, what the service and the
//! checks said, the decision, when) saved as a training session `lanedesk train` replays.
//! The file is rewritten after each decision, so a crash keeps what came before it.
//!
//! `--scrub` replaces each real traveller with the fixture traveller whose checks came out
//! the same way (or most nearly), so a lane's recording carries no personal data.

use std::collections::BTreeSet;
use std::fmt::Write;
use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::api::CardSummary;
use crate::console::effect::Effect;
use crate::console::state::{Fact, LaneInfo};
use crate::domain::checkpoint::{Checkpoint, Direction};
use crate::domain::credential::{CardRef, CredentialError};
use crate::domain::decision::DecisionKind;

/// What a recorded step showed the lane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shown {
    /// A traveller the service knew, by holder id.
    Traveller(String),
    /// A code refused as forged (with the card owner, when the lane knows it).
    Forged(Option<String>),
    /// A code presented before.
    Replay,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedStep {
    pub at: DateTime<Utc>,
    pub shown: Shown,
    /// Checks that did not pass, as `id:outcome`.
    pub not_passed: Vec<String>,
    pub decision: DecisionKind,
    pub reasons: Vec<String>,
}

/// A fixture traveller and how its checks come out at this lane: what `--scrub` matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stand {
    pub id: String,
    pub not_passed: BTreeSet<String>,
}

#[derive(Debug, Clone)]
pub struct Recording {
    pub path: PathBuf,
    pub started: DateTime<Utc>,
    pub steps: Vec<RecordedStep>,
    /// Set with `--scrub`: the fixture travellers to stand in for real ones.
    pub stand_ins: Option<Vec<Stand>>,
}

impl Recording {
    pub fn new(path: PathBuf, started: DateTime<Utc>, stand_ins: Option<Vec<Stand>>) -> Recording {
        Recording {
            path,
            started,
            steps: vec![],
            stand_ins,
        }
    }

    /// The fixture traveller standing in for a recorded step: the same checks failing,
    /// else the most in common.
    fn stand_in(&self, step: &RecordedStep) -> Option<&str> {
        let stands = self.stand_ins.as_ref()?;
        let wanted: BTreeSet<&str> = step.not_passed.iter().map(String::as_str).collect();
        stands
            .iter()
            .max_by_key(|s| {
                let have: BTreeSet<&str> = s.not_passed.iter().map(String::as_str).collect();
                let common = wanted.intersection(&have).count() as i64;
                let differ = wanted.symmetric_difference(&have).count() as i64;
                (common * 2 - differ, std::cmp::Reverse(s.id.clone()))
            })
            .map(|s| s.id.as_str())
    }

    /// The recording as a session file.
    pub fn to_session(&self, checkpoint: &Checkpoint, direction: Direction, lane: &str) -> String {
        let mut out = String::new();
        let scrubbed = self.stand_ins.is_some();
        let _ = writeln!(
            out,
            "# Recorded by lanedesk at lane {lane}{}.",
            if scrubbed {
                ", travellers replaced by fixture stand-ins (--scrub)"
            } else {
                ""
            }
        );
        let _ = writeln!(
            out,
            "name = \"Recorded at {} lane {}\"",
            checkpoint.slug,
            toml_text(lane)
        );
        let _ = writeln!(
            out,
            "checkpoint = \"{}\"\ndirection = \"{direction}\"\nlane = \"{}\"",
            checkpoint.slug,
            toml_text(lane)
        );
        let mut last = self.started;
        for step in &self.steps {
            let after = (step.at - last).num_seconds().max(0);
            last = step.at;
            let _ = writeln!(out, "\n[[step]]\nafter = \"{after}s\"");
            let who = |id: &str| {
                if scrubbed {
                    self.stand_in(step).unwrap_or("T01").to_owned()
                } else {
                    id.to_owned()
                }
            };
            match &step.shown {
                Shown::Traveller(id) => {
                    let _ = writeln!(out, "traveller = \"{}\"", toml_text(&who(id)));
                }
                Shown::Forged(owner) => {
                    let owner = owner.clone().unwrap_or_else(|| "T01".into());
                    let _ = writeln!(
                        out,
                        "code = \"forged\"\ntraveller = \"{}\"",
                        toml_text(&owner)
                    );
                }
                Shown::Replay => {
                    let _ = writeln!(out, "code = \"replay\"");
                }
            }
            let kind = match step.decision {
                DecisionKind::Approve => "approve",
                DecisionKind::Flag => "flag",
                DecisionKind::Escalate => "escalate",
            };
            let _ = writeln!(out, "expect = \"{kind}\"");
            if !step.reasons.is_empty() {
                let reasons: Vec<String> = step
                    .reasons
                    .iter()
                    .map(|r| format!("\"{}\"", toml_text(r)))
                    .collect();
                let _ = writeln!(out, "reasons = [{}]", reasons.join(", "));
            }
            if !step.not_passed.is_empty() {
                let _ = writeln!(
                    out,
                    "# checks that did not pass: {}",
                    toml_text(&step.not_passed.join(", "))
                );
            }
        }
        out
    }
}

impl Recording {
    /// A decision: what led to it is added, and the session file is rewritten (so a crash
    /// keeps every step before it). `cards` names forged codes' owners when the lane knows
    /// them (the demo's phones).
    pub fn react(&mut self, lane: &LaneInfo, fact: &Fact, cards: &[CardSummary]) -> Vec<Effect> {
        let Fact::Decided(p) = fact else {
            return vec![];
        };
        let Some(decision) = &p.decision else {
            return vec![];
        };
        let owner = |card: Option<CardRef>| {
            cards
                .iter()
                .find(|c| Some(c.card) == card)
                .map(|c| c.traveller.clone())
        };
        let shown = match (p.refusal(), p.verification()) {
            (Some(CredentialError::Replayed { .. }), _) => Shown::Replay,
            (Some(_), _) => Shown::Forged(owner(p.card)),
            (_, Some(v)) if v.presented_before.is_some() => Shown::Replay,
            (_, Some(v)) => Shown::Traveller(crate::domain::text::sanitize(&v.holder.id)),
            // Nothing the service confirmed: nothing a session could show again.
            (_, None) => return vec![],
        };
        self.steps.push(RecordedStep {
            at: decision.at,
            shown,
            not_passed: crate::domain::checks::not_passed(&p.checks),
            decision: decision.kind,
            reasons: decision.reasons.clone(),
        });
        vec![Effect::WriteFile {
            path: self.path.clone(),
            contents: self.to_session(lane.checkpoint, lane.direction, &lane.lane),
        }]
    }
}

/// The fixture travellers as they stand at `lane`: who `--scrub` can put in a real
/// traveller's place. Empty when the fixtures cannot be read (then "T01" stands in).
pub fn stand_ins(lane: &LaneInfo, fixtures: &std::path::Path, now: DateTime<Utc>) -> Vec<Stand> {
    use crate::domain::checks::{CodeFacts, LaneContext, ServiceFacts, evaluate};
    let today = crate::domain::clock::local_date(now);
    let Ok(travellers) = crate::fixtures::load(fixtures, today) else {
        return vec![];
    };
    let ctx = LaneContext {
        checkpoint: lane.checkpoint,
        direction: lane.direction,
        trust_age_secs: Some(0),
    };
    travellers
        .iter()
        .map(|t| {
            let checks = evaluate(
                ctx,
                &CodeFacts::Genuine,
                ServiceFacts::Answered(t.record()),
                today,
            );
            let not_passed = crate::domain::checks::not_passed(&checks)
                .into_iter()
                .collect();
            Stand {
                id: t.holder.id.clone(),
                not_passed,
            }
        })
        .collect()
}

/// Text safe inside a TOML basic string on one line.
fn toml_text(s: &str) -> String {
    crate::domain::text::sanitize(s)
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(shown: Shown, not_passed: &[&str], decision: DecisionKind, secs: i64) -> RecordedStep {
        RecordedStep {
            at: DateTime::from_timestamp(1_780_000_000 + secs, 0).unwrap(),
            shown,
            not_passed: not_passed.iter().map(|s| s.to_string()).collect(),
            decision,
            reasons: vec![],
        }
    }

    #[test]
    fn scrubbing_picks_the_fixture_whose_checks_match() {
        let stands = vec![
            Stand {
                id: "T01".into(),
                not_passed: BTreeSet::new(),
            },
            Stand {
                id: "T05".into(),
                not_passed: ["endorsement:fail".to_string()].into(),
            },
            Stand {
                id: "T11".into(),
                not_passed: ["watch-list:fail".to_string()].into(),
            },
        ];
        let mut r = Recording::new(
            "r.toml".into(),
            DateTime::from_timestamp(1_780_000_000, 0).unwrap(),
            Some(stands),
        );
        r.steps.push(step(
            Shown::Traveller("REAL-PERSON-1".into()),
            &["endorsement:fail"],
            DecisionKind::Flag,
            30,
        ));
        r.steps.push(step(
            Shown::Traveller("REAL-PERSON-2".into()),
            &[],
            DecisionKind::Approve,
            75,
        ));
        r.steps.push(step(
            Shown::Replay,
            &["code-not-replayed:fail"],
            DecisionKind::Escalate,
            80,
        ));
        let text = r.to_session(Checkpoint::find("lo-wu").unwrap(), Direction::Exit, "L\"7");
        assert!(!text.contains("REAL-PERSON"), "{text}");
        assert!(
            text.contains("traveller = \"T05\"\nexpect = \"flag\""),
            "{text}"
        );
        assert!(
            text.contains("after = \"45s\"\ntraveller = \"T01\""),
            "{text}"
        );
        assert!(
            text.contains("code = \"replay\"\nexpect = \"escalate\""),
            "{text}"
        );
        let names: std::collections::HashSet<String> = ["T01", "T05", "T11"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let session =
            crate::console::modes::training::session::parse(&text, "rec.toml", &names).unwrap();
        assert_eq!(session.steps.len(), 3);
        assert_eq!(session.lane, "L\"7");
    }
}
