//! `lanedesk issuer anchor`, `keys rotate` and `lanes add|revoke|list`: the service's
//! trust, managed in its database (beside a running service, or before it starts).

use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::domain::checkpoint::{Checkpoint, LANE_MAX, check_label};
use crate::domain::clock::{Clock, SystemClock};
use crate::domain::text::sanitize;
use crate::domain::trust::TrustAnchor;
use crate::issuer::DEFAULT_ISSUER_ID;
use crate::issuer::store::credentials::{hint, new_secret, secret_hash};
use crate::issuer::store::{self, Access, LaneCredential, Store};

use super::fail;

#[derive(Debug, Args)]
pub struct AnchorArgs {
    /// The service's database: a SQLite file or postgres://USER@HOST/DB [default: the one
    /// `issuer serve` uses without --db].
    #[arg(long)]
    db: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Add a new active signing key and retire the active one.
    #[command(
        after_help = "Codes signed by the retired key are refused from then on (a phone gets a fresh code \
in seconds); lanes fetch the new trust list at their next refresh, at most 10 minutes later, and \
every running instance serves it within seconds.\n\n\
Example:\n  lanedesk issuer keys rotate --db /var/lib/lanedesk/issuer.sqlite"
    )]
    Rotate(RotateArgs),
}

#[derive(Debug, Args)]
pub struct RotateArgs {
    /// The service's database: a SQLite file or postgres://USER@HOST/DB [default: the one
    /// `issuer serve` uses without --db].
    #[arg(long)]
    db: Option<String>,
    /// The issuer id the new key signs for.
    #[arg(long, default_value = DEFAULT_ISSUER_ID)]
    issuer: String,
}

#[derive(Debug, Subcommand)]
pub enum LanesCommand {
    /// Make a token for one lane; it is printed once and stored only as a hash.
    #[command(
        after_help = "The service refuses (403) a request from this token that names another checkpoint or lane.\n\n\
Example:\n  lanedesk issuer lanes add --db /var/lib/lanedesk/issuer.sqlite --checkpoint lo-wu --lane L1"
    )]
    Add(LaneArgs),
    /// Revoke every token of a lane (a lost laptop, a lane closed).
    #[command(after_help = "Running services refuse the token within 5 seconds.\n\n\
Example:\n  lanedesk issuer lanes revoke --db /var/lib/lanedesk/issuer.sqlite --checkpoint lo-wu --lane L1")]
    Revoke(LaneArgs),
    /// List the lanes' tokens (their first characters, never the tokens).
    List(AnchorArgs),
}

#[derive(Debug, Args)]
pub struct LaneArgs {
    /// The service's database: a SQLite file or postgres://USER@HOST/DB [default: the one
    /// `issuer serve` uses without --db].
    #[arg(long)]
    db: Option<String>,
    /// The lane's checkpoint, by slug or name (lo-wu, futian, gongbei, ...).
    #[arg(long)]
    checkpoint: String,
    /// The lane's label, as the lane's configuration gives it.
    #[arg(long)]
    lane: String,
}

/// Opens the database as a tool, runs `work`, closes it.
async fn with_store<T>(
    db: &Option<String>,
    work: impl AsyncFnOnce(&dyn Store) -> Result<T, String>,
) -> Result<T, String> {
    let location = super::database(db.as_deref());
    let store = store::open(&location, Access::Tool, 2)
        .await
        .map_err(|e| e.to_string())?;
    let result = work(&*store).await;
    store.close().await;
    result
}

fn print_or_fail(result: Result<String, String>) -> ExitCode {
    match result {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

pub async fn anchor(args: AnchorArgs) -> ExitCode {
    print_or_fail(
        with_store(&args.db, async |store| {
            let key = store.anchor().await.map_err(|e| e.to_string())?;
            Ok(TrustAnchor::of(&key).to_string())
        })
        .await,
    )
}

pub async fn keys(command: KeysCommand) -> ExitCode {
    let KeysCommand::Rotate(args) = command;
    print_or_fail(
        with_store(&args.db, async |store| {
            let r = store
                .rotate_keys(&args.issuer, SystemClock.unix())
                .await
                .map_err(|e| e.to_string())?;
            let retired: Vec<String> = r.retired.iter().map(ToString::to_string).collect();
            Ok(format!(
                "new signing key {} is active; retired: {}; trust list number {}",
                r.new_kid,
                if retired.is_empty() {
                    "none".to_owned()
                } else {
                    retired.join(", ")
                },
                r.sequence
            ))
        })
        .await,
    )
}

/// The checkpoint's slug and the lane's label, checked as the lane checks them.
fn lane_of(args: &LaneArgs) -> Result<(&'static str, String), String> {
    let checkpoint = Checkpoint::find(&args.checkpoint)?;
    check_label(&args.lane, "lane label", LANE_MAX)?;
    Ok((checkpoint.slug, args.lane.clone()))
}

pub async fn lanes(command: LanesCommand) -> ExitCode {
    let result = match command {
        LanesCommand::Add(args) => {
            let db = args.db.clone();
            match lane_of(&args) {
                Err(e) => Err(e),
                Ok((checkpoint, lane)) => {
                    with_store(&db, async |store| {
                        let token = new_secret("ldl_");
                        let credential = LaneCredential {
                            checkpoint: checkpoint.to_owned(),
                            lane: lane.clone(),
                            hint: hint(&token),
                            created_at: SystemClock.unix(),
                            revoked_at: None,
                        };
                        store
                            .add_lane(secret_hash(&token), &credential)
                            .await
                            .map_err(|e| e.to_string())?;
                        Ok(format!(
                            "{token}\n# the lane token of lane {lane} at {checkpoint}: give it to that lane only (lane-token in its configuration, or LANEDESK_LANE_TOKEN); it is not shown again"
                        ))
                    })
                    .await
                }
            }
        }
        LanesCommand::Revoke(args) => {
            let db = args.db.clone();
            match lane_of(&args) {
                Err(e) => Err(e),
                Ok((checkpoint, lane)) => with_store(&db, async |store| {
                    let n = store
                        .revoke_lane(checkpoint, &lane, SystemClock.unix())
                        .await
                        .map_err(|e| e.to_string())?;
                    if n == 0 {
                        return Err(format!(
                            "lane {lane} at {checkpoint} has no token that is not revoked already"
                        ));
                    }
                    Ok(format!(
                        "revoked {n} token(s) of lane {lane} at {checkpoint}"
                    ))
                })
                .await,
            }
        }
        LanesCommand::List(args) => {
            with_store(&args.db, async |store| {
                let lanes = store.lanes().await.map_err(|e| e.to_string())?;
                let mut out = vec!["checkpoint\tlane\ttoken\tcreated\trevoked".to_owned()];
                for l in lanes {
                    let when = |t: i64| {
                        chrono::DateTime::from_timestamp(t, 0)
                            .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                            .unwrap_or_default()
                    };
                    out.push(format!(
                        "{}\t{}\t{}…\t{}\t{}",
                        sanitize(&l.checkpoint),
                        sanitize(&l.lane),
                        sanitize(&l.hint),
                        when(l.created_at),
                        l.revoked_at.map(when).unwrap_or_else(|| "-".into())
                    ));
                }
                Ok(out.join("\n"))
            })
            .await
        }
    };
    print_or_fail(result)
}
