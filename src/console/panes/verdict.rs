//! The verdict bar under the header (what the checks found, the deciding checks, the key to
//! press) and the fixed status row above the notice line (the decision on screen, and a
//! code that waits). Both always take their line, so nothing below them jumps.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use crate::console::i18n::{L, Lang};
use crate::console::keymap::Command;
use crate::console::state::{DecisionRecord, Delivery, Presentation, State};
use crate::console::theme::{Role, Theme};
use crate::domain::checks::{Check, CheckId, Outcome};
use crate::domain::credential::clock_time;
use crate::domain::decision::DecisionKind;
use crate::domain::verdict::{Approval, Verdict, approval, deciding};

/// The verdict's symbol and the theme role it is drawn in.
pub fn look(verdict: Verdict) -> (&'static str, Role) {
    match verdict {
        Verdict::Clear => ("✔", Role::Pass),
        Verdict::Review => ("▲", Role::Warn),
        Verdict::Escalate => ("✖", Role::Fail),
        Verdict::Refused => ("⊘", Role::Fail),
    }
}

/// The verdict on screen, when there is a traveller whose checks are complete.
pub fn shown(p: &Presentation) -> Option<Verdict> {
    (!p.in_progress()).then(|| Verdict::of(&p.checks))
}

pub fn draw_bar(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let lang = state.lang;
    let Some(p) = &state.current else {
        let line = Line::styled(format!(" {}", L::BarIdle.get(lang)), theme.fg(Role::Muted));
        frame.render_widget(Paragraph::new(line), area);
        return;
    };
    let Some(verdict) = shown(p) else {
        let line = Line::styled(
            format!(" … {}", L::BarChecking.get(lang)),
            theme.fg(Role::Unknown).add_modifier(Modifier::BOLD),
        );
        frame.render_widget(Paragraph::new(line), area);
        return;
    };
    let (symbol, role) = look(verdict);
    let style = bar_style(theme, role);
    let head = format!(" {symbol} {} ", verdict.word(lang));
    let keys = format!(" {} ", key_hints(state, p, verdict).join(" · "));
    let room = usize::from(area.width).saturating_sub(head.width() + keys.width() + 1);
    let why = fit(&deciding_names(p, lang), room);
    let gap = usize::from(area.width).saturating_sub(head.width() + why.width() + keys.width());
    let line = Line::from(vec![
        Span::styled(head, style.add_modifier(Modifier::BOLD)),
        Span::styled(why, style),
        Span::styled(" ".repeat(gap), style),
        Span::styled(keys, style.add_modifier(Modifier::BOLD)),
    ]);
    frame.render_widget(Paragraph::new(line).style(style), area);
}

/// Text on a verdict colour: black or white, whichever stands out more.
pub fn bar_style(theme: &Theme, role: Role) -> Style {
    if theme.monochrome {
        return Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD);
    }
    let bg = theme.color(role);
    Style::new()
        .bg(bg)
        .fg(crate::console::theme::readable_on(bg))
}

/// "watch list, e-card status": the checks that decide, most serious first.
fn deciding_names(p: &Presentation, lang: Lang) -> String {
    let mut names: Vec<String> = Vec::new();
    for c in deciding(&p.checks) {
        let name = deciding_text(c, lang);
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names.join(lang.pick(", ", "、", "、"))
}

/// A deciding check in a few words: what is wrong where the check's name alone would not
/// say it ("e-card revoked", "code not genuine").
fn deciding_text(c: &Check, lang: Lang) -> String {
    use crate::domain::checks::{Finding, card_status_name};
    if c.outcome != Outcome::Fail {
        return c.id.label(lang);
    }
    match (&c.finding, c.id) {
        (Finding::Card(status), _) => format!(
            "{}{}",
            lang.pick("e-card ", "电子证卡", "電子證卡"),
            card_status_name(*status, lang)
        ),
        (Finding::Alert { .. }, _) => lang.pick("watch-list alert", "布控预警", "布控預警").into(),
        (_, CheckId::CodeNotReplayed) => lang
            .pick(
                "code presented before",
                "二维码已被出示过",
                "二維碼已被出示過",
            )
            .into(),
        (_, CheckId::CodeSignature) => lang
            .pick("code not genuine", "二维码非真实签发", "二維碼非真實簽發")
            .into(),
        (_, CheckId::CodeFresh) => lang
            .pick(
                "code out of its time window",
                "二维码不在有效时间内",
                "二維碼不在有效時間內",
            )
            .into(),
        (_, CheckId::Service) => lang
            .pick(
                "refused by the issuance service",
                "签发系统拒绝",
                "簽發系統拒絕",
            )
            .into(),
        _ => c.id.label(lang),
    }
}

/// The keys that make sense for this verdict, the suggested one first.
fn key_hints(state: &State, p: &Presentation, verdict: Verdict) -> Vec<String> {
    let lang = state.lang;
    let key = |c: Command, l: L| format!("{} {}", state.keymap.label(c), l.get(lang));
    if p.decision.is_some() {
        return vec![key(Command::Clear, L::Clear)];
    }
    let approve = match approval(&p.checks) {
        Approval::Allowed => Some(key(Command::Approve, L::Approve)),
        Approval::Override(_) => Some(format!(
            "{}{}{}",
            key(Command::Approve, L::Approve),
            lang.pick(" ", "", ""),
            L::WithOverride.get(lang)
        )),
        Approval::Forbidden(_) => None,
    };
    let flag = key(Command::Flag, L::Flag);
    let escalate = key(Command::Escalate, L::Escalate);
    match verdict {
        Verdict::Clear => approve.into_iter().collect(),
        Verdict::Review => approve.into_iter().chain([flag, escalate]).collect(),
        Verdict::Escalate | Verdict::Refused => vec![escalate, flag],
    }
}

/// `text` cut to `width` columns, with an ellipsis when cut.
fn fit(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_owned();
    }
    let mut out = String::new();
    for c in text.chars() {
        if out.width() + unicode_width::UnicodeWidthChar::width(c).unwrap_or(0) + 1 > width {
            break;
        }
        out.push(c);
    }
    if width > 0 {
        out.push('…');
    }
    out
}

/// The decision row: always one line, blank-looking when there is nothing to say.
pub fn draw_status(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let lang = state.lang;
    let mut spans = vec![Span::raw(" ")];
    match state.current.as_ref().and_then(|p| p.decision.as_ref()) {
        Some(d) => spans.extend(decision_spans(d, lang, theme)),
        None if state.current.is_some() => {
            spans.push(Span::styled(L::Undecided.get(lang), theme.fg(Role::Muted)))
        }
        None => {}
    }
    let mut right = Vec::new();
    if state.pending_code.is_some() {
        let badge = format!(
            " ◆ {} · {} {} ",
            L::CodeWaiting.get(lang),
            state.keymap.label(Command::Clear),
            L::Clear.get(lang)
        );
        right.push(Span::styled(
            badge,
            theme
                .fg(Role::Notice)
                .add_modifier(Modifier::REVERSED | Modifier::BOLD),
        ));
    }
    let used: usize = spans.iter().map(|s| s.content.width()).sum();
    let right_width: usize = right.iter().map(|s| s.content.width()).sum();
    let gap = usize::from(area.width).saturating_sub(used + right_width);
    spans.push(Span::raw(" ".repeat(gap)));
    spans.extend(right);
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn decision_spans(d: &DecisionRecord, lang: Lang, theme: &Theme) -> Vec<Span<'static>> {
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
    let mut spans = vec![
        Span::styled(
            format!(" {mark} {} ", word.get(lang)),
            bar_style(theme, role).add_modifier(Modifier::BOLD),
        ),
        Span::styled(
            format!(" {}", clock_time(d.at.timestamp())),
            theme.fg(Role::Text),
        ),
    ];
    if d.override_reason.is_some() {
        spans.push(Span::styled(
            format!(" ({})", L::Override.get(lang)),
            theme.fg(Role::Warn).add_modifier(Modifier::BOLD),
        ));
    }
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
    let role = if d.delivery == Delivery::NotRecorded {
        Role::Fail
    } else {
        Role::Muted
    };
    spans.push(Span::styled(format!("  {delivery}"), theme.fg(role)));
    spans
}
