//! `lanedesk lane`: the console at a real lane, with a webcam (or image files) and the
//! issuance service.

use std::path::PathBuf;
use std::sync::Arc;

use crate::console::desk::Desk;
use crate::console::modes::recording::Recording;
use crate::console::modes::script::Step;
use crate::console::runtime::{self, Appearance, Readers, Setup};
use crate::console::state::{LaneInfo, State};
use crate::domain::clock::{Clock, SystemClock};
use crate::domain::trust::TrustAnchor;
use crate::edges::camera::FrameSource;
use crate::edges::camera::files::ImageFiles;
use crate::edges::client::{ClientConfig, ServiceClient};

/// Everything `lanedesk lane` needs, after flags are laid over the file.
pub struct LaneOptions {
    pub service: String,
    pub lane_token: String,
    pub ca_cert: Option<PathBuf>,
    /// The service's trust anchor, pinned: every trust list must be signed by it.
    pub anchor: TrustAnchor,
    pub lane: LaneInfo,
    pub look: Appearance,
    pub source: FrameSourceChoice,
    pub script: Vec<Step>,
    pub state_dir: PathBuf,
    /// `--record FILE`, and whether to `--scrub` it.
    pub recording: Option<(PathBuf, bool)>,
    /// `--reader` and `[reader]`: 2D code readers beside the camera.
    pub readers: Readers,
    /// `[clock]`: how far the lane's clock may be from the service's.
    pub clock_policy: crate::domain::lane_time::ClockPolicy,
}

pub enum FrameSourceChoice {
    Images(PathBuf),
    Camera {
        index: u32,
        width: u32,
        height: u32,
        fps: u32,
    },
}

pub fn run(options: LaneOptions) -> Result<(), String> {
    super::runtime()?.block_on(async move {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let config = ClientConfig::new(&options.service)
            .lane_token(&options.lane_token)
            .ca_cert(options.ca_cert.as_deref());
        let client = Arc::new(ServiceClient::new(&config).map_err(|e| e.to_string())?);
        let mut desk = desk(options.lane, &options.look, options.recording, clock.now());
        desk.lane.clock.policy = options.clock_policy;
        let setup = Setup {
            desk,
            theme: options.look.theme,
            graphics: options.look.graphics,
            script: options.script,
            route: Arc::new(client),
            world: None,
            clock: clock.clone(),
            state_dir: options.state_dir,
            anchor: options.anchor,
        };
        let source = move || match options.source {
            FrameSourceChoice::Images(path) => {
                ImageFiles::open(&path, true, std::time::Duration::from_millis(200))
                    .map(|f| Box::new(f) as Box<dyn FrameSource>)
            }
            FrameSourceChoice::Camera {
                index,
                width,
                height,
                fps,
            } => open_camera(index, width, height, fps),
        };
        runtime::run_console_with(setup, source, options.readers)
            .await
            .map(|_| ())
    })
}

/// A lane's desk: its state, and a recording when `--record` asked for one.
pub fn desk(
    lane: LaneInfo,
    look: &Appearance,
    recording: Option<(PathBuf, bool)>,
    now: chrono::DateTime<chrono::Utc>,
) -> Desk {
    let recording = recording.map(|(path, scrub)| {
        let stand_ins = scrub.then(|| {
            crate::console::modes::recording::stand_ins(
                &lane,
                &super::config::default_fixtures(),
                now,
            )
        });
        Recording::new(path, now, stand_ins)
    });
    let state = State::new(
        lane,
        look.lang,
        Arc::new(look.keymap.clone()),
        super::session_id(),
        now,
    );
    let mut desk = Desk::from(state);
    desk.modes.recording = recording;
    desk
}

#[cfg(feature = "camera")]
fn open_camera(
    index: u32,
    width: u32,
    height: u32,
    fps: u32,
) -> Result<Box<dyn FrameSource>, crate::edges::camera::SourceError> {
    crate::edges::camera::webcam::Webcam::open(index, width, height, fps)
        .map(|c| Box::new(c) as Box<dyn FrameSource>)
}

#[cfg(not(feature = "camera"))]
fn open_camera(
    _: u32,
    _: u32,
    _: u32,
    _: u32,
) -> Result<Box<dyn FrameSource>, crate::edges::camera::SourceError> {
    Err(crate::edges::camera::SourceError::CameraSupportMissing)
}
