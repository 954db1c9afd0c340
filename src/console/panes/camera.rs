//! The camera preview: the latest frame in half-block cells (two pixels per cell, one above
//! the other), the code's outline when one is in view, and a plain hint.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

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
    let (text, role) = hint_text(state);
    // A message wraps rather than being cut, over at most half the pane.
    let hint_lines = wrapped_lines(&text, wrap_width(inner)).min((inner.height / 2).max(1));
    let [picture, hint_area] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(hint_lines)]).areas(inner);
    draw_wrapped(frame, hint_area, text, theme.fg(role));
    let cam = &state.camera;
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

/// The camera beneath the portrait, while a traveller is on screen: its state and whether
/// the traveller's code is (still) in view, wrapped over [`status_height`] lines.
pub fn draw_status_line(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let (text, role) = status_text(state);
    draw_wrapped(frame, area, text, theme.fg(role));
}

/// The lines the camera's status needs beneath the portrait in a column `width` wide:
/// one, or more for a message.
pub fn status_height(state: &State, width: u16) -> u16 {
    wrapped_lines(&status_text(state).0, wrap_width(Rect::new(0, 0, width, 1)))
}

/// Wraps one column short of `area`: ratatui's wrapping can end a line with a wide
/// character one column past the width, which then stays inside the area.
fn wrap_width(area: Rect) -> u16 {
    area.width.saturating_sub(1).max(1)
}

fn draw_wrapped(frame: &mut Frame, area: Rect, text: String, style: Style) {
    let narrower = Rect {
        width: wrap_width(area),
        ..area
    };
    frame.render_widget(
        Paragraph::new(Line::styled(text, style)).wrap(Wrap { trim: true }),
        narrower,
    );
}

fn status_text(state: &State) -> (String, Role) {
    let (hint, role) = hint_text(state);
    (format!("{} · {hint}", L::Camera.get(state.lang)), role)
}

/// The hint in words, with the failure or the folder waited on, and its role.
fn hint_text(state: &State) -> (String, Role) {
    let (label, role) = hint(state);
    let label = label.get(state.lang);
    let cam = &state.camera;
    let text = match (&cam.failure, &cam.waiting) {
        (Some(failure), _) => format!("{label}: {failure}"),
        (None, Some(folder)) => format!("{label} {folder}"),
        (None, None) => label.to_owned(),
    };
    (text, role)
}

/// What the camera sees, in a few words, and the role to draw them in.
fn hint(state: &State) -> (L, Role) {
    let cam = &state.camera;
    if cam.failure.is_some() {
        (L::HintCameraFailed, Role::Fail)
    } else if cam.waiting.is_some() {
        (L::HintWaitingForImages, Role::Warn)
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

/// The lines `text` takes wrapped at spaces to `width` columns, as a wrapping paragraph
/// lays it out (a word longer than a line is broken over several).
fn wrapped_lines(text: &str, width: u16) -> u16 {
    let width = usize::from(width.max(1));
    let (mut lines, mut used) = (1usize, 0usize);
    for word in text.split_whitespace() {
        let w = word.width();
        if used == 0 && w <= width {
            used = w;
        } else if used > 0 && used + 1 + w <= width {
            used += 1 + w;
        } else {
            lines += usize::from(used > 0);
            let spans = w.div_ceil(width).max(1);
            lines += spans - 1;
            used = w - (spans - 1) * width;
        }
    }
    u16::try_from(lines).unwrap_or(u16::MAX)
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

#[cfg(test)]
mod tests {
    use ratatui::buffer::Buffer;
    use ratatui::widgets::Widget;

    use super::*;

    /// The lines a wrapping paragraph really fills with `text` at `width`.
    fn rendered_lines(text: &str, width: u16) -> u16 {
        let area = Rect::new(0, 0, width, 20);
        let mut buf = Buffer::empty(area);
        Paragraph::new(text)
            .wrap(Wrap { trim: true })
            .render(area, &mut buf);
        (0..20)
            .filter(|&y| (0..width).any(|x| !buf[(x, y)].symbol().trim().is_empty()))
            .count() as u16
    }

    #[test]
    fn lines_are_counted_as_a_wrapping_paragraph_breaks_them() {
        assert_eq!(wrapped_lines("", 10), 1);
        assert_eq!(wrapped_lines("one two three", 6), 3);
        for (text, width) in [
            ("one two", 7),
            ("one two three", 7),
            ("waiting for images in /var/lib/lanedesk-lane/images", 20),
            (
                "Camera · waiting for images in /srv/a-rather-long-folder-name/x",
                21,
            ),
            ("攝像頭 · 正在等待影像： /var/lib/lanedesk-lane/images", 21),
            ("camera problem: the camera stopped sending frames (EIO)", 9),
        ] {
            assert_eq!(
                wrapped_lines(text, width),
                rendered_lines(text, width),
                "{text:?} at {width}"
            );
        }
    }
}
