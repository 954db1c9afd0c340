//! Writes: verifications, decisions (with the trip they take) and card status changes.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use crate::api::{DecisionRequest, Presentation};
use crate::domain::credential::CardRef;
use crate::domain::holder::CardStatus;
use crate::issuer::lifecycle::{CardAction, pick_endorsement};
use crate::issuer::store::{
    CardEvent, ChangeOutcome, DecisionOutcome, Recorded, StoreError, TripTaken, TripUse, from_word,
    millis, word,
};

use super::travellers::{card_state, endorsement_rows};

/// What a verification job carries to the writer thread.
pub(super) struct OwnedVerification {
    pub(super) id: String,
    pub(super) nonce: [u8; 12],
    pub(super) card: CardRef,
    pub(super) checkpoint: String,
    pub(super) lane: String,
    pub(super) direction: String,
    pub(super) officer: String,
    pub(super) at: i64,
}

pub(super) struct OwnedChange {
    pub(super) card: CardRef,
    pub(super) action: CardAction,
    pub(super) reason: String,
    pub(super) actor: String,
    pub(super) via: String,
    pub(super) at: DateTime<Utc>,
}

pub(super) fn record_verification(
    c: &Connection,
    v: &OwnedVerification,
) -> Result<Recorded, StoreError> {
    let nonce = v.nonce.to_vec();
    let first =
        c.prepare_cached(
            "INSERT INTO presentations (nonce, verification_id, card, checkpoint, lane, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (nonce) DO NOTHING",
        )?
        .execute(params![
            nonce,
            v.id,
            v.card.0.to_vec(),
            v.checkpoint,
            v.lane,
            v.at
        ])? == 1;
    let presented_before = if first {
        None
    } else {
        c.prepare_cached(
            "SELECT verification_id, at, checkpoint, lane FROM presentations WHERE nonce = ?1",
        )?
        .query_row(params![nonce], |r| {
            Ok(Presentation {
                verification_id: r.get(0)?,
                at: millis(r.get(1)?),
                checkpoint: r.get(2)?,
                lane: r.get(3)?,
            })
        })
        .optional()?
    };
    c.prepare_cached(
        "INSERT INTO verifications (id, nonce, card, checkpoint, lane, direction, officer, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        v.id,
        nonce,
        v.card.0.to_vec(),
        v.checkpoint,
        v.lane,
        v.direction,
        v.officer,
        v.at
    ])?;
    Ok(Recorded {
        presented_before,
        card: card_state(c, v.card)?,
    })
}

fn take_trip(
    c: &Connection,
    card: CardRef,
    trip: TripUse,
) -> Result<Option<TripTaken>, StoreError> {
    let traveller: Option<String> = c
        .query_row(
            "SELECT traveller FROM cards WHERE card = ?1",
            params![card.0.to_vec()],
            |r| r.get(0),
        )
        .optional()?;
    let Some(traveller) = traveller else {
        return Ok(None);
    };
    let rows = endorsement_rows(c, &traveller)?;
    let Some(chosen) = pick_endorsement(&rows, trip.destinations, trip.on) else {
        return Ok(None);
    };
    c.execute(
        "UPDATE endorsements SET trips_used = trips_used + 1
         WHERE traveller = ?1 AND document = ?2 AND position = ?3",
        params![traveller, chosen.document, chosen.position],
    )?;
    Ok(Some(TripTaken {
        document: chosen.document,
        position: chosen.position,
        destination: chosen.endorsement.destination,
        trips_used: chosen.endorsement.trips_used + 1,
    }))
}

pub(super) fn record_decision(
    c: &Connection,
    d: &DecisionRequest,
    body: &str,
    at: i64,
    trip: Option<TripUse>,
) -> Result<DecisionOutcome, StoreError> {
    let existing: Option<(String, i64)> = c
        .prepare_cached("SELECT body, received_at FROM decisions WHERE decision_id = ?1")?
        .query_row(params![d.decision_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match existing {
        Some((stored, at)) if stored == body => Ok(DecisionOutcome::Duplicate(millis(at))),
        Some(_) => Ok(DecisionOutcome::Conflict),
        None => {
            let taken = match trip {
                Some(trip) => take_trip(c, d.card, trip)?,
                None => None,
            };
            c.prepare_cached(
                "INSERT INTO decisions (decision_id, body, received_at, trip) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![
                d.decision_id,
                body,
                at,
                taken.as_ref().map(|t| format!("{}/{}", t.document, t.position))
            ])?;
            Ok(DecisionOutcome::Recorded(millis(at), taken))
        }
    }
}

pub(super) fn change_card(c: &Connection, ch: &OwnedChange) -> Result<ChangeOutcome, StoreError> {
    let status: Option<String> = c
        .query_row(
            "SELECT status FROM cards WHERE card = ?1",
            params![ch.card.0.to_vec()],
            |r| r.get(0),
        )
        .optional()?;
    let Some(status) = status else {
        return Ok(ChangeOutcome::UnknownCard);
    };
    let from: CardStatus = from_word(&status, "card status")?;
    let to = match ch.action.apply(from) {
        Err(()) => return Ok(ChangeOutcome::Refused(from)),
        Ok(None) => return Ok(ChangeOutcome::Unchanged(from)),
        Ok(Some(to)) => to,
    };
    let at = ch.at.timestamp_millis();
    c.execute(
        "UPDATE cards SET status = ?2, changed_at = ?3, changed_by = ?4, change_reason = ?5
         WHERE card = ?1",
        params![ch.card.0.to_vec(), word(&to), at, ch.actor, ch.reason],
    )?;
    c.execute(
        "INSERT INTO card_events (card, action, from_status, to_status, reason, actor, via, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            ch.card.0.to_vec(),
            ch.action.as_str(),
            word(&from),
            word(&to),
            ch.reason,
            ch.actor,
            ch.via,
            at
        ],
    )?;
    Ok(ChangeOutcome::Changed(CardEvent {
        card: ch.card,
        action: ch.action,
        from,
        to,
        reason: ch.reason.clone(),
        actor: ch.actor.clone(),
        via: ch.via.clone(),
        at: millis(at),
    }))
}
