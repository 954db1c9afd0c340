//! The issuance service client. Every failure becomes a [`ServiceError`] that says what
//! happened and what to do. Only idempotent calls are retried: a verification is never sent
//! twice, because the second would be recorded as a presentation of its own.

use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::{Method, StatusCode, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::api::{
    AuditHead, CardSummary, DecisionReceipt, DecisionRequest, Health, MintedToken, Problem,
    TrustListBody, Verification, VerificationRequest, WitnessedHead,
};
use crate::domain::credential::CardRef;
use crate::domain::text::sanitize;
use crate::domain::trust::TrustList;

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);
/// JSON answers are small; a photo is the largest thing the service sends.
const MAX_BODY: usize = 4 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub base_url: String,
    pub lane_token: Option<String>,
    /// An extra CA certificate (PEM) to trust, for services with a private CA.
    pub ca_cert: Option<PathBuf>,
    pub timeout: Duration,
    /// Extra attempts for idempotent calls after a network failure or a 502/503/504.
    pub retries: u32,
}

impl ClientConfig {
    pub fn new(base_url: &str) -> Self {
        Self {
            base_url: base_url.to_owned(),
            lane_token: None,
            ca_cert: None,
            timeout: DEFAULT_TIMEOUT,
            retries: 2,
        }
    }

    pub fn lane_token(mut self, token: &str) -> Self {
        self.lane_token = Some(token.to_owned());
        self
    }

    pub fn ca_cert(mut self, path: Option<&Path>) -> Self {
        self.ca_cert = path.map(Path::to_path_buf);
        self
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ServiceError {
    #[error("the service address {url:?} is not usable: {why}. Give it as https://host:port")]
    BadUrl { url: String, why: String },
    #[error(
        "the CA certificate {path} cannot be used: {why}. Check the --ca-cert path and that the file is a PEM certificate."
    )]
    BadCaCert { path: String, why: String },
    #[error(
        "cannot reach the issuance service at {url}: {why}. Check the network and that the service is running; the lane can work offline meanwhile."
    )]
    Unreachable { url: String, why: String },
    #[error(
        "the issuance service at {url} presented a TLS certificate this lane does not trust ({why}). If the service uses a private CA, give it with --ca-cert."
    )]
    UntrustedCertificate { url: String, why: String },
    #[error(
        "the issuance service at {url} did not answer within {seconds:.1} s. It may be overloaded; the lane can work offline meanwhile."
    )]
    TimedOut { url: String, seconds: f64 },
    #[error(
        "the issuance service refused this lane's token ({detail}). Check the lane token in the lane configuration."
    )]
    LaneTokenRefused { detail: String },
    #[error("the issuance service refused the request: {detail}")]
    Refused {
        status: u16,
        code: String,
        detail: String,
    },
    #[error("the issuance service failed while answering (HTTP {status}{}). Try again; if it persists, tell the service desk.", if detail.is_empty() { String::new() } else { format!(": {detail}") })]
    ServerFailed { status: u16, detail: String },
    #[error(
        "the issuance service answered something this lane cannot read ({what}). Its version may not match this console's; tell the service desk."
    )]
    Nonsense { what: String },
}

impl ServiceError {
    /// Whether trying the same idempotent call again might succeed.
    fn transient(&self) -> bool {
        match self {
            ServiceError::Unreachable { .. } | ServiceError::TimedOut { .. } => true,
            ServiceError::ServerFailed { status, .. } => matches!(status, 502..=504),
            _ => false,
        }
    }

    /// The problem `code` when the service refused the traveller's code or card (unknown
    /// card, a token it will not honour): an answer about the traveller. A request the
    /// service could not read (400) or a lane it does not know is this lane's problem, not
    /// the traveller's, and gives no code here: the console says it could not check.
    pub fn problem_code(&self) -> Option<&str> {
        match self {
            ServiceError::Refused {
                status: 404 | 409 | 422,
                code,
                ..
            } => Some(code),
            _ => None,
        }
    }
}

/// Which client reaches the service now. A lane has one; in training, the trainer's fault
/// switches put a client to a closed port or through a slow proxy in its place.
pub trait ServiceRoute: Send + Sync {
    fn client(&self) -> std::sync::Arc<ServiceClient>;
}

impl ServiceRoute for std::sync::Arc<ServiceClient> {
    fn client(&self) -> std::sync::Arc<ServiceClient> {
        self.clone()
    }
}

#[derive(Debug, Clone)]
pub struct ServiceClient {
    http: reqwest::Client,
    base: Url,
    lane_token: Option<String>,
    timeout: Duration,
    retries: u32,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Idempotent {
    Yes,
    No,
}

/// Plain HTTP carries the lane token in clear: it is only allowed to this machine.
pub fn transport_allowed(url: &Url) -> Result<(), &'static str> {
    if url.scheme() == "https" {
        return Ok(());
    }
    let host = url.host_str().unwrap_or("");
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = host.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if loopback {
        Ok(())
    } else {
        Err(
            "plain http:// would carry the lane token in clear; it is allowed only to this machine (127.0.0.1, ::1, localhost). Use https://",
        )
    }
}

impl ServiceClient {
    pub fn new(config: &ClientConfig) -> Result<Self, ServiceError> {
        let bad_url = |why: &str| ServiceError::BadUrl {
            url: sanitize(&config.base_url),
            why: why.to_owned(),
        };
        let mut base = Url::parse(config.base_url.trim()).map_err(|e| bad_url(&e.to_string()))?;
        if !matches!(base.scheme(), "http" | "https") || base.host().is_none() {
            return Err(bad_url("it must be an http or https address with a host"));
        }
        if let Err(why) = transport_allowed(&base) {
            return Err(bad_url(why));
        }
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let mut builder = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .user_agent(concat!("lanedesk/", env!("CARGO_PKG_VERSION")))
            // Lanes talk to one service; never wander off through redirects.
            .redirect(reqwest::redirect::Policy::none());
        if let Some(path) = &config.ca_cert {
            let bad_ca = |why: String| ServiceError::BadCaCert {
                path: path.display().to_string(),
                why,
            };
            let pem = std::fs::read(path).map_err(|e| bad_ca(e.to_string()))?;
            if !pem.starts_with(b"-----BEGIN") {
                return Err(bad_ca("it is not PEM text".into()));
            }
            let certs =
                reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| bad_ca(e.to_string()))?;
            if certs.is_empty() {
                return Err(bad_ca("it holds no certificate".into()));
            }
            // Pinned: with a CA given, only that CA is trusted, not the system's roots.
            builder = builder.tls_certs_only(certs);
        }
        let http = builder.build().map_err(|e| ServiceError::BadCaCert {
            path: config
                .ca_cert
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            why: error_chain(&e),
        })?;
        Ok(Self {
            http,
            base,
            lane_token: config.lane_token.clone(),
            timeout: config.timeout,
            retries: config.retries,
        })
    }

    pub fn base_url(&self) -> &str {
        self.base.as_str()
    }

    pub async fn health(&self) -> Result<Health, ServiceError> {
        self.json(Method::GET, "v1/health", None::<&()>, Idempotent::Yes)
            .await
    }

    /// The trust list, as a domain value stamped with `now`.
    pub async fn trust_list(&self, now: i64) -> Result<TrustList, ServiceError> {
        let body: TrustListBody = self
            .json(Method::GET, "v1/trust-list", None::<&()>, Idempotent::Yes)
            .await?;
        body.into_trust_list(now)
            .map_err(|what| ServiceError::Nonsense {
                what: sanitize(&what),
            })
    }

    pub async fn verify(
        &self,
        request: &VerificationRequest,
    ) -> Result<Verification, ServiceError> {
        self.json(
            Method::POST,
            "v1/verifications",
            Some(request),
            Idempotent::No,
        )
        .await
    }

    pub async fn decide(
        &self,
        decision: &DecisionRequest,
    ) -> Result<DecisionReceipt, ServiceError> {
        // Safe to repeat: the service deduplicates by decision_id.
        self.json(
            Method::POST,
            "v1/decisions",
            Some(decision),
            Idempotent::Yes,
        )
        .await
    }

    /// The audit chain heads the service was shown by a lane, by sequence, ascending.
    pub async fn audit_heads(
        &self,
        checkpoint: &str,
        lane: &str,
    ) -> Result<Vec<WitnessedHead>, ServiceError> {
        let path = format!(
            "v1/lanes/{}/{}/audit-heads",
            urlencode(checkpoint),
            urlencode(lane)
        );
        let mut heads: Vec<WitnessedHead> = self
            .json(Method::GET, &path, None::<&()>, Idempotent::Yes)
            .await?;
        for h in &heads {
            let head = AuditHead {
                sequence: h.sequence,
                hash: h.hash.clone(),
            };
            head.well_formed().map_err(|why| ServiceError::Nonsense {
                what: format!("{path}: {why}"),
            })?;
        }
        heads.sort_by_key(|h| h.sequence);
        Ok(heads)
    }

    pub async fn photo(&self, holder_id: &str) -> Result<Vec<u8>, ServiceError> {
        let path = format!("v1/holders/{}/photo", urlencode(holder_id));
        self.send(Method::GET, &path, None::<&()>, Idempotent::Yes)
            .await
    }

    pub async fn cards(&self) -> Result<Vec<CardSummary>, ServiceError> {
        self.json(Method::GET, "v1/cards", None::<&()>, Idempotent::Yes)
            .await
    }

    pub async fn mint(&self, card: CardRef) -> Result<MintedToken, ServiceError> {
        let path = format!("v1/cards/{card}/tokens");
        self.json(Method::POST, &path, None::<&()>, Idempotent::No)
            .await
    }

    async fn json<T: DeserializeOwned, B: Serialize>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
        idempotent: Idempotent,
    ) -> Result<T, ServiceError> {
        let bytes = self.send(method, path, body, idempotent).await?;
        serde_json::from_slice(&bytes).map_err(|e| ServiceError::Nonsense {
            what: format!("{path}: {}", sanitize(&e.to_string())),
        })
    }

    async fn send<B: Serialize>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
        idempotent: Idempotent,
    ) -> Result<Vec<u8>, ServiceError> {
        let attempts = if idempotent == Idempotent::Yes {
            1 + self.retries
        } else {
            1
        };
        let mut backoff = Duration::from_millis(100);
        let mut attempt = 1;
        loop {
            match self.send_once(method.clone(), path, body).await {
                Err(e) if e.transient() && attempt < attempts => {
                    tracing::debug!("retrying {path} after {e}");
                    tokio::time::sleep(backoff).await;
                    backoff *= 3;
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    async fn send_once<B: Serialize>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<Vec<u8>, ServiceError> {
        let url = self.base.join(path).map_err(|e| ServiceError::BadUrl {
            url: self.base.to_string(),
            why: e.to_string(),
        })?;
        let mut request = self.http.request(method, url.clone());
        if let Some(token) = &self.lane_token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| self.transport_error(&url, &e))?;
        let status = response.status();
        let bytes = read_limited(response)
            .await
            .map_err(|e| self.transport_error(&url, &e))?
            .ok_or_else(|| ServiceError::Nonsense {
                what: format!("{path}: an answer larger than {MAX_BODY} bytes"),
            })?;
        if status.is_success() {
            return Ok(bytes);
        }
        Err(status_error(status, &bytes))
    }

    fn transport_error(&self, url: &Url, e: &reqwest::Error) -> ServiceError {
        let shown = sanitize(url.as_str());
        let why = error_chain(e);
        if e.is_timeout() {
            ServiceError::TimedOut {
                url: shown,
                seconds: self.timeout.as_secs_f64(),
            }
        } else if why.contains("certificate") || why.contains("UnknownIssuer") {
            ServiceError::UntrustedCertificate { url: shown, why }
        } else if e.is_decode() || e.is_body() {
            ServiceError::Nonsense {
                what: format!("the answer broke off: {why}"),
            }
        } else {
            ServiceError::Unreachable { url: shown, why }
        }
    }
}

async fn read_limited(mut response: reqwest::Response) -> Result<Option<Vec<u8>>, reqwest::Error> {
    let mut out = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if out.len() + chunk.len() > MAX_BODY {
            return Ok(None);
        }
        out.extend_from_slice(&chunk);
    }
    Ok(Some(out))
}

fn status_error(status: StatusCode, body: &[u8]) -> ServiceError {
    let problem: Option<Problem> = serde_json::from_slice(body).ok();
    let detail = problem
        .as_ref()
        .map(|p| sanitize(&p.detail))
        .unwrap_or_default();
    if status == StatusCode::UNAUTHORIZED {
        return ServiceError::LaneTokenRefused {
            detail: if detail.is_empty() {
                "HTTP 401".into()
            } else {
                detail
            },
        };
    }
    if status.is_server_error() {
        return ServiceError::ServerFailed {
            status: status.as_u16(),
            detail,
        };
    }
    match problem {
        Some(p) => ServiceError::Refused {
            status: status.as_u16(),
            code: sanitize(&p.code),
            detail,
        },
        None => ServiceError::Nonsense {
            what: format!("HTTP {} without a problem description", status.as_u16()),
        },
    }
}

/// The error and its causes on one line: reqwest's own message alone hides the cause.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    sanitize(&parts.join(": "))
}

fn urlencode(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
