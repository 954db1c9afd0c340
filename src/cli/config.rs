//! `lanedesk config check`: every problem in a lane configuration with its line, and with
//! `--connect` the configuration tried against its service, step by step.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;

use crate::app::config::{self as lane, ConfigError};
use crate::app::config_check;
use crate::app::config_connect;

use super::fail;

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Check a lane configuration file (default: ~/.config/lanedesk/lane.toml): every
    /// problem with its line; with --connect, the service too.
    #[command(
        after_help = "Exit status: 0 when all is well, 1 when there are problems (each as FILE:LINE: what. what to do.), 2 when the file cannot be read.\n\nExamples:\n  lanedesk config check /etc/lanedesk/lane.toml\n  lanedesk config check /etc/lanedesk/lane.toml --connect"
    )]
    Check {
        /// The lane configuration file [default: ~/.config/lanedesk/lane.toml].
        file: Option<PathBuf>,
        /// Then reach the service: TLS with the configured CA, the lane token, the trust
        /// list against the trust anchor, and this machine's clock against the service's.
        #[arg(long)]
        connect: bool,
    },
}

pub fn run(command: ConfigCommand) -> ExitCode {
    let ConfigCommand::Check { file, connect } = command;
    let Some(path) = file.or_else(lane::default_config) else {
        return fail(
            "no configuration file given and no home folder to look in: pass the file's path",
        );
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) => return fail(format!("cannot read {} ({e})", path.display())),
    };
    let (config, problems) = config_check::check(&text, &path.display().to_string());
    for problem in &problems {
        eprintln!("{}", sentence(problem));
    }
    if config
        .as_ref()
        .is_some_and(|c| config_connect::lane_token(c).is_none())
    {
        println!("note: no `lane-token` set: pass --lane-token or set LANEDESK_LANE_TOKEN");
    }
    let mut ok = problems.is_empty();
    if let Some(config) = &config
        && connect
    {
        ok &= connect_steps(config);
    }
    summary(&path, problems.len(), ok)
}

/// Says how it went; 1 for any problem.
fn summary(path: &Path, problems: usize, ok: bool) -> ExitCode {
    match problems {
        0 if ok => println!("ok: {}", path.display()),
        0 => {}
        1 => eprintln!("1 problem in {}", path.display()),
        n => eprintln!("{n} problems in {}", path.display()),
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// `FILE:LINE: what. what to do.`
fn sentence(problem: &ConfigError) -> String {
    let text = problem.to_string();
    if text.ends_with(['.', '?', '!']) {
        text
    } else {
        format!("{text}.")
    }
}

/// Prints each step as `name: ok (...)` or `name: what to do`; true when all are ok.
fn connect_steps(config: &lane::LaneConfig) -> bool {
    let runtime = match crate::app::runtime() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("lanedesk: {e}");
            return false;
        }
    };
    let steps = runtime.block_on(config_connect::connect(config));
    let mut ok = true;
    for step in steps {
        match step.result {
            Ok(found) => println!("{}: ok ({found})", step.name),
            Err(why) => {
                ok = false;
                let why = if why.ends_with(['.', '?', '!']) {
                    why
                } else {
                    format!("{why}.")
                };
                println!("{}: {why}", step.name);
            }
        }
    }
    ok
}
