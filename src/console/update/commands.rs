//! The officer's commands outside dialogs: decide, move on, reveal a number, look around.

use crate::console::effect::Effect;
use crate::console::i18n::L;
use crate::console::keymap::Command;
use crate::console::state::*;
use crate::domain::checks::approval_needs_override;
use crate::domain::decision::{DecisionKind, ReferralReason};

use super::{clear, decide::decide, notify};

pub(super) fn on_command(state: &mut State, command: Command) -> Vec<Effect> {
    match command {
        Command::Approve => approve(state),
        Command::Flag => {
            if state.undecided() {
                state.dialog = Some(Dialog::Flag(ReasonForm::default()));
            }
            vec![]
        }
        Command::Escalate => {
            if let Some(p) = state.current.as_ref().filter(|p| p.decision.is_none()) {
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

fn approve(state: &mut State) -> Vec<Effect> {
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
