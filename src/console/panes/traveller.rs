//! Who the traveller is: names in Chinese and Latin script, sex, birth date and age,
//! residency, the e-card's status. Always the same five lines, so nothing below moves.

use chrono::Datelike;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::console::i18n::{L, Lang, column_width, pad};
use crate::console::state::{Lookup, Presentation, State};
use crate::console::theme::{Role, Theme};
use crate::domain::checks::{card_status_name, region_name};
use crate::domain::clock::local_date;
use crate::domain::holder::{CardStatus, Sex};
use crate::domain::text::sanitize;

use super::{bold, label, pane, text};

/// The pane's height: a border and five lines, whatever is in them.
pub const HEIGHT: u16 = 7;

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let lang = state.lang;
    let mut block = pane(L::Traveller.get(lang), theme);
    if let Some(v) = state.current.as_ref().and_then(super::verdict::shown) {
        let (_, role) = super::verdict::look(v);
        block = block.border_style(bold(theme.fg(role)));
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(p) = &state.current else {
        let lines = vec![Line::styled(
            L::NoTraveller.get(lang),
            theme.fg(Role::Muted),
        )];
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
        return;
    };
    let lines = fact_lines(state, p, lang, theme);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

fn fact_lines(state: &State, p: &Presentation, lang: Lang, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    if let Some(error) = p.refusal() {
        lines.push(Line::from(vec![Span::styled(
            format!("⊘ {} ", L::Refused.get(lang)),
            bold(theme.fg(Role::Fail)),
        )]));
        let sentence = crate::domain::checks::Finding::CodeRefused(error.clone()).sentence(lang);
        lines.push(Line::styled(sentence, theme.fg(Role::Fail)));
        return lines;
    }
    let v = match &p.lookup {
        Lookup::Answered(v) => v,
        Lookup::Waiting => {
            lines.push(Line::styled(
                L::WaitingForService.get(lang),
                theme.fg(Role::Muted),
            ));
            return lines;
        }
        Lookup::Failed(f) => {
            // A headline in the officer's language, what they can do, then the client's
            // own words (English, technical) for whoever fixes the network.
            let (headline, role) = match (f.offline, &f.code) {
                (true, _) => (L::LookupOffline, Role::Unknown),
                (false, Some(_)) => (L::LookupRefused, Role::Fail),
                (false, None) => (L::LookupUnusable, Role::Unknown),
            };
            lines.push(Line::styled(headline.get(lang), bold(theme.fg(role))));
            if role == Role::Unknown {
                lines.push(Line::styled(
                    L::LookupWhatNow.get(lang),
                    theme.fg(Role::Text),
                ));
            }
            lines.push(Line::styled(sanitize(&f.message), theme.fg(Role::Muted)));
            return lines;
        }
        Lookup::NotAsked => return lines,
    };
    let h = &v.holder;
    lines.push(Line::from(vec![
        Span::styled(sanitize(&h.name_zh), bold(theme.fg(Role::Text))),
        Span::raw("  "),
        Span::styled(sanitize(&h.name_latin), bold(theme.fg(Role::Text))),
    ]));
    let labels = [L::Sex, L::BirthDate, L::Residency, L::Card];
    let w = column_width(&labels, lang) + 1;
    let today = local_date(state.now);
    let mut age = today.year() - h.birth_date.year();
    if (today.month(), today.day()) < (h.birth_date.month(), h.birth_date.day()) {
        age -= 1;
    }
    let sex = match h.sex {
        Sex::Male => L::Male,
        Sex::Female => L::Female,
    };
    lines.push(Line::from(vec![
        label_padded(L::Sex, w, lang, theme),
        text(sex.get(lang), theme),
    ]));
    lines.push(Line::from(vec![
        label_padded(L::BirthDate, w, lang, theme),
        text(
            format!(
                "{} ({} {age}{})",
                h.birth_date,
                L::Age.get(lang),
                L::Years.get(lang)
            ),
            theme,
        ),
    ]));
    lines.push(Line::from(vec![
        label_padded(L::Residency, w, lang, theme),
        text(region_name(h.residency, lang), theme),
    ]));
    let card_role = if v.card.status == CardStatus::Active {
        Role::Pass
    } else {
        Role::Fail
    };
    let card_mark = if v.card.status == CardStatus::Active {
        "●"
    } else {
        "✖"
    };
    lines.push(Line::from(vec![
        label_padded(L::Card, w, lang, theme),
        Span::styled(
            format!("{card_mark} {}", card_status_name(v.card.status, lang)),
            bold(theme.fg(card_role)),
        ),
    ]));
    lines
}

fn label_padded(l: L, width: usize, lang: Lang, theme: &Theme) -> Span<'static> {
    let mut s = label(l, lang, theme);
    s.content = pad(&s.content, width).into();
    s
}
