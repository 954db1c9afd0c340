//! A code read: the same presentation again, a code that waits for the officer, or a new
//! traveller checked offline and sent to the service. And the checks, recomputed from
//! whatever is known so far.

use crate::api::VerificationRequest;
use crate::domain::assess::{self, Offline};
use crate::domain::checks::{CodeFacts, LaneContext, ServiceFacts};
use crate::domain::clock::local_date;
use crate::domain::credential::CredentialError;
use crate::edges::scanner::live::FrameReport;

use super::notify;
use crate::console::effect::Effect;
use crate::console::i18n::L;
use crate::console::state::*;

pub(super) fn on_frame(state: &mut State, report: FrameReport) {
    let scale = report.preview.width as f32 / report.width.max(1) as f32;
    state.camera.outline = report
        .outline
        .map(|quad| quad.map(|(x, y)| (x * scale, y * scale)));
    state.camera.preview = Some(report.preview);
    state.camera.failure = None;
    state.camera.waiting = None;
    state.camera.frame_at(state.now);
}

pub(super) fn on_code(state: &mut State, text: String) -> Vec<Effect> {
    // The same code seen again while its traveller is on screen is the same presentation.
    if state.current.as_ref().is_some_and(|p| p.code == text) {
        return vec![];
    }
    // A traveller undecided, or decided a moment ago, keeps the screen: the code waits.
    if !state.free() {
        state.pending_code = Some(text);
        notify(
            state,
            NoticeText::Label(L::PendingCode),
            NoticeLevel::Warning,
        );
        return vec![];
    }
    begin(state, text)
}

/// A code that waited takes the screen once the traveller on it is decided and their
/// confirmation has been shown long enough.
pub(super) fn release_pending(state: &mut State) -> Vec<Effect> {
    if state.pending_code.is_none() || !state.free() {
        return vec![];
    }
    if let Some(p) = state.current.take() {
        state.facts.push(Fact::Cleared(Box::new(p)));
    }
    match state.pending_code.take() {
        Some(code) => begin(state, code),
        None => vec![],
    }
}

/// A new traveller: the code verified offline, then (unless refused) sent to the service.
pub fn begin(state: &mut State, text: String) -> Vec<Effect> {
    let request = state.next_request;
    state.next_request += 1;
    let (trust, now, skew) = (state.trust.as_ref(), state.now.timestamp(), state.skew_secs);
    let replay = Some(&mut state.replay);
    // On a clock too far from the service's, the code's window is left unjudged.
    let Offline { facts, card } = match state.clock.standing().untrusted() {
        Some(o) => assess::verify_offline_untimed(&text, trust, now, skew, replay, o.secs()),
        None => assess::verify_offline(&text, trust, now, skew, replay),
    };
    let refused = matches!(facts, CodeFacts::Refused(_));
    // A key this lane has not heard of may be one the service rotated in since the last
    // trust list: ask for the list now, and check the code again when it comes.
    let unknown_key = matches!(
        facts,
        CodeFacts::Refused(CredentialError::UnknownKey { .. })
    ) && !matches!(state.service, ServiceState::Offline { .. });
    state.current = Some(Presentation {
        request,
        code: text.clone(),
        read_at: state.now,
        offline: facts,
        card,
        lookup: if refused {
            Lookup::NotAsked
        } else {
            Lookup::Waiting
        },
        portrait: if refused {
            PortraitState::Missing(String::new())
        } else {
            PortraitState::Waiting
        },
        checks: vec![],
        decision: None,
        selected_doc: 0,
        reveal: None,
        lookup_latency: None,
    });
    recompute(state);
    if unknown_key {
        state.recheck = Some(request);
        if !state.trust_in_flight {
            state.trust_in_flight = true;
            state.trust_asked = Some(state.now);
            return vec![Effect::FetchTrustList];
        }
    }
    if refused {
        // A forged or stale code is refused here; the service is not told about it.
        return vec![];
    }
    vec![verify(state, request, text)]
}

/// Asks the service about the code on screen when it was refused offline at first and is no
/// longer (its window, judged on a wrong clock, is now left unjudged).
pub(super) fn ask_if_not_asked(state: &mut State) -> Vec<Effect> {
    let Some(p) = state.current.as_mut() else {
        return vec![];
    };
    if !matches!(p.lookup, Lookup::NotAsked) || matches!(p.offline, CodeFacts::Refused(_)) {
        return vec![];
    }
    p.lookup = Lookup::Waiting;
    p.portrait = PortraitState::Waiting;
    let (request, code) = (p.request, p.code.clone());
    vec![verify(state, request, code)]
}

fn verify(state: &State, request: u64, token: String) -> Effect {
    Effect::Verify {
        request,
        body: VerificationRequest {
            token,
            checkpoint: state.lane.checkpoint.slug.to_owned(),
            lane: state.lane.lane.clone(),
            direction: state.lane.direction,
            officer: state.lane.officer.clone(),
        },
    }
}

/// After a new trust list: the traveller whose code named an unknown key, still on screen
/// and undecided, is checked again with it (and sent to the service if it now verifies).
pub(super) fn recheck(state: &mut State) -> Vec<Effect> {
    let Some(request) = state.recheck.take() else {
        return vec![];
    };
    let again = state
        .current
        .as_ref()
        .filter(|p| p.request == request && p.decision.is_none())
        .map(|p| p.code.clone());
    match again {
        Some(code) => {
            state.current = None;
            begin(state, code)
        }
        None => vec![],
    }
}

/// Recomputes the current traveller's checks from what is known.
pub fn recompute(state: &mut State) {
    let lane = LaneContext {
        checkpoint: state.lane.checkpoint,
        direction: state.lane.direction,
        trust_age_secs: state
            .trust
            .as_ref()
            .map(|t| state.now.timestamp() - t.issued_at),
    };
    let today = local_date(state.now);
    if let Some(p) = state.current.as_mut() {
        let facts = match &p.lookup {
            Lookup::NotAsked => ServiceFacts::NotAsked,
            Lookup::Waiting => ServiceFacts::Waiting,
            Lookup::Answered(v) => ServiceFacts::Answered(v.record()),
            Lookup::Failed(f) => match (&f.code, f.offline) {
                (Some(code), false) => ServiceFacts::Refused { code },
                _ => ServiceFacts::Unavailable,
            },
        };
        p.checks = assess::assess(lane, &p.offline, facts, today).checks;
    }
}
