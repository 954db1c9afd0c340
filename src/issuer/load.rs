//! `lanedesk issuer load`: many lanes against one or more service instances, as an
//! operator would try a deployment before opening it. Each lane, in a loop: gets a fresh
//! code for a card as the traveller's phone would (`POST /v1/cards/{card}/tokens`, open
//! only on a service in demo mode), verifies it as the lane would, and posts an approval.
//! Lanes are spread over the instances round robin, each on its own connection.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use serde::Serialize;

use crate::api::{CardSummary, DecisionRequest, VerificationRequest};
use crate::domain::checkpoint::Direction;
use crate::domain::decision::DecisionKind;
use crate::edges::client::{ClientConfig, ServiceClient};

pub struct LoadPlan {
    pub services: Vec<String>,
    pub lane_token: String,
    pub lanes: usize,
    pub duration: Duration,
    /// Pause between a lane's rounds (an officer's handling time); zero plays flat out.
    pub think: Duration,
    pub checkpoint: String,
    pub ca_cert: Option<std::path::PathBuf>,
}

/// The one JSON line `issuer load` prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoadReport {
    pub lanes: usize,
    pub instances: usize,
    pub seconds: f64,
    pub verifications: u64,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub decisions: u64,
    pub errors: u64,
    /// Fresh codes the service said had been presented before: must be 0.
    pub false_replays: u64,
    /// The first few errors, as the client worded them.
    pub error_samples: Vec<String>,
}

#[derive(Default)]
struct LaneTally {
    latencies: Vec<Duration>,
    decisions: u64,
    errors: u64,
    false_replays: u64,
    samples: Vec<String>,
}

impl LaneTally {
    fn error(&mut self, what: &str, e: impl std::fmt::Display) {
        self.errors += 1;
        if self.samples.len() < 3 {
            self.samples.push(format!("{what}: {e}"));
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// Plays the plan and reports. Fails only when the services cannot be used at all (no
/// card list, no minting): errors during the run are counted, not fatal.
pub async fn run(plan: LoadPlan) -> Result<LoadReport, String> {
    if plan.services.is_empty() {
        return Err("give at least one --service URL".into());
    }
    if plan.lanes == 0 {
        return Err("--lanes must be at least 1".into());
    }
    let config = |url: &str| {
        let mut c = ClientConfig::new(url)
            .lane_token(&plan.lane_token)
            .ca_cert(plan.ca_cert.as_deref());
        // Under load a slow answer is a data point, not a failure; still bounded.
        c.timeout = Duration::from_secs(10);
        c
    };
    let first = ServiceClient::new(&config(&plan.services[0])).map_err(|e| e.to_string())?;
    let cards: Vec<CardSummary> = first.cards().await.map_err(|e| {
        format!(
            "cannot list the cards of {}: {e}. The load tool needs a service in demo mode (today's open card list and minting).",
            plan.services[0]
        )
    })?;
    if cards.is_empty() {
        return Err(format!("{} has no cards to play", plan.services[0]));
    }
    first.mint(cards[0].card).await.map_err(|e| {
        format!(
            "{} does not mint codes: {e}. The load tool needs a service in demo mode.",
            plan.services[0]
        )
    })?;
    let cards = Arc::new(cards);
    let session = hex::encode(crate::app::random_bytes::<4>());
    let deadline = Instant::now() + plan.duration;
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(plan.lanes);
    for lane in 0..plan.lanes {
        let url = plan.services[lane % plan.services.len()].clone();
        let client = ServiceClient::new(&config(&url)).map_err(|e| e.to_string())?;
        let (cards, session, checkpoint, think) = (
            cards.clone(),
            session.clone(),
            plan.checkpoint.clone(),
            plan.think,
        );
        tasks.push(tokio::spawn(async move {
            let mut tally = LaneTally::default();
            let lane_id = format!("load-{lane}");
            let mut round = 0usize;
            while Instant::now() < deadline {
                let card = cards[(lane + round) % cards.len()].card;
                round += 1;
                let code = match client.mint(card).await {
                    Ok(t) => t.qr,
                    Err(e) => {
                        tally.error("mint", e);
                        continue;
                    }
                };
                let t = Instant::now();
                let verified = client
                    .verify(&VerificationRequest {
                        token: code,
                        checkpoint: checkpoint.clone(),
                        lane: lane_id.clone(),
                        direction: Direction::Entry,
                        officer: "load".into(),
                    })
                    .await;
                let v = match verified {
                    Ok(v) => {
                        tally.latencies.push(t.elapsed());
                        v
                    }
                    Err(e) => {
                        tally.error("verify", e);
                        continue;
                    }
                };
                if v.presented_before.is_some() {
                    tally.false_replays += 1;
                }
                let decision = DecisionRequest {
                    decision_id: format!("load-{session}-{lane}-{round}"),
                    verification_id: Some(v.verification_id),
                    card,
                    checkpoint: checkpoint.clone(),
                    lane: lane_id.clone(),
                    // Entries: an approved exit would use up the fixtures' endorsements.
                    direction: Direction::Entry,
                    officer: "load".into(),
                    decision: DecisionKind::Approve,
                    reasons: vec![],
                    note: String::new(),
                    override_reason: None,
                    decided_at: Utc::now(),
                    kid: Some(v.token.kid),
                    nonce: Some(v.token.nonce),
                    audit_head: None,
                };
                match client.decide(&decision).await {
                    Ok(_) => tally.decisions += 1,
                    Err(e) => tally.error("decide", e),
                }
                if !think.is_zero() {
                    tokio::time::sleep(think).await;
                }
            }
            tally
        }));
    }
    let mut all = LaneTally::default();
    for task in tasks {
        let tally = task.await.map_err(|e| format!("a lane failed: {e}"))?;
        all.latencies.extend(tally.latencies);
        all.decisions += tally.decisions;
        all.errors += tally.errors;
        all.false_replays += tally.false_replays;
        for s in tally.samples {
            if all.samples.len() < 5 {
                all.samples.push(s);
            }
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    all.latencies.sort();
    let verifications = all.latencies.len() as u64;
    let round2 = |x: f64| (x * 100.0).round() / 100.0;
    Ok(LoadReport {
        lanes: plan.lanes,
        instances: plan.services.len(),
        seconds: round2(seconds),
        verifications,
        per_second: round2(verifications as f64 / seconds),
        p50_ms: round2(percentile(&all.latencies, 0.50)),
        p99_ms: round2(percentile(&all.latencies, 0.99)),
        max_ms: round2(
            all.latencies
                .last()
                .map_or(0.0, |d| d.as_secs_f64() * 1000.0),
        ),
        decisions: all.decisions,
        errors: all.errors,
        false_replays: all.false_replays,
        error_samples: all.samples,
    })
}
