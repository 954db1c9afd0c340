//! `lanedesk demo`: the console against the reference issuance service, started in-process
//! on 127.0.0.1 with a temporary database and the fixtures, and a simulated camera filming a
//! simulated phone. A demo key asks the service for a fresh code as the phone app would,
//! shows it on the phone, and the frame goes through the real scanner, verifier and client.

use std::path::PathBuf;
use std::sync::Arc;

use crate::domain::clock::{Clock, SystemClock};
use crate::domain::trust::KeyStatus;
use crate::edges::camera::FrameSource;
use crate::edges::camera::synthetic::{Scene, SyntheticCamera};
use crate::edges::client::{ClientConfig, ServiceClient};
use crate::edges::issuer::{self, Issuer, IssuerOptions};

use super::effects::DemoWorld;
use super::lane::{Appearance, LaneSettings};
use super::runtime::{self, Setup};
use super::script::Step;

/// Frames per second of the simulated camera.
pub const DEMO_FPS: u32 = 10;
const DEMO_TOKEN: &str = "demo-lane-token";

pub struct DemoOptions {
    pub lane: LaneSettings,
    pub look: Appearance,
    pub fixtures: PathBuf,
    pub script: Vec<Step>,
    /// Keep the audit log and outbox here instead of in a temporary folder.
    pub state_dir: Option<PathBuf>,
    /// `--record FILE`, and whether to `--scrub` it.
    pub recording: Option<(PathBuf, bool)>,
}

/// The fixtures folder: `./fixtures` when run from a checkout, else the one built in.
pub fn default_fixtures() -> PathBuf {
    let here = PathBuf::from("fixtures");
    if here.join(crate::edges::fixtures::TRAVELLERS_FILE).is_file() {
        here
    } else {
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures"))
    }
}

pub fn run(options: DemoOptions) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    rt.block_on(run_async(options))
}

async fn run_async(options: DemoOptions) -> Result<(), String> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let dir = tempfile::tempdir()
        .map_err(|e| format!("cannot create a temporary folder for the demo database: {e}"))?;
    let issuer_options = IssuerOptions::new(
        dir.path().join("demo.sqlite"),
        &options.fixtures,
        DEMO_TOKEN,
    );
    let issuer = Issuer::open(&issuer_options, clock.clone()).map_err(|e| e.to_string())?;
    let (active_kid, _) = issuer
        .key_with_status(KeyStatus::Active)
        .ok_or("the demo service has no active signing key")?;
    let issuer_id = issuer_options.issuer_id.clone();
    let running = issuer::spawn(
        Arc::new(issuer),
        "127.0.0.1:0".parse().expect("a valid address"),
        None,
    )
    .await
    .map_err(|e| e.to_string())?;
    tracing::info!(url = %running.url, "demo issuance service started");
    let client = ServiceClient::new(&ClientConfig::new(&running.url).lane_token(DEMO_TOKEN))
        .map_err(|e| e.to_string())?;

    let camera = SyntheticCamera::new(Scene::default(), DEMO_FPS);
    let demo = DemoWorld {
        phone: camera.phone(),
        issuer_id,
        active_kid,
    };
    let setup = Setup {
        lane: options.lane.info,
        look: options.look,
        script: options.script,
        demo: Some(demo),
        training: None,
        recording: options.recording.clone(),
        state_dir: options
            .state_dir
            .clone()
            .unwrap_or_else(|| dir.path().join("state")),
    };
    let source = move || Ok(Box::new(camera) as Box<dyn FrameSource>);
    let result = runtime::run_console(setup, client, source, clock).await;
    running.shutdown().await;
    drop(dir);
    result.map(|_| ())
}
