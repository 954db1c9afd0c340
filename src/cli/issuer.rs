//! `lanedesk issuer serve`, `mint`, `cards` (a card's lifecycle), `load` and `tls-init`.

mod tls;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Subcommand};
use qrcode::{EcLevel, QrCode};

use crate::app::issuer_places::{self, Surroundings};
use crate::domain::clock::{Clock, SystemClock};
use crate::domain::credential::CardRef;
use crate::domain::text::sanitize;
use crate::edges::client::{ClientConfig, ServiceClient};
use crate::issuer::config::{LogFormat, ServeConfig};
use crate::issuer::lifecycle::{CardAction, DEFAULT_RETAIN_DAYS};
use crate::issuer::load::{LoadPlan, run as run_load};
use crate::issuer::store::{self, Access, CardChange, ChangeOutcome, DbLocation};
use crate::issuer::{self, Issuer, IssuerOptions, SHUTDOWN_GRACE, TlsFiles};

use super::{fail, runtime};

const DEFAULT_LISTEN: &str = "127.0.0.1:8443";

#[derive(Debug, Subcommand)]
pub enum IssuerCommand {
    /// Run the reference issuance service (API v1), seeded from the fixtures.
    #[command(
        after_help = "--db takes a SQLite file (one instance) or postgres://USER@HOST[:PORT]/DATABASE \
(any number of instances on one database). Flags win over the --config file, whose keys are \
the flags' names (listen, db, lane-token, admin-token, retain-days, pool-size, log-format, ...).\n\n\
Endpoints beside API v1: GET /v1/ready (database reachable), GET /metrics (Prometheus), and the \
admin API under /v1/admin/ (card lifecycle; only with --admin-token).\n\n\
Examples:\n  lanedesk issuer serve --lane-token s3cret\n  lanedesk issuer serve --listen 127.0.0.1:9443 --db /tmp/issuer.sqlite --lane-token s3cret --tls-cert cert.pem --tls-key key.pem\n  lanedesk issuer serve --db postgres://lanedesk@127.0.0.1/lanedesk --lane-token s3cret --admin-token adm1n --log-format json\n  lanedesk issuer serve --config /etc/lanedesk/issuer.toml"
    )]
    Serve(ServeArgs),
    /// Ask the service for a fresh QR code for a card, as the traveller's phone app would.
    #[command(
        after_help = "Examples:\n  lanedesk issuer mint --service http://127.0.0.1:8443 --card T01\n  lanedesk issuer mint --service http://127.0.0.1:8443 --card hk-resident --png t01.png\n  lanedesk issuer mint --service http://127.0.0.1:8443 --card 4183a684ec00a4b6014fdd33db35ec40"
    )]
    Mint(MintArgs),
    /// Revoke, suspend, report lost or reinstate a card, in the service's database. Lanes see
    /// the new status at their next verification, even while the service runs.
    #[command(subcommand)]
    Cards(CardsCommand),
    /// Play many lanes against one or more running services and print one JSON line with
    /// throughput, latency, errors and false replays.
    #[command(
        after_help = "Each lane, in a loop: gets a fresh code as a phone would (POST /v1/cards/{card}/tokens), \
verifies it, and posts an approved entry. The service must be in demo mode: today that is any \
`issuer serve` (its card list and minting are open); once holder credentials exist, start it with \
--demo. Lanes are spread over the --service URLs round robin.\n\n\
Prints: {\"lanes\":..,\"verifications\":..,\"per_second\":..,\"p50_ms\":..,\"p99_ms\":..,\"errors\":..,\"false_replays\":..}. \
Exits 1 when there were errors or false replays.\n\n\
Examples:\n  lanedesk issuer load --service http://127.0.0.1:8443 --lane-token s3cret --lanes 50 --seconds 20\n  lanedesk issuer load --service http://10.0.0.5:8443,http://10.0.0.6:8443 --lane-token s3cret --lanes 500 --seconds 60"
    )]
    Load(LoadArgs),
    /// Make a private CA and a server certificate for the service's HTTPS, and print the
    /// settings for the service and the lanes.
    TlsInit(tls::TlsInitArgs),
}

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
    /// The secret lanes present as 'Authorization: Bearer TOKEN'.
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

#[derive(Debug, Args)]
pub struct MintArgs {
    /// Base URL of the issuance service.
    #[arg(long)]
    service: String,
    /// The card: its 32-digit reference, a traveller id (T01) or a scenario name.
    #[arg(long)]
    card: String,
    /// Also write the code as a PNG image.
    #[arg(long)]
    png: Option<PathBuf>,
    /// Extra CA certificate (PEM) for a service with a private CA.
    #[arg(long)]
    ca_cert: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum CardsCommand {
    /// Revoke a card for good (stolen, fraud, holder deceased): its codes show "revoked".
    #[command(
        after_help = "Example:\n  lanedesk issuer cards revoke --db lanedesk-issuer.sqlite --card T01 --reason \"reported stolen, case 2291\""
    )]
    Revoke(CardArgs),
    /// Suspend a card until it is reinstated.
    #[command(
        after_help = "Example:\n  lanedesk issuer cards suspend --db postgres://lanedesk@127.0.0.1/lanedesk --card T01 --reason \"identity check pending\""
    )]
    Suspend(CardArgs),
    /// Record that the holder reported the card lost.
    #[command(
        after_help = "Example:\n  lanedesk issuer cards report-lost --db lanedesk-issuer.sqlite --card T01 --reason \"holder called the hotline\""
    )]
    ReportLost(CardArgs),
    /// Make a suspended or lost card active again (a revoked card cannot be).
    #[command(
        after_help = "Example:\n  lanedesk issuer cards reinstate --db lanedesk-issuer.sqlite --card T01 --reason \"card found by the holder\""
    )]
    Reinstate(CardArgs),
}

#[derive(Debug, Args)]
pub struct CardArgs {
    /// The service's database: a SQLite file or postgres://USER@HOST/DB.
    #[arg(long)]
    db: String,
    /// The card: its 32-digit reference, a traveller id (T01) or a scenario name.
    #[arg(long)]
    card: String,
    /// Why, in words; kept with the change.
    #[arg(long)]
    reason: String,
    /// Who makes the change [default: the login name].
    #[arg(long)]
    by: Option<String>,
}

#[derive(Debug, Args)]
pub struct LoadArgs {
    /// Base URL of each instance, comma-separated.
    #[arg(long, value_delimiter = ',', required = true)]
    service: Vec<String>,
    /// The lanes' token.
    #[arg(long, env = "LANEDESK_LANE_TOKEN", hide_env_values = true)]
    lane_token: String,
    /// Lanes playing at once.
    #[arg(long, default_value_t = 50)]
    lanes: usize,
    /// How long to play.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Pause between a lane's travellers, in milliseconds (0: flat out).
    #[arg(long, default_value_t = 0)]
    think_ms: u64,
    /// The checkpoint the lanes are at.
    #[arg(long, default_value = "lo-wu")]
    checkpoint: String,
    /// Extra CA certificate (PEM) for services with a private CA.
    #[arg(long)]
    ca_cert: Option<PathBuf>,
}

pub fn run(command: IssuerCommand) -> ExitCode {
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(e) => return fail(e),
    };
    match command {
        IssuerCommand::Serve(args) => rt.block_on(serve(args)),
        IssuerCommand::Mint(args) => rt.block_on(mint(args)),
        IssuerCommand::Cards(command) => rt.block_on(cards(command)),
        IssuerCommand::Load(args) => rt.block_on(load(args)),
        IssuerCommand::TlsInit(args) => tls::run(args),
    }
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
    let lane_token = args.lane_token.or(file.lane_token).ok_or(
        "no lane token: pass --lane-token (or set LANEDESK_LANE_TOKEN, or lane-token in the --config file) \
         with the secret lanes will present",
    )?;
    let around = Surroundings::of_this_process();
    let places = issuer_places::choose(
        args.db.or(file.db),
        args.fixtures.or(file.fixtures),
        &around,
    )?;
    places.prepare()?;
    let mut options = IssuerOptions::new(places.db.clone(), places.fixtures.clone(), &lane_token);
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

async fn serve(args: ServeArgs) -> ExitCode {
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
        "lanedesk issuer: serving API v1 at {} ({} cards, database {db}). Ctrl-C stops it.",
        running.url,
        issuer.cards().len(),
    );
    tracing::info!(
        url = %running.url,
        database = %db,
        admin_api = settings.options.admin_token.is_some(),
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

/// The login name, for `--by` when it is not given.
fn login_name() -> String {
    ["LOGNAME", "USER", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.trim().is_empty()))
        .unwrap_or_else(|| format!("uid {}", rustix::process::getuid().as_raw()))
}

async fn cards(command: CardsCommand) -> ExitCode {
    let (action, args) = match command {
        CardsCommand::Revoke(a) => (CardAction::Revoke, a),
        CardsCommand::Suspend(a) => (CardAction::Suspend, a),
        CardsCommand::ReportLost(a) => (CardAction::ReportLost, a),
        CardsCommand::Reinstate(a) => (CardAction::Reinstate, a),
    };
    match change_card(action, args).await {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err((code, message)) => {
            eprintln!("lanedesk: {message}");
            ExitCode::from(code)
        }
    }
}

/// Exit 0 with what changed (or that nothing had to), 1 when the action does not apply to
/// the card, 2 when it could not be tried (bad usage, no database, unknown card).
async fn change_card(action: CardAction, args: CardArgs) -> Result<String, (u8, String)> {
    let could_not = |e: String| (super::EXIT_COULD_NOT, e);
    let reason = args.reason.trim();
    if reason.is_empty() || sanitize(reason) != reason || reason.chars().count() > 500 {
        return Err(could_not(
            "--reason must say why in 1 to 500 printable characters".into(),
        ));
    }
    let actor = args.by.unwrap_or_else(login_name);
    if actor.trim().is_empty() || sanitize(&actor) != actor || actor.chars().count() > 64 {
        return Err(could_not(
            "--by must be 1 to 64 printable characters".into(),
        ));
    }
    let location = DbLocation::parse(&args.db);
    let store = store::open(&location, Access::Tool, 2)
        .await
        .map_err(|e| could_not(e.to_string()))?;
    let result = async {
        let cards = store.cards().await.map_err(|e| could_not(e.to_string()))?;
        let card = match args.card.parse::<CardRef>() {
            Ok(card) => cards.iter().find(|c| c.card == card),
            Err(_) => cards
                .iter()
                .find(|c| c.traveller.eq_ignore_ascii_case(&args.card) || c.scenario == args.card),
        }
        .ok_or_else(|| {
            could_not(format!(
                "no card {:?} in {location}: give a 32-digit card reference, a traveller id or a scenario name",
                sanitize(&args.card)
            ))
        })?
        .clone();
        let outcome = store
            .change_card(&CardChange {
                card: card.card,
                action,
                reason,
                actor: &actor,
                via: "cli",
                at: SystemClock.now(),
            })
            .await
            .map_err(|e| could_not(e.to_string()))?;
        let who = format!("card {} ({} {})", card.card, card.traveller, card.name_latin);
        match outcome {
            ChangeOutcome::Changed(e) => Ok(format!(
                "{who}: {} -> {}, by {} at {}; reason: {}",
                e.from.as_str(),
                e.to.as_str(),
                e.actor,
                e.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                e.reason
            )),
            ChangeOutcome::Unchanged(status) => Ok(format!(
                "{who} is already {}; nothing changed",
                status.as_str()
            )),
            ChangeOutcome::Refused(status) => {
                Err((1, format!("{who}: {}", issuer::admin::refusal(action, status))))
            }
            ChangeOutcome::UnknownCard => Err(could_not(format!("{who} is no longer in {location}"))),
        }
    }
    .await;
    store.close().await;
    result
}

async fn load(args: LoadArgs) -> ExitCode {
    let plan = LoadPlan {
        services: args.service,
        lane_token: args.lane_token,
        lanes: args.lanes,
        duration: Duration::from_secs(args.seconds),
        think: Duration::from_millis(args.think_ms),
        checkpoint: args.checkpoint,
        ca_cert: args.ca_cert,
    };
    match run_load(plan).await {
        Ok(report) => {
            match serde_json::to_string(&report) {
                Ok(line) => println!("{line}"),
                Err(e) => return fail(e),
            }
            if report.errors > 0 || report.false_replays > 0 {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => fail(e),
    }
}

async fn mint(args: MintArgs) -> ExitCode {
    let config = ClientConfig::new(&args.service).ca_cert(args.ca_cert.as_deref());
    let client = match ServiceClient::new(&config) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let card = match resolve_card(&client, &args.card).await {
        Ok(card) => card,
        Err(e) => return fail(e),
    };
    let token = match client.mint(card).await {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    let qr = sanitize(&token.qr);
    if let Some(path) = &args.png {
        if let Err(e) = write_png(&qr, path) {
            return fail(e);
        }
    }
    println!("{qr}");
    ExitCode::SUCCESS
}

/// A card reference as given, or looked up by traveller id or scenario name.
async fn resolve_card(client: &ServiceClient, given: &str) -> Result<CardRef, String> {
    if let Ok(card) = given.parse::<CardRef>() {
        return Ok(card);
    }
    let cards = client.cards().await.map_err(|e| e.to_string())?;
    cards
        .iter()
        .find(|c| c.traveller.eq_ignore_ascii_case(given) || c.scenario == given)
        .map(|c| c.card)
        .ok_or_else(|| {
            let known: Vec<String> = cards
                .iter()
                .map(|c| format!("{} ({})", c.traveller, c.scenario))
                .collect();
            format!(
                "no card {:?} on this service: give a 32-digit card reference, or one of {}",
                sanitize(given),
                known.join(", ")
            )
        })
}

/// Renders `text` as a QR code at ECC level M, 8 pixels a module, with a quiet zone.
pub fn write_png(text: &str, path: &std::path::Path) -> Result<(), String> {
    let code = QrCode::with_error_correction_level(text, EcLevel::M)
        .map_err(|e| format!("cannot make a QR code of this text: {e}"))?;
    let image = code
        .render::<image::Luma<u8>>()
        .module_dimensions(8, 8)
        .build();
    image
        .save_with_format(path, image::ImageFormat::Png)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}
