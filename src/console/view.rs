//! The screen: a pure function of the state and the theme.
//!
//! Wide terminals (about 120×32 and up) get a two-line header, the camera beside the
//! traveller, and documents beside the checks. At 80×24 the header is one line and documents
//! and checks are stacked full width, where their sentences fit.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};

use super::desk::Desk;
use super::panes::{camera, checks, dialog, documents, footer, header, traveller};
use super::state::State;
use super::theme::Theme;

pub fn draw(frame: &mut Frame, desk: &Desk, theme: &Theme) {
    let state = &desk.lane;
    let area = frame.area();
    let wide = area.width >= 120 && area.height >= 32;
    let [head, body, notice, keys] = Layout::vertical([
        Constraint::Length(if wide { 2 } else { 1 }),
        Constraint::Min(8),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    header::draw(frame, head, desk, theme);
    if wide {
        draw_wide(frame, body, state, theme);
    } else {
        draw_narrow(frame, body, state, theme);
    }
    footer::draw_notice(frame, notice, state, theme);
    footer::draw_keys(frame, keys, desk, theme);
    dialog::draw(frame, area, desk, theme);
}

fn draw_wide(frame: &mut Frame, body: Rect, state: &State, theme: &Theme) {
    let [top, bottom] =
        Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(body);
    // The camera pane keeps the frame's 16:9 at two pixels per cell.
    let cam_width = (top.height.saturating_sub(3) * 2 * 16 / 9 + 2).clamp(24, body.width / 3);
    let [cam, person] =
        Layout::horizontal([Constraint::Length(cam_width), Constraint::Min(30)]).areas(top);
    let [docs, check] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(bottom);
    camera::draw(frame, cam, state, theme);
    traveller::draw(frame, person, state, theme);
    documents::draw(frame, docs, state, theme);
    checks::draw(frame, check, state, theme);
}

fn draw_narrow(frame: &mut Frame, body: Rect, state: &State, theme: &Theme) {
    let top_height = (body.height * 2 / 5).max(7);
    // Documents take the lines they need (at least one), the checks the rest.
    let doc_lines = state
        .current
        .as_ref()
        .and_then(|p| p.verification())
        .map_or(1, |v| {
            v.documents
                .iter()
                .map(|d| 1 + d.endorsements.len())
                .sum::<usize>()
                .max(1)
        });
    let docs_height = (doc_lines as u16 + 2)
        .min(body.height.saturating_sub(top_height) / 2)
        .max(3);
    let [top, docs, check] = Layout::vertical([
        Constraint::Length(top_height),
        Constraint::Length(docs_height),
        Constraint::Min(3),
    ])
    .areas(body);
    let [cam, person] =
        Layout::horizontal([Constraint::Length(26), Constraint::Min(30)]).areas(top);
    camera::draw(frame, cam, state, theme);
    traveller::draw(frame, person, state, theme);
    documents::draw(frame, docs, state, theme);
    checks::draw(frame, check, state, theme);
}
