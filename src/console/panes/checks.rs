//! The checks: what is known so far, each with a symbol and a colour, and a sentence.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::console::i18n::{L, Lang};
use crate::console::state::State;
use crate::console::theme::{Role, Theme};
use crate::domain::checks::{Check, CheckId, Finding, Outcome};

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
    // On a lane clock far from the service's, every time check says it rests on it.
    let caveat = state.clock.standing().caveat_sentence(lang);
    let lines = check_lines(checks, inner, lang, theme, caveat.as_deref());
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

/// The checks as lines, failures first. When they do not all fit, the passes fold into
/// one "✔ 11 passed" line; if that is not enough, the last lines give way to "+N more".
fn check_lines(
    checks: &[Check],
    area: Rect,
    lang: Lang,
    theme: &Theme,
    caveat: Option<&str>,
) -> Vec<Line<'static>> {
    let mut ordered: Vec<&Check> = checks.iter().filter(|c| !repeats(c, checks)).collect();
    ordered.sort_by_key(|c| std::cmp::Reverse(c.outcome));
    let width = usize::from(area.width).max(1);
    let height = usize::from(area.height);
    let rows = |l: &Line| l.width().div_ceil(width).max(1);
    let all: Vec<Line<'static>> = ordered
        .iter()
        .map(|c| check_line(c, lang, theme, caveat))
        .collect();
    if all.iter().map(rows).sum::<usize>() <= height {
        return all;
    }
    let passed = ordered
        .iter()
        .filter(|c| c.outcome == Outcome::Pass)
        .count();
    let mut lines: Vec<Line<'static>> = ordered
        .iter()
        .filter(|c| c.outcome != Outcome::Pass)
        .map(|c| check_line(c, lang, theme, caveat))
        .collect();
    if passed > 0 {
        lines.push(Line::from(vec![
            outcome_mark(Outcome::Pass, theme),
            Span::styled(
                format!(" {passed} {}", L::Passed.get(lang)),
                theme.fg(Role::Pass),
            ),
        ]));
    }
    let mut used = 0;
    let mut kept = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let left = lines.len() - i;
        // Keep a row for "+N more" unless this is the last line and it fits.
        let reserve = usize::from(left > 1);
        if used + rows(line) + reserve > height {
            kept.push(Line::styled(
                format!("+{left} {}", L::More.get(lang)),
                theme
                    .fg(Role::Muted)
                    .add_modifier(ratatui::style::Modifier::BOLD),
            ));
            return kept;
        }
        used += rows(line);
        kept.push(line.clone());
    }
    kept
}

fn check_line(c: &Check, lang: Lang, theme: &Theme, caveat: Option<&str>) -> Line<'static> {
    let mut sentence = c.finding.sentence(lang);
    // A window left unjudged says so itself.
    let unjudged = matches!(c.finding, Finding::CodeWindowUnknown { .. });
    if let Some(caveat) = caveat.filter(|_| c.id.depends_on_clock() && !unjudged) {
        sentence = format!("{sentence}{}{caveat}", lang.pick(" ", "", ""));
    }
    Line::from(vec![
        outcome_mark(c.outcome, theme),
        Span::raw(" "),
        Span::styled(
            sentence,
            theme.fg(match c.outcome {
                Outcome::Pass => Role::Text,
                other => outcome_role(other),
            }),
        ),
    ])
}

/// One line per fault: "required document not valid" says nothing the document's own
/// failed validity line does not.
fn repeats(c: &Check, all: &[Check]) -> bool {
    let Finding::RequiredNotValid { kind } = c.finding else {
        return false;
    };
    all.iter()
        .any(|o| o.id == CheckId::DocumentValid(kind) && o.outcome == Outcome::Fail)
}
