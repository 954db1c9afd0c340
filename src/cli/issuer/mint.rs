//! `lanedesk issuer mint` (a phone's request for a code) and `load` (many lanes at once).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use qrcode::{EcLevel, QrCode};

use crate::domain::credential::CardRef;
use crate::domain::text::sanitize;
use crate::edges::client::{ClientConfig, ServiceClient};
use crate::issuer::load::{LoadPlan, run as run_load};

use super::fail;

#[derive(Debug, Args)]
pub struct MintArgs {
    /// Base URL of the issuance service.
    #[arg(long)]
    service: String,
    /// The card: its 32-digit reference, a traveller id (T01) or a scenario name.
    #[arg(long)]
    card: String,
    /// The card holder's secret (`lanedesk issuer cards enrol` prints it); not needed by a
    /// service in demo mode.
    #[arg(long, env = "LANEDESK_HOLDER_SECRET", hide_env_values = true)]
    holder_secret: Option<String>,
    /// Also write the code as a PNG image.
    #[arg(long)]
    png: Option<PathBuf>,
    /// Extra CA certificate (PEM) for a service with a private CA.
    #[arg(long)]
    ca_cert: Option<PathBuf>,
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

pub(super) async fn load(args: LoadArgs) -> ExitCode {
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

pub(super) async fn mint(args: MintArgs) -> ExitCode {
    let config = ClientConfig::new(&args.service).ca_cert(args.ca_cert.as_deref());
    let client = match ServiceClient::new(&config) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let card = match resolve_card(&client, &args.card).await {
        Ok(card) => card,
        Err(e) => return fail(e),
    };
    let token = match client.mint_as(card, args.holder_secret.as_deref()).await {
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
    let cards = client.cards().await.map_err(|e| {
        format!(
            "{} Only a service in demo mode lists its cards: give the card's 32-digit reference instead (`lanedesk issuer cards enrol` prints it)",
            e.to_string().trim_end_matches('.').to_owned() + "."
        )
    })?;
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
