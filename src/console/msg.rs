//! What reaches `update`: `Msg` is something that happened; `Command` is what the officer
//! asked for, resolved from a key by the keymap.

use std::sync::Arc;
use std::time::Duration;

use crate::domain::trust::TrustList;
use crate::edges::api::{CardSummary, DecisionReceipt, Verification};
use crate::edges::scanner::live::FrameReport;

use super::keymap::Key;

/// A portrait decoded for the screen: RGB, 8 bits per channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Portrait {
    pub width: u32,
    pub height: u32,
    pub rgb: Arc<[u8]>,
}

/// Why a call to the service did not give an answer, said for the officer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The service's problem code when it refused (`replayed`, `card-unknown`, ...).
    pub code: Option<String>,
    pub message: String,
    /// True when the service could not be reached at all (offline), not when it refused.
    pub offline: bool,
}

#[derive(Debug, Clone)]
pub enum Msg {
    Key(Key),
    Resized,
    /// Once a second: the clock in the header, reveal timeouts, health polls.
    Tick,
    /// The scanner read a code (once per code in view).
    CodeRead {
        text: String,
    },
    /// The latest camera frame (older ones were dropped, not queued).
    FrameShown(Box<FrameReport>),
    CameraStarted {
        source: String,
    },
    CameraFailed {
        message: String,
    },
    CameraEnded,
    HealthChecked {
        result: Result<Duration, Failure>,
    },
    TrustListFetched {
        result: Result<TrustList, Failure>,
    },
    ServiceReplied {
        request: u64,
        latency: Duration,
        result: Result<Box<Verification>, Failure>,
    },
    PortraitLoaded {
        request: u64,
        result: Result<Portrait, String>,
    },
    /// The decision is in the audit log and the outbox (or why it is not).
    Recorded {
        decision_id: String,
        result: Result<u64, String>,
    },
    /// How many recorded decisions wait for the service.
    OutboxWaiting(usize),
    DecisionSent {
        decision_id: String,
        result: Result<DecisionReceipt, Failure>,
    },
    /// Demo: the cards the simulated phones carry.
    DemoCards {
        result: Result<Vec<CardSummary>, Failure>,
    },
    /// Demo: the phone is now showing a code.
    DemoShown {
        label: String,
        code: String,
        /// Issued by the service (a forged code is not kept for replay).
        genuine: bool,
    },
    DemoFailed {
        message: String,
    },
    /// Training: a step's code is on the phone (or, for a corrupt frame, nothing is).
    TrainShown {
        step: usize,
        code: Option<String>,
    },
}

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
}
