//! `lanedesk audit verify`: check that an audit log's chain is intact.
//! `lanedesk audit stress` (hidden): records a stream of decisions, for the crash test.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use clap::{Args, Subcommand};

use crate::api::DecisionRequest;
use crate::domain::checkpoint::Direction;
use crate::domain::clock::{Clock, SystemClock};
use crate::domain::decision::DecisionKind;
use crate::edges::audit::log::files_in;
use crate::edges::audit::recorder::Origin;
use crate::edges::audit::{RecordedDecision, Recorder, delivery, verify_files};
use crate::edges::client::{ClientConfig, ServiceClient};

use super::audit_witness as witness;
use super::{fail, runtime};

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check audit log files (or a folder of them): exit 0 when every record chains to the
    /// one before, 1 naming the first that does not. With --service, also prove that the log
    /// still holds every chain head the issuance service witnessed (2: could not check).
    #[command(
        after_help = "Examples:\n  lanedesk audit verify ~/.local/state/lanedesk/audit/audit-2026-11-21.jsonl\n  lanedesk audit verify ~/.local/state/lanedesk/audit\n  lanedesk audit verify ~/.local/state/lanedesk/audit --service https://issuer.example:8443 --ca-cert ca.pem\n\nExit status: 0 intact, 1 broken or not what the service witnessed, 2 could not check."
    )]
    Verify(VerifyArgs),
    #[command(hide = true)]
    Stress(StressArgs),
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Files in order (the chain runs on from one to the next), or one folder.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Base URL of the issuance service whose witnessed heads the log must hold.
    #[arg(long)]
    pub(super) service: Option<String>,
    /// This lane's bearer token (needed with --service).
    #[arg(long, env = "LANEDESK_LANE_TOKEN", hide_env_values = true)]
    pub(super) lane_token: Option<String>,
    /// The CA certificate (PEM) the service's certificate must chain to.
    #[arg(long, requires = "service")]
    pub(super) ca_cert: Option<PathBuf>,
}

/// Records decisions one after another and prints `confirmed ID` once each is on disk,
/// while the outbox delivers them: the crash test kills it at random and checks nothing
/// confirmed was lost or delivered twice.
#[derive(Debug, Args)]
pub struct StressArgs {
    #[arg(long)]
    state: PathBuf,
    #[arg(long)]
    service: String,
    #[arg(long)]
    lane_token: String,
    /// Decisions to record in this run.
    #[arg(long, default_value_t = 1000)]
    count: usize,
    /// Prefix of the decision ids (one per run, so runs do not collide).
    #[arg(long)]
    run: String,
    /// After recording, wait until the outbox is empty, then exit.
    #[arg(long)]
    drain: bool,
}

pub fn run(command: AuditCommand) -> ExitCode {
    match command {
        AuditCommand::Verify(args) => verify(args),
        AuditCommand::Stress(args) => match runtime().and_then(|rt| rt.block_on(stress(args))) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(e),
        },
    }
}

fn verify(args: VerifyArgs) -> ExitCode {
    let mut files = args.files.clone();
    if files.len() == 1 && files[0].is_dir() {
        match files_in(&files[0]) {
            Ok(found) if !found.is_empty() => files = found,
            Ok(_) => return fail(format!("no audit-*.jsonl files in {}", files[0].display())),
            Err(e) => return fail(format!("cannot read {}: {e}", files[0].display())),
        }
    }
    match &args.service {
        Some(service) => witness::verify(&files, service, &args),
        None => verify_chain(&files),
    }
}

pub(super) fn files_label(files: &[PathBuf]) -> String {
    format!(
        "{} file{}",
        files.len(),
        if files.len() == 1 { "" } else { "s" }
    )
}

/// The chain alone: 0 intact, 1 broken.
fn verify_chain(files: &[PathBuf]) -> ExitCode {
    match verify_files(files) {
        Ok(n) => {
            println!("ok: {n} records, chain intact ({})", files_label(files));
            ExitCode::SUCCESS
        }
        Err(broken) => {
            eprintln!("lanedesk: audit chain broken at {broken}");
            ExitCode::FAILURE
        }
    }
}

async fn stress(args: StressArgs) -> Result<(), String> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let client = Arc::new(
        ServiceClient::new(&ClientConfig::new(&args.service).lane_token(&args.lane_token))
            .map_err(|e| e.to_string())?,
    );
    let cards = client.cards().await.map_err(|e| e.to_string())?;
    let recorder = Arc::new(Mutex::new(
        Recorder::open(
            &args.state,
            clock.now(),
            &Origin {
                checkpoint: "lo-wu".into(),
                lane: "crash".into(),
            },
        )
        .map_err(|e| e.to_string())?,
    ));
    let wake = Arc::new(tokio::sync::Notify::new());
    let waiting = Arc::new(std::sync::atomic::AtomicUsize::new(usize::MAX));
    let seen = waiting.clone();
    let route = client.clone();
    tokio::spawn(delivery::run(
        recorder.clone(),
        move || route.clone(),
        clock.clone(),
        wake.clone(),
        Arc::new(tokio::sync::Notify::new()),
        move |e| {
            if let delivery::DeliveryEvent::Waiting(n) = e {
                seen.store(n, std::sync::atomic::Ordering::SeqCst);
            }
        },
    ));
    let kinds = [
        DecisionKind::Approve,
        DecisionKind::Flag,
        DecisionKind::Escalate,
    ];
    for i in 0..args.count {
        let decision = RecordedDecision {
            request: DecisionRequest {
                decision_id: format!("{}-{i:05}", args.run),
                verification_id: None,
                card: cards[i % cards.len()].card,
                checkpoint: "lo-wu".into(),
                lane: "crash".into(),
                direction: Direction::Exit,
                officer: "stress".into(),
                decision: kinds[i % 3],
                reasons: vec![],
                note: format!("note {i}"),
                override_reason: None,
                decided_at: clock.now(),
                kid: None,
                nonce: None,
                audit_head: None,
            },
            deliver: true,
            not_passed: vec![],
            suggested: Some("approve".into()),
            verdict: Some("clear".into()),
            clock_offset: None,
        };
        let (r, c) = (recorder.clone(), clock.clone());
        let d = decision.clone();
        tokio::task::spawn_blocking(move || {
            r.lock()
                .unwrap_or_else(|p| p.into_inner())
                .record(&d, c.now())
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
        wake.notify_one();
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "confirmed {}", decision.request.decision_id);
        let _ = out.flush();
    }
    if args.drain {
        wake.notify_one();
        while waiting.load(std::sync::atomic::Ordering::SeqCst) != 0 {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            wake.notify_one();
        }
        println!("drained");
    }
    Ok(())
}
