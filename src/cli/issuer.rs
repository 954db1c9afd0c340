//! `lanedesk issuer serve` and `lanedesk issuer mint`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Subcommand};
use qrcode::{EcLevel, QrCode};

use crate::domain::clock::SystemClock;
use crate::domain::credential::CardRef;
use crate::domain::text::sanitize;
use crate::edges::client::{ClientConfig, ServiceClient};
use crate::issuer::{self, Issuer, IssuerOptions, TlsFiles};

use super::{fail, log_to_stderr, runtime};

#[derive(Debug, Subcommand)]
pub enum IssuerCommand {
    /// Run the reference issuance service (API v1), seeded from the fixtures.
    #[command(
        after_help = "Examples:\n  lanedesk issuer serve --lane-token s3cret\n  lanedesk issuer serve --listen 127.0.0.1:9443 --db /tmp/issuer.sqlite --lane-token s3cret --tls-cert cert.pem --tls-key key.pem"
    )]
    Serve(ServeArgs),
    /// Ask the service for a fresh QR code for a card, as the traveller's phone app would.
    #[command(
        after_help = "Examples:\n  lanedesk issuer mint --service http://127.0.0.1:8443 --card T01\n  lanedesk issuer mint --service http://127.0.0.1:8443 --card hk-resident --png t01.png\n  lanedesk issuer mint --service http://127.0.0.1:8443 --card 4183a684ec00a4b6014fdd33db35ec40"
    )]
    Mint(MintArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8443")]
    listen: SocketAddr,
    /// SQLite file; created and seeded from the fixtures on first start.
    #[arg(long, default_value = "lanedesk-issuer.sqlite")]
    db: PathBuf,
    /// Folder holding travellers.toml and the portraits.
    #[arg(long, default_value = "fixtures")]
    fixtures: PathBuf,
    /// The secret lanes present as 'Authorization: Bearer TOKEN'.
    #[arg(long, env = "LANEDESK_LANE_TOKEN", hide_env_values = true)]
    lane_token: String,
    /// TLS certificate (PEM); serve HTTPS. Needs --tls-key.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM). Needs --tls-cert.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
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

pub fn run(command: IssuerCommand) -> ExitCode {
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(e) => return fail(e),
    };
    match command {
        IssuerCommand::Serve(args) => rt.block_on(serve(args)),
        IssuerCommand::Mint(args) => rt.block_on(mint(args)),
    }
}

async fn serve(args: ServeArgs) -> ExitCode {
    log_to_stderr();
    let options = IssuerOptions::new(&args.db, &args.fixtures, &args.lane_token);
    let issuer =
        match tokio::task::spawn_blocking(move || Issuer::open(&options, Arc::new(SystemClock)))
            .await
        {
            Ok(Ok(issuer)) => Arc::new(issuer),
            Ok(Err(e)) => return fail(e),
            Err(e) => return fail(e),
        };
    let tls = args
        .tls_cert
        .zip(args.tls_key)
        .map(|(cert, key)| TlsFiles { cert, key });
    let running = match issuer::spawn(issuer.clone(), args.listen, tls.as_ref()).await {
        Ok(running) => running,
        Err(e) => return fail(e),
    };
    eprintln!(
        "lanedesk issuer: serving API v1 at {} ({} cards, database {}). Ctrl-C stops it.",
        running.url,
        issuer.cards().len(),
        args.db.display()
    );
    tokio::select! {
        result = tokio::signal::ctrl_c() => {
            if let Err(e) = result {
                return fail(format!("cannot wait for Ctrl-C: {e}"));
            }
            eprintln!("lanedesk issuer: stopping");
            ExitCode::SUCCESS
        }
        result = running.wait() => match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(format!("the service stopped: {e}")),
        },
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
