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

use super::{bold, pane, text};

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
    let compact = inner.width < 70;
    for (i, doc) in v.documents.iter().enumerate() {
        let selected = i == p.selected_doc;
        let revealed = p
            .reveal
            .is_some_and(|(d, until)| d == i && until > state.now);
        lines.push(document_line(
            doc,
            (selected, revealed, compact),
            name_width,
            today,
            lang,
            theme,
        ));
        for e in &doc.endorsements {
            lines.extend(endorsement_lines(e, today, compact, lang, theme));
        }
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

/// One document: `(selected, revealed, compact)` say how it is shown; compact drops the
/// alignment padding and the word "until" so the date fits at 80 columns.
fn document_line(
    doc: &Document,
    (selected, revealed, compact): (bool, bool, bool),
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
            let text = if compact {
                until.to_string()
            } else {
                format!("{} {until}", L::Until.get(lang))
            };
            (text, role, mark)
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
            pad(
                &number,
                if compact {
                    unicode_width::UnicodeWidthStr::width(number.as_str()) + 2
                } else {
                    19
                },
            ),
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

/// "↳ ✖ Hong Kong, individual visit (G)  2026-01-01 → 2026-06-10  1 trip left · stay up to
/// 7 days": what is wrong is coloured (the dates when expired, the trips when used up).
fn endorsement_lines(
    e: &Endorsement,
    today: chrono::NaiveDate,
    compact: bool,
    lang: Lang,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let left = e.trips.left(e.trips_used);
    let in_window = e.valid_from <= today && today <= e.valid_until;
    let has_trips = left != Some(0);
    let (mark, role) = if in_window && has_trips {
        ("✔", Role::Pass)
    } else {
        ("✖", Role::Fail)
    };
    let trips = match left {
        Some(1) if lang == Lang::En => "1 trip left".to_owned(),
        Some(n) => format!("{n} {}", L::TripsLeft.get(lang)),
        None => L::Unlimited.get(lang).to_owned(),
    };
    let dates_role = if in_window { Role::Text } else { Role::Fail };
    let trips_role = if has_trips { Role::Text } else { Role::Fail };
    let sep = lang.pick(", ", "，", "，");
    let head = vec![
        Span::raw("   ↳ "),
        Span::styled(format!("{mark} "), bold(theme.fg(role))),
        text(
            format!(
                "{}{sep}{}",
                region_name(e.destination, lang),
                endorsement_name(e.kind, lang)
            ),
            theme,
        ),
    ];
    let tail = vec![
        Span::styled(
            format!("{} → {}", e.valid_from, e.valid_until),
            theme.fg(dates_role),
        ),
        Span::raw("  "),
        Span::styled(trips, theme.fg(trips_role)),
        Span::styled(
            format!(
                " · {}",
                L::StayUpTo
                    .get(lang)
                    .replace("{}", &e.max_stay_days.to_string())
            ),
            theme.fg(Role::Muted),
        ),
    ];
    if compact {
        // Two lines at 80 columns: what it is, then when, how many trips, how long.
        let mut second = vec![Span::raw("       ")];
        second.extend(tail);
        vec![Line::from(head), Line::from(second)]
    } else {
        let mut one = head;
        one.push(Span::raw("  "));
        one.extend(tail);
        vec![Line::from(one)]
    }
}
