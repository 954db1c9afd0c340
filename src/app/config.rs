//! The lane configuration file (TOML; every key can also be a flag), the user's folders,
//! and the console's appearance resolved from names to a theme and a keymap.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::install;
use crate::console::graphics::GraphicsChoice;
use crate::console::keymap::{Keymap, line_of};
use crate::console::runtime::Appearance;
use crate::console::theme::Theme;
use crate::domain::lang::Lang;

/// The user's folders: `~/.config/lanedesk` for settings, themes and keys, and a state
/// folder for the log.
pub fn dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "lanedesk")
}

/// The fixtures folder: `./fixtures` when run from a checkout, else the data folder's
/// (`$LANEDESK_DATA_DIR`, the installed `/usr/share/lanedesk`, or the repository built from).
pub fn default_fixtures() -> PathBuf {
    let here = PathBuf::from("fixtures");
    if !install::data_dir_from_env() && here.join(crate::fixtures::TRAVELLERS_FILE).is_file() {
        here
    } else {
        install::data_dir().join("fixtures")
    }
}

/// Folders a theme is looked for in by name, before the built-in ones: the user's
/// (`~/.config/lanedesk/themes`), then the data folder's `themes/`.
pub(super) fn theme_dirs() -> Vec<PathBuf> {
    let user = dirs().map(|d| d.config_dir().join("themes"));
    user.into_iter()
        .chain([install::data_dir().join("themes")])
        .collect()
}

pub fn default_log() -> PathBuf {
    dirs()
        .map(|d| {
            d.state_dir()
                .unwrap_or(d.data_local_dir())
                .join("lanedesk.log")
        })
        .unwrap_or_else(|| std::env::temp_dir().join("lanedesk.log"))
}

/// Where the audit log, outbox and cached trust list live by default.
pub fn default_state_dir() -> PathBuf {
    dirs()
        .map(|d| d.state_dir().unwrap_or(d.data_local_dir()).to_owned())
        .unwrap_or_else(|| std::env::temp_dir().join("lanedesk-state"))
}

pub fn default_config() -> Option<PathBuf> {
    dirs().map(|d| d.config_dir().join("lane.toml"))
}

/// Whether `NO_COLOR` asks for no colour (set and not empty, per no-color.org).
pub fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// Resolves the theme, keymap and language; `NO_COLOR` wins over any theme.
pub fn appearance(
    theme: Option<&str>,
    keymap: Option<&Path>,
    lang: Lang,
    graphics: GraphicsChoice,
) -> Result<Appearance, String> {
    let theme =
        Theme::find_in(theme.unwrap_or("dark"), &theme_dirs()).map_err(|e| e.to_string())?;
    let theme = if no_color() {
        Theme::monochrome(&theme.name)
    } else {
        theme
    };
    let keymap = match keymap {
        Some(path) => Keymap::load(path).map_err(|e| e.to_string())?,
        None => Keymap::default(),
    };
    Ok(Appearance {
        theme,
        keymap,
        lang,
        graphics,
    })
}

/// The lane configuration file. Every field can also be given as a flag.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LaneConfig {
    pub service: Option<String>,
    pub lane_token: Option<String>,
    pub ca_cert: Option<PathBuf>,
    /// The service's trust anchor (`ed25519:…`, as `lanedesk issuer anchor` prints it).
    pub trust_anchor: Option<String>,
    pub checkpoint: Option<String>,
    pub lane: Option<String>,
    pub direction: Option<String>,
    pub officer: Option<String>,
    pub theme: Option<String>,
    pub language: Option<String>,
    pub keymap: Option<PathBuf>,
    /// How the portrait is drawn: auto, kitty, sixel, iterm2 or halfblocks.
    pub graphics: Option<String>,
    pub log: Option<PathBuf>,
    /// Folder for the audit log, the outbox, hand-offs and the cached trust list.
    pub state_dir: Option<PathBuf>,
    #[serde(default)]
    pub camera: CameraConfig,
    /// A 2D code reader beside the camera (`app::readers`).
    #[serde(default)]
    pub reader: super::readers::ReaderConfig,
    /// How far the lane's clock may be from the service's (`app::readers`).
    #[serde(default)]
    pub clock: super::readers::ClockConfig,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CameraConfig {
    pub index: Option<u32>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub fps: Option<u32>,
    /// A folder (or file) of images to use instead of a camera.
    pub images: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}:{line}: {message}")]
pub struct ConfigError {
    pub origin: String,
    pub line: usize,
    pub message: String,
}

impl LaneConfig {
    pub fn load(path: &Path) -> Result<LaneConfig, ConfigError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            origin: origin.clone(),
            line: 0,
            message: format!(
                "cannot read the lane configuration ({e}). Pass --config with its path."
            ),
        })?;
        LaneConfig::parse(&text, &origin)
    }

    /// Parses and checks the values that can be checked without the network.
    pub fn parse(text: &str, origin: &str) -> Result<LaneConfig, ConfigError> {
        let config: LaneConfig =
            toml::from_str(text).map_err(|e: toml::de::Error| ConfigError {
                origin: origin.to_owned(),
                line: line_of(text, e.span().map_or(0, |s| s.start)),
                message: e.message().trim().to_owned(),
            })?;
        match super::config_check::value_problems(&config, text, origin)
            .into_iter()
            .next()
        {
            Some(problem) => Err(problem),
            None => Ok(config),
        }
    }
}

/// The line a top-level, `[camera]`, `[reader]` or `[clock]` key is on, for messages about its value.
pub(super) fn find_key_line(text: &str, key: &str) -> usize {
    text.lines()
        .position(|l| {
            l.trim_start()
                .strip_prefix(key)
                .is_some_and(|r| r.trim_start().starts_with('='))
        })
        .map_or(0, |i| i + 1)
}
