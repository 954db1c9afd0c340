//! The bottom lines: what just happened, and the keys that work right now.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use crate::console::desk::Desk;
use crate::console::i18n::{L, Lang};
use crate::console::keymap::Command;
use crate::console::state::{Dialog, NoticeLevel, NoticeText, State};
use crate::console::theme::{Role, Theme};
use crate::domain::verdict::{Approval, Verdict, approval};

pub fn draw_notice(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let Some(notice) = &state.notice else { return };
    let role = match notice.level {
        NoticeLevel::Info => Role::Accent,
        NoticeLevel::Warning => Role::Notice,
        NoticeLevel::Error => Role::Fail,
    };
    let text = match &notice.text {
        NoticeText::Label(l) => l.get(state.lang).to_owned(),
        NoticeText::LabelWith(l, s) => state.lang.tidy(&format!("{} {s}", l.get(state.lang))),
        NoticeText::Plain(s) => s.clone(),
    };
    frame.render_widget(
        Paragraph::new(Line::styled(format!(" {text}"), theme.fg(role))),
        area,
    );
}

/// The key hints for the state the console is in.
pub fn hints(desk: &Desk) -> Vec<(String, L)> {
    let state = &desk.lane;
    let lang_keys = |c: Command| state.keymap.label(c);
    let key = |c: Command, l: L| (lang_keys(c), l);
    let fixed = |k: &str, l: L| (k.to_owned(), l);
    if desk.modes.training.as_ref().is_some_and(|t| t.card_open) {
        return vec![
            fixed("Esc", L::Close),
            key(Command::TrainRestart, L::TrainRestart),
            key(Command::Quit, L::Quit),
        ];
    }
    if let Some(dialog) = &state.dialog {
        return match dialog {
            Dialog::Help | Dialog::History => vec![fixed("Esc", L::Close)],
            Dialog::ConfirmQuit => vec![fixed("Y", L::Yes), fixed("N", L::No)],
            Dialog::Flag(_) => vec![
                fixed("↑↓", L::Select),
                fixed("Space", L::Toggle),
                fixed("Tab", L::NextField),
                fixed("Enter", L::Confirm),
                fixed("Esc", L::Cancel),
            ],
            Dialog::Escalate(_) => vec![
                fixed("↑↓", L::Select),
                fixed("Tab", L::NextField),
                fixed("Enter", L::Confirm),
                fixed("Esc", L::Cancel),
            ],
            Dialog::Override(_) => vec![fixed("Enter", L::Confirm), fixed("Esc", L::Cancel)],
        };
    }
    let mut out = Vec::new();
    match &state.current {
        Some(p) if p.decision.is_none() => {
            // A is not offered for a hard stop; E comes first when it is the suggestion.
            let escalate_first = !p.in_progress()
                && matches!(Verdict::of(&p.checks), Verdict::Escalate | Verdict::Refused);
            let may_approve =
                !p.in_progress() && !matches!(approval(&p.checks), Approval::Forbidden(_));
            if escalate_first {
                out.push(key(Command::Escalate, L::Escalate));
            }
            if may_approve {
                out.push(key(Command::Approve, L::Approve));
            }
            out.push(key(Command::Flag, L::Flag));
            if !escalate_first {
                out.push(key(Command::Escalate, L::Escalate));
            }
            if p.verification().is_some_and(|v| !v.documents.is_empty()) {
                out.push(key(Command::Reveal, L::Reveal));
            }
            out.push(key(Command::Clear, L::Clear));
        }
        Some(_) => out.push(key(Command::Clear, L::Clear)),
        None => {}
    }
    out.push(key(Command::Help, L::Help));
    out.push(key(Command::Quit, L::Quit));
    if desk.modes.training.is_some() {
        out.push(key(Command::TrainPause, L::TrainPause));
        out.push(key(Command::TrainSkip, L::TrainSkip));
        out.push(key(Command::TrainRestart, L::TrainRestart));
    }
    if desk.modes.demo.is_some() {
        out.push(fixed("1-9", L::DemoKeys));
        out.push(key(Command::DemoNext, L::DemoNext));
        out.push(key(Command::DemoForged, L::DemoForged));
        out.push(key(Command::DemoReplay, L::DemoReplay));
    }
    out.push(key(Command::History, L::History));
    out.push(key(Command::Language, L::Language));
    out
}

pub fn draw_keys(frame: &mut Frame, area: Rect, desk: &Desk, theme: &Theme) {
    let lang: Lang = desk.lane.lang;
    let mut spans = vec![Span::raw(" ")];
    let mut used = 1;
    // Hints come in order of importance: those that do not fit are left out whole.
    for (k, l) in hints(desk) {
        let label = format!(" {}  ", l.get(lang));
        let width = k.width() + label.trim_end().width();
        if used + width > usize::from(area.width) {
            break;
        }
        used += width + 2;
        spans.push(Span::styled(
            k,
            theme
                .fg(Role::Accent)
                .add_modifier(Modifier::BOLD | Modifier::REVERSED),
        ));
        spans.push(Span::styled(label, theme.fg(Role::Muted)));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
