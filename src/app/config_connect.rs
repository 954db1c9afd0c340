//! `lanedesk config check --connect`: the lane's configuration tried against its service,
//! step by step: the connection (TLS with the configured CA), the lane token, the trust
//! list against the pinned anchor, and the lane's clock against the service's. Each step
//! is ok or says what to do.

use std::time::Instant;

use super::config::LaneConfig;
use crate::domain::checkpoint::Checkpoint;
use crate::domain::lane_time::{Learned, Offset};
use crate::domain::lang::Lang;
use crate::domain::trust::TrustAnchor;
use crate::edges::client::{ClientConfig, ServiceClient, ServiceError};

/// One step: `Ok` with what was found, or `Err` with what is wrong and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub name: &'static str,
    pub result: Result<String, String>,
}

impl Step {
    fn new(name: &'static str, result: Result<String, String>) -> Step {
        Step { name, result }
    }
}

/// The secret from the configuration, else from `LANEDESK_LANE_TOKEN` (as `lane` takes it).
pub fn lane_token(config: &LaneConfig) -> Option<String> {
    config
        .lane_token
        .clone()
        .or_else(|| std::env::var("LANEDESK_LANE_TOKEN").ok())
        .filter(|t| !t.is_empty())
}

fn trust_anchor(config: &LaneConfig) -> Result<TrustAnchor, String> {
    let text = config
        .trust_anchor
        .clone()
        .or_else(|| std::env::var("LANEDESK_TRUST_ANCHOR").ok())
        .ok_or("no trust-anchor: set it to what `lanedesk issuer anchor` prints on the service")?;
    text.parse()
}

/// Every step, in order; a step that cannot be tried after an earlier one failed says so.
pub async fn connect(config: &LaneConfig) -> Vec<Step> {
    let Some(service) = config.service.as_deref() else {
        return vec![Step::new(
            "connection",
            Err("no service: set service = \"https://host:port\"".into()),
        )];
    };
    let mut client_config = ClientConfig::new(service).ca_cert(config.ca_cert.as_deref());
    client_config.lane_token = lane_token(config);
    client_config.retries = 0;
    let reached = match ServiceClient::new(&client_config) {
        Ok(client) => reach(&client, config)
            .await
            .map(|(how, l)| (client, how, l)),
        Err(e) => Err(e.to_string()),
    };
    let (client, how, learned) = match reached {
        Ok(reached) => reached,
        Err(why) => {
            let skipped = || Err("not tried: the service was not reached".to_owned());
            return vec![
                Step::new("connection", Err(why)),
                Step::new("lane token", skipped()),
                Step::new("trust list", skipped()),
                Step::new("clock", skipped()),
            ];
        }
    };
    vec![
        Step::new("connection", Ok(how)),
        Step::new("lane token", token_step(&client, config).await),
        Step::new("trust list", trust_step(&client, config).await),
        Step::new("clock", clock_step(&learned.offset, config)),
    ]
}

/// Asks for the service's health, timed as the console times it, so the clock is learned.
async fn reach(client: &ServiceClient, config: &LaneConfig) -> Result<(String, Learned), String> {
    let start = Instant::now();
    let sent_wall = chrono::Utc::now();
    let sent_mono = start.elapsed();
    let health = client.health().await.map_err(|e| e.to_string())?;
    let learned = Learned::from_round_trip(sent_wall, sent_mono, start.elapsed(), health.time);
    let over = match &config.ca_cert {
        _ if client.base_url().starts_with("http:") => "plain HTTP on this machine".to_owned(),
        Some(ca) => format!("TLS, the certificate signed by the CA in {}", ca.display()),
        None => "TLS, the certificate signed by a CA this machine trusts".to_owned(),
    };
    let version = crate::domain::text::sanitize(&health.version);
    Ok((
        format!(
            "{} answers, lanedesk {version}, over {over}",
            client.base_url()
        ),
        learned,
    ))
}

async fn token_step(client: &ServiceClient, config: &LaneConfig) -> Result<String, String> {
    let (Some(checkpoint), Some(lane)) = (&config.checkpoint, &config.lane) else {
        return Err("not tried: set checkpoint and lane first".into());
    };
    let checkpoint = Checkpoint::find(checkpoint).map_err(|_| "not tried: no known checkpoint")?;
    let new_one = format!(
        "made on the service with `lanedesk issuer lanes add --checkpoint {} --lane {lane}`",
        checkpoint.slug
    );
    if lane_token(config).is_none() {
        return Err(format!(
            "no lane-token: set it in the lane configuration (or LANEDESK_LANE_TOKEN) to this lane's token, {new_one}"
        ));
    }
    match client.lane_identity(checkpoint.slug, lane).await {
        Ok(id) if id.shared => Ok("the demo's shared token (issuer serve --demo)".into()),
        Ok(id) => Ok(format!("the token of lane {} at {}", id.lane, id.checkpoint)),
        Err(ServiceError::LaneTokenRefused { detail }) => Err(format!(
            "the service refused the token ({}). Check lane-token in the lane configuration, or ask for a new one, {new_one}",
            detail.trim_end_matches('.')
        )),
        Err(ServiceError::Refused {
            status: 403,
            detail,
            ..
        }) => Err(format!(
            "{detail} Set lane-token to this lane's own token, {new_one}"
        )),
        Err(ServiceError::Refused { status: 404, .. }) => Err(
            "the service has no lane check (GET /v1/lanes/…): it is older than this lanedesk; update the service".into(),
        ),
        Err(e) => Err(e.to_string()),
    }
}

async fn trust_step(client: &ServiceClient, config: &LaneConfig) -> Result<String, String> {
    let anchor = trust_anchor(config).map_err(|e| format!("not tried: {e}"))?;
    let now = chrono::Utc::now().timestamp();
    let (list, _) = client
        .trust_list(&anchor, now)
        .await
        .map_err(|e| e.to_string())?;
    Ok(format!(
        "signed by the pinned anchor; number {}, {} keys",
        list.sequence,
        list.keys.len()
    ))
}

fn clock_step(offset: &Offset, config: &LaneConfig) -> Result<String, String> {
    let policy = config.clock.policy().map_err(|(_, m)| m)?;
    let apart = offset.against_service(Lang::En);
    let allowed = policy.warn_after.as_secs();
    if offset.ms.unsigned_abs() <= policy.warn_after.as_millis() as u64 {
        return Ok(format!(
            "{apart} (±{} ms), within {allowed} s",
            offset.error_ms
        ));
    }
    Err(format!(
        "this machine's clock is {apart}, more than the {allowed} s allowed ([clock] warn-after). Set it right (timedatectl set-ntp true), or check the service's; past {} s the lane no longer judges code times",
        policy.distrust_after.as_secs()
    ))
}
