//! Dedicated 2D code readers. A USB imager presents itself as a serial port (one line per
//! code: `serial.rs`) or as a keyboard (a "wedge": the code typed as a burst of keys; the
//! console's `wedge.rs` tells those from an officer's typing). Either way a line becomes a
//! code read exactly like the camera's, and everything after it is unchanged.
//!
//! Here: which reader (`--reader serial:/dev/ttyACM0,9600`), how a reader frames its lines
//! (CR, LF or CRLF; a prefix and suffix such as STX/ETX stripped), and what a line is.

pub mod serial;

use std::path::PathBuf;

use crate::domain::text::sanitize;

/// What every e-card code starts with.
pub const CODE_PREFIX: &str = "EC1:";
/// A line longer than this is not a code (a code is under 250 characters): it is cut off
/// and ignored rather than held in memory without end.
pub const MAX_LINE: usize = 1024;
/// Serial readers' usual speed, when `--reader` does not give one.
pub const DEFAULT_BAUD: u32 = 9600;

/// What a reader says to the console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReaderEvent {
    /// The port is open and listening.
    Opened { port: String },
    /// The port could not be opened, or stopped answering (unplugged): it is tried again
    /// every second until it answers.
    Lost { port: String, reason: String },
    /// A code, read whole.
    Read { text: String, via: Via },
    /// A line that is not an e-card code: ignored, reported once for a run of them.
    Ignored { preview: String },
    /// A keyboard reader's burst stopped before its Enter: nothing is read.
    CutShort,
}

/// Which kind of reader read a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Serial,
    Keyboard,
}

/// A serial reader: `serial:/dev/ttyACM0` or `serial:/dev/ttyACM0,115200`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialSpec {
    pub path: PathBuf,
    pub baud: u32,
    pub framing: Framing,
    /// What the header calls it ("ttyACM0"; "demo" for the demo's simulated reader).
    pub label: String,
}

impl SerialSpec {
    /// Reads `serial:PATH[,BAUD]`, the form `--reader` and `[reader] device` take.
    pub fn parse(text: &str) -> Result<SerialSpec, String> {
        let rest = text.trim().strip_prefix("serial:").ok_or_else(|| {
            format!(
                "reader {text:?} is not one this console knows: write serial:/dev/ttyACM0 (or serial:/dev/ttyACM0,115200 for another speed). A reader that types like a keyboard needs no setting."
            )
        })?;
        let (path, baud) = match rest.rsplit_once(',') {
            Some((p, b)) => {
                let baud = b
                    .trim()
                    .parse::<u32>()
                    .ok()
                    .filter(|b| (50..=4_000_000).contains(b));
                let baud = baud.ok_or_else(|| {
                    format!("reader {text:?}: {b:?} is not a serial speed: write one like 9600 or 115200")
                })?;
                (p, baud)
            }
            None => (rest, DEFAULT_BAUD),
        };
        if path.trim().is_empty() {
            return Err(format!(
                "reader {text:?} names no port: write serial:/dev/ttyACM0"
            ));
        }
        let path = PathBuf::from(path.trim());
        let label = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        Ok(SerialSpec {
            path,
            baud,
            framing: Framing::default(),
            label: sanitize(&label),
        })
    }
}

/// What a reader puts around each code, stripped before the code is read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Framing {
    /// Before the code (STX, an AIM identifier like `]Q1`, a custom string).
    pub prefix: String,
    /// After the code, before the line ends (ETX, a tab).
    pub suffix: String,
}

impl Framing {
    /// Reads a prefix or suffix as written in the lane configuration: text, with `\x02`,
    /// `\t`, `\r` and `\n` for the characters readers use.
    pub fn unescape(text: &str) -> Result<String, String> {
        let mut out = String::new();
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some('n') => out.push('\n'),
                Some('\\') => out.push('\\'),
                Some('x') => {
                    let hex: String = chars.by_ref().take(2).collect();
                    let byte = u8::from_str_radix(&hex, 16).map_err(|_| {
                        format!(
                            "{text:?}: \\x must be followed by two hex digits, like \\x02 for STX"
                        )
                    })?;
                    out.push(char::from(byte));
                }
                other => {
                    return Err(format!(
                        "{text:?}: unknown escape \\{}: use \\x02 (STX), \\x03 (ETX), \\t, \\r, \\n or \\\\",
                        other.map(String::from).unwrap_or_default()
                    ));
                }
            }
        }
        Ok(out)
    }
}

/// What a line from a reader is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    Code(String),
    /// Not an e-card code: what it starts with, made safe to show.
    NotCode(String),
    /// Nothing but framing and blanks (a reader's keep-alive, a CRLF's second half).
    Empty,
}

/// Strips the framing from one line and says what is left.
pub fn classify(raw: &str, framing: &Framing) -> Line {
    let mut text = raw.trim_matches(|c: char| c == '\r' || c == '\n');
    if !framing.prefix.is_empty() {
        text = text.strip_prefix(framing.prefix.as_str()).unwrap_or(text);
    }
    if !framing.suffix.is_empty() {
        text = text.strip_suffix(framing.suffix.as_str()).unwrap_or(text);
    }
    // Readers pad with blanks and some end a line with NUL: neither is ever in a code.
    let text = text.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    if text.is_empty() {
        Line::Empty
    } else if text.starts_with(CODE_PREFIX) && text.len() <= MAX_LINE {
        Line::Code(text.to_owned())
    } else {
        let preview: String = sanitize(text).chars().take(24).collect();
        Line::NotCode(preview)
    }
}

/// Cuts a byte stream into lines at CR, LF or CRLF. Bytes that are not UTF-8 are replaced
/// (a code is ASCII: such a line is not a code).
#[derive(Debug, Default)]
pub struct LineSplitter {
    buf: Vec<u8>,
    /// The line was too long and is being skipped to its end.
    overflow: bool,
}

impl LineSplitter {
    /// Takes bytes as they came and returns the lines they complete.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        let mut lines = Vec::new();
        for &b in bytes {
            if b == b'\r' || b == b'\n' {
                // A CRLF's LF ends an empty line, which `classify` drops.
                if self.overflow {
                    lines.push("\u{FFFD}(a line too long to be a code)".to_owned());
                } else {
                    lines.push(String::from_utf8_lossy(&self.buf).into_owned());
                }
                self.buf.clear();
                self.overflow = false;
            } else if self.buf.len() < MAX_LINE {
                self.buf.push(b);
            } else {
                self.overflow = true;
            }
        }
        lines
    }

    /// Forgets a partial line (the reader was unplugged in the middle of it).
    pub fn reset(&mut self) {
        self.buf.clear();
        self.overflow = false;
    }
}

/// Reports lines that are not codes once for a run of them, so a reader spewing noise
/// does not flood the screen; a code read starts a new run.
#[derive(Debug, Clone, Default)]
pub struct NoiseGate {
    reported: bool,
}

impl NoiseGate {
    /// The event for `line`, if any.
    pub fn event(&mut self, line: Line, via: Via) -> Option<ReaderEvent> {
        match line {
            Line::Empty => None,
            Line::Code(text) => {
                self.reported = false;
                Some(ReaderEvent::Read { text, via })
            }
            Line::NotCode(preview) if !self.reported => {
                self.reported = true;
                Some(ReaderEvent::Ignored { preview })
            }
            Line::NotCode(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_end_at_cr_lf_or_crlf_and_keep_partial_lines_for_later() {
        let mut s = LineSplitter::default();
        assert_eq!(
            s.push(b"EC1:A\rEC1:B\nEC1:C\r\nEC1:"),
            vec!["EC1:A", "EC1:B", "EC1:C", ""]
        );
        assert_eq!(s.push(b"D\r"), vec!["EC1:D"]);
        s.push(b"EC1:half");
        s.reset();
        assert_eq!(s.push(b"EC1:E\n"), vec!["EC1:E"]);
    }

    #[test]
    fn a_line_too_long_is_cut_off_and_is_not_a_code() {
        let mut s = LineSplitter::default();
        let mut long = b"EC1:".to_vec();
        long.extend(std::iter::repeat_n(b'A', 5000));
        long.push(b'\n');
        let lines = s.push(&long);
        assert_eq!(lines.len(), 1);
        assert!(matches!(
            classify(&lines[0], &Framing::default()),
            Line::NotCode(_)
        ));
        assert_eq!(s.push(b"EC1:OK\n"), vec!["EC1:OK"]);
    }

    #[test]
    fn framing_is_stripped_and_what_is_not_a_code_is_said_safely() {
        let stx = Framing {
            prefix: "\u{2}".into(),
            suffix: "\u{3}".into(),
        };
        assert_eq!(
            classify("\u{2}EC1:ABC\u{3}", &stx),
            Line::Code("EC1:ABC".into())
        );
        assert_eq!(
            classify("  EC1:ABC \0", &Framing::default()),
            Line::Code("EC1:ABC".into())
        );
        assert_eq!(classify("\u{2}\u{3}", &stx), Line::Empty);
        let Line::NotCode(p) = classify("\u{1b}[2J4006381333931", &stx) else {
            panic!("not a code")
        };
        assert!(!p.contains('\u{1b}'), "{p:?}");
        assert!(p.contains("4006381333931"));
    }

    #[test]
    fn noise_is_reported_once_per_run() {
        let mut g = NoiseGate::default();
        let not = || Line::NotCode("x".into());
        assert!(g.event(not(), Via::Serial).is_some());
        assert!(g.event(not(), Via::Serial).is_none());
        assert!(g.event(Line::Empty, Via::Serial).is_none());
        assert!(matches!(
            g.event(Line::Code("EC1:A".into()), Via::Serial),
            Some(ReaderEvent::Read { .. })
        ));
        assert!(g.event(not(), Via::Serial).is_some());
    }

    #[test]
    fn reader_specs_and_escapes_are_read_with_sentences_for_mistakes() {
        let s = SerialSpec::parse("serial:/dev/ttyACM0").unwrap();
        assert_eq!(
            (s.path.to_str().unwrap(), s.baud, s.label.as_str()),
            ("/dev/ttyACM0", 9600, "ttyACM0")
        );
        assert_eq!(
            SerialSpec::parse("serial:/dev/ttyUSB1,115200")
                .unwrap()
                .baud,
            115_200
        );
        assert!(
            SerialSpec::parse("usb:3")
                .unwrap_err()
                .contains("serial:/dev/ttyACM0")
        );
        assert!(
            SerialSpec::parse("serial:/dev/x,fast")
                .unwrap_err()
                .contains("not a serial speed")
        );
        assert!(
            SerialSpec::parse("serial:")
                .unwrap_err()
                .contains("names no port")
        );
        assert_eq!(Framing::unescape("\\x02]Q1\\t").unwrap(), "\u{2}]Q1\t");
        assert!(
            Framing::unescape("\\xZZ")
                .unwrap_err()
                .contains("two hex digits")
        );
        assert!(
            Framing::unescape("\\q")
                .unwrap_err()
                .contains("unknown escape")
        );
    }
}
