//! The console commands: `demo`, `lane`, `themes`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::app::config::{self as lane, LaneConfig};
use crate::app::demo::{self, DemoOptions};
use crate::app::lane::{FrameSourceChoice, LaneOptions};
use crate::console::graphics::GraphicsChoice;
use crate::console::modes::script;
use crate::console::runtime::{log_to_file, require_terminal};
use crate::console::state::LaneInfo;
use crate::console::theme;
use crate::domain::checkpoint::{Checkpoint, Direction};
use crate::domain::lang::Lang;
use crate::domain::trust::TrustAnchor;

use super::fail;

/// How the console looks, shared by `demo` and `lane`.
#[derive(Debug, Args)]
pub struct LookArgs {
    /// Theme: dark, light, high-contrast, colour-blind-safe, a name in ~/.config/lanedesk/themes, or a .toml file.
    #[arg(long)]
    theme: Option<String>,
    /// Language: en, zh-Hans (简体中文) or zh-Hant (繁體中文). L switches while running.
    #[arg(long)]
    lang: Option<Lang>,
    /// Key bindings file (TOML, `action = "key"`); the defaults apply to actions it leaves out.
    #[arg(long)]
    keymap: Option<PathBuf>,
    /// How the portrait is drawn: auto (ask the terminal), kitty, sixel, iterm2 or halfblocks.
    #[arg(long, value_name = "MODE")]
    graphics: Option<GraphicsChoice>,
    /// Log file (the console never logs to the terminal it draws on).
    #[arg(long)]
    log: Option<PathBuf>,
    /// Keys to play with delays, for unattended demos (`wait 2`, `press 1`, `type note`).
    #[arg(long)]
    script: Option<PathBuf>,
    /// Save what happens (codes read, checks, decisions, timings) as a training session.
    #[arg(long)]
    record: Option<PathBuf>,
    /// With --record: replace each traveller with the fixture traveller whose checks match.
    #[arg(long, requires = "record")]
    scrub: bool,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Keys: 1-9 present a scenario traveller, N the next one, X a forged code, R the last code again, B the phone's code through the reader;\nA approve, F flag, E escalate, C next traveller, V reveal a number, H history, L language, ? help, Q quit.\n\nExamples:\n  lanedesk demo\n  lanedesk demo --lang zh-Hant --theme high-contrast\n  lanedesk demo --script fixtures/demo-script.txt"
)]
pub struct DemoArgs {
    #[command(flatten)]
    look: LookArgs,
    /// Control point the demo lane is at.
    #[arg(long, default_value = "lo-wu")]
    checkpoint: String,
    /// entry (into the mainland) or exit (out of it).
    #[arg(long, default_value = "exit")]
    direction: Direction,
    /// Lane label the demo lane records its decisions under.
    #[arg(long, default_value = "D01")]
    lane: String,
    /// Officer id the demo's decisions are recorded under.
    #[arg(long, default_value = "demo")]
    officer: String,
    /// Folder with travellers.toml and the portraits.
    #[arg(long)]
    fixtures: Option<PathBuf>,
    /// Keep the demo's audit log, outbox and hand-offs in this folder (default: a temporary one).
    #[arg(long)]
    state: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Flags override the configuration file.\n\nExamples:\n  lanedesk lane --config /etc/lanedesk/lane.toml\n  lanedesk lane --service https://issuer.example:8443 --checkpoint futian --lane 12 --direction entry \\\n      --officer O1234 --images ./frames\n  lanedesk lane --config /etc/lanedesk/lane.toml --reader serial:/dev/ttyACM0,115200"
)]
pub struct LaneArgs {
    #[command(flatten)]
    look: LookArgs,
    /// Lane configuration file (default: ~/.config/lanedesk/lane.toml when it exists).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Base URL of the issuance service, like https://issuer.example:8443 (`service` in
    /// the configuration).
    #[arg(long, value_name = "URL")]
    service: Option<String>,
    /// The secret this lane presents to the service, as the service's --lane-token
    /// (`lane-token` in the configuration).
    #[arg(long, env = "LANEDESK_LANE_TOKEN", hide_env_values = true)]
    lane_token: Option<String>,
    /// The CA certificate (PEM) that signed the service's certificate, as `issuer tls-init`
    /// writes it (ca.pem). Only this CA is trusted, not the system's (`ca-cert`).
    #[arg(long, value_name = "FILE")]
    ca_cert: Option<PathBuf>,
    /// The service's trust anchor, ed25519:… as `lanedesk issuer anchor` prints it. Every
    /// trust list must be signed by it (`trust-anchor`).
    #[arg(long, env = "LANEDESK_TRUST_ANCHOR", value_name = "ANCHOR")]
    trust_anchor: Option<TrustAnchor>,
    /// Control point, by slug or name: lo-wu, futian, gongbei, ... (`checkpoint`).
    #[arg(long)]
    checkpoint: Option<String>,
    /// This lane's label, recorded with every verification and decision (`lane`).
    #[arg(long)]
    lane: Option<String>,
    /// entry (into the mainland) or exit (out of it) (`direction`).
    #[arg(long)]
    direction: Option<Direction>,
    /// Id of the officer at the lane, recorded with every decision (`officer`).
    #[arg(long)]
    officer: Option<String>,
    /// Webcam index (needs a build with `--features camera`).
    #[arg(long)]
    camera: Option<u32>,
    /// Camera resolution, WIDTHxHEIGHT.
    #[arg(long)]
    resolution: Option<String>,
    /// Read frames from an image file or a folder of images instead of a camera.
    #[arg(long)]
    images: Option<PathBuf>,
    /// A 2D code reader on a serial port beside the camera: serial:/dev/ttyACM0[,BAUD].
    /// Keyboard readers need no flag (see [reader] in the configuration).
    #[arg(long, value_name = "serial:PORT[,BAUD]")]
    reader: Option<String>,
    /// Folder for the audit log, outbox, hand-offs and cached trust list
    /// (default: ~/.local/state/lanedesk).
    #[arg(long)]
    state: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ThemesCommand {
    /// Check a theme file (or every built-in theme) and report problems with line numbers.
    #[command(
        after_help = "Examples:\n  lanedesk themes check\n  lanedesk themes check ~/.config/lanedesk/themes/night.toml"
    )]
    Check {
        /// The theme file to check [default: every built-in theme].
        file: Option<PathBuf>,
    },
    /// List the built-in themes.
    List,
}

fn lane_info(
    checkpoint: &str,
    lane: &str,
    direction: Direction,
    officer: &str,
) -> Result<LaneInfo, String> {
    use crate::domain::checkpoint::{LANE_MAX, OFFICER_MAX, check_label};
    check_label(lane, "lane label", LANE_MAX)?;
    check_label(officer, "officer id", OFFICER_MAX)?;
    Ok(LaneInfo {
        checkpoint: Checkpoint::find(checkpoint)?,
        lane: lane.to_owned(),
        direction,
        officer: officer.to_owned(),
    })
}

fn load_script(path: Option<&Path>) -> Result<Vec<script::Step>, String> {
    path.map(|p| script::load(p).map_err(|e| e.to_string()))
        .transpose()
        .map(Option::unwrap_or_default)
}

pub fn demo(args: DemoArgs) -> ExitCode {
    let prepared = (|| {
        let info = lane_info(&args.checkpoint, &args.lane, args.direction, &args.officer)?;
        let look = lane::appearance(
            args.look.theme.as_deref(),
            args.look.keymap.as_deref(),
            args.look.lang.unwrap_or_default(),
            args.look.graphics.unwrap_or_default(),
        )?;
        let script = load_script(args.look.script.as_deref())?;
        let fixtures = args.fixtures.clone().unwrap_or_else(lane::default_fixtures);
        require_terminal("demo")?;
        log_to_file(&args.look.log.clone().unwrap_or_else(lane::default_log))?;
        Ok::<_, String>(DemoOptions {
            lane: info,
            look,
            fixtures,
            script,
            state_dir: args.state.clone(),
            recording: args.look.record.clone().map(|p| (p, args.look.scrub)),
        })
    })();
    match prepared.and_then(demo::run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

pub fn lane(args: LaneArgs) -> ExitCode {
    match prepare_lane(args).and_then(crate::app::lane::run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

fn prepare_lane(args: LaneArgs) -> Result<LaneOptions, String> {
    let config_path = args
        .config
        .clone()
        .or_else(|| lane::default_config().filter(|p| p.is_file()));
    let file = match &config_path {
        Some(p) => LaneConfig::load(p).map_err(|e| e.to_string())?,
        None => LaneConfig::default(),
    };
    let missing = |what: &str, flag: &str| {
        format!("no {what}: pass {flag}, or set it in the lane configuration file (--config)")
    };
    let service = args
        .service
        .or(file.service)
        .ok_or_else(|| missing("service URL", "--service"))?;
    let lane_token = args
        .lane_token
        .or(file.lane_token)
        .ok_or_else(|| missing("lane token", "--lane-token (or LANEDESK_LANE_TOKEN)"))?;
    let anchor = match (args.trust_anchor, &file.trust_anchor) {
        (Some(a), _) => a,
        (None, Some(a)) => a.parse()?,
        (None, None) => {
            return Err(missing(
                "trust anchor (the key the service signs its trust list with; `lanedesk issuer anchor --db FILE` prints it on the service)",
                "--trust-anchor (or LANEDESK_TRUST_ANCHOR)",
            ));
        }
    };
    let checkpoint = args
        .checkpoint
        .or(file.checkpoint)
        .ok_or_else(|| missing("checkpoint", "--checkpoint"))?;
    let direction = match args.direction {
        Some(d) => d,
        None => file
            .direction
            .as_deref()
            .ok_or_else(|| missing("direction", "--direction"))?
            .parse()?,
    };
    let lane_name = args
        .lane
        .or(file.lane)
        .ok_or_else(|| missing("lane name", "--lane"))?;
    let officer = args
        .officer
        .or(file.officer)
        .ok_or_else(|| missing("officer id", "--officer"))?;
    let info = lane_info(&checkpoint, &lane_name, direction, &officer)?;
    let lang = match (args.look.lang, &file.language) {
        (Some(l), _) => l,
        (None, Some(l)) => l.parse()?,
        (None, None) => Lang::En,
    };
    let theme_name = args.look.theme.or(file.theme);
    let keymap = args.look.keymap.or(file.keymap);
    let graphics = match (args.look.graphics, &file.graphics) {
        (Some(g), _) => g,
        (None, Some(g)) => g.parse()?,
        (None, None) => GraphicsChoice::Auto,
    };
    let look = lane::appearance(theme_name.as_deref(), keymap.as_deref(), lang, graphics)?;
    let source = match (
        args.images.or(file.camera.images),
        args.camera.or(file.camera.index),
    ) {
        (Some(dir), _) => FrameSourceChoice::Images(dir),
        (None, index) => {
            let (width, height) = match &args.resolution {
                Some(r) => parse_resolution(r)?,
                None => (
                    file.camera.width.unwrap_or(1280),
                    file.camera.height.unwrap_or(720),
                ),
            };
            FrameSourceChoice::Camera {
                index: index.unwrap_or(0),
                width,
                height,
                fps: file.camera.fps.unwrap_or(15),
            }
        }
    };
    let script = load_script(args.look.script.as_deref())?;
    let readers = file
        .reader
        .readers(args.reader.as_deref())
        .map_err(|(_, m)| m)?;
    let clock_policy = file.clock.policy().map_err(|(_, m)| m)?;
    require_terminal("lane")?;
    log_to_file(&args.look.log.or(file.log).unwrap_or_else(lane::default_log))?;
    Ok(LaneOptions {
        service,
        lane_token,
        ca_cert: args.ca_cert.or(file.ca_cert),
        anchor,
        lane: info,
        look,
        source,
        script,
        state_dir: args
            .state
            .or(file.state_dir)
            .unwrap_or_else(lane::default_state_dir),
        recording: args.look.record.clone().map(|p| (p, args.look.scrub)),
        readers,
        clock_policy,
    })
}

pub fn parse_resolution(text: &str) -> Result<(u32, u32), String> {
    text.split_once(['x', 'X'])
        .and_then(|(w, h)| Some((w.trim().parse().ok()?, h.trim().parse().ok()?)))
        .filter(|(w, h)| *w >= 160 && *h >= 120 && *w <= 7680 && *h <= 4320)
        .ok_or_else(|| format!("resolution {text:?} is not WIDTHxHEIGHT between 160x120 and 7680x4320, like 1280x720"))
}

pub fn themes(command: ThemesCommand) -> ExitCode {
    match command {
        ThemesCommand::List => {
            for (name, _) in theme::BUILT_IN {
                println!("{name}");
            }
            ExitCode::SUCCESS
        }
        ThemesCommand::Check { file } => {
            let mut failed = false;
            for result in theme::check(file.as_deref()) {
                match result {
                    Ok(name) => println!("ok: {name}"),
                    Err(e) => {
                        failed = true;
                        eprintln!("lanedesk: {e}");
                    }
                }
            }
            if failed {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
    }
}
