//! `lanedesk verify`: one QR text through the offline checks and the service, as JSON.
//!
//! Exit status: 0 accepted, 1 refused, 2 could not check.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use serde_json::{Value, json};

use crate::api::{Verification, VerificationRequest};
use crate::domain::assess::{self, Assessment};
use crate::domain::checkpoint::{Checkpoint, Direction, LANE_MAX, OFFICER_MAX, check_label};
use crate::domain::checks::{LaneContext, ServiceFacts};
use crate::domain::clock::{Clock, SystemClock, local_date};
use crate::domain::credential::DEFAULT_SKEW_SECS;
use crate::domain::lang::Lang;
use crate::domain::trust::{TrustAnchor, TrustList};
use crate::edges::client::{ClientConfig, ServiceClient};
use crate::edges::trust_cache::{self, KeepError};

use super::{EXIT_COULD_NOT, runtime};

#[derive(Debug, Args)]
#[command(
    after_help = "Exit status: 0 accepted, 1 refused, 2 could not check.\n\nExample:\n  lanedesk verify --service https://issuer.example:8443 --lane-token s3cret --ca-cert ca.pem \\\n      --checkpoint lo-wu --direction entry 'EC1:6BF...'"
)]
pub struct VerifyArgs {
    /// Base URL of the issuance service.
    #[arg(long)]
    service: String,
    /// This lane's bearer token.
    #[arg(long, env = "LANEDESK_LANE_TOKEN", hide_env_values = true)]
    lane_token: String,
    /// Trust only this CA's certificates for the service (PEM); the system's are not used.
    #[arg(long)]
    ca_cert: Option<PathBuf>,
    /// The service's trust anchor, ed25519:… as `lanedesk issuer anchor` prints it. The
    /// trust list must be signed by it.
    #[arg(long, env = "LANEDESK_TRUST_ANCHOR")]
    trust_anchor: TrustAnchor,
    /// A lane's state folder: its cached trust list is used (and refreshed), and when the
    /// service cannot be reached the code is checked offline with it.
    #[arg(long)]
    state: Option<PathBuf>,
    /// Control point, by slug or name (lo-wu, futian, gongbei, ...).
    #[arg(long)]
    checkpoint: String,
    /// entry (into the mainland) or exit (out of it).
    #[arg(long)]
    direction: Direction,
    /// Lane label recorded with the verification.
    #[arg(long, default_value = "cli")]
    lane: String,
    /// Officer id recorded with the verification.
    #[arg(long, default_value = "cli")]
    officer: String,
    /// Language of the check sentences: en, zh-Hans or zh-Hant.
    #[arg(long, default_value = "en")]
    lang: Lang,
    /// Allowed clock difference with the phone, in seconds (0 to 3600).
    #[arg(long, default_value_t = DEFAULT_SKEW_SECS,
          value_parser = clap::value_parser!(i64).range(0..=3600))]
    skew: i64,
    /// The QR text (EC1:...).
    text: String,
}

/// The outcome of one verification, as printed.
#[derive(Debug)]
pub enum Outcome {
    Accepted(Value),
    Refused(Value),
    CouldNotCheck(Value),
}

pub fn run(args: VerifyArgs) -> ExitCode {
    let outcome = match runtime() {
        Ok(rt) => rt.block_on(check(&args, &SystemClock)),
        Err(e) => could_not(e),
    };
    let (value, code) = match outcome {
        Outcome::Accepted(v) => (v, 0),
        Outcome::Refused(v) => (v, 1),
        Outcome::CouldNotCheck(v) => (v, EXIT_COULD_NOT),
    };
    // serde_json escapes control characters, so untrusted text cannot reach the terminal raw.
    println!("{value}");
    ExitCode::from(code)
}

fn could_not(error: impl std::fmt::Display) -> Outcome {
    Outcome::CouldNotCheck(json!({
        "accepted": false,
        "checked": false,
        "error": error.to_string(),
    }))
}

pub async fn check(args: &VerifyArgs, clock: &dyn Clock) -> Outcome {
    let checkpoint = match Checkpoint::find(&args.checkpoint) {
        Ok(c) => c,
        Err(e) => return could_not(e),
    };
    let labels = check_label(&args.lane, "lane label", LANE_MAX)
        .and_then(|()| check_label(&args.officer, "officer id", OFFICER_MAX));
    if let Err(e) = labels {
        return could_not(e);
    }
    let config = ClientConfig::new(&args.service)
        .lane_token(&args.lane_token)
        .ca_cert(args.ca_cert.as_deref());
    let client = match ServiceClient::new(&config) {
        Ok(c) => c,
        Err(e) => return could_not(e),
    };
    let now = clock.unix();
    let (trust, mut notes) = match trust_list(args, &client, now).await {
        Ok(t) => t,
        Err(e) => return could_not(e),
    };
    let online = trust.online;
    let trust = trust.list;
    let lane = LaneContext {
        checkpoint,
        direction: args.direction,
        trust_age_secs: Some(now - trust.issued_at),
    };
    let today = local_date(clock.now());
    // Offline first: a forged or stale code is refused without telling the service anything.
    let offline = assess::verify_offline(&args.text, Some(&trust), now, args.skew, None);
    if offline.refused().is_some() {
        let found = assess::assess(lane, &offline.facts, ServiceFacts::NotAsked, today);
        return outcome(&found, with_notes(json!({}), &notes), args.lang);
    }
    let checked_offline = |notes: &[String]| {
        let found = assess::assess(lane, &offline.facts, ServiceFacts::Unavailable, today);
        let mut out = with_notes(json!({}), notes);
        out["offline"] = json!(true);
        outcome(&found, out, args.lang)
    };
    if !online {
        return checked_offline(&notes);
    }
    let request = VerificationRequest {
        token: args.text.clone(),
        checkpoint: checkpoint.slug.to_owned(),
        lane: args.lane.clone(),
        direction: args.direction,
        officer: args.officer.clone(),
    };
    match client.verify(&request).await {
        Ok(v) => {
            let found = assess::assess(
                lane,
                &offline.facts,
                ServiceFacts::Answered(v.record()),
                today,
            );
            outcome(&found, with_notes(record(&v), &notes), args.lang)
        }
        Err(e) if e.refusal_code().is_some() => {
            let code = e.refusal_code().unwrap_or_default();
            let facts = ServiceFacts::Refused { code };
            let found = assess::assess(lane, &offline.facts, facts, today);
            outcome(&found, with_notes(json!({}), &notes), args.lang)
        }
        // The list came, then the service went: offline, like a lane.
        Err(e) if e.offline() && args.state.is_some() => {
            notes.push(e.to_string());
            checked_offline(&notes)
        }
        Err(e) => could_not(e),
    }
}

/// The list codes are checked with, and whether the service gave it just now.
struct Trust {
    list: TrustList,
    online: bool,
}

/// The trust list from the service, verified against the pinned anchor; with `--state`,
/// kept there (never below the newest held: a rollback is refused), and the kept copy
/// used when the service cannot be reached. Notes say what the JSON reader should know.
async fn trust_list(
    args: &VerifyArgs,
    client: &ServiceClient,
    now: i64,
) -> Result<(Trust, Vec<String>), String> {
    let mut notes = vec![];
    let Some(state) = &args.state else {
        let (list, _) = client
            .trust_list(&args.trust_anchor, now)
            .await
            .map_err(|e| e.to_string())?;
        return Ok((Trust { list, online: true }, notes));
    };
    let path = trust_cache::path_in(state);
    let (cached, refusal) = match trust_cache::load(&path, &args.trust_anchor, now) {
        Ok(list) => (list, None),
        Err(e) => {
            notes.push(e.clone());
            (None, Some(e))
        }
    };
    match client.trust_list(&args.trust_anchor, now).await {
        Ok((list, signed)) => {
            if let Some(held) = &cached {
                list.replaces(Some(held)).map_err(|e| e.to_string())?;
            }
            match trust_cache::save(&path, &signed, &list) {
                Ok(()) => {}
                Err(KeepError::Refused(e)) => return Err(e.to_string()),
                Err(KeepError::Failed(e)) => notes.push(e),
            }
            Ok((Trust { list, online: true }, notes))
        }
        Err(e) if e.offline() => match cached {
            Some(list) => {
                notes.push(format!(
                    "{e} The code was checked offline with the trust list kept in {}.",
                    state.display()
                ));
                Ok((
                    Trust {
                        list,
                        online: false,
                    },
                    notes,
                ))
            }
            None => Err(match refusal {
                Some(why) => format!("{e} And {why}."),
                None => format!(
                    "{e} There is no usable trust list in {} to check the code offline with.",
                    state.display()
                ),
            }),
        },
        Err(e) => Err(e.to_string()),
    }
}

fn with_notes(mut out: Value, notes: &[String]) -> Value {
    if !notes.is_empty() {
        out["notes"] = json!(notes);
    }
    out
}

/// The service's record, as printed.
fn record(v: &Verification) -> Value {
    json!({
        "verification_id": v.verification_id,
        "card": v.card,
        "holder": v.holder,
        "documents": v.documents,
        "crossings": v.crossings,
        "alerts": v.alerts,
        "presented_before": v.presented_before,
    })
}

/// Accepted means genuine, fresh, presented for the first time anywhere, and the card
/// active: what the console's checks say, in the same words.
fn outcome(found: &Assessment, mut out: Value, lang: Lang) -> Outcome {
    let checks: Vec<Value> = found
        .checks
        .iter()
        .map(|c| json!({"id": c.id, "outcome": c.outcome.as_str(), "sentence": c.finding.sentence(lang)}))
        .collect();
    out["checked"] = json!(true);
    out["checks"] = json!(checks);
    out["suggested"] = json!(found.suggestion.as_str());
    match found.refusal() {
        None => {
            out["accepted"] = json!(true);
            Outcome::Accepted(out)
        }
        Some(r) => {
            out["accepted"] = json!(false);
            out["reason_code"] = json!(r.code);
            out["reason"] = json!(r.sentence(lang));
            Outcome::Refused(out)
        }
    }
}
