//! WCAG 2 contrast between a theme's text roles and the backgrounds they are drawn on. A
//! tired officer in a bright booth must read every line: text needs 4.5:1, bold status
//! (the verdict bar, header indicators, symbols) 3:1.

use std::fmt;

use ratatui::style::Color;

use super::theme::{Role, Theme, readable_on};

/// Text needs this much contrast with its background.
pub const TEXT: f64 = 4.5;
/// Large or bold status (the verdict bar, the header's indicators) needs this much.
pub const BOLD: f64 = 3.0;

/// A colour as 8-bit RGB, with the usual xterm values for named and indexed colours;
/// `None` for the terminal's own default.
pub fn rgb(color: Color) -> Option<(u8, u8, u8)> {
    const BASIC: [(u8, u8, u8); 16] = [
        (0, 0, 0),
        (205, 0, 0),
        (0, 205, 0),
        (205, 205, 0),
        (0, 0, 238),
        (205, 0, 205),
        (0, 205, 205),
        (229, 229, 229),
        (127, 127, 127),
        (255, 0, 0),
        (0, 255, 0),
        (255, 255, 0),
        (92, 92, 255),
        (255, 0, 255),
        (0, 255, 255),
        (255, 255, 255),
    ];
    let indexed = |i: u8| match i {
        0..16 => BASIC[usize::from(i)],
        16..232 => {
            let i = i - 16;
            let level = |v: u8| if v == 0 { 0 } else { 55 + v * 40 };
            (level(i / 36), level((i / 6) % 6), level(i % 6))
        }
        _ => {
            let v = 8 + (i - 232) * 10;
            (v, v, v)
        }
    };
    Some(match color {
        Color::Reset => return None,
        Color::Rgb(r, g, b) => (r, g, b),
        Color::Indexed(i) => indexed(i),
        Color::Black => BASIC[0],
        Color::Red => BASIC[1],
        Color::Green => BASIC[2],
        Color::Yellow => BASIC[3],
        Color::Blue => BASIC[4],
        Color::Magenta => BASIC[5],
        Color::Cyan => BASIC[6],
        Color::Gray => BASIC[7],
        Color::DarkGray => BASIC[8],
        Color::LightRed => BASIC[9],
        Color::LightGreen => BASIC[10],
        Color::LightYellow => BASIC[11],
        Color::LightBlue => BASIC[12],
        Color::LightMagenta => BASIC[13],
        Color::LightCyan => BASIC[14],
        Color::White => BASIC[15],
    })
}

fn luminance((r, g, b): (u8, u8, u8)) -> f64 {
    let channel = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
}

/// The WCAG contrast ratio of two colours, from 1 (the same) to 21 (black on white).
pub fn ratio(a: (u8, u8, u8), b: (u8, u8, u8)) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    let (hi, lo) = if la > lb { (la, lb) } else { (lb, la) };
    (hi + 0.05) / (lo + 0.05)
}

/// A pair of colours that does not stand out enough.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub fg: String,
    pub bg: String,
    pub ratio: f64,
    pub needed: f64,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} on {} is {:.2}:1 (needs {}:1)",
            self.fg, self.bg, self.ratio, self.needed
        )
    }
}

/// Every text role against the background it is drawn on, and the computed text on
/// selection and verdict colours. A theme without a `background` is checked against black
/// when its text is light and white when it is dark.
pub fn problems(theme: &Theme) -> Vec<Problem> {
    let text = rgb(theme.color(Role::Text)).unwrap_or((255, 255, 255));
    let background = rgb(theme.color(Role::Background)).unwrap_or(if luminance(text) > 0.4 {
        (0, 0, 0)
    } else {
        (255, 255, 255)
    });
    let screen = [
        (Role::Text, TEXT),
        (Role::Muted, TEXT),
        (Role::Accent, TEXT),
        (Role::Pass, TEXT),
        (Role::Warn, TEXT),
        (Role::Fail, TEXT),
        (Role::Unknown, TEXT),
        (Role::Notice, TEXT),
        (Role::Title, BOLD),
        (Role::Outline, BOLD),
    ];
    let mut out = Vec::new();
    let mut need = |fg: (String, Option<(u8, u8, u8)>), bg: (String, (u8, u8, u8)), min: f64| {
        if let Some(fg_rgb) = fg.1 {
            let r = ratio(fg_rgb, bg.1);
            if r + 1e-9 < min {
                out.push(Problem {
                    fg: fg.0,
                    bg: bg.0,
                    ratio: r,
                    needed: min,
                });
            }
        }
    };
    let role = |r: Role| (r.name().to_owned(), rgb(theme.color(r)));
    let on = |r: Role, fallback: (u8, u8, u8)| {
        (r.name().to_owned(), rgb(theme.color(r)).unwrap_or(fallback))
    };
    for (fg, min) in screen {
        need(role(fg), ("background".into(), background), min);
    }
    let header = on(Role::HeaderBg, background);
    need(role(Role::HeaderFg), header.clone(), TEXT);
    for fg in [Role::Online, Role::Offline, Role::Unknown] {
        need(role(fg), header.clone(), BOLD);
    }
    let dialog = on(Role::DialogBg, background);
    for fg in [
        Role::Text,
        Role::Muted,
        Role::Warn,
        Role::Fail,
        Role::Accent,
    ] {
        need(role(fg), dialog.clone(), TEXT);
    }
    for (bg, min) in [
        (Role::Selection, TEXT),
        (Role::Pass, BOLD),
        (Role::Warn, BOLD),
        (Role::Fail, BOLD),
        (Role::Unknown, BOLD),
    ] {
        let color = theme.color(bg);
        let text = (format!("text on {}", bg.name()), rgb(readable_on(color)));
        need(text, on(bg, background), min);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn black_on_white_is_21_and_a_colour_on_itself_is_1() {
        assert!((ratio((0, 0, 0), (255, 255, 255)) - 21.0).abs() < 0.01);
        assert!((ratio((10, 200, 30), (10, 200, 30)) - 1.0).abs() < 1e-9);
        // The pair the issue found: bright green on white.
        assert!(ratio((0, 255, 0), (255, 255, 255)) < 1.5);
    }

    #[test]
    fn every_shipped_theme_reads_well() {
        for (name, text) in super::super::theme::BUILT_IN {
            let theme = Theme::parse(text, name).unwrap();
            assert_eq!(problems(&theme), vec![], "{name}");
        }
    }

    #[test]
    fn a_low_contrast_theme_is_refused_naming_the_pair_and_the_ratio() {
        let theme = Theme::parse(
            "[roles]\ntext = \"#ffffff\"\nbackground = \"#ffffff\"\nheader-bg = \"#ffffff\"\nonline = \"#00ff00\"\n",
            "t",
        )
        .unwrap();
        let found: Vec<String> = problems(&theme).iter().map(ToString::to_string).collect();
        assert!(
            found
                .iter()
                .any(|p| p.starts_with("text on background is 1.00:1")),
            "{found:?}"
        );
        assert!(
            found.iter().any(|p| p.starts_with("online on header-bg")),
            "{found:?}"
        );
    }
}
