//! `lanedesk train`: a session played on screen, or graded headless. Both start the
//! reference service in-process on the session's clock, put the trainer's fault switches
//! between the lane and it, and run the same desk and effect runner; on screen a simulated
//! camera films the phone, headless the grader reads it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::mpsc;

use crate::console::desk::Desk;
use crate::console::keymap::Keymap;
use crate::console::modes::script::Step;
use crate::console::modes::training::Training;
use crate::console::modes::training::faults::Switchboard;
use crate::console::modes::training::grade::{
    Headless, TraineeDecision, check_decisions, start_time,
};
use crate::console::modes::training::report::Report;
use crate::console::modes::training::session::Session;
use crate::console::modes::world::World;
use crate::console::runner::EffectRunner;
use crate::console::runtime::{self, Appearance, Setup};
use crate::console::state::{LaneInfo, State};
use crate::domain::clock::{Clock, VirtualClock};
use crate::domain::lang::Lang;
use crate::edges::camera::FrameSource;
use crate::edges::camera::synthetic::{Scene, SyntheticCamera};

use super::service::{InProcessService, ServiceSetup};

const TOKEN: &str = "training-lane-token";

/// Options for playing a session on screen.
pub struct PlayOptions {
    pub look: Appearance,
    pub fixtures: PathBuf,
    pub report: Option<PathBuf>,
    pub script: Vec<Step>,
}

/// The service, switches and world a session runs against.
struct Stage {
    service: InProcessService,
    switchboard: Arc<Switchboard>,
    world: World,
}

async fn stage(session: &Session, fixtures: &Path, paused: bool) -> Result<Stage, String> {
    let clock = Arc::new(VirtualClock::new(start_time(session)));
    clock.set_paused(paused);
    let service =
        InProcessService::start(ServiceSetup::new(fixtures, clock.clone(), TOKEN)).await?;
    let switchboard = Arc::new(Switchboard::start(&service.client_config(), clock).await?);
    let world = World::new(
        Arc::new(service.client()?),
        service.forgery()?,
        fixtures.to_owned(),
    )
    .with_holders(service.holders.clone())
    .with_switchboard(switchboard.clone());
    Ok(Stage {
        service,
        switchboard,
        world,
    })
}

fn lane(session: &Session) -> LaneInfo {
    LaneInfo {
        checkpoint: session.checkpoint,
        lane: session.lane.clone(),
        direction: session.direction,
        officer: "trainee".into(),
    }
}

/// A desk for a session: the lane, and training beside it.
fn desk(
    session: Session,
    switchboard: &Switchboard,
    lang: Lang,
    keymap: Keymap,
    report: Option<PathBuf>,
) -> Desk {
    let now = switchboard.lane_clock.now();
    let lane = lane(&session);
    let state = State::new(lane, lang, Arc::new(keymap), super::session_id(), now);
    let mut desk = Desk::from(state);
    desk.modes.training = Some(Training::new(Arc::new(session), now, report));
    desk
}

/// Plays `session` with a trainee's `decisions`, headless, and judges every step.
pub async fn grade(
    session: &Session,
    fixtures: &Path,
    decisions: &[TraineeDecision],
) -> Result<Report, String> {
    check_decisions(session, decisions)?;
    let stage = stage(session, fixtures, true).await?;
    let (tx, rx) = mpsc::unbounded_channel();
    let lane_clock = stage.switchboard.lane_clock.clone();
    let runner = EffectRunner::start(
        stage.switchboard.clone(),
        tx,
        Some(Arc::new(stage.world)),
        lane_clock,
        &stage.service.scratch().join("state"),
        &lane(session).origin(),
        stage.service.issuer.anchor(),
    )?;
    let desk = desk(
        session.clone(),
        &stage.switchboard,
        Lang::En,
        Keymap::default(),
        None,
    );
    let report = Headless::new(desk, runner, rx, stage.switchboard.clone())
        .grade(decisions)
        .await;
    stage.service.stop().await;
    report
}

/// `lanedesk train SESSION`: the console on the session's clock, against the reference
/// service seeded for it, with the simulated camera and phone of the demo. The trainer
/// pauses (P), skips (S) or restarts (Ctrl-R); at the end, a score card.
pub fn play(session: Session, options: PlayOptions) -> Result<(), String> {
    super::runtime()?.block_on(play_async(session, options))
}

async fn play_async(session: Session, options: PlayOptions) -> Result<(), String> {
    let stage = stage(&session, &options.fixtures, false).await?;
    let camera = SyntheticCamera::new(Scene::default(), super::demo::DEMO_FPS);
    let mut world = stage.world.with_phone(camera.phone());
    // The reader beside the camera, for the session's steps via the reader.
    let mut readers = runtime::Readers::default();
    match super::demo::simulated_reader() {
        Ok((reader, spec)) => {
            world = world.with_reader(reader);
            readers.serial = Some(spec);
        }
        Err(e) => tracing::warn!(error = %e, "no simulated reader for training"),
    }
    let look = options.look;
    let desk = desk(
        session,
        &stage.switchboard,
        look.lang,
        look.keymap,
        options.report,
    );
    let setup = Setup {
        desk,
        theme: look.theme,
        graphics: look.graphics,
        script: options.script,
        route: stage.switchboard.clone(),
        world: Some(Arc::new(world)),
        clock: stage.switchboard.lane_clock.clone(),
        state_dir: stage.service.scratch().join("state"),
        anchor: stage.service.issuer.anchor(),
    };
    let source = move || Ok(Box::new(camera) as Box<dyn FrameSource>);
    let result = runtime::run_console_with(setup, source, readers).await;
    stage.service.stop().await;
    result.map(|_| ())
}
