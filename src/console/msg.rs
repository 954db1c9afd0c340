//! What reaches `update`: each `Msg` is something that happened (a key, a code read, a
//! reply). The demo's and training's own happenings are `DemoMsg` and `TrainingMsg`.

use std::sync::Arc;
use std::time::Duration;

use crate::api::{CardSummary, DecisionReceipt, Verification};
use crate::domain::lane_time::Offset;
use crate::domain::trust::TrustList;
use crate::edges::reader::ReaderEvent;
use crate::edges::scanner::live::FrameReport;

use super::keymap::Key;

/// A portrait decoded for the screen: RGB, 8 bits per channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Portrait {
    /// Unique per decoded portrait: what the screen's encoding is remembered by (a memory
    /// address could be reused by the next traveller's portrait).
    pub id: u64,
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
    /// The service refused the lane's token (401, or 403: another lane's).
    pub token_refused: bool,
}

#[derive(Debug, Clone)]
pub enum Msg {
    Key(Key),
    /// The terminal's size, at the start and whenever it changes.
    Resized {
        width: u16,
        height: u16,
    },
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
    /// An image folder has nothing to read yet: not a failure, the lane waits for images.
    CameraWaiting {
        folder: String,
    },
    CameraEnded,
    /// A 2D code reader (serial, or a keyboard wedge) said something. A code it read goes
    /// the camera's `CodeRead` way from here on: the same checks, the same waiting while a
    /// traveller is undecided.
    Reader(ReaderEvent),
    /// How the lane's clock stands against the service's: measured at a health check, or
    /// bounded since by the monotonic clock while the service cannot be asked.
    ClockChecked {
        offset: Offset,
    },
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
    /// A file the console was asked to write could not be written.
    WriteFailed {
        message: String,
    },
    Demo(DemoMsg),
    Training(TrainingMsg),
}

/// What happened in the demo's world: the phones' cards, a code put on a phone.
#[derive(Debug, Clone)]
pub enum DemoMsg {
    /// The cards the simulated phones carry.
    Cards {
        result: Result<Vec<CardSummary>, Failure>,
    },
    /// The phone is now showing a code.
    Shown {
        /// Who is holding it up, for the notice line.
        who: String,
        code: String,
        /// Issued by the service (a forged code is not kept for replay).
        genuine: bool,
        /// The code on the phone is a forgery, or one shown before.
        kind: ShownKind,
    },
    /// The phone could not be given a code.
    Failed { message: String },
}

/// What the demo's phone shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShownKind {
    Fresh,
    Forged,
    Again,
}

/// What happened in a training session's world.
#[derive(Debug, Clone)]
pub enum TrainingMsg {
    /// A step's code is on the phone (or, for a corrupt frame, nothing is).
    Shown { step: usize, code: Option<String> },
    /// The step could not be presented (its traveller has no card, the service is gone).
    Failed { message: String },
}
