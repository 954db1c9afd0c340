//! The `lanedesk` command line: one binary, one subcommand per use.

mod audit;
mod audit_witness;
mod config;
mod console;
mod generate;
mod issuer;
mod scan;
mod train;
mod verify;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The top-level examples, shown by `-h`; `--help` and the manual page add the environment
/// and the files.
macro_rules! examples {
    () => {
        "Examples:\n  lanedesk demo\n  lanedesk lane --config /etc/lanedesk/lane.toml\n  lanedesk issuer serve --lane-token s3cret\n  lanedesk issuer mint --service http://127.0.0.1:8443 --card T01\n  lanedesk verify --service http://127.0.0.1:8443 --lane-token s3cret --checkpoint lo-wu --direction entry 'EC1:...'"
    };
}

#[derive(Debug, Parser)]
#[command(
    name = "lanedesk",
    version,
    about = "Console for immigration officers at the manual lanes between the mainland and Hong Kong / Macau",
    long_about = "lanedesk reads the e-card QR code a traveller shows, verifies it, fetches the \
                  traveller's linked documents from the issuance service, and records the \
                  officer's decision.",
    after_help = examples!(),
    after_long_help = concat!(
        examples!(),
        "\n\nEnvironment:\n  LANEDESK_LANE_TOKEN  the lane token, instead of --lane-token\n  LANEDESK_DATA_DIR    the folder holding fixtures/ and themes/ (installed:\n                       /usr/share/lanedesk; under cargo run: the repository)\n  LANEDESK_LOG         log level or filter (info, debug, lanedesk=trace)\n  NO_COLOR             set and not empty: no colour, symbols only",
        "\n\nFiles:\n  /etc/lanedesk/lane.toml           the lane configuration (lanedesk lane --config)\n  ~/.config/lanedesk/lane.toml      the default lane configuration\n  ~/.config/lanedesk/themes/        themes found by name\n  ~/.local/state/lanedesk/          log, audit log, outbox, cached trust list\n  /usr/share/lanedesk/fixtures/     synthetic travellers, portraits, training sessions\n  /usr/share/lanedesk/themes/       the theme files"
    )
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The console with a built-in issuance service and a simulated camera: no setup needed.
    Demo(console::DemoArgs),
    /// The console at a real lane: webcam (or image files) and the issuance service.
    Lane(Box<console::LaneArgs>),
    /// Check or list colour themes.
    #[command(subcommand)]
    Themes(console::ThemesCommand),
    /// Check a lane configuration file.
    #[command(subcommand)]
    Config(config::ConfigCommand),
    /// Training sessions on a virtual clock: grade a trainee's decisions, print the expected ones.
    Train(train::TrainArgs),
    /// Check the audit log's chain.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// The reference issuance service and its tools.
    #[command(subcommand)]
    Issuer(issuer::IssuerCommand),
    /// Verify one e-card QR text against the issuance service and print the result as JSON.
    Verify(verify::VerifyArgs),
    /// Read the QR codes in image files and print them as JSON lines.
    Decode(scan::DecodeArgs),
    /// List the webcams this machine has.
    Cameras(scan::CamerasArgs),
    /// Print shell completions (bash, zsh, fish) made from these commands' definitions.
    Completions(generate::CompletionsArgs),
    /// Write the manual pages, one per command, into a folder.
    Man(generate::ManArgs),
}

/// Exit status when the command could not do its job (bad usage, service unreachable).
pub const EXIT_COULD_NOT: u8 = 2;

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Demo(args) => console::demo(args),
        Command::Lane(args) => console::lane(*args),
        Command::Themes(command) => console::themes(command),
        Command::Config(command) => config::run(command),
        Command::Audit(command) => audit::run(command),
        Command::Train(args) => train::run(args),
        Command::Issuer(command) => issuer::run(command),
        Command::Verify(args) => verify::run(args),
        Command::Decode(args) => scan::decode(args),
        Command::Cameras(args) => scan::cameras(args),
        Command::Completions(args) => generate::completions(args),
        Command::Man(args) => generate::man(args),
    }
}

use crate::app::runtime;

/// Logs to stderr for the commands that do not own the terminal.
pub(crate) fn log_to_stderr() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("LANEDESK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("lanedesk: {message}");
    ExitCode::from(EXIT_COULD_NOT)
}
