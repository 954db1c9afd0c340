//! `--script FILE`: keys played with delays, for unattended demos.
//!
//! ```text
//! # comments and blank lines are ignored
//! wait 2            # seconds, fractions allowed
//! press 1           # one or more keys, by keymap name: a, enter, esc, ctrl-c ...
//! type looked away  # text typed into a note, character by character
//! ```

use std::path::Path;
use std::time::Duration;

use crate::console::keymap::{Key, KeyCode};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Wait(Duration),
    Press(Vec<Key>),
    Type(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}:{line}: {message}")]
pub struct ScriptError {
    pub origin: String,
    pub line: usize,
    pub message: String,
}

pub fn load(path: &Path) -> Result<Vec<Step>, ScriptError> {
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ScriptError {
        origin: origin.clone(),
        line: 0,
        message: format!("cannot read the script ({e}). Check the path given with --script."),
    })?;
    parse(&text, &origin)
}

pub fn parse(text: &str, origin: &str) -> Result<Vec<Step>, ScriptError> {
    let mut steps = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let err = |message: String| ScriptError {
            origin: origin.to_owned(),
            line: i + 1,
            message,
        };
        let line = match raw.split_once('#') {
            // `press #` would be odd, but `type` keeps everything after the verb.
            Some((before, _)) if !raw.trim_start().starts_with("type ") => before.trim(),
            _ => raw.trim(),
        };
        if line.is_empty() {
            continue;
        }
        let (verb, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let rest = rest.trim();
        match verb {
            "wait" => {
                let secs: f64 = rest
                    .trim_end_matches('s')
                    .parse()
                    .ok()
                    .filter(|s: &f64| s.is_finite() && *s >= 0.0 && *s <= 3600.0)
                    .ok_or_else(|| {
                        err(format!(
                            "`wait` takes seconds between 0 and 3600, like `wait 1.5`; got {rest:?}"
                        ))
                    })?;
                steps.push(Step::Wait(Duration::from_secs_f64(secs)));
            }
            "press" => {
                if rest.is_empty() {
                    return Err(err(
                        "`press` needs at least one key, like `press a` or `press enter`".into(),
                    ));
                }
                let keys = rest
                    .split_whitespace()
                    .map(|k| k.parse::<Key>().map_err(&err))
                    .collect::<Result<Vec<_>, _>>()?;
                steps.push(Step::Press(keys));
            }
            "type" => steps.push(Step::Type(rest.to_owned())),
            other => {
                return Err(err(format!(
                    "unknown step {:?}: use `wait SECONDS`, `press KEY...` or `type TEXT`",
                    crate::domain::text::sanitize(other)
                )));
            }
        }
    }
    Ok(steps)
}

/// The keys a step presses, in order.
pub fn keys(step: &Step) -> Vec<Key> {
    match step {
        Step::Wait(_) => vec![],
        Step::Press(keys) => keys.clone(),
        Step::Type(text) => text.chars().map(|c| Key::plain(KeyCode::Char(c))).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_script_parses_into_steps() {
        let steps = parse(
            "# demo\nwait 1.5\npress 1 a\ntype no ticket # kept\n\npress ctrl-c\n",
            "s",
        )
        .unwrap();
        assert_eq!(steps.len(), 4);
        assert_eq!(steps[0], Step::Wait(Duration::from_millis(1500)));
        assert_eq!(keys(&steps[1]), vec![Key::char('1'), Key::char('a')]);
        assert_eq!(steps[2], Step::Type("no ticket # kept".into()));
        assert_eq!(keys(&steps[3]), vec![Key::ctrl('c')]);
    }

    #[test]
    fn mistakes_name_the_line() {
        for (text, line, needle) in [
            ("wait soon\n", 1, "`wait` takes seconds"),
            ("\n\npress\n", 3, "needs at least one key"),
            ("press hyperkey\n", 1, "unknown key"),
            ("jump 3\n", 1, "unknown step \"jump\""),
            ("wait -1\n", 1, "between 0 and 3600"),
        ] {
            let e = parse(text, "demo.txt").unwrap_err();
            assert_eq!(e.line, line, "{text:?}");
            assert!(e.to_string().contains(needle), "{e}");
            assert!(
                e.to_string().starts_with(&format!("demo.txt:{line}:")),
                "{e}"
            );
        }
    }
}
