//! `lanedesk train SESSION`: training sessions on a virtual clock, graded.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::app::config::default_fixtures;
use crate::app::train;
use crate::console::modes::training::grade::{
    expected_decisions, load_decisions, session_path, traveller_names,
};
use crate::console::modes::training::session as sessions;

use super::{fail, runtime};

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  lanedesk train bad-day --report report.json      # on screen: P pause, S skip, Ctrl-R restart\n  lanedesk train basics --expected > mine.toml      # start from the expected decisions\n  lanedesk train basics --decisions mine.toml --report report.json\n  lanedesk train fixtures/sessions/bad-day.toml --decisions trainee.toml\n\nShipped sessions: basics, document-problems, bad-day (fixtures/sessions/)."
)]
pub struct TrainArgs {
    /// A session name from fixtures/sessions/ (basics, document-problems, bad-day) or a .toml file.
    session: String,
    /// Play a trainee's decisions headless (no terminal) and print the report as JSON.
    #[arg(long)]
    decisions: Option<PathBuf>,
    /// Print the session's expected decisions in the --decisions format.
    #[arg(long, conflicts_with = "decisions")]
    expected: bool,
    /// Also write the report to this file.
    #[arg(long)]
    report: Option<PathBuf>,
    /// Folder with travellers.toml, the portraits and sessions/.
    #[arg(long)]
    fixtures: Option<PathBuf>,
    /// On screen: the theme (dark, light, high-contrast, colour-blind-safe, or a file).
    #[arg(long)]
    theme: Option<String>,
    /// On screen: en, zh-Hans or zh-Hant.
    #[arg(long)]
    lang: Option<crate::domain::lang::Lang>,
    /// On screen: a key bindings file.
    #[arg(long)]
    keymap: Option<PathBuf>,
    /// On screen: how the portrait is drawn (auto, kitty, sixel, iterm2, halfblocks).
    #[arg(long, value_name = "MODE")]
    graphics: Option<crate::console::graphics::GraphicsChoice>,
    /// On screen: keys to play with delays (`wait 2`, `press a`).
    #[arg(long)]
    script: Option<PathBuf>,
    /// On screen: the log file.
    #[arg(long)]
    log: Option<PathBuf>,
}

pub fn run(args: TrainArgs) -> ExitCode {
    let fixtures = args.fixtures.clone().unwrap_or_else(default_fixtures);
    let session = match traveller_names(&fixtures).and_then(|names| {
        sessions::load(&session_path(&args.session, &fixtures), &names).map_err(|e| e.to_string())
    }) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    if args.expected {
        print!("{}", expected_decisions(&session));
        return ExitCode::SUCCESS;
    }
    let Some(decisions) = &args.decisions else {
        let played = (|| {
            let look = crate::app::config::appearance(
                args.theme.as_deref(),
                args.keymap.as_deref(),
                args.lang.unwrap_or_default(),
                args.graphics.unwrap_or_default(),
            )?;
            let script = match &args.script {
                Some(p) => crate::console::modes::script::load(p).map_err(|e| e.to_string())?,
                None => vec![],
            };
            crate::console::runtime::require_terminal("train")?;
            crate::console::runtime::log_to_file(
                &args
                    .log
                    .clone()
                    .unwrap_or_else(crate::app::config::default_log),
            )?;
            train::play(
                session,
                train::PlayOptions {
                    look,
                    fixtures,
                    report: args.report.clone(),
                    script,
                },
            )
        })();
        return match played {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(e),
        };
    };
    let decisions = match load_decisions(decisions) {
        Ok(d) => d,
        Err(e) => return fail(e),
    };
    let report =
        match runtime().and_then(|rt| rt.block_on(train::grade(&session, &fixtures, &decisions))) {
            Ok(r) => r,
            Err(e) => return fail(e),
        };
    let json = serde_json::to_string_pretty(&report).expect("reports serialise");
    if let Some(path) = &args.report
        && let Err(e) = std::fs::write(path, &json)
    {
        return fail(format!(
            "cannot write the report to {}: {e}",
            path.display()
        ));
    }
    println!("{json}");
    ExitCode::SUCCESS
}
