//! Keyboard-wedge readers: a 2D imager that types each code as fast keystrokes ending with
//! Enter. Typed into the console as keys, `EC1:...` would press E (escalate), C (next) and
//! whatever else the code spells. A burst — each key within `gap` of the last — that starts
//! with the trigger (`EC1:`, or a prefix the reader is set to send) is one code read, never
//! commands; an officer typing the same letters at human speed gets the bindings.
//!
//! Only a key that could start the trigger is held back, and at most `gap` (30 ms) unless
//! the next one continues it: every other key passes at once, and held keys are let go in
//! the order they came, so typing in a dialog's note is never reordered or lost. Once the
//! whole trigger came as a burst, what follows is a reader's code: a burst that stops
//! before its Enter is dropped (said on screen), never replayed as commands.
//!
//! A pure function of (key, instant): the event loop stamps each key with the monotonic
//! clock and asks for a wake-up at [`Wedge::deadline`].

use std::time::Duration;

use crate::edges::reader::{CODE_PREFIX, Framing, Line, NoiseGate, ReaderEvent, Via, classify};

use super::key::{Key, KeyCode};

/// Longest code a burst may carry before it is no code (a code is under 250 characters).
const MAX_BURST: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WedgeConfig {
    /// Off: every key is a key.
    pub enabled: bool,
    /// Two keys of one burst come less than this apart.
    pub gap: Duration,
    /// What the reader's framing is: a prefix set on the reader starts the burst instead
    /// of `EC1:`, and is stripped with the suffix.
    pub framing: Framing,
}

impl Default for WedgeConfig {
    fn default() -> Self {
        WedgeConfig {
            enabled: true,
            gap: Duration::from_millis(30),
            framing: Framing::default(),
        }
    }
}

impl WedgeConfig {
    /// What a burst must start with to be a reader's.
    fn trigger(&self) -> &str {
        if self.framing.prefix.is_empty() {
            CODE_PREFIX
        } else {
            &self.framing.prefix
        }
    }
}

/// What the detector lets through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WedgeOut {
    /// An officer's key, for the keymap and dialogs.
    Key(Key),
    /// What a reader typed: a code, a line that is not one, or a burst cut short.
    Reader(ReaderEvent),
}

#[derive(Debug, Clone)]
pub struct Wedge {
    config: WedgeConfig,
    /// Keys held back while they may be a reader's, with the characters they typed.
    held: Vec<Key>,
    text: String,
    /// When the last held key came.
    last: Duration,
    gate: NoiseGate,
}

impl Wedge {
    pub fn new(config: WedgeConfig) -> Wedge {
        Wedge {
            config,
            held: Vec::new(),
            text: String::new(),
            last: Duration::ZERO,
            gate: NoiseGate::default(),
        }
    }

    /// A key came at `at` (monotonic). Returns what passes now, in order.
    pub fn key(&mut self, key: Key, at: Duration) -> Vec<WedgeOut> {
        if !self.config.enabled {
            return vec![WedgeOut::Key(key)];
        }
        let mut out = self.expire(at);
        if self.held.is_empty() {
            self.start(key, at, &mut out);
            return out;
        }
        let trigger_len = self.config.trigger().chars().count();
        let in_trigger = self.text.chars().count() < trigger_len;
        match (char_of(key), in_trigger) {
            (Some(c), true) if self.continues_trigger(c) => self.hold(key, c, at),
            // Not a reader after all: what was held goes on as keys, then this one.
            (_, true) => {
                out.extend(self.release());
                self.start(key, at, &mut out);
            }
            (None, false) if key.code == KeyCode::Enter => out.extend(self.finish()),
            (Some(c), false) if self.text.len() < MAX_BURST => self.hold(key, c, at),
            // A key no reader types, in the middle of a code: the code is lost, the key kept.
            (_, false) => {
                out.push(self.cut_short());
                out.push(WedgeOut::Key(key));
            }
        }
        out
    }

    /// When held keys must be let go if no other key comes.
    pub fn deadline(&self) -> Option<Duration> {
        (!self.held.is_empty()).then(|| self.last + self.config.gap)
    }

    /// No key came within the gap before `at`: held keys go on as keys, or a code cut
    /// short is dropped.
    pub fn expire(&mut self, at: Duration) -> Vec<WedgeOut> {
        // At the deadline itself the burst is over: the loop's timer never fires early, so
        // it never wakes to find nothing to do.
        if self.held.is_empty() || at.saturating_sub(self.last) < self.config.gap {
            return vec![];
        }
        if self.text.chars().count() < self.config.trigger().chars().count() {
            self.release()
        } else {
            vec![self.cut_short()]
        }
    }

    fn start(&mut self, key: Key, at: Duration, out: &mut Vec<WedgeOut>) {
        match char_of(key) {
            Some(c) if self.continues_trigger(c) => self.hold(key, c, at),
            _ => out.push(WedgeOut::Key(key)),
        }
    }

    fn continues_trigger(&self, c: char) -> bool {
        let next = self.config.trigger().chars().nth(self.text.chars().count());
        next == Some(c)
    }

    fn hold(&mut self, key: Key, c: char, at: Duration) {
        self.held.push(key);
        self.text.push(c);
        self.last = at;
    }

    fn release(&mut self) -> Vec<WedgeOut> {
        self.text.clear();
        self.held.drain(..).map(WedgeOut::Key).collect()
    }

    fn cut_short(&mut self) -> WedgeOut {
        self.held.clear();
        self.text.clear();
        WedgeOut::Reader(ReaderEvent::CutShort)
    }

    fn finish(&mut self) -> Option<WedgeOut> {
        self.held.clear();
        let text = std::mem::take(&mut self.text);
        let line = classify(&text, &self.config.framing);
        // A code that is not an e-card code still came from a reader: it is said once, and
        // its letters never reach the keymap.
        let line = match line {
            Line::Empty => Line::NotCode(String::new()),
            other => other,
        };
        self.gate.event(line, Via::Keyboard).map(WedgeOut::Reader)
    }
}

/// The character a key types, if it is plain typing (a reader never holds Ctrl or Alt).
fn char_of(key: Key) -> Option<char> {
    match key.code {
        KeyCode::Char(c) if !key.ctrl && !key.alt => Some(c),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Types `text` then Enter, one key every `every` from `from`; returns what passed.
    fn type_text(w: &mut Wedge, text: &str, from: u64, every: u64) -> Vec<WedgeOut> {
        let mut out = vec![];
        let mut t = from;
        for c in text.chars() {
            out.extend(w.key(Key::char(c), ms(t)));
            t += every;
        }
        out.extend(w.key(Key::plain(KeyCode::Enter), ms(t)));
        out.extend(w.expire(ms(t + 1000)));
        out
    }

    fn keys(out: &[WedgeOut]) -> String {
        out.iter()
            .filter_map(|o| match o {
                WedgeOut::Key(Key {
                    code: KeyCode::Char(c),
                    ..
                }) => Some(*c),
                WedgeOut::Key(Key {
                    code: KeyCode::Enter,
                    ..
                }) => Some('⏎'),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_burst_starting_with_ec1_is_one_code_and_presses_nothing() {
        let mut w = Wedge::new(WedgeConfig::default());
        let out = type_text(&mut w, "EC1:6BFA+ZQ9", 0, 2);
        assert_eq!(
            out,
            vec![WedgeOut::Reader(ReaderEvent::Read {
                text: "EC1:6BFA+ZQ9".into(),
                via: Via::Keyboard
            })]
        );
    }

    #[test]
    fn the_same_letters_typed_at_human_speed_are_keys_in_order() {
        let mut w = Wedge::new(WedgeConfig::default());
        let out = type_text(&mut w, "EC1:AF", 0, 150);
        assert_eq!(keys(&out), "EC1:AF⏎");
        assert!(!out.iter().any(|o| matches!(o, WedgeOut::Reader(_))));
    }

    #[test]
    fn only_a_key_that_may_start_a_code_waits_and_no_longer_than_the_gap() {
        let mut w = Wedge::new(WedgeConfig::default());
        assert_eq!(keys(&w.key(Key::char('a'), ms(0))), "a");
        assert!(
            w.key(Key::char('E'), ms(100)).is_empty(),
            "E may be a reader's"
        );
        assert_eq!(w.deadline(), Some(ms(130)));
        assert!(w.expire(ms(129)).is_empty());
        assert_eq!(keys(&w.expire(ms(130))), "E");
        assert_eq!(w.deadline(), None);
    }

    #[test]
    fn a_fast_pair_that_is_not_the_trigger_goes_on_as_keys_in_order() {
        // An officer's fast "Ea" in a note: held a moment, never lost or reordered.
        let mut w = Wedge::new(WedgeConfig::default());
        assert!(w.key(Key::char('E'), ms(0)).is_empty());
        assert_eq!(keys(&w.key(Key::char('a'), ms(5))), "Ea");
        // A second E after a false start may itself start a code.
        let mut w = Wedge::new(WedgeConfig::default());
        w.key(Key::char('E'), ms(0));
        assert_eq!(keys(&w.key(Key::char('E'), ms(5))), "E");
        let out = type_text(&mut w, "C1:X", 10, 2);
        assert!(
            matches!(&out[..], [WedgeOut::Reader(ReaderEvent::Read { text, .. })] if text == "EC1:X")
        );
    }

    #[test]
    fn a_burst_that_stops_before_enter_is_dropped_never_replayed_as_commands() {
        let mut w = Wedge::new(WedgeConfig::default());
        for (i, c) in "EC1:AFQ".chars().enumerate() {
            assert!(w.key(Key::char(c), ms(i as u64 * 3)).is_empty());
        }
        assert_eq!(
            w.expire(ms(500)),
            vec![WedgeOut::Reader(ReaderEvent::CutShort)]
        );
        // A key no reader types in the middle of a code: the code is lost, the key kept.
        for (i, c) in "EC1:AF".chars().enumerate() {
            w.key(Key::char(c), ms(1000 + i as u64 * 3));
        }
        let out = w.key(Key::plain(KeyCode::Esc), ms(1020));
        assert_eq!(out[0], WedgeOut::Reader(ReaderEvent::CutShort));
        assert_eq!(out[1], WedgeOut::Key(Key::plain(KeyCode::Esc)));
    }

    #[test]
    fn a_configured_prefix_starts_the_burst_and_is_stripped_with_the_suffix() {
        let mut w = Wedge::new(WedgeConfig {
            framing: Framing {
                prefix: "]Q1".into(),
                suffix: "#".into(),
            },
            ..WedgeConfig::default()
        });
        let out = type_text(&mut w, "]Q1EC1:AB#", 0, 1);
        assert!(
            matches!(&out[..], [WedgeOut::Reader(ReaderEvent::Read { text, .. })] if text == "EC1:AB")
        );
        // With a prefix every scan is caught, codes or not: a barcode is reported, not typed.
        let out = type_text(&mut w, "]Q14006381333931", 100, 1);
        assert!(matches!(
            &out[..],
            [WedgeOut::Reader(ReaderEvent::Ignored { .. })]
        ));
        // Without its prefix, EC1: typed fast is just keys for this reader's lane.
        let out = type_text(&mut w, "EC1:", 200, 1);
        assert_eq!(keys(&out), "EC1:⏎");
    }

    #[test]
    fn ctrl_keys_and_a_disabled_detector_pass_straight_through() {
        let mut w = Wedge::new(WedgeConfig {
            enabled: false,
            ..WedgeConfig::default()
        });
        assert_eq!(keys(&w.key(Key::char('E'), ms(0))), "E");
        let mut w = Wedge::new(WedgeConfig::default());
        let ctrl_e = Key {
            code: KeyCode::Char('E'),
            ctrl: true,
            alt: false,
        };
        assert_eq!(w.key(ctrl_e, ms(0)), vec![WedgeOut::Key(ctrl_e)]);
    }
}
