//! The screen: a pure function of the desk, the theme and the terminal's graphics.
//!
//! Top to bottom: the header, the verdict bar, the body, the decision row, the notice line
//! and the keys. Every row but the body has a fixed height, so a decision never moves
//! anything. In the body, the left column is the camera while the lane waits and the
//! traveller's portrait once a code is read (the camera then shrinks to a status line, or
//! up to three when its message needs them); beside it the identity and documents, and the
//! checks. Dialogs dock over the identity and documents, never over the face or the checks.
//! Below 80×24 a "too small" screen takes the place of everything, and decisions are
//! blocked.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::desk::Desk;
use super::graphics::Graphics;
use super::i18n::L;
use super::panes::{
    camera, checks, dialog, documents, footer, header, portrait, traveller, verdict,
};
use super::state::{MIN_HEIGHT, MIN_WIDTH, State};
use super::theme::{Role, Theme};

/// Draws with half-block portraits (tests, benches, terminals without graphics).
pub fn draw(frame: &mut Frame, desk: &Desk, theme: &Theme) {
    draw_with(frame, desk, theme, &Graphics::halfblocks());
}

pub fn draw_with(frame: &mut Frame, desk: &Desk, theme: &Theme, graphics: &Graphics) {
    let state = &desk.lane;
    let area = frame.area();
    frame.render_widget(Block::new().style(theme.base()), area);
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        draw_too_small(frame, area, state, theme);
        return;
    }
    let wide = area.width >= 120 && area.height >= 32;
    let [head, bar, body, status, notice, keys] = Layout::vertical([
        Constraint::Length(if wide { 2 } else { 1 }),
        Constraint::Length(1),
        Constraint::Min(8),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    header::draw(frame, head, desk, theme);
    verdict::draw_bar(frame, bar, state, theme);
    let dock = draw_body(frame, body, state, theme, graphics, wide);
    verdict::draw_status(frame, status, state, theme);
    footer::draw_notice(frame, notice, state, theme);
    footer::draw_keys(frame, keys, desk, theme);
    dialog::draw(frame, area, dock, desk, theme);
}

/// Draws the body; returns where dialogs dock.
fn draw_body(
    frame: &mut Frame,
    body: Rect,
    state: &State,
    theme: &Theme,
    graphics: &Graphics,
    wide: bool,
) -> Rect {
    let [left, rest] = Layout::horizontal([
        Constraint::Length(left_width(body, wide)),
        Constraint::Min(30),
    ])
    .areas(body);
    if state.current.is_some() {
        // The face takes the column; the camera is a line beneath it.
        let status = camera::status_height(state, left.width).min(left.height / 3);
        let [face, cam] =
            Layout::vertical([Constraint::Min(4), Constraint::Length(status)]).areas(left);
        portrait::draw(frame, face, state, theme, graphics);
        camera::draw_status_line(frame, cam, state, theme);
    } else {
        camera::draw(frame, left, state, theme);
    }
    if wide {
        let [middle, right] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                .areas(rest);
        let [who, docs] =
            Layout::vertical([Constraint::Length(traveller::HEIGHT), Constraint::Min(3)])
                .areas(middle);
        traveller::draw(frame, who, state, theme);
        documents::draw(frame, docs, state, theme);
        checks::draw(frame, right, state, theme);
        middle
    } else {
        // Narrow: the checks first (failures at their top), then who, then the documents.
        // A dialog docks below the first two checks, leaving the failing ones in view.
        let doc_lines = document_lines(state);
        let [check, who, docs] = Layout::vertical([
            Constraint::Min(4),
            Constraint::Length(traveller::HEIGHT),
            Constraint::Length(doc_lines + 2),
        ])
        .areas(rest);
        checks::draw(frame, check, state, theme);
        traveller::draw(frame, who, state, theme);
        documents::draw(frame, docs, state, theme);
        let top = (check.y + 3).min(rest.bottom());
        Rect::new(rest.x, top, rest.width, rest.bottom() - top)
    }
}

/// The left column: a 3:4 portrait (or the camera) as tall as the body allows, at most a
/// third of the width.
fn left_width(body: Rect, wide: bool) -> u16 {
    // Half-block cells are two pixels tall and one wide, and about twice as tall as wide:
    // a 3:4 picture H rows tall is 1.5 × H columns wide.
    let rows = body.height.saturating_sub(3);
    let by_height = rows * 3 / 2 + 2;
    let cap = if wide {
        body.width / 3
    } else {
        body.width * 2 / 7
    };
    by_height.min(cap).max(16)
}

/// How many lines the documents need at 80 columns, where an endorsement takes two (at
/// least one, at most six).
fn document_lines(state: &State) -> u16 {
    let n = state
        .current
        .as_ref()
        .and_then(|p| p.verification())
        .map_or(1, |v| {
            v.documents
                .iter()
                .map(|d| 1 + 2 * d.endorsements.len())
                .sum::<usize>()
        });
    n.clamp(1, 6) as u16
}

fn draw_too_small(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let lang = state.lang;
    let lines = vec![
        Line::styled(
            format!("{} ({}×{})", L::TooSmall.get(lang), area.width, area.height),
            theme
                .fg(Role::Fail)
                .add_modifier(ratatui::style::Modifier::BOLD),
        ),
        Line::raw(""),
        Line::styled(L::TooSmallExplain.get(lang), theme.fg(Role::Text)),
    ];
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), area);
}
