//! `lanedesk audit verify DIR --service URL`: the chain, and every head the service
//! witnessed still in it. Exit status: 0 intact and holding every witnessed head, 1 broken
//! or not what the service witnessed, 2 could not check.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::edges::audit::verify_files;
use crate::edges::audit::witness::{self, Report};
use crate::edges::client::{ClientConfig, ServiceClient};

use super::audit::{VerifyArgs, files_label};
use super::{fail, runtime};

pub(super) fn verify(files: &[PathBuf], service: &str, args: &VerifyArgs) -> ExitCode {
    let Some(token) = args.lane_token.as_deref().filter(|t| !t.is_empty()) else {
        return fail(
            "--service needs this lane's token: give --lane-token or set LANEDESK_LANE_TOKEN",
        );
    };
    let origin = match witness::origin_of(files) {
        Ok(origin) => origin,
        // No genesis: the chain is broken at its start, and says where.
        Err(why) => {
            return match verify_files(files) {
                Err(broken) => {
                    eprintln!("lanedesk: audit chain broken at {broken}");
                    ExitCode::FAILURE
                }
                Ok(_) => fail(format!(
                    "{why}, so the service cannot be asked which heads it witnessed"
                )),
            };
        }
    };
    let lane = witness::lane_label(&origin);
    let config = ClientConfig::new(service)
        .lane_token(token)
        .ca_cert(args.ca_cert.as_deref());
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(e) => return fail(e),
    };
    let heads = match ServiceClient::new(&config) {
        Ok(client) => rt.block_on(client.audit_heads(&origin.checkpoint, &origin.lane)),
        Err(e) => Err(e),
    };
    let heads = match heads {
        Ok(heads) => heads,
        Err(e) => {
            // A broken chain is broken whether or not the service answers.
            return match verify_files(files) {
                Err(broken) => {
                    eprintln!("lanedesk: audit chain broken at {broken}");
                    ExitCode::FAILURE
                }
                Ok(n) => fail(format!(
                    "the chain of {lane} is intact ({n} records), but it could not be held against the heads the service witnessed: {e}"
                )),
            };
        }
    };
    let report = witness::check(files, &heads);
    print_report(files, &lane, heads.len(), &report)
}

fn print_report(files: &[PathBuf], lane: &str, witnessed: usize, report: &Report) -> ExitCode {
    if let Some(broken) = &report.broken {
        eprintln!("lanedesk: audit chain broken at {broken}");
    }
    if let Some(finding) = &report.finding {
        eprintln!(
            "lanedesk: the audit log of {lane} no longer holds what the issuance service witnessed: {finding}. Keep the state folder as it is and report it: the log was cut short or rewritten after the service saw it."
        );
    }
    if !report.ok() {
        return ExitCode::FAILURE;
    }
    let chain = format!(
        "ok: {} records, chain intact ({})",
        report.records,
        files_label(files)
    );
    match &report.latest {
        None => println!(
            "{chain}; the service has witnessed no head of {lane} yet, so only the chain was checked (a lane's first delivered decision carries its first head)"
        ),
        Some(latest) => {
            let mut line = format!(
                "{chain}; {} of {witnessed} witnessed heads of {lane} matched, the latest record {} witnessed on {}",
                report.matched,
                latest.sequence,
                latest.seen_at.format("%Y-%m-%d %H:%M:%S UTC"),
            );
            if report.last == latest.sequence + 1 {
                line += &format!(
                    "; record {} is not witnessed yet (the next delivered decision carries it)",
                    report.last
                );
            } else if report.last > latest.sequence {
                line += &format!(
                    "; records {}..{} are not witnessed yet (the next delivered decision carries them)",
                    latest.sequence + 1,
                    report.last
                );
            }
            println!("{line}");
        }
    }
    ExitCode::SUCCESS
}
