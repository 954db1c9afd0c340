//! Themes are roles, not colours: a theme file maps each role (`pass`, `fail`, `muted`...)
//! to a colour or to another role. Roles a file leaves out fall back along a fixed chain
//! (`online` → `pass` → `text`), so a short theme still colours every part of the screen.
//!
//! `NO_COLOR` turns colour off: the screen keeps its symbols, bold and reverse video.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

use super::keymap::line_of;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Text,
    Muted,
    Title,
    Accent,
    Border,
    Pass,
    Warn,
    Fail,
    Unknown,
    HeaderFg,
    HeaderBg,
    Online,
    Offline,
    Selection,
    DialogBg,
    Outline,
    Notice,
    /// The background the theme is made for: the screen is painted with it, and contrast
    /// is checked against it.
    Background,
}

impl Role {
    pub const ALL: [Role; 18] = [
        Role::Text,
        Role::Muted,
        Role::Title,
        Role::Accent,
        Role::Border,
        Role::Pass,
        Role::Warn,
        Role::Fail,
        Role::Unknown,
        Role::HeaderFg,
        Role::HeaderBg,
        Role::Online,
        Role::Offline,
        Role::Selection,
        Role::DialogBg,
        Role::Outline,
        Role::Notice,
        Role::Background,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Role::Text => "text",
            Role::Muted => "muted",
            Role::Title => "title",
            Role::Accent => "accent",
            Role::Border => "border",
            Role::Pass => "pass",
            Role::Warn => "warn",
            Role::Fail => "fail",
            Role::Unknown => "unknown",
            Role::HeaderFg => "header-fg",
            Role::HeaderBg => "header-bg",
            Role::Online => "online",
            Role::Offline => "offline",
            Role::Selection => "selection",
            Role::DialogBg => "dialog-bg",
            Role::Outline => "outline",
            Role::Notice => "notice",
            Role::Background => "background",
        }
    }

    /// The role used when a theme leaves this one out; `None` for the terminal's default.
    pub fn fallback(self) -> Option<Role> {
        match self {
            Role::Text | Role::HeaderBg | Role::Background => None,
            Role::Muted | Role::Accent | Role::Pass | Role::Warn | Role::Fail | Role::Unknown => {
                Some(Role::Text)
            }
            Role::HeaderFg => Some(Role::Text),
            Role::Title | Role::Selection | Role::Outline => Some(Role::Accent),
            Role::Border => Some(Role::Muted),
            Role::Online => Some(Role::Pass),
            Role::Offline => Some(Role::Fail),
            Role::DialogBg => Some(Role::HeaderBg),
            Role::Notice => Some(Role::Warn),
        }
    }

    fn by_name(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == name)
    }
}

pub const BUILT_IN: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    (
        "colour-blind-safe",
        include_str!("../../themes/colour-blind-safe.toml"),
    ),
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ThemeError {
    #[error("{origin}:{line}: {message}")]
    At {
        origin: String,
        line: usize,
        message: String,
    },
    #[error("cannot read theme file {path}: {message}. Check the path given with --theme.")]
    Read { path: PathBuf, message: String },
    #[error("unknown theme {name:?}: use one of {known}, or the path of a theme file (.toml)")]
    Unknown { name: String, known: String },
    #[error(
        "{origin}: too little contrast to read at a lane: {problems}. Change the colours named (WCAG asks 4.5:1 for text, 3:1 for bold status)."
    )]
    Contrast { origin: String, problems: String },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
    #[serde(default)]
    roles: BTreeMap<toml::Spanned<String>, toml::Spanned<String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    colors: BTreeMap<Role, Color>,
    pub monochrome: bool,
}

enum Value {
    Color(Color),
    Ref(Role),
}

impl Theme {
    pub fn dark() -> Theme {
        Theme::parse(BUILT_IN[0].1, "themes/dark.toml").expect("the built-in dark theme is valid")
    }

    /// The same layout with no colour at all, for `NO_COLOR`.
    pub fn monochrome(name: &str) -> Theme {
        Theme {
            name: format!("{name} (NO_COLOR)"),
            colors: BTreeMap::new(),
            monochrome: true,
        }
    }

    /// Finds a theme by name (a file in the user's themes folder, then a built-in) or path.
    pub fn find(name_or_path: &str, user_dir: Option<&Path>) -> Result<Theme, ThemeError> {
        Theme::find_in(name_or_path, user_dir.as_slice())
    }

    /// A theme by path, or by name from the first of `dirs` that has `NAME.toml`, or built in.
    pub fn find_in(name_or_path: &str, dirs: &[impl AsRef<Path>]) -> Result<Theme, ThemeError> {
        let looks_like_path = name_or_path.contains('/') || name_or_path.ends_with(".toml");
        if looks_like_path || Path::new(name_or_path).is_file() {
            return Theme::load(Path::new(name_or_path));
        }
        for dir in dirs {
            let candidate = dir.as_ref().join(format!("{name_or_path}.toml"));
            if candidate.is_file() {
                return Theme::load(&candidate);
            }
        }
        match BUILT_IN.iter().find(|(n, _)| *n == name_or_path) {
            Some((n, text)) => Theme::parse(text, &format!("themes/{n}.toml")),
            None => Err(ThemeError::Unknown {
                name: crate::domain::text::sanitize(name_or_path),
                known: BUILT_IN
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }

    pub fn load(path: &Path) -> Result<Theme, ThemeError> {
        let text = std::fs::read_to_string(path).map_err(|e| ThemeError::Read {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        Theme::parse(&text, &path.display().to_string())
    }

    pub fn parse(text: &str, origin: &str) -> Result<Theme, ThemeError> {
        let at = |offset: usize, message: String| ThemeError::At {
            origin: origin.to_owned(),
            line: line_of(text, offset),
            message,
        };
        let file: ThemeFile = toml::from_str(text).map_err(|e: toml::de::Error| {
            at(
                e.span().map_or(0, |s| s.start),
                e.message().trim().to_owned(),
            )
        })?;
        let mut values: BTreeMap<Role, (Value, usize)> = BTreeMap::new();
        for (key, value) in &file.roles {
            let offset = key.span().start;
            let role = Role::by_name(key.get_ref()).ok_or_else(|| {
                let known: Vec<&str> = Role::ALL.iter().map(|r| r.name()).collect();
                at(
                    offset,
                    format!(
                        "unknown role {:?}: the roles are {}",
                        key.get_ref(),
                        known.join(", ")
                    ),
                )
            })?;
            let raw = value.get_ref().trim();
            let parsed = if let Some(target) = raw.strip_prefix('@') {
                Value::Ref(Role::by_name(target).ok_or_else(|| {
                    at(
                        value.span().start,
                        format!(
                            "role {:?} refers to {raw:?}, which is not a role",
                            role.name()
                        ),
                    )
                })?)
            } else {
                Value::Color(Color::from_str(raw).map_err(|_| {
                    at(
                        value.span().start,
                        format!(
                            "role {:?}: {raw:?} is not a colour: use a name (red, light-blue, dark-gray...), #rrggbb, a palette index 0-255, or @role",
                            role.name()
                        ),
                    )
                })?)
            };
            values.insert(role, (parsed, value.span().start));
        }
        let mut colors = BTreeMap::new();
        for role in Role::ALL {
            if let Some(color) = resolve(role, &values).map_err(|(chain, offset)| {
                at(
                    offset,
                    format!(
                        "roles refer to each other in a loop: {chain}. Give one of them a colour."
                    ),
                )
            })? {
                colors.insert(role, color);
            }
        }
        Ok(Theme {
            name: file.name.unwrap_or_else(|| origin.to_owned()),
            colors,
            monochrome: false,
        })
    }

    pub fn color(&self, role: Role) -> Color {
        self.colors.get(&role).copied().unwrap_or(Color::Reset)
    }

    /// The style for text in `role`: its colour, or in monochrome an emphasis that keeps
    /// the meaning.
    pub fn fg(&self, role: Role) -> Style {
        if self.monochrome {
            return match role {
                Role::Fail | Role::Offline => {
                    Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED)
                }
                Role::Title | Role::Warn | Role::Notice | Role::Accent => {
                    Style::new().add_modifier(Modifier::BOLD)
                }
                Role::Muted | Role::Border => Style::new().add_modifier(Modifier::DIM),
                _ => Style::new(),
            };
        }
        Style::new().fg(self.color(role))
    }

    pub fn header(&self) -> Style {
        if self.monochrome {
            return Style::new().add_modifier(Modifier::REVERSED);
        }
        Style::new()
            .fg(self.color(Role::HeaderFg))
            .bg(self.color(Role::HeaderBg))
    }

    pub fn selection(&self) -> Style {
        if self.monochrome {
            return Style::new().add_modifier(Modifier::REVERSED);
        }
        let bg = self.color(Role::Selection);
        Style::new().fg(readable_on(bg)).bg(bg)
    }

    /// The whole screen's style: the theme's background (the terminal's own when the
    /// theme names none, and always without colour).
    pub fn base(&self) -> Style {
        match self.colors.get(&Role::Background) {
            Some(bg) if !self.monochrome => Style::new().bg(*bg).fg(self.color(Role::Text)),
            _ => Style::new(),
        }
    }

    pub fn dialog(&self) -> Style {
        if self.monochrome {
            return Style::new();
        }
        Style::new()
            .fg(self.color(Role::Text))
            .bg(self.color(Role::DialogBg))
    }
}

/// Black or white, whichever reads better on `bg` (a selection, a verdict bar).
pub fn readable_on(bg: Color) -> Color {
    use super::contrast::{ratio, rgb};
    let Some(bg) = rgb(bg) else {
        return Color::Reset;
    };
    if ratio((0, 0, 0), bg) >= ratio((255, 255, 255), bg) {
        Color::Black
    } else {
        Color::White
    }
}

/// A role's colour, following references and fallbacks; `Err` names a loop.
fn resolve(
    role: Role,
    values: &BTreeMap<Role, (Value, usize)>,
) -> Result<Option<Color>, (String, usize)> {
    let mut seen = vec![role];
    let mut current = role;
    loop {
        match values.get(&current) {
            Some((Value::Color(c), _)) => return Ok(Some(*c)),
            Some((Value::Ref(next), offset)) => {
                if seen.contains(next) {
                    seen.push(*next);
                    let chain: Vec<&str> = seen.iter().map(|r| r.name()).collect();
                    return Err((chain.join(" → "), *offset));
                }
                seen.push(*next);
                current = *next;
            }
            None => match current.fallback() {
                Some(next) if !seen.contains(&next) => {
                    seen.push(next);
                    current = next;
                }
                _ => return Ok(None),
            },
        }
    }
}

/// Checks a theme file, or every built-in theme when `path` is `None`.
/// Checks a theme file, or every built-in theme when `path` is `None`: it must load, and
/// every text role must stand out from the background it is drawn on (WCAG contrast).
pub fn check(path: Option<&Path>) -> Vec<Result<String, ThemeError>> {
    let loaded: Vec<(String, Result<Theme, ThemeError>)> = match path {
        Some(p) => vec![(p.display().to_string(), Theme::load(p))],
        None => BUILT_IN
            .iter()
            .map(|(n, text)| {
                let origin = format!("themes/{n}.toml");
                (origin.clone(), Theme::parse(text, &origin))
            })
            .collect(),
    };
    loaded
        .into_iter()
        .map(|(origin, theme)| {
            let theme = theme?;
            let problems = super::contrast::problems(&theme);
            if problems.is_empty() {
                return Ok(theme.name);
            }
            let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
            Err(ThemeError::Contrast {
                origin,
                problems: list.join("; "),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallbacks_never_loop_and_end_at_text_or_the_terminal_default() {
        for role in Role::ALL {
            let mut seen = vec![role];
            let mut r = role;
            while let Some(next) = r.fallback() {
                assert!(!seen.contains(&next), "{role:?} loops");
                seen.push(next);
                r = next;
            }
            assert!(
                matches!(r, Role::Text | Role::HeaderBg | Role::Background),
                "{role:?} ends at {r:?}"
            );
        }
    }

    #[test]
    fn every_built_in_theme_loads_and_colours_every_signal() {
        for (name, text) in BUILT_IN {
            let theme = Theme::parse(text, name).unwrap_or_else(|e| panic!("{e}"));
            for role in [Role::Pass, Role::Warn, Role::Fail, Role::Unknown] {
                assert_ne!(theme.color(role), Color::Reset, "{name}: {role:?}");
            }
            let distinct: std::collections::HashSet<_> =
                [Role::Pass, Role::Warn, Role::Fail, Role::Unknown]
                    .map(|r| theme.color(r))
                    .into();
            assert_eq!(distinct.len(), 4, "{name}: outcomes share a colour");
        }
    }

    #[test]
    fn a_short_theme_falls_back_and_references_resolve() {
        let t = Theme::parse(
            "[roles]\ntext = \"white\"\npass = \"#00ff00\"\nonline = \"@pass\"\n",
            "t",
        )
        .unwrap();
        assert_eq!(t.color(Role::Online), Color::Rgb(0, 255, 0));
        assert_eq!(t.color(Role::Muted), Color::White);
        assert_eq!(t.color(Role::HeaderBg), Color::Reset);
    }

    #[test]
    fn a_loop_is_named_with_its_line() {
        let err =
            Theme::parse("[roles]\npass = \"@fail\"\nfail = \"@pass\"\n", "loop.toml").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("loop.toml:"), "{text}");
        assert!(
            text.contains("fail → pass → fail") || text.contains("pass → fail → pass"),
            "{text}"
        );
    }

    #[test]
    fn unknown_names_are_refused_with_the_known_ones() {
        let err = Theme::find("solarised", None).unwrap_err().to_string();
        assert!(
            err.contains("dark, light, high-contrast, colour-blind-safe"),
            "{err}"
        );
    }
}
