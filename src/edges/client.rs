//! The issuance service client. Every failure becomes a [`ServiceError`] that says what
//! happened and what to do. Only idempotent calls are retried: a verification is never sent
//! twice, because the second would be recorded as a presentation of its own.

mod error;
mod tls;

pub use error::ServiceError;
use error::{error_chain, status_error};

use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::{Method, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::api::{
    AuditHead, CardSummary, DecisionReceipt, DecisionRequest, Health, LaneIdentity, MintedToken,
    SignedTrustList, Verification, VerificationRequest, WitnessedHead,
};
use crate::domain::credential::CardRef;
use crate::domain::text::sanitize;
use crate::domain::trust::{TrustAnchor, TrustList};

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);
/// JSON answers are small; a photo is the largest thing the service sends.
const MAX_BODY: usize = 4 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub base_url: String,
    pub lane_token: Option<String>,
    /// The CA certificate (PEM) of a service with a private CA: pinned, the only CA trusted.
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
    /// The pinned CA's file, to name it when the service's certificate is refused.
    ca_cert: Option<PathBuf>,
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
            ca_cert: config.ca_cert.clone(),
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

    /// The lane this client's token belongs to, asked as `checkpoint`'s `lane`: an
    /// authenticated call that changes nothing (401 unknown or revoked, 403 another lane's).
    pub async fn lane_identity(
        &self,
        checkpoint: &str,
        lane: &str,
    ) -> Result<LaneIdentity, ServiceError> {
        let path = format!("v1/lanes/{}/{}", urlencode(checkpoint), urlencode(lane));
        self.json(Method::GET, &path, None::<&()>, Idempotent::Yes)
            .await
    }

    /// The trust list, verified against the lane's pinned `anchor` at `now`, with the
    /// signed form it came in (what a lane caches, to verify again at each load).
    pub async fn trust_list(
        &self,
        anchor: &TrustAnchor,
        now: i64,
    ) -> Result<(TrustList, SignedTrustList), ServiceError> {
        let signed: SignedTrustList = self
            .json(Method::GET, "v1/trust-list", None::<&()>, Idempotent::Yes)
            .await?;
        match signed.verify(anchor, now) {
            Ok(list) => Ok((list, signed)),
            Err(error) => Err(ServiceError::UntrustedList {
                url: self.base.to_string(),
                error,
            }),
        }
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
        self.send(Method::GET, &path, None::<&()>, Idempotent::Yes, None)
            .await
    }

    pub async fn cards(&self) -> Result<Vec<CardSummary>, ServiceError> {
        self.json(Method::GET, "v1/cards", None::<&()>, Idempotent::Yes)
            .await
    }

    /// A fresh code for `card`, as a phone app gets one: with the holder's secret, or
    /// without one from a service in demo mode.
    pub async fn mint(&self, card: CardRef) -> Result<MintedToken, ServiceError> {
        self.mint_as(card, None).await
    }

    pub async fn mint_as(
        &self,
        card: CardRef,
        holder_secret: Option<&str>,
    ) -> Result<MintedToken, ServiceError> {
        let path = format!("v1/cards/{card}/tokens");
        let holder = holder_secret.map(|s| format!("Holder {s}"));
        let bytes = self
            .send(
                Method::POST,
                &path,
                None::<&()>,
                Idempotent::No,
                holder.as_deref(),
            )
            .await?;
        serde_json::from_slice(&bytes).map_err(|e| ServiceError::Nonsense {
            what: format!("{path}: {}", sanitize(&e.to_string())),
        })
    }

    async fn json<T: DeserializeOwned, B: Serialize>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
        idempotent: Idempotent,
    ) -> Result<T, ServiceError> {
        let bytes = self.send(method, path, body, idempotent, None).await?;
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
        authorization: Option<&str>,
    ) -> Result<Vec<u8>, ServiceError> {
        let attempts = if idempotent == Idempotent::Yes {
            1 + self.retries
        } else {
            1
        };
        let mut backoff = Duration::from_millis(100);
        let mut attempt = 1;
        loop {
            match self
                .send_once(method.clone(), path, body, authorization)
                .await
            {
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
        authorization: Option<&str>,
    ) -> Result<Vec<u8>, ServiceError> {
        let url = self.base.join(path).map_err(|e| ServiceError::BadUrl {
            url: self.base.to_string(),
            why: e.to_string(),
        })?;
        let mut request = self.http.request(method, url.clone());
        match (authorization, &self.lane_token) {
            (Some(value), _) => request = request.header(reqwest::header::AUTHORIZATION, value),
            (None, Some(token)) => request = request.bearer_auth(token),
            (None, None) => {}
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
        } else if let Some(refusal) = tls::Refusal::find(e).or_else(|| {
            // A refusal rustls did not report as such (another TLS stack's wording).
            (why.contains("certificate") || why.contains("UnknownIssuer"))
                .then(|| tls::Refusal::Other(why.clone()))
        }) {
            let host = url.host_str().unwrap_or_default();
            let why = refusal.explain(host, self.ca_cert.as_deref());
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
