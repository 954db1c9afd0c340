//! The officer's commands outside dialogs: decide, move on, reveal a number, look around.

use crate::console::effect::Effect;
use crate::console::i18n::L;
use crate::console::keymap::Command;
use crate::console::state::*;
use crate::domain::decision::{DecisionKind, FlagReason, ReferralReason};
use crate::domain::verdict::{Approval, OverrideReason, approval};

use super::{clear, decide::decide, notify};

pub(super) fn on_command(state: &mut State, command: Command) -> Vec<Effect> {
    match command {
        Command::Approve => approve(state),
        Command::Flag => {
            if let Some(p) = deciding(state) {
                // Reasons the checks point to are ticked already; the officer can untick.
                let chosen: Vec<usize> = FlagReason::suggested(&p.checks)
                    .iter()
                    .map(|r| r.index())
                    .collect();
                let cursor = chosen.first().copied().unwrap_or(0);
                state.dialog = Some(Dialog::Flag(ReasonForm {
                    cursor,
                    chosen,
                    ..Default::default()
                }));
            }
            vec![]
        }
        Command::Escalate => {
            if let Some(p) = deciding(state) {
                let cursor = ReferralReason::suggested(&p.checks).index();
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
            select(state, command == Command::SelectNext);
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
        // The demo's and training's commands are theirs (see `Desk::update`).
        _ => vec![],
    }
}

/// The undecided traveller a decision key may act on: none in the first moment after the
/// screen changed (a double tap meant for the last traveller), and the officer is told.
fn deciding(state: &mut State) -> Option<Presentation> {
    let p = state
        .current
        .as_ref()
        .filter(|p| p.decision.is_none())?
        .clone();
    if state.decision_locked() {
        notify(state, NoticeText::Label(L::LookFirst), NoticeLevel::Warning);
        return None;
    }
    Some(p)
}

fn approve(state: &mut State) -> Vec<Effect> {
    let Some(p) = deciding(state) else {
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
    match approval(&p.checks) {
        Approval::Allowed => decide(state, DecisionKind::Approve, vec![], String::new(), None),
        Approval::Override(overridden) => {
            let cursor = OverrideReason::suggested(&overridden, &p.checks).index();
            state.dialog = Some(Dialog::Override(ReasonForm {
                cursor,
                overridden,
                ..Default::default()
            }));
            vec![]
        }
        Approval::Forbidden(stops) => {
            // Not at first line: say which checks stop it, and what to press instead.
            let lang = state.lang;
            let names: Vec<String> = stops.iter().map(|id| id.label(lang)).collect();
            let keys = format!(
                "{} {} · {} {}",
                state.keymap.label(Command::Escalate),
                L::Escalate.get(lang),
                state.keymap.label(Command::Flag),
                L::Flag.get(lang)
            );
            let text = format!("{}{} {keys}", names.join(", "), lang.pick(".", "。", "。"));
            notify(
                state,
                NoticeText::LabelWith(L::CannotApprove, text),
                NoticeLevel::Error,
            );
            vec![]
        }
    }
}

fn select(state: &mut State, next: bool) {
    if let Some(p) = state.current.as_mut() {
        let n = p.verification().map_or(0, |v| v.documents.len());
        if n > 0 {
            p.selected_doc = if next {
                (p.selected_doc + 1) % n
            } else {
                (p.selected_doc + n - 1) % n
            };
            p.reveal = None;
        }
    }
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
