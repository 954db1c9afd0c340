//! Overlays: help, history, the flag / escalate / override forms, and the quit question.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use crate::console::desk::Desk;
use crate::console::i18n::{L, Lang, pad};
use crate::console::keymap::{ACTIONS, Command};
use crate::console::modes::training::Training;
use crate::console::state::{Delivery, Dialog, ReasonForm, State};
use crate::console::theme::{Role, Theme};
use crate::domain::credential::clock_time;
use crate::domain::decision::{DecisionKind, FlagReason, ReferralReason};

use super::{bold, pane};

pub fn draw(frame: &mut Frame, screen: Rect, desk: &Desk, theme: &Theme) {
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
    draw_box(frame, screen, title.get(lang), lines, width, theme);
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
            let name = ACTIONS
                .iter()
                .find(|(a, _, _)| a == c)
                .map_or("", |(_, n, _)| n);
            Line::from(vec![
                Span::styled(pad(&keys.join(" "), 14), bold(theme.fg(Role::Accent))),
                Span::styled(pad(l.get(lang), 14), theme.fg(Role::Text)),
                Span::styled(name.to_owned(), theme.fg(Role::Muted)),
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
        ] {
            lines.push(Line::from(vec![
                Span::styled(pad(k, 14), bold(theme.fg(Role::Accent))),
                Span::styled(l.get(lang), theme.fg(Role::Text)),
            ]));
        }
    }
    lines
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
            let mut reasons = d.reasons.join(", ");
            if d.override_reason.is_some() {
                reasons = format!("{} {reasons}", L::Override.get(lang));
            }
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

fn override_lines(form: &ReasonForm, lang: Lang, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = vec![
        Line::styled(L::OverrideExplain.get(lang), theme.fg(Role::Warn)),
        Line::raw(""),
    ];
    lines.extend(note_lines(form, L::NeedNote, lang, theme));
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
    let mut lines = vec![
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
