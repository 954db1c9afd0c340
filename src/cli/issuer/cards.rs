//! `lanedesk issuer cards`: a card's lifecycle and its holder's enrolment, in the
//! service's database.

use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::domain::clock::{Clock, SystemClock};
use crate::domain::credential::CardRef;
use crate::domain::text::sanitize;
use crate::issuer;
use crate::issuer::lifecycle::CardAction;
use crate::issuer::store::credentials::{new_secret, secret_hash};
use crate::issuer::store::{self, Access, CardChange, ChangeOutcome};

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
    /// Give the card's holder a new secret (enrolment, or a new phone): their app presents
    /// it to get codes. Printed once, stored only as a hash; the old secret stops working.
    #[command(
        after_help = "Example:\n  lanedesk issuer cards enrol --db /var/lib/lanedesk/issuer.sqlite --card T01"
    )]
    Enrol(EnrolArgs),
}

#[derive(Debug, Args)]
pub struct EnrolArgs {
    /// The service's database: a SQLite file or postgres://USER@HOST/DB [default: the one
    /// `issuer serve` uses without --db].
    #[arg(long)]
    db: Option<String>,
    /// The card: its 32-digit reference, a traveller id (T01) or a scenario name.
    #[arg(long)]
    card: String,
}

#[derive(Debug, Args)]
pub struct CardArgs {
    /// The service's database: a SQLite file or postgres://USER@HOST/DB [default: the one
    /// `issuer serve` uses without --db].
    #[arg(long)]
    db: Option<String>,
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

/// The login name, for `--by` when it is not given.
fn login_name() -> String {
    ["LOGNAME", "USER", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.trim().is_empty()))
        .unwrap_or_else(|| format!("uid {}", rustix::process::getuid().as_raw()))
}

pub(super) async fn cards(command: CardsCommand) -> ExitCode {
    let (action, args) = match command {
        CardsCommand::Revoke(a) => (CardAction::Revoke, a),
        CardsCommand::Suspend(a) => (CardAction::Suspend, a),
        CardsCommand::ReportLost(a) => (CardAction::ReportLost, a),
        CardsCommand::Reinstate(a) => (CardAction::Reinstate, a),
        CardsCommand::Enrol(a) => return enrol(a).await,
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
    let location = super::database(args.db.as_deref());
    let store = store::open(&location, Access::Tool, 2)
        .await
        .map_err(|e| could_not(e.to_string()))?;
    let result = async {
        let cards = store.cards().await.map_err(|e| could_not(e.to_string()))?;
        let card = find_card(&cards, &args.card)
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

async fn enrol(args: EnrolArgs) -> ExitCode {
    let location = super::database(args.db.as_deref());
    let store = match store::open(&location, Access::Tool, 2).await {
        Ok(s) => s,
        Err(e) => return super::fail(e),
    };
    let result = async {
        let cards = store.cards().await.map_err(|e| e.to_string())?;
        let card = find_card(&cards, &args.card)
            .ok_or_else(|| {
                format!(
                    "no card {:?} in {location}: give a 32-digit card reference, a traveller id or a scenario name",
                    sanitize(&args.card)
                )
            })?
            .clone();
        let secret = new_secret("ldh_");
        store
            .set_holder_secret(card.card, secret_hash(&secret))
            .await
            .map_err(|e| e.to_string())?;
        Ok::<_, String>(format!(
            "{secret}\n# the holder secret of card {} ({} {}): give it to the holder's e-card app only; it is not shown again",
            card.card,
            sanitize(&card.traveller),
            sanitize(&card.name_latin)
        ))
    }
    .await;
    store.close().await;
    match result {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => super::fail(e),
    }
}

/// A card by reference, traveller id or scenario name.
fn find_card<'a>(
    cards: &'a [crate::api::CardSummary],
    given: &str,
) -> Option<&'a crate::api::CardSummary> {
    match given.parse::<CardRef>() {
        Ok(card) => cards.iter().find(|c| c.card == card),
        Err(_) => cards
            .iter()
            .find(|c| c.traveller.eq_ignore_ascii_case(given) || c.scenario == given),
    }
}
