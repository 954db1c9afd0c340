//! `lanedesk verify`: one QR text through the offline checks and the service, as JSON.
//!
//! Exit status: 0 accepted, 1 refused, 2 could not check.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use serde_json::{Value, json};

use crate::domain::checkpoint::{Checkpoint, Direction};
use crate::domain::checks::{self, CodeFacts, LaneContext, ServiceFacts};
use crate::domain::clock::local_date;
use crate::domain::clock::{Clock, SystemClock};
use crate::domain::credential::{self, DEFAULT_SKEW_SECS};
use crate::domain::holder::CardStatus;
use crate::domain::lang::Lang;
use crate::edges::api::{Verification, VerificationRequest};
use crate::edges::client::{ClientConfig, ServiceClient, ServiceError};

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
    /// Extra CA certificate (PEM) for a service with a private CA.
    #[arg(long)]
    ca_cert: Option<PathBuf>,
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
    /// Allowed clock difference with the phone, in seconds.
    #[arg(long, default_value_t = DEFAULT_SKEW_SECS)]
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

fn refused(code: &str, reason: impl std::fmt::Display) -> Outcome {
    Outcome::Refused(json!({
        "accepted": false,
        "checked": true,
        "reason_code": code,
        "reason": reason.to_string(),
    }))
}

pub async fn check(args: &VerifyArgs, clock: &dyn Clock) -> Outcome {
    let checkpoint = match Checkpoint::find(&args.checkpoint) {
        Ok(c) => c,
        Err(e) => return could_not(e),
    };
    let config = ClientConfig::new(&args.service)
        .lane_token(&args.lane_token)
        .ca_cert(args.ca_cert.as_deref());
    let client = match ServiceClient::new(&config) {
        Ok(c) => c,
        Err(e) => return could_not(e),
    };
    let trust = match client.trust_list(clock.unix()).await {
        Ok(t) => t,
        Err(e) => return could_not(e),
    };
    let lane = LaneContext {
        checkpoint,
        direction: args.direction,
        trust_age_secs: Some(0),
    };
    let today = local_date(clock.now());
    let with_checks = |outcome: Outcome, code: &CodeFacts, facts: ServiceFacts<'_>| {
        let found = checks::evaluate(lane, code, facts, today);
        let list: Vec<Value> = found
            .iter()
            .map(|c| json!({"id": c.id, "outcome": c.outcome.as_str(), "sentence": c.finding.sentence(args.lang)}))
            .collect();
        let suggested = checks::suggest(&found).as_str();
        match outcome {
            Outcome::Accepted(mut v) => {
                v["checks"] = json!(list);
                v["suggested"] = json!(suggested);
                Outcome::Accepted(v)
            }
            Outcome::Refused(mut v) => {
                v["checks"] = json!(list);
                v["suggested"] = json!(suggested);
                Outcome::Refused(v)
            }
            other => other,
        }
    };
    // Offline first: a forged or stale code is refused without telling the service anything.
    if let Err(e) = credential::verify(&args.text, &trust, clock.unix(), args.skew, None) {
        let code = CodeFacts::Refused(e.clone());
        return with_checks(refused(e.code(), e), &code, ServiceFacts::NotAsked);
    }
    let request = VerificationRequest {
        token: args.text.clone(),
        checkpoint: checkpoint.slug.to_owned(),
        lane: args.lane.clone(),
        direction: args.direction,
        officer: args.officer.clone(),
    };
    match client.verify(&request).await {
        Ok(v) => with_checks(
            judge(&v),
            &CodeFacts::Genuine,
            ServiceFacts::Answered(v.record()),
        ),
        Err(ServiceError::Refused { code, detail, .. }) => with_checks(
            refused(&code, detail),
            &CodeFacts::Genuine,
            ServiceFacts::Refused { code: &code },
        ),
        Err(e) => could_not(e),
    }
}

/// Accepted means: genuine, fresh, presented for the first time, and the card is active.
fn judge(v: &Verification) -> Outcome {
    let reason = if let Some(first) = &v.presented_before {
        Some((
            "replayed",
            format!(
                "This exact code was already presented at {} lane {} at {} (UTC+8). A code is good for one presentation: this may be a copy.",
                first.checkpoint,
                first.lane,
                credential::clock_time(first.at.timestamp())
            ),
        ))
    } else {
        match v.card.status {
            CardStatus::Active => None,
            CardStatus::Suspended => {
                Some(("card-suspended", "The e-card is suspended.".to_owned()))
            }
            CardStatus::Revoked => {
                Some(("card-revoked", "The e-card has been revoked.".to_owned()))
            }
            CardStatus::ReportedLost => Some((
                "card-reported-lost",
                "The e-card has been reported lost: the person showing it may not be its holder."
                    .to_owned(),
            )),
        }
    };
    let mut out = json!({
        "accepted": reason.is_none(),
        "checked": true,
        "verification_id": v.verification_id,
        "card": v.card,
        "holder": v.holder,
        "documents": v.documents,
        "crossings": v.crossings,
        "alerts": v.alerts,
        "presented_before": v.presented_before,
    });
    match reason {
        None => Outcome::Accepted(out),
        Some((code, reason)) => {
            out["reason_code"] = json!(code);
            out["reason"] = json!(reason);
            Outcome::Refused(out)
        }
    }
}
