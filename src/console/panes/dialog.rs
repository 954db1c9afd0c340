//! Overlays: help, history, the flag / escalate / override forms, and the quit question.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use crate::console::desk::Desk;
use crate::console::i18n::{L, Lang, pad};
use crate::console::keymap::Command;
use crate::console::modes::training::Training;
use crate::console::state::{DecisionRecord, Delivery, Dialog, ReasonForm, State};
use crate::console::theme::{Role, Theme};
use crate::domain::checks::{CheckId, Outcome};
use crate::domain::credential::clock_time;
use crate::domain::decision::{DecisionKind, FlagReason, ReferralReason};
use crate::domain::text::sanitize;
use crate::domain::verdict::OverrideReason;

use super::{bold, pane};

/// Draws the open dialog: decisions dock in `dock` (over the identity and documents, never
/// over the face or the checks), the others are centred on the screen.
pub fn draw(frame: &mut Frame, screen: Rect, dock: Rect, desk: &Desk, theme: &Theme) {
    let state = &desk.lane;
    let lang = state.lang;
    if let Some(t) = desk.modes.training.as_ref().filter(|t| t.card_open) {
        let lines = score_lines(t, lang, theme);
        draw_box(frame, screen, L::ScoreTitle.get(lang), lines, 100, theme);
        return;
    }
    let Some(dialog) = &state.dialog else { return };
    let (title, lines, width) = match dialog {
        Dialog::Help => (L::HelpTitle, help_lines(desk, theme), 60),
        Dialog::History => (L::HistoryTitle, history_lines(state, theme), 100),
        Dialog::Flag(form) => (
            L::FlagTitle,
            form_lines(form, &flag_labels(lang), true, L::ReasonCodes, lang, theme),
            64,
        ),
        Dialog::Escalate(form) => (
            L::EscalateTitle,
            form_lines(
                form,
                &referral_labels(lang),
                false,
                L::ReferralReason,
                lang,
                theme,
            ),
            64,
        ),
        Dialog::Override(form) => (L::OverrideTitle, override_lines(form, lang, theme), 64),
        Dialog::ConfirmQuit => (
            L::QuitTitle,
            vec![
                Line::styled(L::QuitExplain.get(lang), theme.fg(Role::Warn)),
                Line::raw(""),
                Line::from(vec![
                    Span::styled(
                        " Y ",
                        theme.fg(Role::Accent).add_modifier(Modifier::REVERSED),
                    ),
                    Span::raw(format!(" {}    ", L::Yes.get(lang))),
                    Span::styled(
                        " N ",
                        theme.fg(Role::Accent).add_modifier(Modifier::REVERSED),
                    ),
                    Span::raw(format!(" {}", L::No.get(lang))),
                ]),
            ],
            50,
        ),
    };
    if dialog.is_decision() {
        draw_docked(frame, dock, title.get(lang), lines, theme);
    } else {
        draw_box(frame, screen, title.get(lang), lines, width, theme);
    }
}

/// A decision dialog filling the width of `dock`, from its top, with a bold outline.
fn draw_docked(
    frame: &mut Frame,
    dock: Rect,
    title: &str,
    lines: Vec<Line<'static>>,
    theme: &Theme,
) {
    let inner_width = usize::from(dock.width.saturating_sub(2)).max(1);
    let rows: usize = lines
        .iter()
        .map(|l| l.width().div_ceil(inner_width).max(1))
        .sum();
    let height = (rows as u16 + 2).min(dock.height);
    let area = Rect::new(dock.x, dock.y, dock.width, height);
    frame.render_widget(Clear, area);
    let block = pane(title, theme)
        .style(theme.dialog())
        .border_type(ratatui::widgets::BorderType::Double)
        .border_style(bold(theme.fg(Role::Accent)));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .style(theme.dialog()),
        area,
    );
}

fn flag_labels(lang: Lang) -> Vec<&'static str> {
    FlagReason::ALL.iter().map(|r| r.label(lang)).collect()
}

fn referral_labels(lang: Lang) -> Vec<&'static str> {
    ReferralReason::ALL.iter().map(|r| r.label(lang)).collect()
}

/// A centred box over the screen with `lines` in it.
fn draw_box(
    frame: &mut Frame,
    screen: Rect,
    title: &str,
    lines: Vec<Line<'static>>,
    width: u16,
    theme: &Theme,
) {
    let height = (lines.len() as u16 + 2).min(screen.height);
    let width = width.min(screen.width);
    let [area] = Layout::horizontal([Constraint::Length(width)])
        .flex(Flex::Center)
        .areas(screen);
    let [area] = Layout::vertical([Constraint::Length(height)])
        .flex(Flex::Center)
        .areas(area);
    frame.render_widget(Clear, area);
    let block = pane(title, theme).style(theme.dialog());
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .style(theme.dialog()),
        area,
    );
}

fn help_lines(desk: &Desk, theme: &Theme) -> Vec<Line<'static>> {
    let state = &desk.lane;
    let lang = state.lang;
    let rows: &[(Command, L)] = &[
        (Command::Approve, L::Approve),
        (Command::Flag, L::Flag),
        (Command::Escalate, L::Escalate),
        (Command::Clear, L::Clear),
        (Command::Reveal, L::Reveal),
        (Command::SelectNext, L::Select),
        (Command::History, L::History),
        (Command::Language, L::Language),
        (Command::Help, L::Help),
        (Command::Quit, L::Quit),
    ];
    let mut lines: Vec<Line> = rows
        .iter()
        .map(|(c, l)| {
            let keys: Vec<String> = state
                .keymap
                .keys(*c)
                .iter()
                .map(ToString::to_string)
                .collect();
            Line::from(vec![
                Span::styled(pad(&keys.join(" "), 14), bold(theme.fg(Role::Accent))),
                Span::styled(l.get(lang), theme.fg(Role::Text)),
            ])
        })
        .collect();
    if desk.modes.demo.is_some() {
        lines.push(Line::raw(""));
        for (k, l) in [
            ("1-9", L::DemoKeys),
            ("N", L::DemoNext),
            ("X", L::DemoForged),
            ("R", L::DemoReplay),
            ("B", L::DemoReader),
        ] {
            lines.push(Line::from(vec![
                Span::styled(pad(k, 14), bold(theme.fg(Role::Accent))),
                Span::styled(l.get(lang), theme.fg(Role::Text)),
            ]));
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        L::Symbols.get(lang),
        bold(theme.fg(Role::Title)),
    ));
    for pair in [
        [
            (Outcome::Pass, L::SymbolPass),
            (Outcome::Warning, L::SymbolWarn),
        ],
        [
            (Outcome::Fail, L::SymbolFail),
            (Outcome::Unknown, L::SymbolUnknown),
        ],
    ] {
        let mut legend = Vec::new();
        for (outcome, word) in pair {
            legend.push(super::outcome_mark(outcome, theme));
            legend.push(Span::styled(
                format!(" {}   ", word.get(lang)),
                theme.fg(Role::Text),
            ));
        }
        lines.push(Line::from(legend));
    }
    lines
}

/// A decision's reasons in words: reason codes, overridden checks, override reasons.
fn reasons_in_words(d: &DecisionRecord, lang: Lang) -> String {
    let word = |code: &str| -> String {
        if let Some(r) = FlagReason::parse(code).filter(|_| d.kind == DecisionKind::Flag) {
            return r.label(lang).to_owned();
        }
        if let Some(r) = ReferralReason::parse(code).filter(|_| d.kind == DecisionKind::Escalate) {
            return r.label(lang).to_owned();
        }
        if let Some(id) = CheckId::parse(code) {
            return id.label(lang);
        }
        sanitize(code)
    };
    let mut words: Vec<String> = d.reasons.iter().map(|r| word(r)).collect();
    if let Some(code) = &d.override_reason {
        let why = OverrideReason::parse(code)
            .map_or_else(|| sanitize(code), |r| r.label(lang).to_owned());
        words.insert(0, format!("{}: {why}", L::Override.get(lang)));
    }
    lang.tidy(&words.join(lang.pick(", ", "、", "、")))
}

fn history_lines(state: &State, theme: &Theme) -> Vec<Line<'static>> {
    let lang = state.lang;
    if state.history.is_empty() {
        return vec![Line::styled(L::NoHistory.get(lang), theme.fg(Role::Muted))];
    }
    state
        .history
        .iter()
        .take(20)
        .map(|d| {
            let (word, role) = match d.kind {
                DecisionKind::Approve => (L::Approved, Role::Pass),
                DecisionKind::Flag => (L::Flagged, Role::Warn),
                DecisionKind::Escalate => (L::Escalated, Role::Fail),
            };
            let delivery = match d.delivery {
                Delivery::Recording => "…",
                Delivery::Recorded => "⇢",
                Delivery::Sent | Delivery::LocalOnly => "✔",
                Delivery::NotRecorded => "✖",
            };
            let reasons = reasons_in_words(d, lang);
            Line::from(vec![
                Span::styled(
                    format!("{}  ", clock_time(d.at.timestamp())),
                    theme.fg(Role::Muted),
                ),
                Span::styled(pad(word.get(lang), 12), bold(theme.fg(role))),
                Span::styled(pad(&d.who, 26), theme.fg(Role::Text)),
                Span::styled(format!("{delivery} "), theme.fg(Role::Muted)),
                Span::styled(reasons, theme.fg(Role::Muted)),
            ])
        })
        .collect()
}

fn form_lines(
    form: &ReasonForm,
    reasons: &[&'static str],
    multiple: bool,
    heading: L,
    lang: Lang,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let mut lines = vec![Line::styled(heading.get(lang), bold(theme.fg(Role::Title)))];
    for (i, text) in reasons.iter().enumerate() {
        let ticked = if multiple {
            form.chosen.contains(&i)
        } else {
            form.cursor == i
        };
        let mark = match (multiple, ticked) {
            (true, true) => "[x]",
            (true, false) => "[ ]",
            (false, true) => "(•)",
            (false, false) => "( )",
        };
        let style = if form.cursor == i && !form.on_note {
            theme.selection()
        } else {
            theme.fg(Role::Text)
        };
        lines.push(Line::from(vec![
            Span::styled(format!(" {} {mark} ", i + 1), theme.fg(Role::Muted)),
            Span::styled(*text, style),
        ]));
    }
    lines.push(Line::raw(""));
    lines.extend(note_lines(form, L::NeedReason, lang, theme));
    lines
}

/// The note field, and what is missing when the officer confirmed too early.
fn note_lines(form: &ReasonForm, missing: L, lang: Lang, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = vec![note_line(form, lang, theme)];
    if form.error {
        lines.push(Line::styled(missing.get(lang), bold(theme.fg(Role::Fail))));
    }
    lines
}

fn note_line(form: &ReasonForm, lang: Lang, theme: &Theme) -> Line<'static> {
    let style = if form.on_note {
        theme.selection()
    } else {
        theme.fg(Role::Text)
    };
    let cursor = if form.on_note { "▏" } else { "" };
    Line::from(vec![
        Span::styled(
            format!("{}{}", L::Note.get(lang), lang.pick(": ", "：", "：")),
            bold(theme.fg(Role::Muted)),
        ),
        Span::styled(format!("{}{cursor}", form.note), style),
    ])
}

/// Approving over checks: which checks, a reason code, a note, then the second
/// confirmation.
fn override_lines(form: &ReasonForm, lang: Lang, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = vec![Line::styled(
        L::OverrideChecks.get(lang),
        bold(theme.fg(Role::Warn)),
    )];
    for id in &form.overridden {
        lines.push(Line::styled(
            format!("  • {}", id.label(lang)),
            theme.fg(Role::Warn),
        ));
    }
    let reasons: Vec<&'static str> = OverrideReason::ALL.iter().map(|r| r.label(lang)).collect();
    let mut form_part = form_lines(form, &reasons, false, L::OverrideReasonHeading, lang, theme);
    if form.error {
        // form_lines says a reason is missing; here it is the note.
        form_part.pop();
        form_part.push(Line::styled(
            L::NeedNote.get(lang),
            bold(theme.fg(Role::Fail)),
        ));
    }
    lines.extend(form_part);
    if form.confirming {
        lines.push(Line::styled(
            L::OverrideConfirm.get(lang),
            bold(theme.fg(Role::Fail)).add_modifier(Modifier::REVERSED),
        ));
    }
    lines
}

fn score_lines(training: &Training, lang: Lang, theme: &Theme) -> Vec<Line<'static>> {
    use crate::domain::score::StepResult;
    let Some(report) = training.report.as_ref() else {
        return vec![];
    };
    let kind = |k: Option<DecisionKind>| match k {
        Some(DecisionKind::Approve) => L::Approve.get(lang),
        Some(DecisionKind::Flag) => L::Flag.get(lang),
        Some(DecisionKind::Escalate) => L::Escalate.get(lang),
        None => "—",
    };
    // A traveller who should have been stopped comes first, whatever the score.
    let verdict = if report.passed {
        Line::styled(
            format!("✔ {}", L::PassedSession.get(lang)),
            bold(theme.fg(Role::Pass)),
        )
    } else {
        Line::styled(
            format!(
                "✖ {}{}",
                L::NotPassed.get(lang),
                if report.critical > 0 {
                    format!(" · {} {}", report.critical, L::Critical.get(lang))
                } else {
                    String::new()
                }
            ),
            bold(theme.fg(Role::Fail)).add_modifier(Modifier::REVERSED),
        )
    };
    let mut lines = vec![
        verdict,
        Line::styled(report.session.clone(), bold(theme.fg(Role::Title))),
        Line::from(vec![
            Span::styled(
                format!("{} {:.0}%   ", L::Score.get(lang), report.score * 100.0),
                bold(theme.fg(Role::Accent)),
            ),
            Span::styled(
                format!("✔ {} {}   ", report.right, L::Right.get(lang)),
                theme.fg(Role::Pass),
            ),
            Span::styled(
                format!("✖ {} {}   ", report.wrong, L::Wrong.get(lang)),
                theme.fg(Role::Fail),
            ),
            Span::styled(
                format!(
                    "⚠ {} {}   ",
                    report.missed_failures,
                    L::MissedFailure.get(lang)
                ),
                bold(theme.fg(Role::Fail)),
            ),
            Span::styled(
                format!("? {} {}", report.no_decision, L::NoDecisionMade.get(lang)),
                theme.fg(Role::Unknown),
            ),
        ]),
    ];
    if let Some(secs) = report.seconds_per_traveller {
        lines.push(Line::styled(
            format!("{secs:.1} {}", L::PerTraveller.get(lang)),
            theme.fg(Role::Muted),
        ));
    }
    lines.push(Line::raw(""));
    for s in &report.steps {
        let (mark, role, word) = match s.result {
            StepResult::Right => ("✔", Role::Pass, L::Right),
            StepResult::Wrong => ("✖", Role::Fail, L::Wrong),
            StepResult::MissedFailure => ("⚠", Role::Fail, L::MissedFailure),
            StepResult::NoDecision => ("?", Role::Unknown, L::NoDecisionMade),
        };
        let (mark, role) = if s.critical {
            ("‼", Role::Fail)
        } else {
            (mark, role)
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{:>2} {mark} ", s.step), bold(theme.fg(role))),
            Span::styled(pad(&s.presented, 30), theme.fg(Role::Text)),
            Span::styled(pad(word.get(lang), 16), theme.fg(role)),
            Span::styled(
                format!(
                    "{} {} → {}",
                    L::Expected.get(lang),
                    kind(s.expected),
                    kind(s.decision)
                ),
                theme.fg(Role::Muted),
            ),
        ]));
    }
    lines
}
