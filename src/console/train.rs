//! Training, headless: a session's steps played on a virtual clock against the reference
//! service (in-process, on 127.0.0.1, seeded for the session), through the same `update`
//! and effect runner as the console, with the trainee's decisions typed in as keys; then
//! each step judged and the session scored.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::domain::checks::suggest;
use crate::domain::clock::{Clock, ManualClock, local_date};
use crate::domain::credential::{self, Claims};
use crate::domain::decision::DecisionKind;
use crate::domain::lang::Lang;
use crate::domain::score::{self, Given, StepResult, Wanted};
use crate::domain::trust::KeyStatus;
use crate::edges::client::{ClientConfig, ServiceClient};
use crate::edges::issuer::{self, Issuer, IssuerOptions};
use crate::edges::sessions::{Fault, Present, Session};

use super::effects::{Effect, EffectRunner};
use super::keymap::{Key, KeyCode, Keymap};
use super::msg::Msg;
use super::state::{Dialog, FLAG_REASONS, LaneInfo, REFERRAL_REASONS, State};
use super::update::update;

const TOKEN: &str = "training-lane-token";
/// How long the struggling service of a `service-slow` step takes to answer.
const SLOW_DELAY: Duration = Duration::from_millis(1500);
/// A stale trust list is this old.
const STALE_AGE: i64 = 30 * 3600;

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

/// The service lookup's outcome and time for the traveller on screen, for a step report.
pub fn lookup_facts(state: &State) -> (Option<&'static str>, Option<u64>) {
    match &state.current {
        Some(p) => (
            p.lookup_outcome(),
            p.lookup_latency
                .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        ),
        None => (None, None),
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

/// The virtual start: the session's time of day, today at the control point.
fn start_time(session: &Session) -> DateTime<Utc> {
    let day = local_date(Utc::now());
    let local = day.and_time(session.start);
    DateTime::<Utc>::from_naive_utc_and_offset(local - TimeDelta::hours(8), Utc)
}

fn key(state: &mut State, k: Key, now: DateTime<Utc>) -> Vec<Effect> {
    update(state, Msg::Key(k), now)
}

fn type_text(state: &mut State, text: &str, now: DateTime<Utc>) {
    for c in text.chars() {
        key(state, Key::plain(KeyCode::Char(c)), now);
    }
}

fn reason_index(
    table: &[(&str, [&str; 3])],
    code: &str,
    step: usize,
    what: &str,
) -> Result<usize, String> {
    table.iter().position(|(id, _)| *id == code).ok_or_else(|| {
        let known: Vec<&str> = table.iter().map(|(id, _)| *id).collect();
        format!(
            "decisions, step {step}: unknown {what} {code:?}: use {}",
            known.join(", ")
        )
    })
}

/// Types a trainee's decision into the console, as an officer would.
fn decide(state: &mut State, d: &TraineeDecision, now: DateTime<Utc>) -> Result<(), String> {
    match d.decision {
        DecisionKind::Approve => {
            key(state, Key::char('a'), now);
            if matches!(state.dialog, Some(Dialog::Override(_))) {
                type_text(
                    state,
                    d.override_reason.as_deref().unwrap_or("(no reason given)"),
                    now,
                );
                key(state, Key::plain(KeyCode::Enter), now);
            }
        }
        DecisionKind::Flag => {
            key(state, Key::char('f'), now);
            for r in &d.reasons {
                let i = reason_index(FLAG_REASONS, r, d.step, "flag reason")?;
                key(state, Key::char(char::from(b'1' + i as u8)), now);
            }
            if d.reasons.is_empty() {
                // The console insists on a reason: "other" stands for none given.
                key(
                    state,
                    Key::char(char::from(b'0' + FLAG_REASONS.len() as u8)),
                    now,
                );
            }
        }
        DecisionKind::Escalate => {
            key(state, Key::char('e'), now);
            if let Some(r) = d.reasons.first() {
                let i = reason_index(REFERRAL_REASONS, r, d.step, "referral reason")?;
                key(state, Key::char(char::from(b'1' + i as u8)), now);
            }
        }
    }
    if state.dialog.as_ref().is_some_and(Dialog::is_decision) {
        if !d.note.is_empty() && !matches!(state.dialog, Some(Dialog::Override(_))) {
            key(state, Key::plain(KeyCode::Tab), now);
            type_text(state, &d.note, now);
        }
        key(state, Key::plain(KeyCode::Enter), now);
    }
    Ok(())
}

/// Plays `session` with `decisions` and judges every step.
pub async fn replay(
    session: &Session,
    fixtures: &Path,
    decisions: &[TraineeDecision],
) -> Result<Report, String> {
    let by_step: HashMap<usize, &TraineeDecision> = decisions.iter().map(|d| (d.step, d)).collect();
    if let Some(d) = decisions
        .iter()
        .find(|d| d.step == 0 || d.step > session.steps.len())
    {
        return Err(format!(
            "decisions: step {} is not in the session, which has steps 1 to {}",
            d.step,
            session.steps.len()
        ));
    }
    let dir = tempfile::tempdir().map_err(|e| format!("cannot create a temporary folder: {e}"))?;
    let clock = Arc::new(ManualClock::new(start_time(session)));
    let issuer = Issuer::open(
        &IssuerOptions::new(dir.path().join("training.sqlite"), fixtures, TOKEN),
        clock.clone(),
    )
    .map_err(|e| e.to_string())?;
    let (active_kid, _) = issuer
        .key_with_status(KeyStatus::Active)
        .ok_or("the training service has no active key")?;
    let issuer = Arc::new(issuer);
    let running = issuer::spawn(
        issuer.clone(),
        "127.0.0.1:0".parse().expect("an address"),
        None,
    )
    .await
    .map_err(|e| e.to_string())?;
    // Service down: the same client, pointed at a port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?;
    let (tx, _rx) = mpsc::unbounded_channel();
    let slow_url = spawn_slow_proxy(running.url.clone(), SLOW_DELAY).await?;
    let mut runners = Vec::new();
    for (name, url, timeout) in [
        ("up", running.url.clone(), Duration::from_millis(500)),
        (
            "down",
            format!("http://{closed}"),
            Duration::from_millis(500),
        ),
        ("slow", slow_url, Duration::from_secs(2)),
    ] {
        let mut config = ClientConfig::new(&url).lane_token(TOKEN);
        config.timeout = timeout;
        let client = Arc::new(ServiceClient::new(&config).map_err(|e| e.to_string())?);
        runners.push(EffectRunner::start(
            client,
            tx.clone(),
            None,
            clock.clone(),
            &dir.path().join(name),
        )?);
    }
    let lane = LaneInfo {
        checkpoint: session.checkpoint,
        lane: session.lane.clone(),
        direction: session.direction,
        officer: "trainee".into(),
    };
    let mut state = State::new(
        lane,
        Lang::En,
        Arc::new(Keymap::default()),
        "train".into(),
        clock.now(),
    );
    let cards: HashMap<String, crate::domain::credential::CardRef> = issuer
        .cards()
        .into_iter()
        .flat_map(|c| [(c.traveller.clone(), c.card), (c.scenario.clone(), c.card)])
        .collect();
    let (mut down, mut slow, mut skew, mut stale) = (false, false, 0i64, false);
    let mut last_code: Option<String> = None;
    let mut steps = Vec::new();
    for step in &session.steps {
        clock.advance(TimeDelta::from_std(step.after).unwrap_or_default());
        for fault in &step.faults {
            match fault {
                Fault::ServiceDown => down = true,
                Fault::ServiceSlow => slow = true,
                Fault::ClockSkew(s) => skew = *s,
                Fault::StaleTrustList => stale = true,
                Fault::Clear => (down, slow, skew, stale) = (false, false, 0, false),
            }
        }
        let now = clock.now() + TimeDelta::seconds(skew);
        let mut trust = issuer.trust_list().clone();
        trust.fetched_at = clock.unix() - if stale { STALE_AGE } else { 60 };
        state.trust = Some(trust);
        let code = match &step.present {
            Present::Traveller(who) => {
                Some(issuer.mint(cards[who]).ok_or("cannot mint a code")?.qr)
            }
            Present::Forged(who) => {
                let forger = ed25519_dalek::SigningKey::from_bytes(&rand_key());
                let claims = Claims::fresh(
                    crate::edges::issuer::DEFAULT_ISSUER_ID,
                    cards[who],
                    clock.unix(),
                );
                Some(credential::mint(&claims, active_kid, &forger))
            }
            Present::Replay => last_code.clone(),
            Present::CorruptFrame => read_corrupt_frame(fixtures),
        };
        if state.current.is_some() {
            key(&mut state, Key::char('c'), now);
        }
        if let Some(text) = &code {
            last_code = Some(text.clone());
            let runner = &runners[if down {
                1
            } else if slow {
                2
            } else {
                0
            }];
            for effect in update(&mut state, Msg::CodeRead { text: text.clone() }, now) {
                if let Effect::Verify { .. } = effect
                    && let Some(msg) = runner.perform(effect).await
                {
                    update(&mut state, msg, now);
                }
            }
        }
        let (suggested, not_passed) = match &state.current {
            Some(p) if code.is_some() => (
                Some(suggest(&p.checks).as_str().to_owned()),
                crate::domain::checks::not_passed(&p.checks),
            ),
            _ => (None, vec![]),
        };
        let (service, service_ms) = if code.is_some() {
            lookup_facts(&state)
        } else {
            (None, None)
        };
        let decided_before = state.history.len();
        let trainee = by_step.get(&step.number).copied();
        if let Some(d) = trainee
            && state.current.is_some()
        {
            decide(&mut state, d, now)?;
        }
        let made = (state.history.len() > decided_before).then(|| state.history[0].clone());
        let given = Given {
            decision: made.as_ref().map(|m| m.kind),
            reasons: made.as_ref().map(|m| m.reasons.clone()).unwrap_or_default(),
        };
        let wanted = Wanted {
            decision: step.expect.decision,
            accept: step.expect.accept.clone(),
            reasons: step.expect.reasons.clone(),
        };
        steps.push(StepReport {
            step: step.number,
            presented: describe(&step.present),
            expected: step.expect.decision,
            accepted: step.expect.accept.clone(),
            expected_reasons: step.expect.reasons.clone(),
            decision: given.decision,
            reasons: given.reasons.clone(),
            overridden: made.as_ref().is_some_and(|m| m.override_reason.is_some()),
            result: score::judge(&wanted, &given),
            suggested,
            not_passed,
            seconds: trainee.and_then(|d| d.seconds),
            service,
            service_ms,
        });
    }
    running.shutdown().await;
    Ok(report(session, steps))
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

fn rand_key() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    let _ = getrandom::fill(&mut bytes);
    bytes
}

/// A corrupt frame goes through the real image loader and reader: nothing is read.
fn read_corrupt_frame(fixtures: &Path) -> Option<String> {
    let frame = fixtures.join("frames/truncated.png");
    let gray = crate::edges::scanner::load_gray(&frame).ok()?;
    crate::edges::scanner::reader::read_still(&gray)
        .found
        .into_iter()
        .next()
        .map(|f| f.text)
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
    let travellers = crate::edges::fixtures::load(fixtures, local_date(Utc::now()))
        .map_err(|e| e.to_string())?;
    Ok(travellers
        .into_iter()
        .flat_map(|t| [t.holder.id, t.scenario])
        .collect())
}

/// Options for playing a session on screen.
pub struct PlayOptions {
    pub look: super::lane::Appearance,
    pub fixtures: PathBuf,
    pub report: Option<PathBuf>,
    pub script: Vec<super::script::Step>,
}

/// `lanedesk train SESSION`: the console on the session's clock, against the reference
/// service seeded for it, with the simulated camera and phone of the demo. The trainer
/// pauses (P), skips (S) or restarts (Ctrl-R); at the end, a score card.
pub fn play(session: Session, options: PlayOptions) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    rt.block_on(play_async(session, options))
}

async fn play_async(session: Session, options: PlayOptions) -> Result<(), String> {
    use crate::domain::clock::{SkewedClock, VirtualClock};
    use crate::edges::camera::FrameSource;
    use crate::edges::camera::synthetic::{Scene, SyntheticCamera};

    let dir = tempfile::tempdir().map_err(|e| format!("cannot create a temporary folder: {e}"))?;
    let clock = Arc::new(VirtualClock::new(start_time(&session)));
    let lane_clock = Arc::new(SkewedClock::new(clock.clone()));
    let issuer = Issuer::open(
        &IssuerOptions::new(dir.path().join("training.sqlite"), &options.fixtures, TOKEN),
        clock.clone(),
    )
    .map_err(|e| e.to_string())?;
    let (active_kid, _) = issuer
        .key_with_status(KeyStatus::Active)
        .ok_or("the training service has no active key")?;
    let running = issuer::spawn(
        Arc::new(issuer),
        "127.0.0.1:0".parse().expect("an address"),
        None,
    )
    .await
    .map_err(|e| e.to_string())?;
    let client = ServiceClient::new(&ClientConfig::new(&running.url).lane_token(TOKEN))
        .map_err(|e| e.to_string())?;
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?;
    let mut down = ClientConfig::new(&format!("http://{closed}")).lane_token(TOKEN);
    down.timeout = Duration::from_millis(500);
    let down_client = Arc::new(ServiceClient::new(&down).map_err(|e| e.to_string())?);
    let slow_url = spawn_slow_proxy(running.url.clone(), SLOW_DELAY).await?;
    let slow_client = Arc::new(
        ServiceClient::new(&ClientConfig::new(&slow_url).lane_token(TOKEN))
            .map_err(|e| e.to_string())?,
    );
    let camera = SyntheticCamera::new(Scene::default(), super::demo::DEMO_FPS);
    let world = super::effects::DemoWorld {
        phone: camera.phone(),
        issuer_id: crate::edges::issuer::DEFAULT_ISSUER_ID.to_owned(),
        active_kid,
    };
    let lane = LaneInfo {
        checkpoint: session.checkpoint,
        lane: session.lane.clone(),
        direction: session.direction,
        officer: "trainee".into(),
    };
    let lane_now = lane_clock.now();
    let training = super::training::Training::new(Arc::new(session), lane_now, options.report);
    let link = super::effects::TrainingLink {
        down: Arc::new(std::sync::atomic::AtomicBool::new(false)),
        down_client,
        slow: Arc::new(std::sync::atomic::AtomicBool::new(false)),
        slow_client,
        clock,
        lane_clock: lane_clock.clone(),
    };
    let setup = super::runtime::Setup {
        lane,
        look: options.look,
        script: options.script,
        demo: Some(world),
        training: Some((training, link)),
        recording: None,
        state_dir: dir.path().join("state"),
    };
    let source = move || Ok(Box::new(camera) as Box<dyn FrameSource>);
    let result = super::runtime::run_console(setup, client, source, lane_clock).await;
    running.shutdown().await;
    drop(dir);
    result.map(|_| ())
}

/// A struggling service for `service-slow`: every request is passed on to `target` after
/// `delay`, on a port of its own on 127.0.0.1. Returns its base URL.
pub async fn spawn_slow_proxy(target: String, delay: Duration) -> Result<String, String> {
    use axum::http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
    use axum::response::IntoResponse;
    let client = reqwest::Client::builder()
        .build()
        .map_err(|e| e.to_string())?;
    let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
        let (client, target) = (client.clone(), target.clone());
        async move {
            tokio::time::sleep(delay).await;
            let (parts, body) = req.into_parts();
            let bytes = axum::body::to_bytes(body, 1 << 20)
                .await
                .unwrap_or_default();
            let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
            let mut forward = client
                .request(parts.method, format!("{target}{path}"))
                .body(bytes);
            for name in [AUTHORIZATION, CONTENT_TYPE, ACCEPT] {
                if let Some(v) = parts.headers.get(&name) {
                    forward = forward.header(name, v);
                }
            }
            match forward.send().await {
                Ok(resp) => {
                    let status = resp.status();
                    let kind = resp.headers().get(CONTENT_TYPE).cloned();
                    let body = resp.bytes().await.unwrap_or_default();
                    let mut out = (status, body).into_response();
                    if let Some(k) = kind {
                        out.headers_mut().insert(CONTENT_TYPE, k);
                    }
                    out
                }
                Err(_) => axum::http::StatusCode::BAD_GATEWAY.into_response(),
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(format!("http://{addr}"))
}
