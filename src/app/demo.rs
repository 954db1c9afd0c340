//! `lanedesk demo`: the console against the reference issuance service, started in-process
//! on 127.0.0.1 with a temporary database and the fixtures, and a simulated camera filming a
//! simulated phone. A demo key asks the service for a fresh code as the phone app would,
//! shows it on the phone, and the frame goes through the real scanner, verifier and client.

use std::path::PathBuf;
use std::sync::Arc;

use crate::console::modes::demo::Demo;
use crate::console::modes::script::Step;
use crate::console::modes::world::World;
use crate::console::runtime::{self, Appearance, Readers, Setup};
use crate::console::state::LaneInfo;
use crate::domain::clock::{Clock, SystemClock};
use crate::edges::camera::FrameSource;
use crate::edges::camera::synthetic::{Scene, SyntheticCamera};
use crate::edges::reader::SerialSpec;
use crate::edges::reader::serial::PseudoReader;

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
    let mut world = World::new(client.clone(), service.forgery()?, options.fixtures.clone())
        .with_phone(camera.phone())
        .with_holders(service.holders.clone());
    let (world, readers) = match simulated_reader() {
        Ok((reader, spec)) => {
            world = world.with_reader(reader);
            (
                world,
                Readers {
                    serial: Some(spec),
                    ..Readers::default()
                },
            )
        }
        Err(e) => {
            // The demo goes on with the camera alone; B then says there is no reader.
            tracing::warn!(error = %e, "no simulated reader for the demo");
            (world, Readers::default())
        }
    };
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
    let result = runtime::run_console_with(setup, source, readers).await;
    service.stop().await;
    result.map(|_| ())
}

/// The demo's 2D code reader: a pseudo-terminal the real serial reader reads, which B
/// writes the phone's code into as an imager would.
pub fn simulated_reader() -> Result<(PseudoReader, SerialSpec), String> {
    let reader = PseudoReader::new()
        .map_err(|e| format!("cannot open a pseudo-terminal for the demo's reader: {e}"))?;
    let mut spec = SerialSpec::parse(&format!("serial:{}", reader.path().display()))?;
    spec.label = "demo".into();
    Ok((reader, spec))
}
