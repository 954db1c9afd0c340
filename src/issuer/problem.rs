//! How the service says no: `application/problem+json` with a stable `code`, and the
//! checks of what a request names (labels, checkpoints) every handler shares.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::api::{PROBLEM_CONTENT_TYPE, Problem};
use crate::domain::checkpoint::Checkpoint;
use crate::domain::text::sanitize;

pub struct ApiError(pub(crate) Problem);

impl ApiError {
    pub(super) fn new(
        status: StatusCode,
        code: &str,
        title: &str,
        detail: impl Into<String>,
    ) -> Self {
        Self(Problem::new(status.as_u16(), code, title, detail))
    }

    pub(super) fn internal(what: impl std::fmt::Display) -> Self {
        tracing::error!("internal failure: {what}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal failure",
            "The service failed while answering; the failure is in its log.",
        )
    }

    /// The database failed: 503 while the service is stopping or the database is out of
    /// reach (a load balancer retries elsewhere), 500 otherwise.
    pub(super) fn store(e: super::StoreError) -> Self {
        match e {
            super::StoreError::Closed
            | super::StoreError::Postgres(_)
            | super::StoreError::Busy(_) => {
                tracing::warn!("database unavailable: {e}");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "Service unavailable",
                    "The service cannot reach its database just now; try again shortly.",
                )
            }
            other => Self::internal(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, Json(self.0)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(PROBLEM_CONTENT_TYPE),
        );
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

pub(super) type ApiResult<T> = Result<T, ApiError>;

pub(super) fn json_body<T>(body: Result<Json<T>, JsonRejection>) -> ApiResult<T> {
    body.map(|Json(v)| v).map_err(|rejection| {
        ApiError::new(
            rejection.status(),
            "bad-request",
            "Request body not understood",
            sanitize(&rejection.body_text()),
        )
    })
}

/// Lane and officer ids are short printable labels.
pub(super) fn check_label(value: &str, what: &str, max: usize) -> ApiResult<()> {
    if value.is_empty() || value.chars().count() > max || sanitize(value) != value {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "Request body not understood",
            format!("{what} must be 1 to {max} printable characters"),
        ));
    }
    Ok(())
}

pub(super) fn known_checkpoint(name: &str) -> ApiResult<&'static Checkpoint> {
    Checkpoint::find(name).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "unknown-checkpoint",
            "Unknown checkpoint",
            e,
        )
    })
}
