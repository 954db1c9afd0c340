//! `lanedesk issuer serve`: flags over the config file over the defaults, logs, and a
//! graceful stop on SIGTERM or Ctrl-C.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;

use crate::app::issuer_places::{self, Surroundings};
use crate::domain::clock::SystemClock;
use crate::issuer::config::{LogFormat, ServeConfig};
use crate::issuer::lifecycle::DEFAULT_RETAIN_DAYS;
use crate::issuer::{self, Issuer, IssuerOptions, SHUTDOWN_GRACE, TlsFiles};

use super::fail;

const DEFAULT_LISTEN: &str = "127.0.0.1:8443";

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// A TOML file with the same keys as these flags; flags win over it.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8443].
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// SQLite file (created and seeded on first start) or postgres://USER@HOST/DB
    /// [default: issuer.sqlite in $LANEDESK_STATE_DIR, systemd's StateDirectory, or
    /// ~/.local/state/lanedesk-issuer].
    #[arg(long)]
    db: Option<String>,
    /// Folder holding travellers.toml and the portraits [default: the installed data's
    /// fixtures/: $LANEDESK_DATA_DIR, /usr/share/lanedesk, or the repository].
    #[arg(long)]
    fixtures: Option<PathBuf>,
    /// Demo mode: the card list and minting open to anyone, and one shared --lane-token for
    /// every lane. For the demo, training and load tests; never at a checkpoint.
    #[arg(long)]
    demo: bool,
    /// Demo mode only: one secret every lane may present as 'Authorization: Bearer TOKEN'
    /// (real lanes have their own: `lanedesk issuer lanes add`).
    #[arg(long, env = "LANEDESK_LANE_TOKEN", hide_env_values = true)]
    lane_token: Option<String>,
    /// The admin API's own secret (card lifecycle); without it the admin API is off.
    #[arg(long, env = "LANEDESK_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    /// TLS certificate (PEM); serve HTTPS. Needs --tls-key.
    #[arg(long)]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM). Needs --tls-cert.
    #[arg(long)]
    tls_key: Option<PathBuf>,
    /// Days verification records are kept before they are pruned [default: 90].
    #[arg(long)]
    retain_days: Option<u32>,
    /// PostgreSQL connections this instance may open [default: 16].
    #[arg(long)]
    pool_size: Option<usize>,
    /// Log lines as text or as JSON objects [default: text].
    #[arg(long, value_enum)]
    log_format: Option<LogFormat>,
}

/// The flags over the config file over the defaults.
struct Settings {
    listen: SocketAddr,
    options: IssuerOptions,
    tls: Option<TlsFiles>,
    log_format: LogFormat,
    /// Where the database and the fixtures are, and why there.
    places: Vec<String>,
}

fn settings(args: ServeArgs) -> Result<Settings, String> {
    let file = match &args.config {
        Some(path) => ServeConfig::load(path)?,
        None => ServeConfig::default(),
    };
    let listen = match (args.listen, file.listen) {
        (Some(listen), _) => listen,
        (None, Some(text)) => text.parse().map_err(|e| {
            format!("listen = {text:?} in the --config file is not an address such as 127.0.0.1:8443 ({e})")
        })?,
        (None, None) => DEFAULT_LISTEN.parse().map_err(|e| format!("{e}"))?,
    };
    let demo = args.demo || file.demo.unwrap_or(false);
    let lane_token = args.lane_token.or(file.lane_token);
    let around = Surroundings::of_this_process();
    let places = issuer_places::choose(
        args.db.or(file.db),
        args.fixtures.or(file.fixtures),
        &around,
    )?;
    places.prepare()?;
    let mut options = IssuerOptions::new(places.db.clone(), places.fixtures.clone(), "");
    options.lane_token = lane_token;
    options.demo = demo;
    options.admin_token = args.admin_token.or(file.admin_token);
    options.retain_days = args
        .retain_days
        .or(file.retain_days)
        .unwrap_or(DEFAULT_RETAIN_DAYS);
    if let Some(size) = args.pool_size.or(file.pool_size) {
        if size == 0 {
            return Err("--pool-size must be at least 1".into());
        }
        options.pool_size = size;
    }
    let tls = match (args.tls_cert.or(file.tls_cert), args.tls_key.or(file.tls_key)) {
        (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
        (None, None) => None,
        _ => return Err("TLS needs both --tls-cert and --tls-key (or tls-cert and tls-key in the --config file)".into()),
    };
    Ok(Settings {
        listen,
        options,
        tls,
        log_format: args.log_format.or(file.log_format).unwrap_or_default(),
        places: places.said,
    })
}

fn init_logs(format: LogFormat) {
    match format {
        LogFormat::Text => super::log_to_stderr(),
        LogFormat::Json => {
            let filter = tracing_subscriber::EnvFilter::try_from_env("LANEDESK_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_writer(std::io::stderr)
                .json()
                .flatten_event(true)
                .try_init();
        }
    }
}

/// Resolves when the process is asked to stop: Ctrl-C, or SIGTERM as systemd and
/// container runtimes send it.
async fn stop_requested() -> &'static str {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(term) => term,
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
            return "Ctrl-C";
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "Ctrl-C",
        _ = term.recv() => "SIGTERM",
    }
}

pub(super) async fn serve(args: ServeArgs) -> ExitCode {
    let settings = match settings(args) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    init_logs(settings.log_format);
    for line in &settings.places {
        tracing::info!("{line}");
    }
    let db = settings.options.db.clone();
    let issuer = match Issuer::open(&settings.options, Arc::new(SystemClock)).await {
        Ok(issuer) => Arc::new(issuer),
        Err(e) => return fail(e),
    };
    let mut running =
        match issuer::spawn(issuer.clone(), settings.listen, settings.tls.as_ref()).await {
            Ok(running) => running,
            Err(e) => {
                issuer.close().await;
                return fail(e);
            }
        };
    eprintln!(
        "lanedesk issuer: serving API v1 at {} ({} cards, database {db}). Ctrl-C stops it.\n\
         lanedesk issuer: trust anchor {} (each lane pins it as trust-anchor)",
        running.url,
        issuer.cards().len(),
        issuer.anchor(),
    );
    if settings.options.demo {
        eprintln!(
            "lanedesk issuer: DEMO MODE: anyone who can reach this service can list its cards and get codes for them; never run it so at a checkpoint"
        );
    }
    tracing::info!(
        url = %running.url,
        database = %db,
        admin_api = settings.options.admin_token.is_some(),
        demo = settings.options.demo,
        anchor = %issuer.anchor(),
        retain_days = settings.options.retain_days,
        "serving"
    );
    tokio::select! {
        why = stop_requested() => {
            eprintln!("lanedesk issuer: {why}: stopping after the requests in flight (at most {} s)", SHUTDOWN_GRACE.as_secs());
            running.shutdown_within(SHUTDOWN_GRACE).await;
            eprintln!("lanedesk issuer: stopped");
            ExitCode::SUCCESS
        }
        result = running.wait() => match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(format!("the service stopped: {e}")),
        },
    }
}
