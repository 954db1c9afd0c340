//! The desk: the lane's state and, beside it, the modes it may run in (demo, training,
//! recording). `Desk::update` hands each message to the lane's `update` or to the mode it
//! belongs to, then lets the modes react to the facts the lane emitted (a decision, a
//! traveller cleared). The lane's core never calls a mode.

use chrono::{DateTime, Utc};

use super::effect::Effect;
use super::keymap::Key;
use super::modes::demo::Demo;
use super::modes::recording::Recording;
use super::modes::training::Training;
use super::msg::Msg;
use super::state::{Fact, State};
use super::update;

#[derive(Debug, Clone, Default)]
pub struct Modes {
    pub demo: Option<Demo>,
    pub training: Option<Training>,
    /// `--record`: what happened, saved as a training session after each decision.
    pub recording: Option<Recording>,
}

#[derive(Debug, Clone)]
pub struct Desk {
    pub lane: State,
    pub modes: Modes,
}

impl From<State> for Desk {
    fn from(lane: State) -> Desk {
        Desk {
            lane,
            modes: Modes::default(),
        }
    }
}

impl Desk {
    /// The effects to run when the console starts.
    pub fn start(&mut self) -> Vec<Effect> {
        let mut effects = update::start(&mut self.lane);
        if let Some(demo) = &self.modes.demo {
            effects.extend(demo.start());
        }
        effects
    }

    pub fn update(&mut self, msg: Msg, now: DateTime<Utc>) -> Vec<Effect> {
        let tick = matches!(msg, Msg::Tick);
        let mut effects = match msg {
            Msg::Demo(m) => {
                self.lane.now = now;
                if let Some(demo) = self.modes.demo.as_mut() {
                    demo.on_msg(&mut self.lane, m);
                }
                vec![]
            }
            Msg::Training(m) => {
                self.lane.now = now;
                match self.modes.training.as_mut() {
                    Some(t) => t.on_msg(&mut self.lane, m),
                    None => vec![],
                }
            }
            Msg::Key(key) => self.on_key(key, now),
            other => update::update(&mut self.lane, other, now),
        };
        let decided = self.react(&mut effects);
        if (tick || decided)
            && let Some(t) = self.modes.training.as_mut()
        {
            effects.extend(t.tick(&mut self.lane));
        }
        effects
    }

    fn on_key(&mut self, key: Key, now: DateTime<Utc>) -> Vec<Effect> {
        self.lane.now = now;
        let command = self.lane.keymap.command(key);
        if let Some(t) = self.modes.training.as_mut().filter(|t| t.card_open) {
            return t.card_key(&mut self.lane, command);
        }
        match command.filter(|c| c.is_mode() && self.lane.dialog.is_none()) {
            Some(c) => {
                if let Some(demo) = self.modes.demo.as_mut() {
                    return demo.on_command(&mut self.lane, c);
                }
                if let Some(t) = self.modes.training.as_mut() {
                    return t.on_command(&mut self.lane, c);
                }
                vec![]
            }
            None => update::update(&mut self.lane, Msg::Key(key), now),
        }
    }

    /// The modes react to what the lane did. True when a decision was among it.
    fn react(&mut self, effects: &mut Vec<Effect>) -> bool {
        let facts = std::mem::take(&mut self.lane.facts);
        let mut decided = false;
        for fact in &facts {
            decided |= matches!(fact, Fact::Decided(_));
            let Modes {
                demo,
                training,
                recording,
            } = &mut self.modes;
            if let Some(d) = demo.as_mut() {
                effects.extend(d.react(fact));
            }
            if let Some(t) = training.as_mut() {
                effects.extend(t.react(&self.lane, fact));
            }
            if let Some(r) = recording.as_mut() {
                let cards = demo.as_ref().map_or(&[][..], |d| &d.cards[..]);
                effects.extend(r.react(&self.lane.lane, fact, cards));
            }
        }
        decided
    }
}
