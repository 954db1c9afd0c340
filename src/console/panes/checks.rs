//! The checks: what is known so far, each with a symbol and a colour, and a sentence.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::console::i18n::L;
use crate::console::state::State;
use crate::console::theme::{Role, Theme};

use super::{outcome_mark, outcome_role, pane};

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let lang = state.lang;
    let block = pane(L::Checks.get(lang), theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let checks = state
        .current
        .as_ref()
        .map(|p| p.checks.as_slice())
        .unwrap_or_default();
    if checks.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::styled(L::NothingYet.get(lang), theme.fg(Role::Muted))),
            inner,
        );
        return;
    }
    // Failures first: what the officer must see is at the top when the pane is short.
    let mut ordered: Vec<_> = checks.iter().collect();
    ordered.sort_by_key(|c| std::cmp::Reverse(c.outcome));
    let lines: Vec<Line> = ordered
        .iter()
        .map(|c| {
            Line::from(vec![
                outcome_mark(c.outcome, theme),
                Span::raw(" "),
                Span::styled(
                    c.finding.sentence(lang),
                    theme.fg(match c.outcome {
                        crate::domain::checks::Outcome::Pass => Role::Text,
                        other => outcome_role(other),
                    }),
                ),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
