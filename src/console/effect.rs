//! Effects: the I/O `update` (and the modes beside it) ask for. `runner.rs` performs each
//! on a tokio task and answers with a message, so the screen never waits on the network.

use std::path::PathBuf;

use crate::api::VerificationRequest;
use crate::domain::credential::CardRef;
use crate::domain::documents::DocumentKind;
use crate::edges::audit::RecordedDecision;

use super::modes::training::session::Present;

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    CheckHealth,
    FetchTrustList,
    Verify {
        request: u64,
        body: VerificationRequest,
    },
    FetchPortrait {
        request: u64,
        holder: String,
    },
    /// Write the decision to the audit log and the outbox; the outbox delivers it.
    Record(Box<RecordedDecision>),
    /// A masked number was shown in full: who asked, for which document. Audited.
    LogReveal {
        officer: String,
        lane: String,
        holder: String,
        document: DocumentKind,
    },
    /// Write a file (a recording, a training report); a failure comes back as a message.
    WriteFile {
        path: PathBuf,
        contents: String,
    },
    /// The simulated phone (demo, training) is put away.
    HidePhone,
    Demo(DemoEffect),
    Training(TrainingEffect),
}

/// What the demo asks of its world.
#[derive(Debug, Clone, PartialEq)]
pub enum DemoEffect {
    FetchCards,
    /// Ask the service for a fresh code for this card, as the phone app would, and show it.
    Present {
        card: CardRef,
        who: String,
    },
    /// Show a code for this card signed by a key the issuer never had.
    PresentForged {
        card: CardRef,
        who: String,
    },
    /// Show this exact code again, after the phone was away long enough to be a new sighting.
    ShowAgain {
        code: String,
    },
    /// The traveller holds the phone to the 2D code reader: its code is sent down the
    /// simulated reader's line.
    ThroughReader {
        code: String,
    },
}

/// What training asks of its world.
#[derive(Debug, Clone, PartialEq)]
pub enum TrainingEffect {
    /// The faults in force from now on.
    Faults(Faults),
    /// Stop or restart the session's clock.
    Clock { paused: bool },
    /// Put a step's code on the phone (held to the camera, or to the reader).
    Present {
        step: usize,
        present: Present,
        last_code: Option<String>,
        via_reader: bool,
    },
}

/// The trainer's fault switches: the lane's view of a world gone wrong.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Faults {
    /// The service cannot be reached.
    pub down: bool,
    /// The service answers after a second and a half.
    pub slow: bool,
    /// The lane's clock is this many seconds off.
    pub skew: i64,
    /// The lane's trust list is more than a day old and is not refreshed.
    pub stale: bool,
}
