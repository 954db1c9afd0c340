//! Key bindings: the officer's keys mapped to commands, with the defaults built in and a
//! TOML file over them. A key bound to two actions is an error naming both.
//!
//! Keys inside dialogs (Enter, Esc, Tab, arrows, Space, Backspace, typing) are fixed: they
//! mean the same everywhere, so they are not rebindable.

use std::collections::HashMap;
use std::path::Path;

pub use super::key::{Key, KeyCode};

/// What the officer (or the trainer) asked for, resolved from a key by the keymap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    Approve,
    Flag,
    Escalate,
    Clear,
    Reveal,
    SelectNext,
    SelectPrevious,
    Help,
    History,
    Language,
    Quit,
    /// Training: stop or restart the session's clock.
    TrainPause,
    /// Training: present the next step now.
    TrainSkip,
    /// Training: start the session again from its first step.
    TrainRestart,
    /// Demo: present the n-th scenario traveller (1-9).
    DemoTraveller(u8),
    /// Demo: present the next scenario traveller after the last one.
    DemoNext,
    /// Demo: show a code signed by a key the issuer never had.
    DemoForged,
    /// Demo: show the last code again.
    DemoReplay,
    /// Demo: the code on the phone, read by the simulated 2D code reader instead.
    DemoReader,
}

/// Actions that must keep at least one key.
pub const REQUIRED: [Command; 5] = [
    Command::Approve,
    Command::Flag,
    Command::Escalate,
    Command::Clear,
    Command::Quit,
];

impl Command {
    /// A command of the demo or of training rather than of the lane itself.
    pub fn is_mode(self) -> bool {
        matches!(
            self,
            Command::TrainPause
                | Command::TrainSkip
                | Command::TrainRestart
                | Command::DemoTraveller(_)
                | Command::DemoNext
                | Command::DemoForged
                | Command::DemoReplay
                | Command::DemoReader
        )
    }
}

/// Every bindable action, its name in the keymap file, and its default keys.
pub const ACTIONS: &[(Command, &str, &[&str])] = &[
    (Command::Approve, "approve", &["a"]),
    (Command::Flag, "flag", &["f"]),
    (Command::Escalate, "escalate", &["e"]),
    (Command::Clear, "clear", &["c"]),
    (Command::Reveal, "reveal", &["v"]),
    (Command::SelectNext, "select-next", &["down", "j"]),
    (Command::SelectPrevious, "select-previous", &["up", "k"]),
    (Command::Help, "help", &["?", "f1"]),
    (Command::History, "history", &["h"]),
    (Command::Language, "language", &["l"]),
    (Command::Quit, "quit", &["q", "ctrl-c"]),
    (Command::DemoTraveller(1), "demo-traveller-1", &["1"]),
    (Command::DemoTraveller(2), "demo-traveller-2", &["2"]),
    (Command::DemoTraveller(3), "demo-traveller-3", &["3"]),
    (Command::DemoTraveller(4), "demo-traveller-4", &["4"]),
    (Command::DemoTraveller(5), "demo-traveller-5", &["5"]),
    (Command::DemoTraveller(6), "demo-traveller-6", &["6"]),
    (Command::DemoTraveller(7), "demo-traveller-7", &["7"]),
    (Command::DemoTraveller(8), "demo-traveller-8", &["8"]),
    (Command::DemoTraveller(9), "demo-traveller-9", &["9"]),
    (Command::TrainPause, "train-pause", &["p"]),
    (Command::TrainSkip, "train-skip", &["s"]),
    (Command::TrainRestart, "train-restart", &["ctrl-r"]),
    (Command::DemoNext, "demo-next", &["n"]),
    (Command::DemoForged, "demo-forged", &["x"]),
    (Command::DemoReplay, "demo-replay", &["r"]),
    (Command::DemoReader, "demo-reader", &["b"]),
];

fn action_name(command: Command) -> &'static str {
    ACTIONS
        .iter()
        .find(|(c, _, _)| *c == command)
        .map_or("?", |(_, n, _)| n)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}:{line}: {message}")]
pub struct KeymapError {
    pub origin: String,
    pub line: usize,
    pub message: String,
}

#[derive(Debug, Clone)]
pub struct Keymap {
    keys: HashMap<Command, Vec<Key>>,
    lookup: HashMap<Key, Command>,
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap::parse("", "built-in keymap").expect("the built-in keymap has no duplicates")
    }
}

impl Keymap {
    pub fn load(path: &Path) -> Result<Keymap, KeymapError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| KeymapError {
            origin: origin.clone(),
            line: 0,
            message: format!(
                "cannot read the keymap file ({e}). Check the path given with --keymap."
            ),
        })?;
        Keymap::parse(&text, &origin)
    }

    /// The defaults with `text`'s bindings over them. An action named in `text` keeps only
    /// the keys given there.
    pub fn parse(text: &str, origin: &str) -> Result<Keymap, KeymapError> {
        let err = |offset: usize, message: String| KeymapError {
            origin: origin.to_owned(),
            line: line_of(text, offset),
            message,
        };
        let table: toml::Spanned<toml::Table> =
            toml::from_str(text).map_err(|e: toml::de::Error| {
                let offset = e.span().map_or(0, |s| s.start);
                err(offset, e.message().to_owned())
            })?;
        let spans = key_spans(text);
        let mut keys: Vec<(Command, Vec<Key>, Option<usize>)> = ACTIONS
            .iter()
            .map(|(c, _, defaults)| {
                (
                    *c,
                    defaults
                        .iter()
                        .map(|k| k.parse().expect("default keys parse"))
                        .collect(),
                    None,
                )
            })
            .collect();
        for (name, value) in table.get_ref() {
            let offset = spans.get(name.as_str()).copied().unwrap_or(0);
            let Some(slot) = keys.iter_mut().find(|(c, _, _)| action_name(*c) == name) else {
                let known: Vec<&str> = ACTIONS.iter().map(|(_, n, _)| *n).collect();
                return Err(err(
                    offset,
                    format!(
                        "unknown action {name:?}: the actions are {}",
                        known.join(", ")
                    ),
                ));
            };
            let names: Vec<&str> = match value {
                toml::Value::String(s) => vec![s.as_str()],
                toml::Value::Array(items) => items
                    .iter()
                    .map(|i| {
                        i.as_str().ok_or_else(|| {
                            err(
                                offset,
                                format!(
                                    "{name}: each key must be a string, like \"a\" or \"ctrl-c\""
                                ),
                            )
                        })
                    })
                    .collect::<Result<_, _>>()?,
                _ => {
                    return Err(err(
                        offset,
                        format!(
                            "{name}: give a key as a string (\"a\") or a list of keys ([\"a\", \"enter\"])"
                        ),
                    ));
                }
            };
            let parsed = names
                .iter()
                .map(|n| {
                    n.parse::<Key>()
                        .map_err(|m| err(offset, format!("{name}: {m}")))
                })
                .collect::<Result<Vec<_>, _>>()?;
            slot.1 = parsed;
            slot.2 = Some(offset);
        }
        // An officer must always be able to decide, move on and leave.
        for (command, list, offset) in &keys {
            if list.is_empty() && REQUIRED.contains(command) {
                let name = action_name(*command);
                let defaults = ACTIONS
                    .iter()
                    .find(|(c, _, _)| c == command)
                    .map_or(String::new(), |(_, _, d)| d.join(", "));
                return Err(err(
                    offset.unwrap_or(0),
                    format!(
                        "`{name}` is left without a key: an officer must always be able to {name}. Give it a key, or leave `{name}` out to keep its default ({defaults})"
                    ),
                ));
            }
        }
        let mut lookup: HashMap<Key, (Command, Option<usize>)> = HashMap::new();
        for (command, list, offset) in &keys {
            for key in list {
                if let Some((other, other_offset)) =
                    lookup.insert(key.normalized(), (*command, *offset))
                    && other != *command
                {
                    let (a, b) = (action_name(other), action_name(*command));
                    return Err(err(
                        offset.or(other_offset).unwrap_or(0),
                        format!(
                            "key {key} is bound to both `{a}` and `{b}`: give one of them another key"
                        ),
                    ));
                }
            }
        }
        Ok(Keymap {
            lookup: lookup.into_iter().map(|(k, (c, _))| (k, c)).collect(),
            keys: keys.into_iter().map(|(c, l, _)| (c, l)).collect(),
        })
    }

    pub fn command(&self, key: Key) -> Option<Command> {
        self.lookup.get(&key.normalized()).copied()
    }

    /// The keys for a command, as shown in the footer ("A", "Ctrl-C").
    pub fn label(&self, command: Command) -> String {
        self.keys
            .get(&command)
            .and_then(|k| k.first())
            .map_or_else(|| "—".to_owned(), Key::to_string)
    }

    pub fn keys(&self, command: Command) -> &[Key] {
        self.keys.get(&command).map_or(&[], Vec::as_slice)
    }
}

/// Byte offsets of each top-level key in a keymap file, for line numbers.
fn key_spans(text: &str) -> HashMap<String, usize> {
    let mut out = HashMap::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if let Some((k, _)) = line.split_once('=') {
            let k = k.trim().trim_matches('"');
            if !k.is_empty() && !k.starts_with('#') {
                out.entry(k.to_owned()).or_insert(offset);
            }
        }
        offset += line.len();
    }
    out
}

pub fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_bind_every_officer_action() {
        let map = Keymap::default();
        assert_eq!(map.command(Key::char('a')), Some(Command::Approve));
        assert_eq!(map.command(Key::char('A')), Some(Command::Approve));
        assert_eq!(map.command(Key::ctrl('c')), Some(Command::Quit));
        assert_eq!(map.command(Key::plain(KeyCode::F(1))), Some(Command::Help));
        assert_eq!(map.label(Command::Quit), "Q");
        for (command, name, _) in ACTIONS {
            assert!(!map.keys(*command).is_empty(), "{name} has no key");
        }
    }

    #[test]
    fn a_file_rebinds_actions_and_keeps_the_rest() {
        let map = Keymap::parse("approve = [\"enter\", \"y\"]\n", "t").unwrap();
        assert_eq!(
            map.command(Key::plain(KeyCode::Enter)),
            Some(Command::Approve)
        );
        assert_eq!(map.command(Key::char('a')), None);
        assert_eq!(map.command(Key::char('f')), Some(Command::Flag));
    }

    #[test]
    fn a_duplicate_names_both_actions_and_the_line() {
        let err = Keymap::parse("# mine\n\nflag = \"a\"\n", "keys.toml").unwrap_err();
        assert_eq!(err.line, 3);
        let text = err.to_string();
        assert!(
            text.starts_with("keys.toml:3: key A is bound to both"),
            "{text}"
        );
        assert!(
            text.contains("`approve`") && text.contains("`flag`"),
            "{text}"
        );
    }

    #[test]
    fn bad_files_say_what_and_where() {
        let cases = [
            ("aprove = \"a\"\n", 1, "unknown action \"aprove\""),
            ("\nflag = \"hyper-f\"\n", 2, "unknown key \"hyper-f\""),
            ("flag = 3\n", 1, "give a key as a string"),
            ("flag = [\"f\", 3]\n", 1, "each key must be a string"),
            ("flag = \n", 1, ""),
        ];
        for (text, line, needle) in cases {
            let err = Keymap::parse(text, "k").unwrap_err();
            assert_eq!(err.line, line, "{text}: {err}");
            assert!(err.message.contains(needle), "{text}: {err}");
        }
    }

    #[test]
    fn key_names_round_trip() {
        for name in [
            "a", "?", "ctrl-c", "enter", "esc", "f5", "space", "up", "alt-x",
        ] {
            let key: Key = name.parse().unwrap();
            assert_eq!(key.to_string().parse::<Key>().unwrap(), key, "{name}");
        }
    }
}
