//! The console's state: everything the screen shows, and nothing of how it is drawn.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::domain::checkpoint::{Checkpoint, Direction};
use crate::domain::checks::{Check, CodeFacts};
use crate::domain::decision::DecisionKind;
use crate::domain::lang::Lang;
use crate::domain::replay::ReplayCache;
use crate::domain::trust::TrustList;
use crate::edges::api::{CardSummary, Verification};
use crate::edges::scanner::binarize::Gray;

use super::keymap::Keymap;
use super::msg::{Failure, Portrait};

/// How long a revealed document number stays visible.
pub const REVEAL_FOR: chrono::TimeDelta = chrono::TimeDelta::seconds(5);
/// How often the service's health is polled.
pub const HEALTH_EVERY: chrono::TimeDelta = chrono::TimeDelta::seconds(5);
/// How often the trust list is refreshed while online.
pub const TRUST_EVERY: chrono::TimeDelta = chrono::TimeDelta::minutes(10);
/// A code outline older than this is no longer "in view".
pub const OUTLINE_FRESH: Duration = Duration::from_millis(700);
/// Decisions kept for the history overlay.
pub const HISTORY_LEN: usize = 50;

/// The lane this console serves.
#[derive(Debug, Clone)]
pub struct LaneInfo {
    pub checkpoint: &'static Checkpoint,
    pub lane: String,
    pub direction: Direction,
    pub officer: String,
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

/// What the service said about the current traveller, so far.
#[derive(Debug, Clone)]
pub enum Lookup {
    /// The code was refused offline: the service is not told about it.
    NotAsked,
    Waiting,
    Answered(Box<Verification>),
    Failed(Failure),
}

#[derive(Debug, Clone)]
pub enum PortraitState {
    Waiting,
    Loaded(Portrait),
    Missing(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Being written to the audit log and the outbox.
    Recording,
    /// On disk; waiting for the service to acknowledge it.
    Recorded,
    /// Recorded and acknowledged by the service.
    Sent,
    /// Could not be written: the decision is not recorded.
    NotRecorded,
    /// Recorded at this lane only (the code named no card the service knows).
    LocalOnly,
}

/// A decision made at this lane.
#[derive(Debug, Clone)]
pub struct DecisionRecord {
    pub decision_id: String,
    pub kind: DecisionKind,
    pub at: DateTime<Utc>,
    /// Latin name, or what identifies the code when no record was found.
    pub who: String,
    pub reasons: Vec<String>,
    pub note: String,
    pub override_reason: Option<String>,
    pub delivery: Delivery,
    pub delivery_error: Option<String>,
}

/// One traveller's code, from the read to the decision.
#[derive(Debug, Clone)]
pub struct Presentation {
    pub request: u64,
    pub code: String,
    pub read_at: DateTime<Utc>,
    pub offline: CodeFacts,
    pub card: Option<crate::domain::credential::CardRef>,
    pub lookup: Lookup,
    /// How long the service took to answer, or to fail.
    pub lookup_latency: Option<std::time::Duration>,
    pub portrait: PortraitState,
    pub checks: Vec<Check>,
    pub decision: Option<DecisionRecord>,
    pub selected_doc: usize,
    /// The document whose number is shown in full, until when.
    pub reveal: Option<(usize, DateTime<Utc>)>,
}

impl Presentation {
    pub fn verification(&self) -> Option<&Verification> {
        match &self.lookup {
            Lookup::Answered(v) => Some(v),
            _ => None,
        }
    }

    /// What became of the lookup, in a word for reports: `answered`, `offline` (not
    /// reached), `refused` (a problem code) or `unusable` (an error or a garbled answer).
    pub fn lookup_outcome(&self) -> Option<&'static str> {
        match &self.lookup {
            Lookup::Answered(_) => Some("answered"),
            Lookup::Failed(f) if f.offline => Some("offline"),
            Lookup::Failed(f) if f.code.is_some() => Some("refused"),
            Lookup::Failed(_) => Some("unusable"),
            Lookup::Waiting | Lookup::NotAsked => None,
        }
    }

    /// Still waiting for something before the checks are complete.
    pub fn in_progress(&self) -> bool {
        matches!(self.lookup, Lookup::Waiting)
    }
}

/// A form in a dialog: reasons to pick and a note to type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReasonForm {
    pub cursor: usize,
    pub chosen: Vec<usize>,
    pub note: String,
    pub on_note: bool,
    pub error: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dialog {
    Help,
    History,
    Flag(ReasonForm),
    Escalate(ReasonForm),
    /// Approve over a failed or unknown check: the reason is the note.
    Override(ReasonForm),
    ConfirmQuit,
    /// Training: the session is over; its score (in `State::training`).
    ScoreCard,
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

/// Flag reason codes: id and label in three languages.
pub const FLAG_REASONS: &[(&str, [&str; 3])] = &[
    (
        "identity-doubt",
        [
            "Face does not match the portrait",
            "人像与照片不符",
            "人像與照片不符",
        ],
    ),
    (
        "document-problem",
        ["Document problem", "证件有问题", "證件有問題"],
    ),
    (
        "inconsistent-answers",
        ["Inconsistent answers", "回答前后矛盾", "回答前後矛盾"],
    ),
    (
        "purpose-of-visit",
        ["Purpose of visit unclear", "来访目的不明", "來訪目的不明"],
    ),
    (
        "goods-declaration",
        ["Goods to declare", "有物品需申报", "有物品需申報"],
    ),
    (
        "other",
        ["Other (see note)", "其他（见备注）", "其他（見備註）"],
    ),
];

/// Referral reasons for second line.
pub const REFERRAL_REASONS: &[(&str, [&str; 3])] = &[
    ("watch-list", ["Watch-list alert", "布控预警", "布控預警"]),
    (
        "forged-code",
        [
            "Forged or replayed code",
            "伪造或重复使用的二维码",
            "偽造或重複使用的二維碼",
        ],
    ),
    ("identity", ["Identity in doubt", "身份存疑", "身份存疑"]),
    (
        "documents",
        [
            "Documents invalid or inconsistent",
            "证件无效或不一致",
            "證件無效或不一致",
        ],
    ),
    (
        "overstay",
        ["Overstay or stay conditions", "逾期逗留", "逾期逗留"],
    ),
    (
        "other",
        ["Other (see note)", "其他（见备注）", "其他（見備註）"],
    ),
];

/// A line at the bottom of the screen that says what just happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub text: NoticeText,
    pub level: NoticeLevel,
    pub until: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeText {
    Label(super::i18n::L),
    Plain(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeLevel {
    Info,
    Warning,
    Error,
}

/// The demo's own state: the cards on the simulated phones and what was shown last.
#[derive(Debug, Clone, Default)]
pub struct DemoState {
    pub cards: Vec<CardSummary>,
    /// Index in `cards` of the last traveller presented.
    pub last: Option<usize>,
    pub last_code: Option<String>,
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
    pub replay: ReplayCache,
    pub skew_secs: i64,
    pub camera: CameraState,
    pub current: Option<Presentation>,
    /// A code read while the current traveller was undecided.
    pub pending_code: Option<String>,
    pub dialog: Option<Dialog>,
    pub history: VecDeque<DecisionRecord>,
    /// Recorded decisions the service has not acknowledged yet.
    pub outbox_waiting: usize,
    pub notice: Option<Notice>,
    pub demo: Option<DemoState>,
    pub training: Option<super::training::Training>,
    /// `--record`: what happened, saved as a training session after each decision.
    pub recording: Option<super::record::Recording>,
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
            replay: ReplayCache::with_capacity(100_000),
            skew_secs: crate::domain::credential::DEFAULT_SKEW_SECS,
            camera: CameraState::default(),
            current: None,
            pending_code: None,
            dialog: None,
            history: VecDeque::new(),
            outbox_waiting: 0,
            notice: None,
            demo: None,
            training: None,
            recording: None,
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
}
