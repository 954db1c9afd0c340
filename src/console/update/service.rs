//! What the service and the recorder answer: health, the trust list, a verification, a
//! portrait, a decision recorded and delivered.

use std::time::Duration;

use crate::api::{DecisionReceipt, Verification};
use crate::console::effect::Effect;
use crate::console::msg::{Failure, Portrait};
use crate::console::state::*;
use crate::domain::text::sanitize;
use crate::domain::trust::TrustList;

use super::{go_offline, notify, recompute};

pub(super) fn on_health(state: &mut State, result: Result<Duration, Failure>) -> Vec<Effect> {
    state.health_in_flight = false;
    state.last_health = Some(state.now);
    match result {
        Ok(latency) => {
            state.service = ServiceState::Online { latency };
            // Asked again every TRUST_EVERY, timed by this lane's clock: the list's own
            // issue time is the service's, and a clock apart would ask at every health.
            let due = state.trust.is_none()
                || state
                    .trust_asked
                    .is_none_or(|at| state.now - at > TRUST_EVERY);
            if due && !state.trust_in_flight {
                state.trust_in_flight = true;
                state.trust_asked = Some(state.now);
                return vec![Effect::FetchTrustList];
            }
        }
        Err(f) if f.token_refused => token_refused(state, &f.message),
        Err(f) => go_offline(state, &f.message),
    }
    vec![]
}

/// The service answers but will not take this lane's token: the header says so instead of
/// "online", and the officer is told once what to do about it.
fn token_refused(state: &mut State, reason: &str) {
    if !matches!(state.service, ServiceState::TokenRefused { .. }) {
        notify(
            state,
            NoticeText::Label(crate::console::i18n::L::TokenRefusedNotice),
            NoticeLevel::Error,
        );
    }
    state.service = ServiceState::TokenRefused {
        reason: sanitize(reason),
    };
}

pub(super) fn on_trust_list(state: &mut State, result: Result<TrustList, Failure>) -> Vec<Effect> {
    state.trust_in_flight = false;
    match result {
        // The runner refused a rollback against the list on disk; this refuses one
        // against the list in memory too.
        Ok(trust) => match trust.replaces(state.trust.as_ref()) {
            Ok(true) => {
                state.trust = Some(trust);
                return super::codes::recheck(state);
            }
            Ok(false) => {}
            Err(e) => notify(state, NoticeText::Plain(e.to_string()), NoticeLevel::Error),
        },
        Err(f) if f.offline => go_offline(state, &f.message),
        Err(f) if f.token_refused => token_refused(state, &f.message),
        Err(f) => notify(state, NoticeText::Plain(f.message), NoticeLevel::Error),
    }
    vec![]
}

pub(super) fn on_reply(
    state: &mut State,
    request: u64,
    latency: Duration,
    result: Result<Box<Verification>, Failure>,
) -> Vec<Effect> {
    // A late reply for a traveller who has gone is dropped.
    let Some(p) = state.current.as_mut().filter(|p| p.request == request) else {
        return vec![];
    };
    let mut effects = vec![];
    p.lookup_latency = Some(latency);
    match result {
        Ok(v) => {
            effects.push(Effect::FetchPortrait {
                request,
                holder: v.holder.id.clone(),
            });
            p.lookup = Lookup::Answered(v);
            state.service = ServiceState::Online { latency };
        }
        Err(f) => {
            p.portrait = PortraitState::Missing(String::new());
            let offline = f.offline.then(|| f.message.clone());
            p.lookup = Lookup::Failed(f);
            if let Some(message) = offline {
                go_offline(state, &message);
            }
        }
    }
    recompute(state);
    effects
}

pub(super) fn on_portrait(state: &mut State, request: u64, result: Result<Portrait, String>) {
    if let Some(p) = state.current.as_mut().filter(|p| p.request == request) {
        p.portrait = match result {
            Ok(portrait) => PortraitState::Loaded(portrait),
            Err(e) => PortraitState::Missing(sanitize(&e)),
        };
    }
}

pub(super) fn on_sent(
    state: &mut State,
    decision_id: &str,
    result: Result<DecisionReceipt, Failure>,
) {
    // A failed delivery is retried by the outbox: the decision stays recorded.
    let (delivery, error) = match result {
        Ok(_) => (Some(Delivery::Sent), None),
        Err(f) => {
            if f.offline {
                go_offline(state, &f.message);
            }
            (None, Some(f.message))
        }
    };
    for record in decision_records(state, decision_id) {
        if let Some(d) = delivery {
            record.delivery = d;
        }
        record.delivery_error.clone_from(&error);
    }
}

pub(super) fn on_recorded(state: &mut State, decision_id: &str, result: Result<u64, String>) {
    let (delivery, error) = match result {
        Ok(_) => (Delivery::Recorded, None),
        Err(e) => (Delivery::NotRecorded, Some(sanitize(&e))),
    };
    if let Some(e) = &error {
        notify(state, NoticeText::Plain(e.clone()), NoticeLevel::Error);
    }
    for record in decision_records(state, decision_id) {
        // Local-only decisions stay so once written.
        if !(record.delivery == Delivery::LocalOnly && delivery == Delivery::Recorded) {
            record.delivery = delivery;
        }
        record.delivery_error.clone_from(&error);
    }
}

/// The records of one decision: on the traveller on screen and in the history.
fn decision_records<'a>(
    state: &'a mut State,
    decision_id: &'a str,
) -> impl Iterator<Item = &'a mut DecisionRecord> {
    state
        .current
        .iter_mut()
        .filter_map(|p| p.decision.as_mut())
        .chain(state.history.iter_mut())
        .filter(move |r| r.decision_id == decision_id)
}
