//! `lanedesk completions SHELL` and `lanedesk man --dir DIR`: shell completions and manual
//! pages written from the clap definitions themselves, so they say what `--help` says. The
//! package build runs both on the binary it ships.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::{Cli, fail};

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  lanedesk completions bash > ~/.local/share/bash-completion/completions/lanedesk\n  lanedesk completions zsh > ~/.zfunc/_lanedesk\n  lanedesk completions fish > ~/.config/fish/completions/lanedesk.fish\n\nThe Debian package installs all three."
)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    shell: Shell,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Writes lanedesk.1 and one page per command (lanedesk-issuer-serve.1, ...).\n\nExamples:\n  lanedesk man --dir ~/.local/share/man/man1\n  man lanedesk-demo"
)]
pub struct ManArgs {
    /// Folder to write the pages into (created if missing).
    #[arg(long, value_name = "DIR")]
    dir: PathBuf,
}

pub fn completions(args: CompletionsArgs) -> ExitCode {
    let mut command = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut command, "lanedesk", &mut out);
    match std::io::stdout().lock().write_all(&out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(format!("cannot write the completions: {e}")),
    }
}

pub fn man(args: ManArgs) -> ExitCode {
    match write_man_pages(&args.dir) {
        Ok(pages) => {
            for page in pages {
                println!("{}", page.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

/// Writes `lanedesk.1` and a page for every command below it that is not hidden; returns
/// the files written, sorted.
pub fn write_man_pages(dir: &Path) -> Result<Vec<PathBuf>, String> {
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("cannot create the folder {} ({e})", dir.display()))?;
    // As clap_mangen::generate_to, with every page's footer naming lanedesk and its version
    // (not the bare command name).
    fn generate(command: clap::Command, dir: &Path) -> std::io::Result<()> {
        for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
            generate(sub.clone(), dir)?;
        }
        clap_mangen::Man::new(command)
            .source(concat!("lanedesk ", env!("CARGO_PKG_VERSION")))
            .manual("lanedesk manual")
            .generate_to(dir)
            .map(drop)
    }
    let mut command = Cli::command().disable_help_subcommand(true);
    command.build();
    generate(command, dir)
        .map_err(|e| format!("cannot write the manual pages into {} ({e})", dir.display()))?;
    let mut pages = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot list {} ({e})", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|e| e == "1")
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("lanedesk"))
        })
        .collect::<Vec<_>>();
    pages.sort();
    Ok(pages)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every command a user can type, as page names: `lanedesk-issuer-serve` for
    /// `lanedesk issuer serve`.
    fn command_pages(command: &clap::Command, prefix: &str, out: &mut Vec<String>) {
        let name = format!("{prefix}{}", command.get_name());
        out.push(format!("{name}.1"));
        for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
            command_pages(sub, &format!("{name}-"), out);
        }
    }

    #[test]
    fn there_is_a_page_for_every_command_and_nested_command() {
        let dir = tempfile::tempdir().unwrap();
        let written = write_man_pages(dir.path()).unwrap();
        let mut names: Vec<String> = written
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        names.sort();
        let mut expected = Vec::new();
        command_pages(&Cli::command(), "", &mut expected);
        expected.sort();
        assert_eq!(names, expected);
        for page in ["lanedesk.1", "lanedesk-demo.1", "lanedesk-issuer-serve.1"] {
            assert!(names.iter().any(|n| n == page), "no {page} in {names:?}");
        }
    }

    #[test]
    fn a_page_carries_the_commands_help() {
        let dir = tempfile::tempdir().unwrap();
        write_man_pages(dir.path()).unwrap();
        let serve = std::fs::read_to_string(dir.path().join("lanedesk-issuer-serve.1")).unwrap();
        let mut command = Cli::command();
        let help = command
            .find_subcommand_mut("issuer")
            .and_then(|c| c.find_subcommand_mut("serve"))
            .unwrap()
            .render_long_help()
            .to_string();
        let title = concat!(
            ".TH lanedesk-issuer-serve 1  \"lanedesk ",
            env!("CARGO_PKG_VERSION"),
            "\" \"lanedesk manual\""
        );
        assert!(serve.contains(title), "{title} in:\n{serve}");
        // Every flag `--help` lists is in the page.
        for flag in help
            .split_whitespace()
            .filter(|w| w.starts_with("--") && w.len() > 2)
            .map(|w| {
                w.trim_end_matches([',', '.', '='])
                    .split('=')
                    .next()
                    .unwrap()
            })
            .filter(|w| w.len() > 2)
        {
            let in_roff = flag.replace('-', "\\-");
            assert!(
                serve.contains(&in_roff),
                "{flag} is in --help but not in the page:\n{serve}"
            );
        }
    }

    /// Every argument of `command` and the commands below it that a user sees without help
    /// text, as `lanedesk lane ca_cert`.
    fn undocumented(command: &clap::Command, prefix: &str, out: &mut Vec<String>) {
        let name = format!("{prefix}{}", command.get_name());
        for arg in command.get_arguments() {
            let builtin = matches!(arg.get_id().as_str(), "help" | "version");
            if arg.get_help().is_none() && arg.get_long_help().is_none() && !builtin {
                out.push(format!("{name} {}", arg.get_id()));
            }
        }
        for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
            undocumented(sub, &format!("{name} "), out);
        }
    }

    #[test]
    fn every_flag_of_every_command_says_what_it_is() {
        let mut command = Cli::command();
        command.build();
        let mut missing = Vec::new();
        undocumented(&command, "", &mut missing);
        assert!(missing.is_empty(), "without help text: {missing:#?}");
    }

    #[test]
    fn completions_name_the_commands() {
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "lanedesk", &mut out);
            let text = String::from_utf8(out).unwrap();
            for word in ["demo", "issuer", "serve", "lane-token", "completions"] {
                assert!(text.contains(word), "{shell:?} completions lack {word}");
            }
        }
    }
}
