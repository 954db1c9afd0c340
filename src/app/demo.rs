//! `lanedesk demo`: the console against the reference issuance service, started in-process
//! on 127.0.0.1 with a temporary database and the fixtures, and a simulated camera filming a
//! simulated phone. A demo key asks the service for a fresh code as the phone app would,
//! shows it on the phone, and the frame goes through the real scanner, verifier and client.

use std::path::PathBuf;
use std::sync::Arc;

use crate::console::modes::demo::Demo;
use crate::console::modes::script::Step;
use crate::console::modes::world::World;
use crate::console::runtime::{self, Appearance, Setup};
use crate::console::state::LaneInfo;
use crate::domain::clock::{Clock, SystemClock};
use crate::edges::camera::FrameSource;
use crate::edges::camera::synthetic::{Scene, SyntheticCamera};

use super::service::{InProcessService, ServiceSetup};

/// Frames per second of the simulated camera.
pub const DEMO_FPS: u32 = 10;
const DEMO_TOKEN: &str = "demo-lane-token";

pub struct DemoOptions {
    pub lane: LaneInfo,
    pub look: Appearance,
    pub fixtures: PathBuf,
    pub script: Vec<Step>,
    /// Keep the audit log and outbox here instead of in a temporary folder.
    pub state_dir: Option<PathBuf>,
    /// `--record FILE`, and whether to `--scrub` it.
    pub recording: Option<(PathBuf, bool)>,
}

pub fn run(options: DemoOptions) -> Result<(), String> {
    super::runtime()?.block_on(run_async(options))
}

async fn run_async(options: DemoOptions) -> Result<(), String> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let service = InProcessService::start(ServiceSetup::new(
        &options.fixtures,
        clock.clone(),
        DEMO_TOKEN,
    ))
    .await?;
    tracing::info!(url = %service.url, "demo issuance service started");
    let client = Arc::new(service.client()?);
    let camera = SyntheticCamera::new(Scene::default(), DEMO_FPS);
    let world = World::new(client.clone(), service.forgery()?, options.fixtures.clone())
        .with_phone(camera.phone())
        .with_holders(service.holders.clone());
    let mut desk = super::lane::desk(options.lane, &options.look, options.recording, clock.now());
    desk.modes.demo = Some(Demo::default());
    let setup = Setup {
        desk,
        theme: options.look.theme,
        graphics: options.look.graphics,
        script: options.script,
        route: Arc::new(client),
        world: Some(Arc::new(world)),
        clock,
        anchor: service.issuer.anchor(),
        state_dir: options
            .state_dir
            .clone()
            .unwrap_or_else(|| service.scratch().join("state")),
    };
    let source = move || Ok(Box::new(camera) as Box<dyn FrameSource>);
    let result = runtime::run_console(setup, source).await;
    service.stop().await;
    result.map(|_| ())
}
