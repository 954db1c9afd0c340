//! `update`: the only place the lane's state changes. No I/O: it returns effects, and
//! records what the modes should hear of in `State::facts`.
//!
//! - `service.rs`: what the service and the recorder answer (health, trust list,
//!   verification, portrait, recording, delivery)
//! - `codes.rs`: a code read, checked offline, and the checks recomputed
//! - `commands.rs`: the officer's commands outside dialogs
//! - `decide.rs`: the decision dialogs and the decision itself
//! - `reader.rs`: a 2D code reader's state, and the codes it reads
//! - `clock.rs`: the lane's clock against the service's

mod clock;
mod codes;
mod commands;
mod decide;
mod reader;
mod service;

use chrono::{DateTime, Utc};

use crate::domain::text::sanitize;

use super::effect::Effect;
use super::i18n::L;
use super::keymap::Key;
use super::msg::Msg;
use super::state::*;

pub use codes::{begin, recompute};

/// Longest note an officer can type.
pub const NOTE_MAX: usize = 240;
const NOTICE_FOR: chrono::TimeDelta = chrono::TimeDelta::seconds(6);

/// The effects to run when the console starts.
/// Both asks are marked in flight: the first health answer must not ask for the trust
/// list a second time while the first is still on its way.
pub fn start(state: &mut State) -> Vec<Effect> {
    state.health_in_flight = true;
    state.trust_in_flight = true;
    state.trust_asked = Some(state.now);
    vec![Effect::CheckHealth, Effect::FetchTrustList]
}

pub fn update(state: &mut State, msg: Msg, now: DateTime<Utc>) -> Vec<Effect> {
    state.now = now;
    let mut effects = clock::observe(state);
    effects.extend(apply(state, msg));
    effects.extend(codes::release_pending(state));
    effects
}

fn apply(state: &mut State, msg: Msg) -> Vec<Effect> {
    let now = state.now;
    match msg {
        Msg::Key(key) => on_key(state, key),
        Msg::Resized { width, height } => {
            state.screen = Some((width, height));
            vec![]
        }
        Msg::Demo(_) | Msg::Training(_) => vec![],
        Msg::Tick => on_tick(state),
        Msg::CodeRead { text } => {
            state.camera.read_at = Some(now);
            codes::on_code(state, text)
        }
        Msg::FrameShown(report) => {
            codes::on_frame(state, *report);
            vec![]
        }
        Msg::CameraStarted { source } => {
            state.camera.source = Some(sanitize(&source));
            state.camera.failure = None;
            vec![]
        }
        Msg::CameraFailed { message } => {
            state.camera.failure = Some(sanitize(&message));
            state.camera.waiting = None;
            vec![]
        }
        Msg::CameraWaiting { folder } => {
            state.camera.waiting = Some(sanitize(&folder));
            state.camera.failure = None;
            vec![]
        }
        Msg::CameraEnded => {
            state.camera.failure = Some("the frame source has no more frames".into());
            vec![]
        }
        Msg::Reader(event) => reader::on_event(state, event),
        Msg::ClockChecked { offset } => clock::on_checked(state, offset),
        Msg::HealthChecked { result } => service::on_health(state, result),
        Msg::TrustListFetched { result } => service::on_trust_list(state, result),
        Msg::ServiceReplied {
            request,
            latency,
            result,
        } => service::on_reply(state, request, latency, result),
        Msg::PortraitLoaded { request, result } => {
            service::on_portrait(state, request, result);
            vec![]
        }
        Msg::DecisionSent {
            decision_id,
            result,
        } => {
            service::on_sent(state, &decision_id, result);
            vec![]
        }
        Msg::Recorded {
            decision_id,
            result,
        } => {
            service::on_recorded(state, &decision_id, result);
            vec![]
        }
        Msg::OutboxWaiting(n) => {
            state.outbox_waiting = n;
            vec![]
        }
        Msg::WriteFailed { message } => {
            notify(state, NoticeText::Plain(message), NoticeLevel::Error);
            vec![]
        }
    }
}

fn on_key(state: &mut State, key: Key) -> Vec<Effect> {
    if state.too_small() && blocked_when_small(state, key) {
        notify(
            state,
            NoticeText::Label(L::DecisionKeysBlocked),
            NoticeLevel::Error,
        );
        return vec![];
    }
    if let Some(dialog) = state.dialog.take() {
        return decide::dialog_key(state, dialog, key);
    }
    match state.keymap.command(key) {
        Some(command) => commands::on_command(state, command),
        None => vec![],
    }
}

/// On a screen too small to show the traveller, only keys that decide nothing work:
/// quitting, help, the language, and leaving a dialog.
fn blocked_when_small(state: &State, key: Key) -> bool {
    use super::keymap::{Command, KeyCode};
    if state.dialog.as_ref().is_some_and(Dialog::is_decision) {
        return key.code != KeyCode::Esc;
    }
    matches!(
        state.keymap.command(key),
        Some(Command::Approve | Command::Flag | Command::Escalate | Command::Reveal)
    )
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
    let due = state.last_health.is_none_or(|t| now - t >= HEALTH_EVERY);
    if due && !state.health_in_flight {
        state.health_in_flight = true;
        return vec![Effect::CheckHealth];
    }
    vec![]
}

/// Says what just happened on the notice line, for a few seconds.
pub fn notify(state: &mut State, text: NoticeText, level: NoticeLevel) {
    let text = match text {
        NoticeText::Plain(t) if t.is_empty() => return,
        NoticeText::Plain(t) => NoticeText::Plain(sanitize(&t)),
        NoticeText::LabelWith(l, t) => NoticeText::LabelWith(l, sanitize(&t)),
        label => label,
    };
    state.notice = Some(Notice {
        text,
        level,
        until: state.now + NOTICE_FOR,
    });
}

fn go_offline(state: &mut State, reason: &str) {
    let since = match &state.service {
        ServiceState::Offline { since, .. } => *since,
        _ => state.now,
    };
    state.service = ServiceState::Offline {
        since,
        reason: sanitize(reason),
    };
}

/// Takes the traveller off the screen, decided or not, and starts on a code that waited.
pub fn clear(state: &mut State) -> Vec<Effect> {
    if let Some(p) = state.current.take() {
        state.facts.push(Fact::Cleared(Box::new(p)));
    }
    match state.pending_code.take() {
        Some(code) => begin(state, code),
        None => vec![],
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_decide;
#[cfg(test)]
mod tests_time;
