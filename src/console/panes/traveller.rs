//! The traveller: portrait, names in Chinese and Latin script, sex, birth date, residency,
//! card status; and, once decided, the decision.

use chrono::Datelike;
use image::{DynamicImage, RgbImage};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect, Size};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui_image::picker::Picker;
use ratatui_image::protocol::Protocol;
use ratatui_image::{Image, Resize};

use crate::console::i18n::{L, Lang, column_width, pad};
use crate::console::msg::Portrait;
use crate::console::state::{Delivery, Lookup, PortraitState, Presentation, State};
use crate::console::theme::{Role, Theme};
use crate::domain::checks::{Suggestion, card_status_name, region_name, suggest};
use crate::domain::clock::local_date;
use crate::domain::decision::DecisionKind;
use crate::domain::holder::{CardStatus, Sex};
use crate::domain::text::sanitize;
use crate::edges::scanner::binarize::Gray;

use super::{bold, label, pane, text};

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let lang = state.lang;
    let block = pane(L::Traveller.get(lang), theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(p) = &state.current else {
        let mut lines = vec![Line::styled(
            L::NoTraveller.get(lang),
            theme.fg(Role::Muted),
        )];
        if state.pending_code.is_some() {
            lines.push(Line::styled(L::PendingCode.get(lang), theme.fg(Role::Warn)));
        }
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
        return;
    };
    // A refused code has no holder to show: its sentence gets the whole pane.
    let portrait_cols = if p.refusal().is_some() {
        0
    } else {
        portrait_width(inner)
    };
    let [photo, gap, facts] = Layout::horizontal([
        Constraint::Length(portrait_cols),
        Constraint::Length(u16::from(portrait_cols > 0)),
        Constraint::Min(10),
    ])
    .areas(inner);
    if portrait_cols > 0 {
        draw_portrait(frame, photo, &p.portrait, lang, theme);
    }
    let _ = gap;
    let lines = fact_lines(state, p, lang, theme);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), facts);
}

/// Portrait width in cells: about a third of the pane, none when the pane is too small.
fn portrait_width(inner: Rect) -> u16 {
    if inner.width < 40 || inner.height < 4 {
        return 0;
    }
    // A 3:4 portrait at two pixels per cell row: height rows ≈ 0.75 × width cells.
    let by_height = (f32::from(inner.height) * 2.0 * 0.75) as u16;
    by_height.min(inner.width / 3)
}

fn draw_portrait(
    frame: &mut Frame,
    area: Rect,
    portrait: &PortraitState,
    lang: Lang,
    theme: &Theme,
) {
    match portrait {
        PortraitState::Loaded(p) if theme.monochrome => {
            // No colour allowed: the portrait in shading characters, like the preview.
            let grey = Gray {
                width: p.width as usize,
                height: p.height as usize,
                pixels: p
                    .rgb
                    .chunks_exact(3)
                    .map(|c| {
                        ((u16::from(c[0]) * 3 + u16::from(c[1]) * 6 + u16::from(c[2])) / 10) as u8
                    })
                    .collect(),
            };
            super::camera::draw_preview(frame.buffer_mut(), area, &grey, None, true);
        }
        PortraitState::Loaded(p) => {
            if let Some(protocol) = protocol_for(p, area) {
                frame.render_widget(Image::new(&protocol), area);
                return;
            }
            frame.render_widget(
                Paragraph::new(Line::styled(L::NoPortrait.get(lang), theme.fg(Role::Muted))),
                area,
            );
        }
        PortraitState::Waiting => {
            frame.render_widget(
                Paragraph::new(Line::styled("…", theme.fg(Role::Muted))),
                area,
            );
        }
        PortraitState::Missing(_) => {
            frame.render_widget(
                Paragraph::new(Line::styled(L::NoPortrait.get(lang), theme.fg(Role::Muted)))
                    .wrap(Wrap { trim: true }),
                area,
            );
        }
    }
}

/// The half-block rendering of a portrait for an area. Encoding means resizing, so the
/// last one is remembered: redraws for camera frames reuse it.
fn protocol_for(p: &Portrait, area: Rect) -> Option<Protocol> {
    type Memo = Option<((usize, u16, u16), Protocol)>;
    thread_local! {
        static LAST: std::cell::RefCell<Memo> = const { std::cell::RefCell::new(None) };
    }
    let key = (p.rgb.as_ptr() as usize, area.width, area.height);
    if let Some(hit) = LAST.with_borrow(|m| {
        m.as_ref()
            .filter(|(k, _)| *k == key)
            .map(|(_, v)| v.clone())
    }) {
        return Some(hit);
    }
    let image =
        RgbImage::from_raw(p.width, p.height, p.rgb.to_vec()).map(DynamicImage::ImageRgb8)?;
    let picker = Picker::halfblocks();
    let font = picker.font_size();
    // ratatui-image only shrinks: grow the portrait to the area first so it fills it.
    let (fw, fh) = (u32::from(font.width), u32::from(font.height));
    let image = image.resize(
        u32::from(area.width) * fw,
        u32::from(area.height) * fh,
        image::imageops::FilterType::Triangle,
    );
    let protocol = picker
        .new_protocol(image, Size::new(area.width, area.height), Resize::Fit(None))
        .ok()?;
    LAST.with_borrow_mut(|m| *m = Some((key, protocol.clone())));
    Some(protocol)
}

fn fact_lines(state: &State, p: &Presentation, lang: Lang, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    if let Some(decision) = &p.decision {
        lines.push(decision_line(decision, lang, theme));
    }
    if let Some(error) = p.refusal() {
        lines.push(Line::from(vec![Span::styled(
            format!("✖ {} ", L::Refused.get(lang)),
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
    if p.decision.is_none() {
        let (label_key, role) = match suggest(&p.checks) {
            Suggestion::Approve => (L::SuggestApprove, Role::Pass),
            Suggestion::Review => (L::SuggestReview, Role::Warn),
            Suggestion::Escalate => (L::SuggestEscalate, Role::Fail),
        };
        lines.push(Line::from(vec![
            label_padded(L::Suggested, w, lang, theme),
            Span::styled(label_key.get(lang), bold(theme.fg(role))),
        ]));
    }
    lines
}

fn label_padded(l: L, width: usize, lang: Lang, theme: &Theme) -> Span<'static> {
    let mut s = label(l, lang, theme);
    s.content = pad(&s.content, width).into();
    s
}

fn decision_line(
    d: &crate::console::state::DecisionRecord,
    lang: Lang,
    theme: &Theme,
) -> Line<'static> {
    let (word, mark, role) = match d.kind {
        DecisionKind::Approve => (L::Approved, "✔", Role::Pass),
        DecisionKind::Flag => (L::Flagged, "⚑", Role::Warn),
        DecisionKind::Escalate => (L::Escalated, "⬆", Role::Fail),
    };
    let delivery = match d.delivery {
        Delivery::Recording => L::Recording.get(lang).to_owned(),
        Delivery::Recorded => L::RecordedWaiting.get(lang).to_owned(),
        Delivery::Sent => L::RecordedSent.get(lang).to_owned(),
        Delivery::LocalOnly => L::RecordedLocal.get(lang).to_owned(),
        Delivery::NotRecorded => format!(
            "{}: {}",
            L::NotRecorded.get(lang),
            d.delivery_error.as_deref().unwrap_or("")
        ),
    };
    let mut spans = vec![Span::styled(
        format!("{mark} {}", word.get(lang)),
        theme
            .fg(role)
            .add_modifier(Modifier::BOLD | Modifier::REVERSED),
    )];
    if d.kind == DecisionKind::Escalate
        && matches!(
            d.delivery,
            Delivery::Recorded | Delivery::Sent | Delivery::LocalOnly
        )
    {
        spans.push(Span::styled(
            format!("  {}", L::HandedOff.get(lang)),
            theme.fg(Role::Accent),
        ));
    }
    if d.override_reason.is_some() {
        spans.push(Span::styled(
            format!(" ({})", L::Override.get(lang)),
            bold(theme.fg(Role::Warn)),
        ));
    }
    spans.push(Span::styled(format!("  {delivery}"), theme.fg(Role::Muted)));
    Line::from(spans)
}
