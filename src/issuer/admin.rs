//! The admin API: a card's lifecycle while the service runs. It has its own credential
//! (`--admin-token`), never the lanes' token; without one configured it is off (404).
//!
//! `POST /v1/admin/cards/{card}/status` `{"action": "revoke", "reason": "...", "actor": "..."}`
//! `GET  /v1/admin/cards/{card}`: the card's status and every change, who and when.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::credential::CardRef;
use crate::domain::holder::CardStatus;
use crate::domain::text::sanitize;

use super::Issuer;
use super::auth::{credential, same_secret};
use super::lifecycle::CardAction;
use super::problem::{ApiError, ApiResult, check_label, json_body};
use super::store::{CardChange, CardEvent, ChangeOutcome};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusChangeRequest {
    pub action: CardAction,
    /// Why, in words: kept with the change.
    pub reason: String,
    /// Who asks (a person's login or name): kept with the change.
    pub actor: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChangeReceipt {
    pub card: CardRef,
    pub status: CardStatus,
    pub previous: CardStatus,
    /// False when the card already had that status (nothing was recorded).
    pub changed: bool,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CardReport {
    pub card: CardRef,
    pub status: CardStatus,
    pub events: Vec<CardEvent>,
}

pub async fn require_admin(
    State(issuer): State<Arc<Issuer>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(expected) = issuer.admin_token.as_deref() else {
        return ApiError::new(
            StatusCode::NOT_FOUND,
            "admin-off",
            "Admin API off",
            "This service was started without --admin-token, so its admin API is off.",
        )
        .into_response();
    };
    let presented = credential(request.headers(), "Bearer");
    match presented {
        Some(token) if same_secret(token.as_bytes(), expected.as_bytes()) => next.run(request).await,
        Some(_) => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "admin-token-refused",
            "Admin token refused",
            "The admin token is not valid for this service (the lanes' token is not an admin token).",
        )
        .into_response(),
        None => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "admin-token-missing",
            "Admin token missing",
            "Send the admin token as 'Authorization: Bearer TOKEN'.",
        )
        .into_response(),
    }
}

fn parse_card(card: &str) -> ApiResult<CardRef> {
    card.parse().map_err(|e: String| {
        ApiError::new(StatusCode::BAD_REQUEST, "bad-card", "Bad card reference", e)
    })
}

fn unknown_card(card: CardRef) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "unknown-card",
        "Unknown card",
        format!("Card {card} is not known to this issuer."),
    )
}

pub async fn change_status(
    State(issuer): State<Arc<Issuer>>,
    Path(card): Path<String>,
    body: Result<Json<StatusChangeRequest>, JsonRejection>,
) -> ApiResult<Response> {
    let card = parse_card(&card)?;
    let request = json_body(body)?;
    check_label(&request.actor, "actor", 64)?;
    let reason = request.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 || sanitize(reason) != reason {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "Request body not understood",
            "reason must be 1 to 500 printable characters: say why the card's status changes",
        ));
    }
    let action = request.action;
    let outcome = issuer
        .store
        .change_card(&CardChange {
            card,
            action,
            reason,
            actor: &request.actor,
            via: "api",
            at: issuer.clock.now(),
        })
        .await
        .map_err(ApiError::store)?;
    let (result, response) = match outcome {
        ChangeOutcome::Changed(event) => {
            tracing::info!(
                card = %card, action = %action, from = event.from.as_str(), to = event.to.as_str(),
                actor = %event.actor, reason = %event.reason, "card status changed through the admin API"
            );
            (
                "changed",
                Ok(Json(StatusChangeReceipt {
                    card,
                    status: event.to,
                    previous: event.from,
                    changed: true,
                    at: event.at,
                })
                .into_response()),
            )
        }
        ChangeOutcome::Unchanged(status) => (
            "unchanged",
            Ok(Json(StatusChangeReceipt {
                card,
                status,
                previous: status,
                changed: false,
                at: issuer.clock.now(),
            })
            .into_response()),
        ),
        ChangeOutcome::Refused(status) => (
            "refused",
            Err(ApiError::new(
                StatusCode::CONFLICT,
                "status-change-refused",
                "Status change refused",
                refusal(action, status),
            )),
        ),
        ChangeOutcome::UnknownCard => ("unknown-card", Err(unknown_card(card))),
    };
    issuer.metrics.card_change(action.as_str(), result);
    response
}

/// Why `action` does not apply to a card with `status`, and what to do instead.
pub fn refusal(action: CardAction, status: CardStatus) -> String {
    let advice = match (action, status) {
        (CardAction::Reinstate, CardStatus::Revoked) => {
            "revocation is final: issue the holder a new card"
        }
        (CardAction::Suspend, CardStatus::ReportedLost) => {
            "a lost card stays lost until it is reinstated or revoked"
        }
        (_, CardStatus::Revoked) => "revocation is final",
        _ => "check the card's current status",
    };
    format!(
        "cannot {} a card that is {}: {advice}.",
        action.as_str().replace('-', " "),
        status.as_str()
    )
}

pub async fn card(
    State(issuer): State<Arc<Issuer>>,
    Path(card): Path<String>,
) -> ApiResult<Json<CardReport>> {
    let card = parse_card(&card)?;
    let state = issuer
        .store
        .card_state(card)
        .await
        .map_err(ApiError::store)?
        .ok_or_else(|| unknown_card(card))?;
    let events = issuer
        .store
        .card_events(card)
        .await
        .map_err(ApiError::store)?;
    Ok(Json(CardReport {
        card,
        status: state.status,
        events,
    }))
}
