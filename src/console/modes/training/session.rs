//! Training sessions: `fixtures/sessions/*.toml`, an ordered list of steps, each a traveller
//! (or a forged code, a replayed code, a corrupt frame), when it comes, the faults in force
//! from then on, and the decision expected. Mistakes are reported with the file, the line
//! and what to write instead.

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use chrono::NaiveTime;
use serde::Deserialize;
use toml::Spanned;

use crate::domain::checkpoint::{Checkpoint, Direction};
use crate::domain::decision::DecisionKind;

#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub name: String,
    pub description: String,
    pub checkpoint: &'static Checkpoint,
    pub direction: Direction,
    pub lane: String,
    /// Local time (UTC+8) at which the session's virtual clock starts.
    pub start: NaiveTime,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// 1-based, as trainers count.
    pub number: usize,
    /// Time since the previous step (or the start).
    pub after: Duration,
    pub present: Present,
    /// The code comes through the 2D code reader (`via = "reader"`), not the camera.
    pub via_reader: bool,
    /// Faults that start at this step and stay until cleared.
    pub faults: Vec<Fault>,
    pub expect: Expected,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Present {
    /// A fixture traveller (scenario name or id) shows a fresh code.
    Traveller(String),
    /// A code for this traveller's card, signed by a key the issuer never had.
    Forged(String),
    /// The previous step's code, shown again.
    Replay,
    /// A frame that cannot be decoded: no code is read.
    CorruptFrame,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    ServiceDown,
    /// The service answers, but only after a second and a half.
    ServiceSlow,
    /// The lane's clock is this many seconds off (`clock-offset:+10m`; `clock-skew` is the
    /// older name). The console learns it at its next health check.
    ClockSkew(i64),
    /// The lane's trust list was fetched more than a day ago.
    StaleTrustList,
    /// Every fault ends.
    Clear,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    /// `None`: no decision is expected (nothing was read).
    pub decision: Option<DecisionKind>,
    /// Other decisions that count as right.
    pub accept: Vec<DecisionKind>,
    /// With a flag or escalation: at least one of these reason codes must be given.
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}:{line}: {message}")]
pub struct SessionError {
    pub origin: String,
    pub line: usize,
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSession {
    name: String,
    #[serde(default)]
    description: String,
    checkpoint: Spanned<String>,
    direction: Spanned<String>,
    #[serde(default)]
    lane: Option<String>,
    #[serde(default)]
    start: Option<Spanned<String>>,
    #[serde(default, rename = "step")]
    steps: Vec<Spanned<RawStep>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    #[serde(default)]
    after: Option<Spanned<String>>,
    #[serde(default)]
    traveller: Option<Spanned<String>>,
    #[serde(default)]
    code: Option<Spanned<String>>,
    #[serde(default)]
    via: Option<Spanned<String>>,
    #[serde(default)]
    faults: Vec<Spanned<String>>,
    expect: Spanned<String>,
    #[serde(default)]
    accept: Vec<Spanned<String>>,
    #[serde(default)]
    reasons: Vec<String>,
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// "20s", "1m30s", "2m", "90" (seconds).
pub fn parse_duration(text: &str) -> Option<Duration> {
    let t = text.trim();
    if let Ok(secs) = t.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let mut total = 0u64;
    let mut number = String::new();
    for c in t.chars() {
        match c {
            '0'..='9' => number.push(c),
            'h' | 'm' | 's' if !number.is_empty() => {
                let n: u64 = number.parse().ok()?;
                total += n * match c {
                    'h' => 3600,
                    'm' => 60,
                    _ => 1,
                };
                number.clear();
            }
            _ => return None,
        }
    }
    (number.is_empty() && !t.is_empty()).then(|| Duration::from_secs(total))
}

fn decision_kind(text: &str) -> Option<DecisionKind> {
    match text.trim() {
        "approve" => Some(DecisionKind::Approve),
        "flag" => Some(DecisionKind::Flag),
        "escalate" => Some(DecisionKind::Escalate),
        _ => None,
    }
}

fn fault(text: &str) -> Option<Fault> {
    let t = text.trim();
    match t {
        "service-down" => Some(Fault::ServiceDown),
        "service-slow" => Some(Fault::ServiceSlow),
        "stale-trust-list" => Some(Fault::StaleTrustList),
        "clear" | "none" => Some(Fault::Clear),
        _ => {
            let rest = t
                .strip_prefix("clock-offset")
                .or_else(|| t.strip_prefix("clock-skew"))?
                .trim_start_matches([':', ' ', '=']);
            let (sign, digits) = match rest.strip_prefix('-') {
                Some(d) => (-1, d),
                None => (1, rest.strip_prefix('+').unwrap_or(rest)),
            };
            parse_duration(digits).map(|d| Fault::ClockSkew(sign * d.as_secs() as i64))
        }
    }
}

/// Reads a session file; `travellers` names what `traveller = ...` may refer to
/// (scenario names and ids from the fixtures).
pub fn load(path: &Path, travellers: &HashSet<String>) -> Result<Session, SessionError> {
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| SessionError {
        origin: origin.clone(),
        line: 0,
        message: format!("cannot read the session file ({e}). Give the path of a .toml file from fixtures/sessions/."),
    })?;
    parse(&text, &origin, travellers)
}

pub fn parse(
    text: &str,
    origin: &str,
    travellers: &HashSet<String>,
) -> Result<Session, SessionError> {
    let reader = Reader {
        text,
        origin,
        travellers,
    };
    let raw: RawSession = toml::from_str(text).map_err(|e: toml::de::Error| {
        reader.err(
            e.span().map_or(0, |s| s.start),
            e.message().trim().to_owned(),
        )
    })?;
    let checkpoint = Checkpoint::find(raw.checkpoint.get_ref())
        .map_err(|m| reader.err(raw.checkpoint.span().start, m))?;
    let direction = raw
        .direction
        .get_ref()
        .parse::<Direction>()
        .map_err(|m| reader.err(raw.direction.span().start, m))?;
    let start = reader.start(raw.start.as_ref())?;
    if raw.steps.is_empty() {
        return Err(reader.err(0, "a session needs at least one [[step]]".into()));
    }
    let steps = raw
        .steps
        .iter()
        .enumerate()
        .map(|(i, step)| reader.step(i + 1, step))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Session {
        name: crate::domain::text::sanitize(&raw.name),
        description: crate::domain::text::sanitize(&raw.description),
        checkpoint,
        direction,
        lane: raw.lane.unwrap_or_else(|| "T1".into()),
        start,
        steps,
    })
}

/// Reads the parts of a session file, saying where each mistake is.
struct Reader<'a> {
    text: &'a str,
    origin: &'a str,
    travellers: &'a HashSet<String>,
}

impl Reader<'_> {
    fn err(&self, offset: usize, message: String) -> SessionError {
        SessionError {
            origin: self.origin.to_owned(),
            line: line_of(self.text, offset),
            message,
        }
    }

    fn start(&self, start: Option<&Spanned<String>>) -> Result<NaiveTime, SessionError> {
        match start {
            None => Ok(NaiveTime::from_hms_opt(9, 0, 0).expect("a valid time")),
            Some(s) => NaiveTime::parse_from_str(s.get_ref(), "%H:%M").map_err(|_| {
                self.err(
                    s.span().start,
                    format!(
                        "start {:?} is not a time of day: write it as HH:MM, like \"09:00\"",
                        s.get_ref()
                    ),
                )
            }),
        }
    }

    fn step(&self, number: usize, spanned: &Spanned<RawStep>) -> Result<Step, SessionError> {
        let step = spanned.get_ref();
        let after = match &step.after {
            None => Duration::ZERO,
            Some(a) => parse_duration(a.get_ref()).ok_or_else(|| {
                self.err(a.span().start, format!("step {number}: after {:?} is not a duration: write it like \"20s\", \"1m30s\" or \"2m\"", a.get_ref()))
            })?,
        };
        let present = self.present(number, spanned)?;
        let via_reader = self.via(number, step.via.as_ref())?;
        let faults = step
            .faults
            .iter()
            .map(|f| fault(f.get_ref()).ok_or_else(|| {
                self.err(f.span().start, format!("step {number}: unknown fault {:?}: use service-down, service-slow, clock-offset:+90s, stale-trust-list or clear", f.get_ref()))
            }))
            .collect::<Result<Vec<_>, _>>()?;
        let decision = self.kind(number, &step.expect)?;
        let accept = step
            .accept
            .iter()
            .map(|a| {
                self.kind(number, a)
                    .map(|k| k.into_iter().collect::<Vec<_>>())
            })
            .collect::<Result<Vec<_>, _>>()?
            .concat();
        if decision.is_none() && present != Present::CorruptFrame {
            return Err(self.err(
                step.expect.span().start,
                format!(
                    "step {number}: `expect = \"none\"` is for a corrupt frame, where nothing is read"
                ),
            ));
        }
        Ok(Step {
            number,
            after,
            present,
            via_reader,
            faults,
            expect: Expected {
                decision,
                accept,
                reasons: step.reasons.clone(),
            },
        })
    }

    fn traveller(&self, number: usize, t: &Spanned<String>) -> Result<String, SessionError> {
        if self.travellers.contains(t.get_ref().as_str()) {
            return Ok(t.get_ref().clone());
        }
        let mut known: Vec<&str> = self
            .travellers
            .iter()
            .filter(|k| !k.starts_with('T'))
            .map(String::as_str)
            .collect();
        known.sort_unstable();
        Err(self.err(
            t.span().start,
            format!(
                "step {number}: no fixture traveller {:?}: use a traveller id (T01...) or a scenario ({})",
                t.get_ref(),
                known.join(", ")
            ),
        ))
    }

    fn present(&self, number: usize, spanned: &Spanned<RawStep>) -> Result<Present, SessionError> {
        let at = spanned.span().start;
        let step = spanned.get_ref();
        let code = step
            .code
            .as_ref()
            .map(|c| (c.get_ref().as_str(), c.span().start));
        let fail = |offset: usize, message: String| Err(self.err(offset, message));
        match (code, &step.traveller) {
            (None, Some(t)) => Ok(Present::Traveller(self.traveller(number, t)?)),
            (Some(("forged", _)), Some(t)) => Ok(Present::Forged(self.traveller(number, t)?)),
            (Some(("forged", o)), None) => fail(
                o,
                format!(
                    "step {number}: a forged code needs `traveller = ...`: whose card it imitates"
                ),
            ),
            (Some(("replay", _)), _) if number == 1 => fail(
                at,
                format!(
                    "step {number}: `code = \"replay\"` shows the previous step's code, and this is the first step"
                ),
            ),
            (Some(("replay", _)), _) => Ok(Present::Replay),
            (Some(("corrupt-frame", _)), _) => Ok(Present::CorruptFrame),
            (Some((other, o)), _) => fail(
                o,
                format!(
                    "step {number}: unknown code {other:?}: use \"forged\", \"replay\" or \"corrupt-frame\", or leave `code` out for the traveller's own"
                ),
            ),
            (None, None) => fail(
                at,
                format!(
                    "step {number}: say who comes: `traveller = \"hk-resident\"` (or `code = \"replay\"` / `\"corrupt-frame\"`)"
                ),
            ),
        }
    }

    fn via(&self, number: usize, via: Option<&Spanned<String>>) -> Result<bool, SessionError> {
        match via.map(|v| (v.get_ref().as_str(), v.span().start)) {
            None | Some(("camera", _)) => Ok(false),
            Some(("reader", _)) => Ok(true),
            Some((other, at)) => Err(self.err(
                at,
                format!("step {number}: via {other:?} is not a way in: use \"camera\" (the default) or \"reader\""),
            )),
        }
    }

    fn kind(
        &self,
        number: usize,
        s: &Spanned<String>,
    ) -> Result<Option<DecisionKind>, SessionError> {
        if s.get_ref() == "none" {
            return Ok(None);
        }
        decision_kind(s.get_ref()).map(Some).ok_or_else(|| {
            self.err(s.span().start, format!("step {number}: unknown decision {:?}: use approve, flag, escalate, or none (nothing to decide)", s.get_ref()))
        })
    }
}

#[cfg(test)]
mod tests;
