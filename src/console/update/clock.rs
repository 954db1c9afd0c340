//! The lane's clock against the service's: an offset learned at a health check (or bounded
//! since), and a wall clock seen to go back between two messages. When the clock's
//! standing changes, the code on screen is judged again: a code whose window cannot be
//! judged on this clock is unknown, never passed or failed on it.

use crate::console::effect::Effect;
use crate::console::state::*;
use crate::domain::assess;
use crate::domain::lane_time::{Offset, Standing};

use super::{codes, recompute};

/// Sees the time of a message: a clock set back since the last one grows the offset at
/// once, and the service is asked for its time again.
pub(super) fn observe(state: &mut State) -> Vec<Effect> {
    let before = state.clock.standing();
    if !state.clock.observe(state.now) {
        return vec![];
    }
    let mut effects = changed(state, before);
    if !state.health_in_flight {
        state.health_in_flight = true;
        effects.push(Effect::CheckHealth);
    }
    effects
}

pub(super) fn on_checked(state: &mut State, offset: Offset) -> Vec<Effect> {
    let before = state.clock.standing();
    state.clock.offset = Some(offset);
    changed(state, before)
}

/// Judges the undecided traveller's code again when the window became judgeable or not; a
/// code no longer refused for it is sent to the service as it would have been at once.
fn changed(state: &mut State, before: Standing) -> Vec<Effect> {
    let untrusted = state.clock.standing().untrusted().map(|o| o.secs());
    if before.untrusted().map(|o| o.secs()) == untrusted {
        return vec![];
    }
    let now = state.now.timestamp();
    let (trust, skew) = (state.trust.as_ref(), state.skew_secs);
    if let Some(p) = state.current.as_mut().filter(|p| p.decision.is_none()) {
        p.offline = assess::reconsider_window(
            &p.offline,
            &p.code,
            trust,
            now,
            skew,
            Some(&mut state.replay),
            untrusted,
        );
    }
    let effects = codes::ask_if_not_asked(state);
    recompute(state);
    effects
}
