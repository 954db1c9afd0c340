//! The decision dialogs (flag, escalate, approve over a check) and the decision itself:
//! recorded, added to the history, and announced to the modes as a `Fact::Decided`.

use crate::api::DecisionRequest;
use crate::console::effect::Effect;
use crate::console::keymap::{Key, KeyCode};
use crate::console::state::*;
use crate::domain::checks;
use crate::domain::credential::CardRef;
use crate::domain::decision::{DecisionKind, FlagReason, ReferralReason};
use crate::domain::text::sanitize;
use crate::domain::verdict::{OverrideReason, Verdict};
use crate::edges::audit::RecordedDecision;

use super::NOTE_MAX;

pub(super) fn decide(
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
        || match p.refusal() {
            Some(e) => format!("({})", e.code()),
            None => "(no record)".to_owned(),
        },
        |v| sanitize(&v.holder.name_latin),
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
    let code = crate::domain::credential::parse(&p.code).ok();
    let effect = Effect::Record(Box::new(RecordedDecision {
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
            kid: code.as_ref().map(|c| c.kid),
            nonce: code.as_ref().map(|c| c.claims.nonce),
            audit_head: None,
        },
        deliver: p.card.is_some(),
        not_passed: checks::not_passed(&p.checks),
        suggested: Some(checks::suggest(&p.checks).as_str().to_owned()),
        verdict: Some(Verdict::of(&p.checks).wire().to_owned()),
        clock_offset: state.clock.offset,
    }));
    p.decision = Some(record.clone());
    p.reveal = None;
    state.facts.push(Fact::Decided(Box::new(p.clone())));
    state.history.push_front(record);
    state.history.truncate(HISTORY_LEN);
    vec![effect]
}

pub(super) fn dialog_key(state: &mut State, dialog: Dialog, key: Key) -> Vec<Effect> {
    match dialog {
        Dialog::Help | Dialog::History => vec![],
        Dialog::ConfirmQuit => {
            match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => state.quit = true,
                KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => {}
                _ => state.dialog = Some(Dialog::ConfirmQuit),
            }
            vec![]
        }
        // Esc at the second confirmation goes back to the form; elsewhere it cancels.
        Dialog::Override(mut form) if key.code == KeyCode::Esc && form.confirming => {
            form.confirming = false;
            state.dialog = Some(Dialog::Override(form));
            vec![]
        }
        Dialog::Flag(_) | Dialog::Escalate(_) | Dialog::Override(_) if key.code == KeyCode::Esc => {
            vec![]
        }
        d @ (Dialog::Flag(_) | Dialog::Escalate(_) | Dialog::Override(_)) => {
            form_key(state, d, key)
        }
    }
}

/// A key in a decision dialog: pick reasons, type the note, Enter to decide.
fn form_key(state: &mut State, mut d: Dialog, key: Key) -> Vec<Effect> {
    let n = match &d {
        Dialog::Flag(_) => FlagReason::ALL.len(),
        Dialog::Escalate(_) => ReferralReason::ALL.len(),
        _ => OverrideReason::ALL.len(),
    };
    let is_flag = matches!(d, Dialog::Flag(_));
    let (Dialog::Flag(form) | Dialog::Escalate(form) | Dialog::Override(form)) = &mut d else {
        state.dialog = Some(d);
        return vec![];
    };
    form.error = false;
    if key.code == KeyCode::Enter {
        return submit(state, d);
    }
    if key.ctrl || form.confirming {
        state.dialog = Some(d);
        return vec![];
    }
    match key.code {
        KeyCode::Tab | KeyCode::BackTab => form.on_note = !form.on_note,
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
                .filter_map(|i| FlagReason::ALL.get(*i))
                .map(|r| r.wire().to_owned())
                .collect();
            let note = form.note.trim().to_owned();
            decide(state, DecisionKind::Flag, reasons, note, None)
        }
        Dialog::Escalate(form) => {
            let all = ReferralReason::ALL;
            let reason = all[form.cursor.min(all.len() - 1)];
            let note = form.note.trim().to_owned();
            decide(
                state,
                DecisionKind::Escalate,
                vec![reason.wire().to_owned()],
                note,
                None,
            )
        }
        Dialog::Override(mut form) => {
            let note = form.note.trim().to_owned();
            if note.is_empty() {
                form.error = true;
                form.on_note = true;
                state.dialog = Some(Dialog::Override(form));
                return vec![];
            }
            if !form.confirming {
                // The second confirmation: the officer reads which checks they override.
                form.confirming = true;
                state.dialog = Some(Dialog::Override(form));
                return vec![];
            }
            let all = OverrideReason::ALL;
            let reason = all[form.cursor.min(all.len() - 1)];
            let overridden = form.overridden.iter().map(|id| id.wire()).collect();
            decide(
                state,
                DecisionKind::Approve,
                overridden,
                note,
                Some(reason.wire().to_owned()),
            )
        }
        other => {
            state.dialog = Some(other);
            vec![]
        }
    }
}
