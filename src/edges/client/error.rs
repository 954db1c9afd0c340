//! What can go wrong between a lane and the service, each said for the officer or the
//! technician: what happened and what to do.

use reqwest::StatusCode;

use crate::api::Problem;
use crate::domain::text::sanitize;

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
        "the issuance service at {url} presented a TLS certificate this lane cannot accept: {why}."
    )]
    UntrustedCertificate { url: String, why: String },
    #[error("the issuance service at {url} sent a trust list this lane refuses: {error}")]
    UntrustedList {
        url: String,
        error: crate::domain::trust::TrustListError,
    },
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
    pub(super) fn transient(&self) -> bool {
        match self {
            ServiceError::Unreachable { .. } | ServiceError::TimedOut { .. } => true,
            ServiceError::ServerFailed { status, .. } => matches!(status, 502..=504),
            _ => false,
        }
    }

    /// The problem `code` the service answered with, whatever its status.
    pub fn problem_code(&self) -> Option<&str> {
        match self {
            ServiceError::Refused { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The service refused the lane's token: unknown or revoked (401), or another lane's
    /// (403 `lane-mismatch`).
    pub fn token_refused(&self) -> bool {
        match self {
            ServiceError::LaneTokenRefused { .. } => true,
            ServiceError::Refused { status, code, .. } => *status == 403 && code == "lane-mismatch",
            _ => false,
        }
    }

    /// The service could not be reached or did not answer: the lane works offline.
    pub fn offline(&self) -> bool {
        matches!(
            self,
            ServiceError::Unreachable { .. } | ServiceError::TimedOut { .. }
        )
    }

    /// The problem `code` when the service refused the traveller's code or card (unknown
    /// card, a token it will not honour): an answer about the traveller. A request the
    /// service could not read (400) or a lane it does not know is this lane's problem, not
    /// the traveller's, and gives no code here: the console says it could not check.
    pub fn refusal_code(&self) -> Option<&str> {
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

pub(super) fn status_error(status: StatusCode, body: &[u8]) -> ServiceError {
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
pub(super) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
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
