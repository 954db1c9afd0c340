//! How the terminal draws pictures: kitty, sixel or iTerm2 graphics where it has them, and
//! half-block characters elsewhere. Asked of the terminal once, before the event loop,
//! with a bounded wait; `--graphics` (or `graphics` in the lane configuration) forces one.

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, Instant};

use ratatui_image::picker::{Picker, ProtocolType};

mod query;

/// How long the console waits for the terminal to say what it can draw.
pub const QUERY_TIMEOUT: Duration = Duration::from_millis(100);

/// What the officer (or the configuration) asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GraphicsChoice {
    /// Ask the terminal.
    #[default]
    Auto,
    Kitty,
    Sixel,
    Iterm2,
    Halfblocks,
}

impl FromStr for GraphicsChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "auto" => GraphicsChoice::Auto,
            "kitty" => GraphicsChoice::Kitty,
            "sixel" => GraphicsChoice::Sixel,
            "iterm2" => GraphicsChoice::Iterm2,
            "halfblocks" | "half-blocks" => GraphicsChoice::Halfblocks,
            other => {
                return Err(format!(
                    "graphics {other:?} is not known: use auto, kitty, sixel, iterm2 or halfblocks"
                ));
            }
        })
    }
}

impl fmt::Display for GraphicsChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GraphicsChoice::Auto => "auto",
            GraphicsChoice::Kitty => "kitty",
            GraphicsChoice::Sixel => "sixel",
            GraphicsChoice::Iterm2 => "iterm2",
            GraphicsChoice::Halfblocks => "halfblocks",
        })
    }
}

/// The terminal's way of drawing pictures, and its cell size in pixels.
#[derive(Clone)]
pub struct Graphics {
    pub picker: Picker,
}

impl fmt::Debug for Graphics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Graphics({:?})", self.picker.protocol_type())
    }
}

impl Graphics {
    pub fn halfblocks() -> Graphics {
        Graphics {
            picker: Picker::halfblocks(),
        }
    }

    /// A protocol forced, with the usual cell size (no query: nothing is read from the
    /// terminal).
    pub fn forced(protocol: ProtocolType) -> Graphics {
        let mut picker = Picker::halfblocks();
        picker.set_protocol_type(protocol);
        Graphics { picker }
    }

    /// What `choice` means on this terminal: for `auto`, the terminal is asked (at most
    /// [`QUERY_TIMEOUT`] without an answer). Returns how long asking took.
    pub fn pick(choice: GraphicsChoice) -> (Graphics, Duration) {
        let started = Instant::now();
        let graphics = match choice {
            GraphicsChoice::Halfblocks => Graphics::halfblocks(),
            GraphicsChoice::Kitty => Graphics::forced(ProtocolType::Kitty),
            GraphicsChoice::Sixel => Graphics::forced(ProtocolType::Sixel),
            GraphicsChoice::Iterm2 => Graphics::forced(ProtocolType::Iterm2),
            GraphicsChoice::Auto => Graphics::ask(),
        };
        (graphics, started.elapsed())
    }

    /// Asks the terminal (in raw mode, before anything else reads its input) what it can
    /// draw and how large its cells are. Reads its answers for at most [`QUERY_TIMEOUT`],
    /// polling, so no reader is left behind to steal the officer's keys.
    fn ask() -> Graphics {
        let answer = query::ask(QUERY_TIMEOUT);
        let protocol = if answer.kitty {
            ProtocolType::Kitty
        } else if answer.sixel {
            ProtocolType::Sixel
        } else if iterm2_from_env() {
            ProtocolType::Iterm2
        } else {
            ProtocolType::Halfblocks
        };
        #[allow(deprecated)] // the query above is ours: ratatui-image's leaves a reader behind
        let mut picker = match answer.cell {
            Some((w, h)) => Picker::from_fontsize(ratatui_image::FontSize::new(w, h)),
            None => Picker::halfblocks(),
        };
        picker.set_protocol_type(protocol);
        Graphics { picker }
    }

    pub fn protocol(&self) -> ProtocolType {
        self.picker.protocol_type()
    }

    /// Pictures drawn by the terminal itself (not in characters).
    pub fn is_native(&self) -> bool {
        self.protocol() != ProtocolType::Halfblocks
    }
}

/// iTerm2 and WezTerm say who they are in the environment; they draw iTerm2 images.
fn iterm2_from_env() -> bool {
    let program = std::env::var("TERM_PROGRAM").unwrap_or_default();
    matches!(program.as_str(), "iTerm.app" | "WezTerm")
        || std::env::var("LC_TERMINAL").is_ok_and(|t| t == "iTerm2")
}
