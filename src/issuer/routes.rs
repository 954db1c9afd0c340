//! HTTP handlers of API v1. Errors are `application/problem+json` with a stable `code`.

use std::sync::Arc;

use std::time::Instant;

use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, Extension, MatchedPath, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

use crate::api::{
    CardInfo, DecisionReceipt, DecisionRequest, Health, Readiness, SignedTrustList, TokenInfo,
    Verification, VerificationRequest,
};
use crate::domain::checkpoint::Direction;
use crate::domain::credential::{self, CardRef, CredentialError};
use crate::domain::decision::DecisionKind;
use crate::domain::text::sanitize;
use crate::domain::trust::TrustList;

use super::Issuer;
use super::admin;
use super::auth::{self, Caller};
use super::problem::ApiError;
use super::problem::{ApiResult, check_label, json_body, known_checkpoint};
use super::store::{DecisionOutcome, NewDecision, NewVerification, TripUse, apply_state};
use super::witness;

/// Requests are small JSON documents; anything larger is refused before parsing.
const BODY_LIMIT: usize = 16 * 1024;

pub fn router(issuer: Arc<Issuer>) -> Router {
    let lane_only = Router::new()
        .route("/v1/trust-list", get(trust_list))
        .route("/v1/verifications", post(verify))
        .route("/v1/holders/{id}/photo", get(photo))
        .route("/v1/decisions", post(decide))
        .route("/v1/lanes/{checkpoint}/{lane}", get(auth::lane_identity))
        .route(
            "/v1/lanes/{checkpoint}/{lane}/audit-heads",
            get(witness::audit_heads),
        )
        .route_layer(middleware::from_fn_with_state(
            issuer.clone(),
            auth::require_lane,
        ));
    let admin_only = Router::new()
        .route("/v1/admin/cards/{card}", get(admin::card))
        .route("/v1/admin/cards/{card}/status", post(admin::change_status))
        .route_layer(middleware::from_fn_with_state(
            issuer.clone(),
            admin::require_admin,
        ));
    Router::new()
        .route("/v1/health", get(health))
        .route("/v1/ready", get(ready))
        .route("/metrics", get(metrics))
        .route("/v1/cards", get(cards))
        .route("/v1/cards/{card}/tokens", post(mint))
        .merge(lane_only)
        .merge(admin_only)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(issuer.clone(), track))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(issuer)
}

/// Counts and times every request by its route's template (never the raw path, which
/// would make one series per card).
async fn track(State(issuer): State<Arc<Issuer>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let response = next.run(request).await;
    issuer.metrics.request(
        &route,
        &method,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not-found",
        "No such resource",
        "This path is not part of API v1.",
    )
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "Method not allowed",
        "This path does not accept that method.",
    )
}

async fn health(State(issuer): State<Arc<Issuer>>) -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        time: issuer.clock.now(),
    })
}

async fn ready(State(issuer): State<Arc<Issuer>>) -> ApiResult<Json<Readiness>> {
    match issuer.ready().await {
        Ok(()) => Ok(Json(Readiness {
            status: "ready".into(),
            database: issuer.store.kind().into(),
        })),
        Err(why) => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not-ready",
            "Not ready",
            format!(
                "{}; send lanes to another instance until it is back.",
                sanitize(&why)
            ),
        )),
    }
}

async fn metrics(State(issuer): State<Arc<Issuer>>) -> Response {
    let ready = issuer.ready().await.is_ok();
    let text = issuer.metrics.render(issuer.store.pool(), ready);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

/// The trust list, signed by the anchor now. Keys rotated by another process since the
/// last look are read first, so a lane asking right after a rotation gets the new list.
async fn trust_list(State(issuer): State<Arc<Issuer>>) -> ApiResult<Json<SignedTrustList>> {
    issuer.refresh_keys().await.map_err(ApiError::store)?;
    Ok(Json(issuer.signed_trust_list()))
}

fn token_problem(e: &CredentialError) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        e.code(),
        "Code refused",
        e.to_string(),
    )
}

async fn verify(
    State(issuer): State<Arc<Issuer>>,
    Extension(caller): Extension<Caller>,
    body: Result<Json<VerificationRequest>, JsonRejection>,
) -> ApiResult<Json<Verification>> {
    let request = json_body(body)?;
    let checkpoint = known_checkpoint(&request.checkpoint)?;
    check_label(&request.lane, "lane", 32)?;
    check_label(&request.officer, "officer", 64)?;
    caller.may_act_for(checkpoint.slug, &request.lane)?;
    let now = issuer.clock.now();
    let check = |trust: &TrustList| {
        credential::verify(
            &request.token,
            trust,
            now.timestamp(),
            issuer.skew_secs,
            None,
        )
    };
    let mut checked = check(&issuer.keys.current().trust);
    // A key this instance has not read yet may be one rotated in by another process.
    if matches!(checked, Err(CredentialError::UnknownKey { .. }))
        && issuer.refresh_keys().await.unwrap_or(false)
    {
        checked = check(&issuer.keys.current().trust);
    }
    let code = checked.map_err(|e| {
        issuer.metrics.verification("refused", e.code());
        token_problem(&e)
    })?;
    let unknown = || {
        issuer.metrics.verification("refused", "unknown-card");
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown-card",
            "Unknown card",
            "The code is genuine but its card is not known to this issuer. Refer to second line.",
        )
    };
    // Known before anything is recorded: a refused code is never a presentation.
    let record = issuer
        .find_record(&code.claims.card)
        .await
        .map_err(ApiError::store)?
        .ok_or_else(unknown)?;
    let verification_id = format!(
        "v-{}",
        hex::encode(crate::domain::credential::Nonce::random().0)
    );
    let direction = request.direction.to_string();
    let recorded = issuer
        .store
        .record_verification(&NewVerification {
            id: &verification_id,
            nonce: code.claims.nonce,
            card: code.claims.card,
            checkpoint: checkpoint.slug,
            lane: &request.lane,
            direction: &direction,
            officer: &request.officer,
            at: now,
        })
        .await
        .map_err(ApiError::store)?;
    let state = recorded.card.ok_or_else(unknown)?;
    let mut record = (*record).clone();
    apply_state(&mut record, &state);
    issuer.metrics.verification(
        if recorded.presented_before.is_some() {
            "presented-before"
        } else {
            "first"
        },
        "",
    );
    let ts = |t| chrono::DateTime::from_timestamp(t, 0).unwrap_or_default();
    Ok(Json(Verification {
        verification_id,
        checked_at: now,
        token: TokenInfo {
            kid: code.kid,
            issued_at: ts(code.claims.issued_at),
            expires_at: ts(code.claims.expires_at),
            nonce: code.claims.nonce,
        },
        card: CardInfo {
            reference: record.card,
            status: record.card_status,
        },
        holder: record.holder,
        documents: record.documents,
        crossings: record.crossings,
        alerts: record.alerts,
        presented_before: recorded.presented_before,
    }))
}

async fn photo(State(issuer): State<Arc<Issuer>>, Path(id): Path<String>) -> ApiResult<Response> {
    let bytes = issuer.portrait(&id).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown-holder",
            "Unknown holder",
            format!("No holder {:?} is enrolled.", sanitize(&id)),
        )
    })?;
    let kind = crate::fixtures::portrait_type(&bytes).unwrap_or("application/octet-stream");
    Ok(([(header::CONTENT_TYPE, kind)], bytes.to_vec()).into_response())
}

async fn decide(
    State(issuer): State<Arc<Issuer>>,
    Extension(caller): Extension<Caller>,
    body: Result<Json<DecisionRequest>, JsonRejection>,
) -> ApiResult<Response> {
    let decision = json_body(body)?;
    let id_ok = (1..=64).contains(&decision.decision_id.len())
        && decision
            .decision_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !id_ok {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "Request body not understood",
            "decision_id must be 1 to 64 letters, digits, - or _",
        ));
    }
    let checkpoint = known_checkpoint(&decision.checkpoint)?;
    check_label(&decision.lane, "lane", 32)?;
    check_label(&decision.officer, "officer", 64)?;
    caller.may_act_for(checkpoint.slug, &decision.lane)?;
    witness::check_head(decision.audit_head.as_ref())?;
    if issuer
        .find_record(&decision.card)
        .await
        .map_err(ApiError::store)?
        .is_none()
    {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown-card",
            "Unknown card",
            format!("Card {} is not known to this issuer.", decision.card),
        ));
    }
    // An approved exit uses a trip of the endorsement for where the traveller is going,
    // as of the day the officer decided (the decision may arrive later from the outbox).
    let trip = (decision.decision == DecisionKind::Approve
        && decision.direction == Direction::Exit)
        .then(|| TripUse {
            destinations: checkpoint.destinations,
            on: crate::domain::clock::local_date(decision.decided_at),
        });
    let outcome = issuer
        .store
        .record_decision(&NewDecision {
            request: &decision,
            received_at: issuer.clock.now(),
            trip,
        })
        .await
        .map_err(ApiError::store)?;
    let kind = crate::issuer::store::word(&decision.decision);
    if let (Some(head), DecisionOutcome::Recorded(..) | DecisionOutcome::Duplicate(_)) =
        (&decision.audit_head, &outcome)
    {
        let now = issuer.clock.now();
        witness::witness(&issuer, checkpoint.slug, &decision.lane, head, now).await;
    }
    let receipt = |recorded_at, duplicate| DecisionReceipt {
        decision_id: decision.decision_id.clone(),
        recorded_at,
        duplicate,
    };
    match outcome {
        DecisionOutcome::Recorded(at, trip) => {
            issuer.metrics.decision("recorded", &kind);
            if let Some(trip) = trip {
                issuer.metrics.trip_used();
                tracing::debug!(card = %decision.card, ?trip, "an approved exit used a trip");
            }
            Ok((StatusCode::CREATED, Json(receipt(at, false))).into_response())
        }
        DecisionOutcome::Duplicate(at) => {
            issuer.metrics.decision("duplicate", &kind);
            Ok((StatusCode::OK, Json(receipt(at, true))).into_response())
        }
        DecisionOutcome::Conflict => {
            issuer.metrics.decision("conflict", &kind);
            Err(ApiError::new(
                StatusCode::CONFLICT,
                "decision-conflict",
                "Decision id reused",
                format!(
                    "Decision {} was already recorded with different content; a decision id names one decision.",
                    decision.decision_id
                ),
            ))
        }
    }
}

/// Demo mode only: the demo's phone picks travellers from it.
async fn cards(State(issuer): State<Arc<Issuer>>) -> ApiResult<Json<Vec<crate::api::CardSummary>>> {
    auth::demo_only(&issuer)?;
    // From the database, so a card revoked a moment ago shows as revoked.
    Ok(Json(issuer.store.cards().await.map_err(ApiError::store)?))
}

/// A fresh code for the card's holder: outside demo mode, only with the holder secret.
async fn mint(
    State(issuer): State<Arc<Issuer>>,
    headers: HeaderMap,
    Path(card): Path<String>,
) -> ApiResult<Response> {
    let card: CardRef = card.parse().map_err(|e: String| {
        ApiError::new(StatusCode::BAD_REQUEST, "bad-card", "Bad card reference", e)
    })?;
    auth::check_holder(&issuer, &headers, card).await?;
    let token = issuer.mint(card).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown-card",
            "Unknown card",
            format!("Card {card} is not known to this issuer."),
        )
    })?;
    Ok((StatusCode::CREATED, Json(token)).into_response())
}
