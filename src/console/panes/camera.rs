//! The camera preview: the latest frame in half-block cells (two pixels per cell, one above
//! the other), the code's outline when one is in view, and a plain hint.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use crate::console::i18n::L;
use crate::console::state::State;
use crate::console::theme::{Role, Theme};
use crate::edges::scanner::binarize::Gray;

use super::pane;

/// A code read within this long still shows "read".
const READ_HINT_FOR: chrono::TimeDelta = chrono::TimeDelta::seconds(2);

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let lang = state.lang;
    let block = pane(L::Camera.get(lang), theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    // A failure's message wraps over up to three lines rather than being cut.
    let hint_lines = if state.camera.failure.is_some() { 3 } else { 1 };
    let [picture, hint_area] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(hint_lines)]).areas(inner);
    let cam = &state.camera;
    let (hint_label, role) = hint(state);
    let mut hint_text = hint_label.get(lang).to_owned();
    if let Some(failure) = &cam.failure {
        hint_text = format!("{hint_text}: {failure}");
    }
    frame.render_widget(
        Paragraph::new(Line::styled(hint_text, theme.fg(role))).wrap(Wrap { trim: true }),
        hint_area,
    );
    match &cam.preview {
        Some(preview) => {
            // A code read is outlined in the pass colour; one only seen, in the outline's.
            let outline_role = if role == Role::Pass {
                Role::Pass
            } else {
                Role::Outline
            };
            let outline = cam.outline.map(|quad| (quad, theme.color(outline_role)));
            draw_preview(
                frame.buffer_mut(),
                picture,
                preview,
                outline,
                theme.monochrome,
            );
        }
        None => frame.render_widget(
            Paragraph::new(Line::styled(L::NoFrames.get(lang), theme.fg(Role::Muted)))
                .wrap(Wrap { trim: true }),
            picture,
        ),
    }
}

/// The camera as one line, while a traveller is on screen: its state and whether the
/// traveller's code is (still) in view.
pub fn draw_status_line(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let lang = state.lang;
    let (hint, role) = hint(state);
    let mut text = format!("{} · {}", L::Camera.get(lang), hint.get(lang));
    if let Some(failure) = &state.camera.failure {
        text = format!("{text}: {failure}");
    }
    frame.render_widget(Paragraph::new(Line::styled(text, theme.fg(role))), area);
}

/// What the camera sees, in a few words, and the role to draw them in.
fn hint(state: &State) -> (L, Role) {
    let cam = &state.camera;
    if cam.failure.is_some() {
        (L::HintCameraFailed, Role::Fail)
    } else if cam.read_at.is_some_and(|t| state.now - t < READ_HINT_FOR)
        || (cam.outline.is_some() && state.current.is_some())
    {
        (L::HintRead, Role::Pass)
    } else if cam.outline.is_some() {
        (L::HintHoldStill, Role::Warn)
    } else {
        (L::HintHoldUp, Role::Muted)
    }
}

/// Draws `img` into `area`, fitted and centred, two pixel rows per cell.
pub fn draw_preview(
    buf: &mut Buffer,
    area: Rect,
    img: &Gray,
    outline: Option<([(f32, f32); 4], Color)>,
    monochrome: bool,
) {
    if area.width == 0 || area.height == 0 || img.width == 0 || img.height == 0 {
        return;
    }
    // Each cell is one pixel wide and two tall; terminal cells are about twice as tall as
    // wide, so these pixels are square.
    let (cols, rows2) = (f32::from(area.width), f32::from(area.height) * 2.0);
    let scale = (cols / img.width as f32).min(rows2 / img.height as f32);
    let (w, h) = (
        (img.width as f32 * scale) as usize,
        (img.height as f32 * scale) as usize,
    );
    let (w, h) = (w.max(1), h.max(2));
    let x0 = area.x + ((area.width as usize - w.min(area.width as usize)) / 2) as u16;
    let y0 = area.y + ((area.height as usize * 2 - h.min(area.height as usize * 2)) / 4) as u16;
    let mut px = vec![0u8; w * h];
    for y in 0..h {
        let sy = ((y as f32 + 0.5) / scale) as usize;
        for x in 0..w {
            let sx = ((x as f32 + 0.5) / scale) as usize;
            px[y * w + x] = img.pixels[sy.min(img.height - 1) * img.width + sx.min(img.width - 1)];
        }
    }
    let mut marked = vec![false; w * h];
    if let Some((quad, _)) = outline {
        let pts = quad.map(|(x, y)| (x * scale, y * scale));
        for i in 0..4 {
            let (a, b) = (pts[i], pts[(i + 1) % 4]);
            let steps = ((b.0 - a.0).abs().max((b.1 - a.1).abs()).ceil() as usize).max(1);
            for s in 0..=steps {
                let t = s as f32 / steps as f32;
                let (x, y) = (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t);
                if x >= 0.0 && y >= 0.0 && (x as usize) < w && (y as usize) < h {
                    marked[y as usize * w + x as usize] = true;
                }
            }
        }
    }
    let line_color = outline.map_or(Color::Reset, |(_, c)| c);
    for row in 0..(h / 2) {
        for x in 0..w {
            let (top, bottom) = ((row * 2) * w + x, (row * 2 + 1) * w + x);
            let pos = (x0 + x as u16, y0 + row as u16);
            if pos.0 >= area.right() || pos.1 >= area.bottom() {
                continue;
            }
            let cell = &mut buf[pos];
            if monochrome {
                let symbol = if marked[top] || marked[bottom] {
                    "█"
                } else {
                    shade((u16::from(px[top]) + u16::from(px[bottom])) / 2)
                };
                cell.set_symbol(symbol).set_style(Style::reset());
            } else {
                let color = |i: usize| {
                    if marked[i] {
                        line_color
                    } else {
                        Color::Rgb(px[i], px[i], px[i])
                    }
                };
                cell.set_symbol("▀")
                    .set_fg(color(top))
                    .set_bg(color(bottom));
            }
        }
    }
}

/// Grey as a shading character, for terminals without colour.
fn shade(v: u16) -> &'static str {
    match v {
        0..52 => " ",
        52..104 => "░",
        104..156 => "▒",
        156..208 => "▓",
        _ => "█",
    }
}
