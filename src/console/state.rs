//! The console's state: everything the screen shows, and nothing of how it is drawn.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::domain::checkpoint::{Checkpoint, Direction};
use crate::domain::checks::CheckId;
use crate::domain::lane_time::LaneClock;
use crate::domain::lang::Lang;
use crate::domain::replay::ReplayCache;
use crate::domain::trust::TrustList;
use crate::edges::reader::Via;
use crate::edges::scanner::binarize::Gray;

use super::i18n::L;
use super::keymap::Keymap;
pub use super::presentation::*;

/// How long a revealed document number stays visible.
pub const REVEAL_FOR: chrono::TimeDelta = chrono::TimeDelta::seconds(5);
/// How often the service's health is polled.
pub const HEALTH_EVERY: chrono::TimeDelta = chrono::TimeDelta::seconds(5);
/// How often the trust list is refreshed while online.
pub const TRUST_EVERY: chrono::TimeDelta = chrono::TimeDelta::minutes(10);
/// A code outline older than this is no longer "in view".
pub const OUTLINE_FRESH: Duration = Duration::from_millis(700);
/// Below this size the screen cannot show a traveller safely: decisions are blocked.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;
/// Decisions kept for the history overlay.
pub const HISTORY_LEN: usize = 50;
/// A decision's confirmation stays on screen at least this long before another traveller
/// can take its place.
pub const CONFIRM_FOR: chrono::TimeDelta = chrono::TimeDelta::milliseconds(1500);
/// Decision keys are ignored this long after the traveller on screen changed: a double tap
/// meant for the last traveller must not decide about the next.
pub const DECISION_LOCK: chrono::TimeDelta = chrono::TimeDelta::milliseconds(500);

/// The lane this console serves.
#[derive(Debug, Clone)]
pub struct LaneInfo {
    pub checkpoint: &'static Checkpoint,
    pub lane: String,
    pub direction: Direction,
    pub officer: String,
}

impl LaneInfo {
    /// Who keeps this lane's audit log, as its genesis record names it.
    pub fn origin(&self) -> crate::edges::audit::recorder::Origin {
        crate::edges::audit::recorder::Origin {
            checkpoint: self.checkpoint.slug.to_owned(),
            lane: self.lane.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceState {
    Connecting,
    Online {
        latency: Duration,
    },
    Offline {
        since: DateTime<Utc>,
        reason: String,
    },
    /// The service answers but refuses this lane's token (unknown, revoked, or another
    /// lane's): nothing it would say about a traveller can be had until the token is fixed.
    TokenRefused {
        reason: String,
    },
}

#[derive(Debug, Clone, Default)]
pub struct CameraState {
    pub source: Option<String>,
    pub preview: Option<Gray>,
    /// The code's corners in preview pixels, when one was in the latest frame.
    pub outline: Option<[(f32, f32); 4]>,
    pub frames: u64,
    /// Frames per second over the last couple of seconds.
    pub fps: f32,
    recent: VecDeque<DateTime<Utc>>,
    /// Set when a code was read and not yet replaced by a frame without it.
    pub read_at: Option<DateTime<Utc>>,
    pub failure: Option<String>,
    /// The image folder waited on, while it has nothing to read.
    pub waiting: Option<String>,
}

impl CameraState {
    pub(super) fn frame_at(&mut self, at: DateTime<Utc>) {
        self.frames += 1;
        self.recent.push_back(at);
        while self.recent.len() > 2
            && self
                .recent
                .front()
                .is_some_and(|t| at - *t > chrono::TimeDelta::seconds(2))
        {
            self.recent.pop_front();
        }
        self.fps = match (self.recent.front(), self.recent.back()) {
            (Some(a), Some(b)) if b > a => {
                (self.recent.len() - 1) as f32 / (*b - *a).as_seconds_f32()
            }
            _ => 0.0,
        };
    }
}

/// The 2D code reader beside the camera: a serial one set up for this lane, or a keyboard
/// wedge noticed when it first types a code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReaderState {
    /// The serial reader's name for the header ("ttyACM0"), when one is set up.
    pub serial: Option<String>,
    pub status: ReaderStatus,
    /// When a reader last read a code, and which kind.
    pub read_at: Option<(DateTime<Utc>, Via)>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ReaderStatus {
    /// Not opened yet.
    #[default]
    Starting,
    Ready,
    /// Unplugged, or never there: tried again every second.
    Lost {
        since: DateTime<Utc>,
        reason: String,
    },
}

/// A form in a dialog: reasons to pick and a note to type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReasonForm {
    pub cursor: usize,
    pub chosen: Vec<usize>,
    pub note: String,
    pub on_note: bool,
    pub error: bool,
    /// Approving over checks: the checks overridden, named in the dialog and the record.
    pub overridden: Vec<CheckId>,
    /// Approving over checks: the reason and note are given, the second confirmation asked.
    pub confirming: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dialog {
    Help,
    History,
    Flag(ReasonForm),
    Escalate(ReasonForm),
    /// Approve over a failed or unknown check: a reason code, a note, a second confirmation.
    Override(ReasonForm),
    ConfirmQuit,
}

impl Dialog {
    /// A dialog in which a decision is being made.
    pub fn is_decision(&self) -> bool {
        matches!(
            self,
            Dialog::Flag(_) | Dialog::Escalate(_) | Dialog::Override(_)
        )
    }
}

/// A line at the bottom of the screen that says what just happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub text: NoticeText,
    pub level: NoticeLevel,
    pub until: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeText {
    Label(L),
    /// A label, then text that is data (a name, a path).
    LabelWith(L, String),
    Plain(String),
}

/// Something the lane's core did that the modes (demo, training, recording) react to.
#[derive(Debug, Clone)]
pub enum Fact {
    /// A decision was made; the presentation carries it (`decision` is set).
    Decided(Box<Presentation>),
    /// The officer moved on from a traveller (C), decided or not.
    Cleared(Box<Presentation>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeLevel {
    Info,
    Warning,
    Error,
}

#[derive(Debug, Clone)]
pub struct State {
    pub lane: LaneInfo,
    pub lang: Lang,
    pub keymap: Arc<Keymap>,
    pub now: DateTime<Utc>,
    pub service: ServiceState,
    pub health_in_flight: bool,
    pub last_health: Option<DateTime<Utc>>,
    pub trust: Option<TrustList>,
    pub trust_in_flight: bool,
    /// When the trust list was last asked for (by this lane's clock).
    pub trust_asked: Option<DateTime<Utc>>,
    /// The presentation to check again when a new trust list arrives (its code named a
    /// key this lane did not know).
    pub recheck: Option<u64>,
    pub replay: ReplayCache,
    pub skew_secs: i64,
    pub camera: CameraState,
    pub reader: ReaderState,
    /// The lane's clock against the service's: how far the time checks can be believed.
    pub clock: LaneClock,
    pub current: Option<Presentation>,
    /// A code read while the current traveller was undecided.
    pub pending_code: Option<String>,
    pub dialog: Option<Dialog>,
    pub history: VecDeque<DecisionRecord>,
    /// Recorded decisions the service has not acknowledged yet.
    pub outbox_waiting: usize,
    pub notice: Option<Notice>,
    /// What happened that the modes have not seen yet (drained by `Desk::update`).
    pub facts: Vec<Fact>,
    /// The terminal's size in cells, when known.
    pub screen: Option<(u16, u16)>,
    pub next_request: u64,
    /// Prefix of this run's decision ids (random per start), so ids never repeat.
    pub session: String,
    pub decisions_made: u64,
    pub quit: bool,
}

impl State {
    pub fn new(
        lane: LaneInfo,
        lang: Lang,
        keymap: Arc<Keymap>,
        session: String,
        now: DateTime<Utc>,
    ) -> State {
        State {
            lane,
            lang,
            keymap,
            now,
            service: ServiceState::Connecting,
            health_in_flight: false,
            last_health: None,
            trust: None,
            trust_in_flight: false,
            trust_asked: None,
            recheck: None,
            replay: ReplayCache::with_capacity(100_000),
            skew_secs: crate::domain::credential::DEFAULT_SKEW_SECS,
            camera: CameraState::default(),
            reader: ReaderState::default(),
            clock: LaneClock::default(),
            current: None,
            pending_code: None,
            dialog: None,
            history: VecDeque::new(),
            outbox_waiting: 0,
            notice: None,
            facts: Vec::new(),
            screen: None,
            next_request: 1,
            session,
            decisions_made: 0,
            quit: false,
        }
    }

    /// The traveller on screen has no decision yet.
    pub fn undecided(&self) -> bool {
        self.current.as_ref().is_some_and(|p| p.decision.is_none())
    }

    /// When the traveller on screen may give way to another: at once when there is none,
    /// never while undecided, and [`CONFIRM_FOR`] after their decision.
    pub fn free_at(&self) -> Option<DateTime<Utc>> {
        match &self.current {
            None => Some(self.now),
            Some(p) => p.decision.as_ref().map(|d| d.at + CONFIRM_FOR),
        }
    }

    /// Another traveller may take the screen now.
    pub fn free(&self) -> bool {
        let deciding = self.dialog.as_ref().is_some_and(Dialog::is_decision);
        !deciding && self.free_at().is_some_and(|at| at <= self.now)
    }

    /// The terminal is too small to show a traveller safely.
    pub fn too_small(&self) -> bool {
        self.screen
            .is_some_and(|(w, h)| w < MIN_WIDTH || h < MIN_HEIGHT)
    }

    /// The traveller on screen came less than [`DECISION_LOCK`] ago.
    pub fn decision_locked(&self) -> bool {
        self.current
            .as_ref()
            .is_some_and(|p| self.now < p.read_at + DECISION_LOCK)
    }
}
