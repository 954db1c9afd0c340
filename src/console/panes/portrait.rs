//! The enrolled portrait, as large as the column allows: the officer compares it with the
//! face in front of them. Drawn by the terminal (kitty, sixel, iTerm2) where it can, in
//! half-blocks elsewhere, in shading characters without colour. The pane's border takes
//! the verdict's colour.

use image::{DynamicImage, RgbImage};
use ratatui::Frame;
use ratatui::layout::{Rect, Size};
use ratatui::style::Modifier;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};
use ratatui_image::protocol::Protocol;
use ratatui_image::{Image, Resize};

use crate::console::graphics::Graphics;
use crate::console::i18n::L;
use crate::console::msg::Portrait;
use crate::console::state::{PortraitState, State};
use crate::console::theme::{Role, Theme};
use crate::domain::checks::Finding;
use crate::edges::scanner::binarize::Gray;

use super::{pane, verdict};

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, graphics: &Graphics) {
    let lang = state.lang;
    let Some(p) = &state.current else {
        return;
    };
    let mut block = pane(L::Portrait.get(lang), theme);
    if let Some(v) = verdict::shown(p) {
        let (_, role) = verdict::look(v);
        block = block.border_style(theme.fg(role).add_modifier(Modifier::BOLD));
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if let Some(error) = p.refusal() {
        // A refused code names no holder: the column says why, large.
        let lines = vec![
            Line::styled(
                format!("⊘ {}", L::Refused.get(lang)),
                theme.fg(Role::Fail).add_modifier(Modifier::BOLD),
            ),
            Line::raw(""),
            Line::styled(
                Finding::CodeRefused(error.clone()).sentence(lang),
                theme.fg(Role::Fail),
            ),
        ];
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
        return;
    }
    let fitted = fit_3_4(inner, graphics);
    match &p.portrait {
        PortraitState::Loaded(portrait) if theme.monochrome => {
            // No colour allowed: the portrait in shading characters, like the preview.
            super::camera::draw_preview(frame.buffer_mut(), fitted, &grey(portrait), None, true);
        }
        PortraitState::Loaded(portrait) if !graphics.is_native() => {
            draw_halfblocks(frame.buffer_mut(), fitted, portrait);
        }
        PortraitState::Loaded(portrait) => match protocol_for(portrait, fitted, graphics) {
            Some(protocol) => frame.render_widget(Image::new(&protocol), fitted),
            None => say(frame, inner, L::NoPortrait.get(lang), theme),
        },
        PortraitState::Waiting => {
            frame.render_widget(
                Paragraph::new(Line::styled("…", theme.fg(Role::Muted))),
                inner,
            );
        }
        PortraitState::Missing(_) => say(frame, inner, L::NoPortrait.get(lang), theme),
    }
}

fn say(frame: &mut Frame, area: Rect, text: &str, theme: &Theme) {
    frame.render_widget(
        Paragraph::new(Line::styled(text.to_owned(), theme.fg(Role::Muted)))
            .wrap(Wrap { trim: true }),
        area,
    );
}

/// The largest 3:4 area inside `area`, centred: cells are about twice as tall as wide.
fn fit_3_4(area: Rect, graphics: &Graphics) -> Rect {
    let font = graphics.picker.font_size();
    let (cw, ch) = (f32::from(font.width.max(1)), f32::from(font.height.max(1)));
    let (w_px, h_px) = (f32::from(area.width) * cw, f32::from(area.height) * ch);
    let (w_px, h_px) = if w_px * 4.0 > h_px * 3.0 {
        (h_px * 3.0 / 4.0, h_px)
    } else {
        (w_px, w_px * 4.0 / 3.0)
    };
    let (w, h) = (
        ((w_px / cw).round() as u16).clamp(1, area.width),
        ((h_px / ch).round() as u16).clamp(1, area.height),
    );
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

fn grey(p: &Portrait) -> Gray {
    Gray {
        width: p.width as usize,
        height: p.height as usize,
        pixels: p
            .rgb
            .chunks_exact(3)
            .map(|c| ((u16::from(c[0]) * 3 + u16::from(c[1]) * 6 + u16::from(c[2])) / 10) as u8)
            .collect(),
    }
}

/// The portrait in half-block cells: each cell two pixels, one above the other. Scaled
/// once per portrait and size (straight down to the cells, not up to a font's pixels).
fn draw_halfblocks(buf: &mut ratatui::buffer::Buffer, area: Rect, p: &Portrait) {
    type Memo = Option<((u64, u16, u16), image::RgbImage)>;
    thread_local! {
        static LAST: std::cell::RefCell<Memo> = const { std::cell::RefCell::new(None) };
    }
    let key = (p.id, area.width, area.height);
    let (w, h) = (u32::from(area.width), u32::from(area.height) * 2);
    let cached = LAST.with_borrow(|m| {
        m.as_ref()
            .filter(|(k, _)| *k == key)
            .map(|(_, i)| i.clone())
    });
    let small = match cached {
        Some(img) => img,
        None => {
            let Some(full) = RgbImage::from_raw(p.width, p.height, p.rgb.to_vec()) else {
                return;
            };
            let img = image::imageops::resize(&full, w, h, image::imageops::FilterType::Triangle);
            LAST.with_borrow_mut(|m| *m = Some((key, img.clone())));
            img
        }
    };
    for row in 0..area.height {
        for col in 0..area.width {
            let top = small.get_pixel(u32::from(col), u32::from(row) * 2).0;
            let bottom = small.get_pixel(u32::from(col), u32::from(row) * 2 + 1).0;
            buf[(area.x + col, area.y + row)]
                .set_symbol("▀")
                .set_fg(ratatui::style::Color::Rgb(top[0], top[1], top[2]))
                .set_bg(ratatui::style::Color::Rgb(bottom[0], bottom[1], bottom[2]));
        }
    }
}

/// The portrait encoded for `area` in the terminal's protocol. Encoding means resizing
/// (and for kitty and sixel, compressing), so the last one is remembered: redraws reuse it,
/// and kitty transmits the picture once.
fn protocol_for(p: &Portrait, area: Rect, graphics: &Graphics) -> Option<Protocol> {
    type Key = (u64, u16, u16, u8);
    type Memo = Option<(Key, Protocol)>;
    thread_local! {
        static LAST: std::cell::RefCell<Memo> = const { std::cell::RefCell::new(None) };
    }
    let key = (p.id, area.width, area.height, graphics.protocol() as u8);
    if let Some(hit) = LAST.with_borrow(|m| {
        m.as_ref()
            .filter(|(k, _)| *k == key)
            .map(|(_, v)| v.clone())
    }) {
        return Some(hit);
    }
    let image =
        RgbImage::from_raw(p.width, p.height, p.rgb.to_vec()).map(DynamicImage::ImageRgb8)?;
    let font = graphics.picker.font_size();
    // ratatui-image only shrinks: fit the portrait to the area's pixels first.
    let (fw, fh) = (u32::from(font.width), u32::from(font.height));
    let image = image.resize(
        u32::from(area.width) * fw,
        u32::from(area.height) * fh,
        image::imageops::FilterType::Triangle,
    );
    let protocol = graphics
        .picker
        .new_protocol(image, Size::new(area.width, area.height), Resize::Fit(None))
        .ok()?;
    LAST.with_borrow_mut(|m| *m = Some((key, protocol.clone())));
    Some(protocol)
}
