//! The linked documents: masked number, validity and status; endorsements with their dates
//! and trips left. The selected document's number can be revealed for a few seconds.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::console::i18n::{L, Lang, pad};
use crate::console::state::State;
use crate::console::theme::{Role, Theme};
use crate::domain::checks::{EXPIRY_WARNING_DAYS, document_name, endorsement_name, region_name};
use crate::domain::clock::local_date;
use crate::domain::documents::{Document, DocumentStatus, Endorsement};
use crate::domain::text::sanitize;

use super::{bold, label, pane, text};

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let lang = state.lang;
    let block = pane(L::Documents.get(lang), theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(v) = state.current.as_ref().and_then(|p| p.verification()) else {
        frame.render_widget(
            Paragraph::new(Line::styled(
                L::NoDocuments.get(lang),
                theme.fg(Role::Muted),
            )),
            inner,
        );
        return;
    };
    let p = state
        .current
        .as_ref()
        .expect("a verification belongs to the current traveller");
    let today = local_date(state.now);
    let name_width = v
        .documents
        .iter()
        .map(|d| unicode_width::UnicodeWidthStr::width(document_name(d.kind, lang)))
        .max()
        .unwrap_or(0);
    let mut lines = Vec::new();
    for (i, doc) in v.documents.iter().enumerate() {
        let selected = i == p.selected_doc;
        let revealed = p
            .reveal
            .is_some_and(|(d, until)| d == i && until > state.now);
        lines.push(document_line(
            doc, selected, revealed, name_width, today, lang, theme,
        ));
        for e in &doc.endorsements {
            lines.push(endorsement_line(e, today, inner.width < 100, lang, theme));
        }
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

fn document_line(
    doc: &Document,
    selected: bool,
    revealed: bool,
    name_width: usize,
    today: chrono::NaiveDate,
    lang: Lang,
    theme: &Theme,
) -> Line<'static> {
    let marker = if selected { "▸ " } else { "  " };
    let number = if revealed {
        sanitize(&doc.number)
    } else {
        doc.masked_number()
    };
    let (validity, role, mark) = match (doc.status, doc.expires) {
        (DocumentStatus::Cancelled, _) => (
            lang.pick("cancelled", "已注销", "已註銷").to_owned(),
            Role::Fail,
            "✖",
        ),
        (DocumentStatus::ReportedLost, _) => (
            lang.pick("reported lost", "已挂失", "已掛失").to_owned(),
            Role::Fail,
            "✖",
        ),
        (DocumentStatus::Valid, None) => (L::LongTerm.get(lang).to_owned(), Role::Pass, "✔"),
        (DocumentStatus::Valid, Some(until)) => {
            let days = (until - today).num_days();
            let role = if days < 0 {
                Role::Fail
            } else if days <= EXPIRY_WARNING_DAYS {
                Role::Warn
            } else {
                Role::Pass
            };
            let mark = match role {
                Role::Fail => "✖",
                Role::Warn => "▲",
                _ => "✔",
            };
            (format!("{} {until}", L::Until.get(lang)), role, mark)
        }
    };
    let name_style = if selected {
        theme.selection()
    } else {
        bold(theme.fg(Role::Text))
    };
    let mut spans = vec![
        Span::styled(marker, theme.fg(Role::Accent)),
        Span::styled(pad(document_name(doc.kind, lang), name_width), name_style),
        Span::raw("  "),
        Span::styled(
            pad(&number, 19),
            if revealed {
                bold(theme.fg(Role::Warn))
            } else {
                theme.fg(Role::Text)
            },
        ),
        Span::styled(format!("{mark} "), bold(theme.fg(role))),
        Span::styled(validity, theme.fg(role)),
    ];
    if revealed {
        spans.push(Span::styled(
            format!("  ({})", L::Revealed.get(lang)),
            theme.fg(Role::Warn),
        ));
    }
    Line::from(spans)
}

fn endorsement_line(
    e: &Endorsement,
    today: chrono::NaiveDate,
    compact: bool,
    lang: Lang,
    theme: &Theme,
) -> Line<'static> {
    let left = e.trips.left(e.trips_used);
    let valid_now = e.valid_from <= today && today <= e.valid_until;
    let ok = valid_now && left != Some(0);
    let (mark, role) = if ok {
        ("✔", Role::Pass)
    } else {
        ("✖", Role::Fail)
    };
    let trips = match left {
        Some(n) => n.to_string(),
        None => L::Unlimited.get(lang).to_owned(),
    };
    Line::from(vec![
        Span::raw("   ↳ "),
        Span::styled(format!("{mark} "), bold(theme.fg(role))),
        text(
            if compact {
                format!("{} {:?}", region_name(e.destination, lang), e.kind)
            } else {
                format!(
                    "{} {}",
                    region_name(e.destination, lang),
                    endorsement_name(e.kind, lang)
                )
            },
            theme,
        ),
        Span::raw("  "),
        text(format!("{} → {}", e.valid_from, e.valid_until), theme),
        Span::raw("  "),
        label(L::TripsLeft, lang, theme),
        Span::styled(format!(" {trips}"), theme.fg(role)),
        Span::styled(format!("  ≤{}d", e.max_stay_days), theme.fg(Role::Muted)),
    ])
}
