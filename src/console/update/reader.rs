//! What a 2D code reader says: its port opened or lost, a line ignored, a code read. A code
//! read goes the camera's way from here (`codes::on_code`): the same presentation kept, the
//! same waiting while a traveller is undecided.

use crate::console::effect::Effect;
use crate::console::i18n::L;
use crate::console::state::*;
use crate::domain::text::sanitize;
use crate::edges::reader::ReaderEvent;

use super::{codes, notify};

pub(super) fn on_event(state: &mut State, event: ReaderEvent) -> Vec<Effect> {
    let now = state.now;
    match event {
        ReaderEvent::Read { text, via } => {
            state.reader.read_at = Some((now, via));
            return codes::on_code(state, text);
        }
        ReaderEvent::Opened { port } => {
            let was_lost = matches!(state.reader.status, ReaderStatus::Lost { .. });
            state.reader.status = ReaderStatus::Ready;
            if was_lost {
                notify(
                    state,
                    NoticeText::LabelWith(L::ReaderBack, port),
                    NoticeLevel::Info,
                );
            }
        }
        ReaderEvent::Lost { reason, .. } => {
            let since = match &state.reader.status {
                ReaderStatus::Lost { since, .. } => *since,
                _ => now,
            };
            let reason = sanitize(&reason);
            state.reader.status = ReaderStatus::Lost {
                since,
                reason: reason.clone(),
            };
            notify(
                state,
                NoticeText::LabelWith(L::ReaderLost, reason),
                NoticeLevel::Warning,
            );
        }
        ReaderEvent::Ignored { preview } => notify(
            state,
            NoticeText::LabelWith(L::ReaderIgnored, format!("“{}”", sanitize(&preview))),
            NoticeLevel::Warning,
        ),
        ReaderEvent::CutShort => notify(
            state,
            NoticeText::Label(L::ReaderCutShort),
            NoticeLevel::Warning,
        ),
    }
    vec![]
}
