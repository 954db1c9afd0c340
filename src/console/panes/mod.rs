//! One file per part of the screen. Each pane reads the state and draws; none writes.

pub mod camera;
pub mod checks;
pub mod dialog;
pub mod documents;
pub mod footer;
pub mod header;
pub mod portrait;
pub mod traveller;
pub mod verdict;

use ratatui::style::{Modifier, Style};
use ratatui::text::Span;
use ratatui::widgets::{Block, BorderType, Borders};

use super::i18n::{L, Lang};
use super::theme::{Role, Theme};
use crate::domain::checks::Outcome;

/// A bordered pane with a title.
pub fn pane<'a>(title: &'a str, theme: &Theme) -> Block<'a> {
    Block::new()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(theme.fg(Role::Border))
        .title(Span::styled(
            format!(" {title} "),
            theme.fg(Role::Title).add_modifier(Modifier::BOLD),
        ))
}

/// Each outcome has its own symbol as well as its own colour.
pub fn outcome_mark(outcome: Outcome, theme: &Theme) -> Span<'static> {
    let (symbol, role) = match outcome {
        Outcome::Pass => ("✔", Role::Pass),
        Outcome::Warning => ("▲", Role::Warn),
        Outcome::Fail => ("✖", Role::Fail),
        Outcome::Unknown => ("?", Role::Unknown),
    };
    Span::styled(symbol, theme.fg(role).add_modifier(Modifier::BOLD))
}

pub fn outcome_role(outcome: Outcome) -> Role {
    match outcome {
        Outcome::Pass => Role::Pass,
        Outcome::Warning => Role::Warn,
        Outcome::Fail => Role::Fail,
        Outcome::Unknown => Role::Unknown,
    }
}

pub fn label(l: L, lang: Lang, theme: &Theme) -> Span<'static> {
    Span::styled(l.get(lang), theme.fg(Role::Muted))
}

pub fn text(s: impl Into<String>, theme: &Theme) -> Span<'static> {
    Span::styled(s.into(), theme.fg(Role::Text))
}

pub fn bold(style: Style) -> Style {
    style.add_modifier(Modifier::BOLD)
}
