//! `update`: the only place the console's state changes. No I/O: it returns effects.

use chrono::{DateTime, Utc};

use crate::domain::checks::{
    self, CodeFacts, LaneContext, Outcome, ServiceFacts, approval_needs_override,
};
use crate::domain::credential::{self, CardRef, CredentialError};
use crate::domain::decision::DecisionKind;
use crate::edges::api::{DecisionRequest, VerificationRequest};
use crate::edges::audit::RecordedDecision;

use super::effects::{DemoEffect, Effect};
use super::i18n::L;
use super::keymap::{Key, KeyCode};
use super::msg::{Command, Msg};
use super::state::*;

/// Longest note an officer can type.
pub const NOTE_MAX: usize = 240;
const NOTICE_FOR: chrono::TimeDelta = chrono::TimeDelta::seconds(6);

/// The effects to run when the console starts.
pub fn start(state: &State) -> Vec<Effect> {
    let mut effects = vec![Effect::CheckHealth, Effect::FetchTrustList];
    if state.demo.is_some() {
        effects.push(Effect::Demo(DemoEffect::FetchCards));
    }
    effects
}

pub fn update(state: &mut State, msg: Msg, now: DateTime<Utc>) -> Vec<Effect> {
    state.now = now;
    match msg {
        Msg::Key(key) => on_key(state, key),
        Msg::Resized => vec![],
        Msg::Tick => on_tick(state),
        Msg::CodeRead { text } => {
            state.camera.read_at = Some(now);
            on_code(state, text)
        }
        Msg::FrameShown(report) => {
            let scale = report.preview.width as f32 / report.width.max(1) as f32;
            state.camera.outline = report
                .outline
                .map(|quad| quad.map(|(x, y)| (x * scale, y * scale)));
            state.camera.preview = Some(report.preview);
            state.camera.failure = None;
            state.camera.frame_at(now);
            vec![]
        }
        Msg::CameraStarted { source } => {
            state.camera.source = Some(crate::domain::text::sanitize(&source));
            state.camera.failure = None;
            vec![]
        }
        Msg::CameraFailed { message } => {
            state.camera.failure = Some(crate::domain::text::sanitize(&message));
            vec![]
        }
        Msg::CameraEnded => {
            state.camera.failure = Some("the frame source has no more frames".into());
            vec![]
        }
        Msg::HealthChecked { result } => {
            state.health_in_flight = false;
            state.last_health = Some(now);
            match result {
                Ok(latency) => {
                    state.service = ServiceState::Online { latency };
                    let stale = state
                        .trust
                        .as_ref()
                        .is_none_or(|t| now.timestamp() - t.fetched_at > TRUST_EVERY.num_seconds());
                    if stale && !state.trust_in_flight {
                        state.trust_in_flight = true;
                        return vec![Effect::FetchTrustList];
                    }
                }
                Err(f) => go_offline(state, &f.message),
            }
            vec![]
        }
        Msg::TrustListFetched { result } => {
            state.trust_in_flight = false;
            match result {
                Ok(trust) => state.trust = Some(trust),
                Err(f) => {
                    if f.offline {
                        go_offline(state, &f.message);
                    } else {
                        notify(state, NoticeText::Plain(f.message), NoticeLevel::Error);
                    }
                }
            }
            vec![]
        }
        Msg::ServiceReplied {
            request,
            latency,
            result,
        } => on_reply(state, request, latency, result),
        Msg::PortraitLoaded { request, result } => {
            if let Some(p) = state.current.as_mut().filter(|p| p.request == request) {
                p.portrait = match result {
                    Ok(portrait) => PortraitState::Loaded(portrait),
                    Err(e) => PortraitState::Missing(crate::domain::text::sanitize(&e)),
                };
            }
            vec![]
        }
        Msg::DecisionSent {
            decision_id,
            result,
        } => {
            // A failed delivery is retried by the outbox: the decision stays recorded.
            let (delivery, error) = match result {
                Ok(_) => (Some(Delivery::Sent), None),
                Err(f) => {
                    if f.offline {
                        go_offline(state, &f.message);
                    }
                    (None, Some(f.message))
                }
            };
            for record in decision_records(state, &decision_id) {
                if let Some(d) = delivery {
                    record.delivery = d;
                }
                record.delivery_error.clone_from(&error);
            }
            vec![]
        }
        Msg::Recorded {
            decision_id,
            result,
        } => {
            let (delivery, error) = match result {
                Ok(_) => (Delivery::Recorded, None),
                Err(e) => (
                    Delivery::NotRecorded,
                    Some(crate::domain::text::sanitize(&e)),
                ),
            };
            if let Some(e) = &error {
                notify(state, NoticeText::Plain(e.clone()), NoticeLevel::Error);
            }
            for record in decision_records(state, &decision_id) {
                // Local-only decisions stay so once written.
                if !(record.delivery == Delivery::LocalOnly && delivery == Delivery::Recorded) {
                    record.delivery = delivery;
                }
                record.delivery_error.clone_from(&error);
            }
            vec![]
        }
        Msg::OutboxWaiting(n) => {
            state.outbox_waiting = n;
            vec![]
        }
        Msg::DemoCards { result } => {
            match result {
                Ok(cards) => {
                    if let Some(demo) = state.demo.as_mut() {
                        demo.cards = cards;
                    }
                }
                Err(f) => notify(state, NoticeText::Plain(f.message), NoticeLevel::Error),
            }
            vec![]
        }
        Msg::DemoShown {
            label,
            code,
            genuine,
        } => {
            if let Some(demo) = state.demo.as_mut().filter(|_| genuine) {
                demo.last_code = Some(code);
            }
            notify(state, NoticeText::Plain(label), NoticeLevel::Info);
            vec![]
        }
        Msg::TrainShown { step, code } => super::training::shown(state, step, code),
        Msg::DemoFailed { message } => {
            notify(state, NoticeText::Plain(message), NoticeLevel::Error);
            vec![]
        }
    }
}

/// The records of one decision: on the traveller on screen and in the history.
fn decision_records<'a>(
    state: &'a mut State,
    decision_id: &'a str,
) -> impl Iterator<Item = &'a mut DecisionRecord> {
    state
        .current
        .iter_mut()
        .filter_map(|p| p.decision.as_mut())
        .chain(state.history.iter_mut())
        .filter(move |r| r.decision_id == decision_id)
}

fn go_offline(state: &mut State, reason: &str) {
    let since = match &state.service {
        ServiceState::Offline { since, .. } => *since,
        _ => state.now,
    };
    state.service = ServiceState::Offline {
        since,
        reason: crate::domain::text::sanitize(reason),
    };
}

fn notify(state: &mut State, text: NoticeText, level: NoticeLevel) {
    if let NoticeText::Plain(t) = &text
        && t.is_empty()
    {
        return;
    }
    let text = match text {
        NoticeText::Plain(t) => NoticeText::Plain(crate::domain::text::sanitize(&t)),
        label => label,
    };
    state.notice = Some(Notice {
        text,
        level,
        until: state.now + NOTICE_FOR,
    });
}

fn on_tick(state: &mut State) -> Vec<Effect> {
    let now = state.now;
    if state.notice.as_ref().is_some_and(|n| n.until <= now) {
        state.notice = None;
    }
    if let Some(p) = state.current.as_mut()
        && p.reveal.is_some_and(|(_, until)| until <= now)
    {
        p.reveal = None;
    }
    let mut effects = super::training::tick(state);
    let due = state.last_health.is_none_or(|t| now - t >= HEALTH_EVERY);
    if due && !state.health_in_flight {
        state.health_in_flight = true;
        effects.push(Effect::CheckHealth);
    }
    effects
}

pub use crate::domain::clock::local_date;

fn on_code(state: &mut State, text: String) -> Vec<Effect> {
    // The same code seen again while its traveller is on screen is the same presentation.
    if state.current.as_ref().is_some_and(|p| p.code == text) {
        return vec![];
    }
    let busy = state.undecided() || state.dialog.as_ref().is_some_and(Dialog::is_decision);
    if busy {
        state.pending_code = Some(text);
        notify(
            state,
            NoticeText::Label(L::PendingCode),
            NoticeLevel::Warning,
        );
        return vec![];
    }
    begin(state, text)
}

fn begin(state: &mut State, text: String) -> Vec<Effect> {
    let now = state.now.timestamp();
    let request = state.next_request;
    state.next_request += 1;
    let offline = match &state.trust {
        Some(trust) => {
            match credential::verify(&text, trust, now, state.skew_secs, Some(&mut state.replay)) {
                Ok(_) => CodeFacts::Genuine,
                Err(e) => CodeFacts::Refused(e),
            }
        }
        None => match credential::parse(&text) {
            Ok(_) => CodeFacts::NotChecked,
            Err(e) => CodeFacts::Refused(e),
        },
    };
    let card = credential::parse(&text).ok().map(|p| p.claims.card);
    let refused = matches!(offline, CodeFacts::Refused(_));
    state.current = Some(Presentation {
        request,
        code: text.clone(),
        read_at: state.now,
        offline,
        card,
        lookup: if refused {
            Lookup::NotAsked
        } else {
            Lookup::Waiting
        },
        portrait: if refused {
            PortraitState::Missing(String::new())
        } else {
            PortraitState::Waiting
        },
        checks: vec![],
        decision: None,
        selected_doc: 0,
        reveal: None,
        lookup_latency: None,
    });
    recompute(state);
    if refused {
        // A forged or stale code is refused here; the service is not told about it.
        return vec![];
    }
    vec![Effect::Verify {
        request,
        body: VerificationRequest {
            token: text,
            checkpoint: state.lane.checkpoint.slug.to_owned(),
            lane: state.lane.lane.clone(),
            direction: state.lane.direction,
            officer: state.lane.officer.clone(),
        },
    }]
}

/// Recomputes the current traveller's checks from what is known.
pub fn recompute(state: &mut State) {
    let lane = LaneContext {
        checkpoint: state.lane.checkpoint,
        direction: state.lane.direction,
        trust_age_secs: super::training::trust_age(state).unwrap_or_else(|| {
            state
                .trust
                .as_ref()
                .map(|t| state.now.timestamp() - t.fetched_at)
        }),
    };
    let today = local_date(state.now);
    if let Some(p) = state.current.as_mut() {
        let facts = match &p.lookup {
            Lookup::NotAsked => ServiceFacts::NotAsked,
            Lookup::Waiting => ServiceFacts::Waiting,
            Lookup::Answered(v) => ServiceFacts::Answered(v.record()),
            Lookup::Failed(f) => match (&f.code, f.offline) {
                (Some(code), false) => ServiceFacts::Refused { code },
                _ => ServiceFacts::Unavailable,
            },
        };
        p.checks = checks::evaluate(lane, &p.offline, facts, today);
    }
}

fn on_reply(
    state: &mut State,
    request: u64,
    latency: std::time::Duration,
    result: Result<Box<crate::edges::api::Verification>, super::msg::Failure>,
) -> Vec<Effect> {
    // A late reply for a traveller who has gone is dropped.
    let Some(p) = state.current.as_mut().filter(|p| p.request == request) else {
        return vec![];
    };
    let mut effects = vec![];
    p.lookup_latency = Some(latency);
    match result {
        Ok(v) => {
            effects.push(Effect::FetchPortrait {
                request,
                holder: v.holder.id.clone(),
            });
            p.lookup = Lookup::Answered(v);
            state.service = ServiceState::Online { latency };
        }
        Err(f) => {
            p.portrait = PortraitState::Missing(String::new());
            let offline = f.offline;
            let message = f.message.clone();
            p.lookup = Lookup::Failed(f);
            if offline {
                go_offline(state, &message);
            }
        }
    }
    recompute(state);
    effects
}

fn on_key(state: &mut State, key: Key) -> Vec<Effect> {
    if let Some(dialog) = state.dialog.take() {
        return dialog_key(state, dialog, key);
    }
    match state.keymap.command(key) {
        Some(command) => on_command(state, command),
        None => vec![],
    }
}

fn on_command(state: &mut State, command: Command) -> Vec<Effect> {
    match command {
        Command::Approve => {
            let Some(p) = state.current.as_ref().filter(|p| p.decision.is_none()) else {
                return vec![];
            };
            if p.in_progress() {
                notify(
                    state,
                    NoticeText::Label(L::WaitingForService),
                    NoticeLevel::Warning,
                );
                return vec![];
            }
            if approval_needs_override(&p.checks) {
                state.dialog = Some(Dialog::Override(ReasonForm {
                    on_note: true,
                    ..Default::default()
                }));
                return vec![];
            }
            decide(state, DecisionKind::Approve, vec![], String::new(), None)
        }
        Command::Flag => {
            if state.undecided() {
                state.dialog = Some(Dialog::Flag(ReasonForm::default()));
            }
            vec![]
        }
        Command::Escalate => {
            if let Some(p) = state.current.as_ref().filter(|p| p.decision.is_none()) {
                let cursor = suggested_referral(p);
                state.dialog = Some(Dialog::Escalate(ReasonForm {
                    cursor,
                    ..Default::default()
                }));
            }
            vec![]
        }
        Command::Clear => clear(state),
        Command::Reveal => reveal(state),
        Command::SelectNext | Command::SelectPrevious => {
            if let Some(p) = state.current.as_mut() {
                let n = p.verification().map_or(0, |v| v.documents.len());
                if n > 0 {
                    p.selected_doc = if command == Command::SelectNext {
                        (p.selected_doc + 1) % n
                    } else {
                        (p.selected_doc + n - 1) % n
                    };
                    p.reveal = None;
                }
            }
            vec![]
        }
        Command::Help => {
            state.dialog = Some(Dialog::Help);
            vec![]
        }
        Command::History => {
            state.dialog = Some(Dialog::History);
            vec![]
        }
        Command::Language => {
            state.lang = state.lang.next();
            vec![]
        }
        Command::Quit => {
            if state.undecided() {
                state.dialog = Some(Dialog::ConfirmQuit);
            } else {
                state.quit = true;
            }
            vec![]
        }
        Command::TrainPause => super::training::pause(state),
        Command::TrainSkip => super::training::skip(state),
        Command::TrainRestart => super::training::restart(state),
        Command::DemoTraveller(n) => demo_present(state, usize::from(n).saturating_sub(1)),
        Command::DemoNext => {
            let next = state
                .demo
                .as_ref()
                .map_or(0, |d| d.last.map_or(0, |i| i + 1));
            demo_present(state, next)
        }
        Command::DemoForged => {
            let Some(demo) = state.demo.as_ref() else {
                return vec![];
            };
            let Some(card) = demo.cards.get(demo.last.unwrap_or(0)) else {
                return vec![];
            };
            vec![Effect::Demo(DemoEffect::PresentForged {
                card: card.card,
                label: format!("forged code for {} ({})", card.traveller, card.name_latin),
            })]
        }
        Command::DemoReplay => {
            let Some(demo) = state.demo.as_ref() else {
                return vec![];
            };
            match &demo.last_code {
                Some(code) => vec![Effect::Demo(DemoEffect::Show {
                    code: code.clone(),
                    label: "the last code shown again".into(),
                })],
                None => {
                    notify(
                        state,
                        NoticeText::Plain("no code shown yet to replay".into()),
                        NoticeLevel::Warning,
                    );
                    vec![]
                }
            }
        }
    }
}

fn demo_present(state: &mut State, index: usize) -> Vec<Effect> {
    let Some(demo) = state.demo.as_mut() else {
        return vec![];
    };
    if demo.cards.is_empty() {
        return vec![];
    }
    let index = index % demo.cards.len();
    demo.last = Some(index);
    let card = &demo.cards[index];
    vec![Effect::Demo(DemoEffect::Present {
        card: card.card,
        label: format!("{} {}: {}", card.traveller, card.name_latin, card.summary),
    })]
}

fn suggested_referral(p: &Presentation) -> usize {
    let failed = |id: &str| {
        p.checks
            .iter()
            .any(|c| c.id == id && c.outcome == Outcome::Fail)
    };
    let wanted = if failed("watch-list") {
        "watch-list"
    } else if failed("code-signature") || failed("code-not-replayed") {
        "forged-code"
    } else if p
        .checks
        .iter()
        .any(|c| c.id.starts_with("document") && c.outcome == Outcome::Fail)
    {
        "documents"
    } else {
        "identity"
    };
    REFERRAL_REASONS
        .iter()
        .position(|(id, _)| *id == wanted)
        .unwrap_or(0)
}

fn clear(state: &mut State) -> Vec<Effect> {
    super::training::cleared(state);
    state.current = None;
    let mut effects = vec![];
    if state.demo.is_some() {
        effects.push(Effect::Demo(DemoEffect::HidePhone));
    }
    if let Some(code) = state.pending_code.take() {
        effects.extend(begin(state, code));
    }
    effects
}

fn reveal(state: &mut State) -> Vec<Effect> {
    let now = state.now;
    let officer = state.lane.officer.clone();
    let Some(p) = state.current.as_mut() else {
        return vec![];
    };
    let Some(v) = p.verification() else {
        return vec![];
    };
    let Some(doc) = v.documents.get(p.selected_doc) else {
        return vec![];
    };
    let effect = Effect::LogReveal {
        officer,
        lane: state.lane.lane.clone(),
        holder: v.holder.id.clone(),
        document: doc.kind,
    };
    p.reveal = Some((p.selected_doc, now + REVEAL_FOR));
    notify(state, NoticeText::Label(L::Revealed), NoticeLevel::Info);
    vec![effect]
}

fn decide(
    state: &mut State,
    kind: DecisionKind,
    reasons: Vec<String>,
    note: String,
    override_reason: Option<String>,
) -> Vec<Effect> {
    let Some(p) = state.current.as_mut().filter(|p| p.decision.is_none()) else {
        return vec![];
    };
    state.decisions_made += 1;
    let decision_id = format!("{}-{:04}", state.session, state.decisions_made);
    let verification = p.verification();
    let who = verification.map_or_else(
        || match &p.offline {
            CodeFacts::Refused(e) => format!("({})", e.code()),
            _ => "(no record)".to_owned(),
        },
        |v| crate::domain::text::sanitize(&v.holder.name_latin),
    );
    let record = DecisionRecord {
        decision_id: decision_id.clone(),
        kind,
        at: state.now,
        who,
        reasons: reasons.clone(),
        note: note.clone(),
        override_reason: override_reason.clone(),
        delivery: if p.card.is_some() {
            Delivery::Recording
        } else {
            Delivery::LocalOnly
        },
        delivery_error: None,
    };
    let not_passed = crate::domain::checks::not_passed(&p.checks);
    let suggested = Some(checks::suggest(&p.checks).as_str().to_owned());
    let mut effects = vec![Effect::Record(Box::new(RecordedDecision {
        request: DecisionRequest {
            decision_id,
            verification_id: verification.map(|v| v.verification_id.clone()),
            // No card to name (the code was not an e-card code): recorded at this lane only.
            card: p.card.unwrap_or(CardRef([0; 16])),
            checkpoint: state.lane.checkpoint.slug.to_owned(),
            lane: state.lane.lane.clone(),
            direction: state.lane.direction,
            officer: state.lane.officer.clone(),
            decision: kind,
            reasons,
            note,
            override_reason,
            decided_at: state.now,
        },
        deliver: p.card.is_some(),
        not_passed,
        suggested,
    }))];
    p.decision = Some(record.clone());
    p.reveal = None;
    let (given_reasons, overridden) = (record.reasons.clone(), record.override_reason.is_some());
    state.history.push_front(record);
    state.history.truncate(HISTORY_LEN);
    if state.demo.is_some() || state.training.is_some() {
        effects.push(Effect::Demo(DemoEffect::HidePhone));
    }
    super::training::decided(state, kind, &given_reasons, overridden);
    effects.extend(record_step(state, kind, &given_reasons));
    if let Some(code) = state.pending_code.take() {
        effects.extend(begin(state, code));
    }
    effects.extend(super::training::tick(state));
    effects
}

/// `--record`: the decision and what led to it, and the session file rewritten.
fn record_step(state: &mut State, kind: DecisionKind, reasons: &[String]) -> Vec<Effect> {
    use super::record::{RecordedStep, Shown};
    let Some(p) = state.current.as_ref() else {
        return vec![];
    };
    let owner = |card: Option<CardRef>| {
        let cards = &state.demo.as_ref()?.cards;
        cards
            .iter()
            .find(|c| Some(c.card) == card)
            .map(|c| c.traveller.clone())
    };
    let shown = match (&p.offline, p.verification()) {
        (CodeFacts::Refused(CredentialError::Replayed { .. }), _) => Shown::Replay,
        (CodeFacts::Refused(_), _) => Shown::Forged(owner(p.card)),
        (_, Some(v)) if v.presented_before.is_some() => Shown::Replay,
        (_, Some(v)) => Shown::Traveller(crate::domain::text::sanitize(&v.holder.id)),
        // Nothing the service confirmed: nothing a session could show again.
        (_, None) => return vec![],
    };
    let step = RecordedStep {
        at: state.now,
        shown,
        not_passed: crate::domain::checks::not_passed(&p.checks),
        decision: kind,
        reasons: reasons.to_vec(),
    };
    let lane = state.lane.clone();
    let Some(rec) = state.recording.as_mut() else {
        return vec![];
    };
    rec.steps.push(step);
    vec![Effect::WriteReport {
        path: rec.path.clone(),
        json: rec.to_session(lane.checkpoint, lane.direction, &lane.lane),
    }]
}

fn dialog_key(state: &mut State, dialog: Dialog, key: Key) -> Vec<Effect> {
    let reasons_len = |d: &Dialog| match d {
        Dialog::Flag(_) => FLAG_REASONS.len(),
        Dialog::Escalate(_) => REFERRAL_REASONS.len(),
        _ => 0,
    };
    match dialog {
        Dialog::Help | Dialog::History => vec![],
        Dialog::ScoreCard => match state.keymap.command(key) {
            Some(Command::Quit) => {
                state.quit = true;
                vec![]
            }
            Some(Command::TrainRestart) => super::training::restart(state),
            _ => vec![],
        },
        Dialog::ConfirmQuit => {
            match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => state.quit = true,
                KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => {}
                _ => state.dialog = Some(Dialog::ConfirmQuit),
            }
            vec![]
        }
        Dialog::Flag(_) | Dialog::Escalate(_) | Dialog::Override(_) if key.code == KeyCode::Esc => {
            vec![]
        }
        mut d @ (Dialog::Flag(_) | Dialog::Escalate(_) | Dialog::Override(_)) => {
            let n = reasons_len(&d);
            let is_override = matches!(d, Dialog::Override(_));
            let is_flag = matches!(d, Dialog::Flag(_));
            let form = match &mut d {
                Dialog::Flag(f) | Dialog::Escalate(f) | Dialog::Override(f) => f,
                _ => unreachable!("matched above"),
            };
            form.error = false;
            if key.code == KeyCode::Enter {
                return submit(state, d);
            }
            if key.ctrl {
                state.dialog = Some(d);
                return vec![];
            }
            match key.code {
                KeyCode::Tab | KeyCode::BackTab if !is_override => form.on_note = !form.on_note,
                KeyCode::Backspace if form.on_note => {
                    form.note.pop();
                }
                KeyCode::Char(c)
                    if form.on_note && form.note.chars().count() < NOTE_MAX && !c.is_control() =>
                {
                    form.note.push(c);
                }
                // A full note takes no more, and typing never toggles a reason.
                KeyCode::Char(_) if form.on_note => {}
                KeyCode::Up if n > 0 => form.cursor = (form.cursor + n - 1) % n,
                KeyCode::Down if n > 0 => form.cursor = (form.cursor + 1) % n,
                KeyCode::Char(' ') if is_flag => toggle(&mut form.chosen, form.cursor),
                KeyCode::Char(c @ '1'..='9') => {
                    let i = c as usize - '1' as usize;
                    if i < n {
                        form.cursor = i;
                        if is_flag {
                            toggle(&mut form.chosen, i);
                        }
                    }
                }
                _ => {}
            }
            state.dialog = Some(d);
            vec![]
        }
    }
}

fn toggle(chosen: &mut Vec<usize>, i: usize) {
    if let Some(pos) = chosen.iter().position(|c| *c == i) {
        chosen.remove(pos);
    } else {
        chosen.push(i);
        chosen.sort_unstable();
    }
}

fn submit(state: &mut State, dialog: Dialog) -> Vec<Effect> {
    match dialog {
        Dialog::Flag(mut form) => {
            if form.chosen.is_empty() {
                form.error = true;
                state.dialog = Some(Dialog::Flag(form));
                return vec![];
            }
            let reasons = form
                .chosen
                .iter()
                .map(|i| FLAG_REASONS[*i].0.to_owned())
                .collect();
            decide(
                state,
                DecisionKind::Flag,
                reasons,
                form.note.trim().to_owned(),
                None,
            )
        }
        Dialog::Escalate(form) => {
            let reason = REFERRAL_REASONS[form.cursor.min(REFERRAL_REASONS.len() - 1)].0;
            decide(
                state,
                DecisionKind::Escalate,
                vec![reason.to_owned()],
                form.note.trim().to_owned(),
                None,
            )
        }
        Dialog::Override(mut form) => {
            let reason = form.note.trim().to_owned();
            if reason.is_empty() {
                form.error = true;
                state.dialog = Some(Dialog::Override(form));
                return vec![];
            }
            let failed: Vec<String> = state
                .current
                .iter()
                .flat_map(|p| &p.checks)
                .filter(|c| matches!(c.outcome, Outcome::Fail | Outcome::Unknown))
                .map(|c| c.id.clone())
                .collect();
            decide(
                state,
                DecisionKind::Approve,
                failed,
                String::new(),
                Some(reason),
            )
        }
        other => {
            state.dialog = Some(other);
            vec![]
        }
    }
}

/// Why a code was refused offline, when it was.
pub fn refusal(p: &Presentation) -> Option<&CredentialError> {
    match &p.offline {
        CodeFacts::Refused(e) => Some(e),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
