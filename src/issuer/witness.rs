//! The service as witness of the lanes' audit trails: every chain head a lane sends with a
//! decision is kept, per checkpoint and lane, and listed for `lanedesk audit verify
//! --service`. A lane cannot later cut its log short or rewrite it up to a head the service
//! holds without `audit verify --service` saying so.

use std::sync::Arc;

use axum::Extension;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};

use crate::api::{AuditHead, WitnessedHead};
use crate::domain::text::sanitize;

use super::Issuer;
use super::auth::Caller;
use super::problem::{ApiError, ApiResult, check_label, known_checkpoint};
use super::store::HeadOutcome;

/// A head sent with a decision, refused before anything is recorded when it is not one.
pub(super) fn check_head(head: Option<&AuditHead>) -> ApiResult<()> {
    match head.map(AuditHead::well_formed) {
        Some(Err(why)) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "Request body not understood",
            format!("audit_head: {why}"),
        )),
        _ => Ok(()),
    }
}

/// Keeps the head a lane sent with a decision it accepted. A head that disagrees with one
/// already held for the same record is logged and counted; the decision stands either way,
/// and so does a head the database could not take (the next decision carries a later one).
pub(super) async fn witness(
    issuer: &Issuer,
    checkpoint: &str,
    lane: &str,
    head: &AuditHead,
    now: DateTime<Utc>,
) {
    let outcome = issuer
        .store
        .record_audit_head(checkpoint, lane, head, now)
        .await;
    let result = match outcome {
        Ok(HeadOutcome::New) => "new",
        Ok(HeadOutcome::Known) => "known",
        Ok(HeadOutcome::Conflict { held }) => {
            tracing::warn!(
                checkpoint,
                lane = %sanitize(lane),
                sequence = head.sequence,
                held = %held,
                sent = %head.hash,
                "a lane sent an audit head that differs from the one held for the same record: its log was rewritten or restarted"
            );
            "conflict"
        }
        Err(e) => {
            tracing::error!(checkpoint, lane = %sanitize(lane), error = %e, "could not keep a lane's audit head");
            "failed"
        }
    };
    issuer.metrics.audit_head(result);
}

/// `GET /v1/lanes/{checkpoint}/{lane}/audit-heads`: every head the lane was seen with,
/// by sequence. Only that lane's token (or the demo's shared one) may ask.
pub(super) async fn audit_heads(
    State(issuer): State<Arc<Issuer>>,
    Extension(caller): Extension<Caller>,
    Path((checkpoint, lane)): Path<(String, String)>,
) -> ApiResult<Json<Vec<WitnessedHead>>> {
    let checkpoint = known_checkpoint(&checkpoint)?;
    check_label(&lane, "lane", 32)?;
    caller.may_act_for(checkpoint.slug, &lane)?;
    let heads = issuer
        .store
        .audit_heads(checkpoint.slug, &lane)
        .await
        .map_err(ApiError::store)?;
    Ok(Json(heads))
}
