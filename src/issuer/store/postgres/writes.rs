//! Writes: verifications, decisions (with the trip they take), card status changes, and
//! the card events they leave.

use tokio_postgres::types::ToSql;

use crate::api::Presentation;
use crate::domain::credential::CardRef;
use crate::domain::holder::CardStatus;
use crate::issuer::lifecycle::pick_endorsement;
use crate::issuer::store::{
    CardChange, CardEvent, CardState, ChangeOutcome, DecisionOutcome, EndorsementRow, NewDecision,
    NewVerification, Recorded, StoreError, TripTaken, decision_body, from_word, millis, word,
};

use super::PgStore;
use super::schema::pg_err;
use super::travellers::{CARD_TRIPS, endorsement, parse_trips};

pub(super) async fn record_verification(
    store: &PgStore,
    v: &NewVerification<'_>,
) -> Result<Recorded, StoreError> {
    let e = pg_err("recording a verification");
    let client = store.client().await?;
    // One statement, one round trip: the first presentation (the row that won the
    // primary key, returned whether this insert won or not), the verification itself,
    // and the card's state now.
    let stmt = client
        .prepare_cached(&format!(
            "WITH first AS (
                     INSERT INTO presentations AS p (nonce, verification_id, card, checkpoint, lane, at)
                     VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (nonce) DO UPDATE SET nonce = EXCLUDED.nonce
                     RETURNING p.verification_id, p.at, p.checkpoint, p.lane
                 ), logged AS (
                     INSERT INTO verifications (id, nonce, card, checkpoint, lane, direction, officer, at)
                     VALUES ($2, $1, $3, $4, $5, $7, $8, $6)
                 )
                 SELECT f.verification_id, f.at, f.checkpoint, f.lane, c.status, {CARD_TRIPS}
                 FROM first f LEFT JOIN cards c ON c.card = $3"
        ))
        .await
        .map_err(&e)?;
    let nonce = &v.nonce.0[..];
    let card = &v.card.0[..];
    let at = v.at.timestamp_millis();
    let params: [&(dyn ToSql + Sync); 8] = [
        &nonce,
        &v.id,
        &card,
        &v.checkpoint,
        &v.lane,
        &at,
        &v.direction,
        &v.officer,
    ];
    let row = client.query_one(&stmt, &params).await.map_err(&e)?;
    let first_id: &str = row.get(0);
    let presented_before = (first_id != v.id).then(|| Presentation {
        verification_id: first_id.to_owned(),
        at: millis(row.get(1)),
        checkpoint: row.get(2),
        lane: row.get(3),
    });
    let card = match row.get::<_, Option<&str>>(4) {
        Some(status) => Some(CardState {
            status: from_word(status, "card status")?,
            trips: parse_trips(row.get::<_, Option<&str>>(5).unwrap_or(""))?,
        }),
        None => None,
    };
    Ok(Recorded {
        presented_before,
        card,
    })
}

pub(super) async fn record_decision(
    store: &PgStore,
    d: &NewDecision<'_>,
) -> Result<DecisionOutcome, StoreError> {
    let e = pg_err("recording a decision");
    let body = decision_body(d.request)?;
    let at = d.received_at.timestamp_millis();
    let id = &d.request.decision_id;
    let mut client = store.client().await?;
    // Prepared once per connection: no parse or plan per decision.
    let insert = client
        .prepare_cached(
            "INSERT INTO decisions (decision_id, body, received_at) VALUES ($1, $2, $3)
                 ON CONFLICT (decision_id) DO NOTHING",
        )
        .await
        .map_err(&e)?;
    let stored = client
        .prepare_cached("SELECT body, received_at FROM decisions WHERE decision_id = $1")
        .await
        .map_err(&e)?;
    let tx = client.transaction().await.map_err(&e)?;
    // Sent together (the driver pipelines them): one round trip for both.
    let params: [&(dyn ToSql + Sync); 3] = [id, &body, &at];
    let ((), inserted) = tokio::try_join!(
        tx.batch_execute("SET LOCAL synchronous_commit = on"),
        tx.execute(&insert, &params),
    )
    .map_err(&e)?;
    if inserted == 0 {
        // Another request (on any instance) stored this id first and has committed:
        // ON CONFLICT waited for it, and this statement's snapshot is newer.
        let row = tx.query_one(&stored, &[id]).await.map_err(&e)?;
        let stored: &str = row.get(0);
        let outcome = if stored == body {
            DecisionOutcome::Duplicate(millis(row.get(1)))
        } else {
            DecisionOutcome::Conflict
        };
        tx.commit().await.map_err(&e)?;
        return Ok(outcome);
    }
    let mut taken = None;
    if let Some(trip) = d.trip {
        let rows = tx
            .query(
                "SELECT e.traveller, e.document, e.position, e.destination, e.type,
                            e.valid_from, e.valid_until, e.trips, e.trips_used, e.max_stay_days
                     FROM endorsements e
                     JOIN cards c ON c.traveller = e.traveller
                     JOIN documents d ON d.traveller = e.traveller AND d.position = e.document
                     WHERE c.card = $1 AND d.kind = 'exit-entry-permit'
                     ORDER BY e.document, e.position
                     FOR UPDATE OF e",
                &[&&d.request.card.0[..]],
            )
            .await
            .map_err(&e)?;
        let mut candidates = Vec::with_capacity(rows.len());
        for r in &rows {
            candidates.push(EndorsementRow {
                document: r.get::<_, i32>(1).max(0) as u32,
                position: r.get::<_, i32>(2).max(0) as u32,
                endorsement: endorsement(
                    r.get(3),
                    r.get(4),
                    r.get(5),
                    r.get(6),
                    r.get(7),
                    r.get(8),
                    r.get(9),
                )?,
            });
        }
        if let (Some(chosen), Some(first)) = (
            pick_endorsement(&candidates, trip.destinations, trip.on),
            rows.first(),
        ) {
            let traveller: &str = first.get(0);
            tx.execute(
                "UPDATE endorsements SET trips_used = trips_used + 1
                     WHERE traveller = $1 AND document = $2 AND position = $3",
                &[
                    &traveller,
                    &(chosen.document as i32),
                    &(chosen.position as i32),
                ],
            )
            .await
            .map_err(&e)?;
            tx.execute(
                "UPDATE decisions SET trip = $2 WHERE decision_id = $1",
                &[id, &format!("{}/{}", chosen.document, chosen.position)],
            )
            .await
            .map_err(&e)?;
            taken = Some(TripTaken {
                document: chosen.document,
                position: chosen.position,
                destination: chosen.endorsement.destination,
                trips_used: chosen.endorsement.trips_used + 1,
            });
        }
    }
    tx.commit().await.map_err(&e)?;
    Ok(DecisionOutcome::Recorded(millis(at), taken))
}

pub(super) async fn change_card(
    store: &PgStore,
    ch: &CardChange<'_>,
) -> Result<ChangeOutcome, StoreError> {
    let e = pg_err("changing a card's status");
    let card = &ch.card.0[..];
    let mut client = store.client().await?;
    let tx = client.transaction().await.map_err(&e)?;
    tx.batch_execute("SET LOCAL synchronous_commit = on")
        .await
        .map_err(&e)?;
    let Some(row) = tx
        .query_opt(
            "SELECT status FROM cards WHERE card = $1 FOR UPDATE",
            &[&card],
        )
        .await
        .map_err(&e)?
    else {
        return Ok(ChangeOutcome::UnknownCard);
    };
    let from: CardStatus = from_word(row.get(0), "card status")?;
    let to = match ch.action.apply(from) {
        Err(()) => return Ok(ChangeOutcome::Refused(from)),
        Ok(None) => return Ok(ChangeOutcome::Unchanged(from)),
        Ok(Some(to)) => to,
    };
    let at = ch.at.timestamp_millis();
    tx.execute(
        "UPDATE cards SET status = $2, changed_at = $3, changed_by = $4, change_reason = $5
             WHERE card = $1",
        &[&card, &word(&to), &at, &ch.actor, &ch.reason],
    )
    .await
    .map_err(&e)?;
    tx.execute(
        "INSERT INTO card_events (card, action, from_status, to_status, reason, actor, via, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            &card,
            &ch.action.as_str(),
            &word(&from),
            &word(&to),
            &ch.reason,
            &ch.actor,
            &ch.via,
            &at,
        ],
    )
    .await
    .map_err(&e)?;
    tx.commit().await.map_err(&e)?;
    Ok(ChangeOutcome::Changed(CardEvent {
        card: ch.card,
        action: ch.action,
        from,
        to,
        reason: ch.reason.to_owned(),
        actor: ch.actor.to_owned(),
        via: ch.via.to_owned(),
        at: millis(at),
    }))
}

pub(super) async fn card_events(
    store: &PgStore,
    card: CardRef,
) -> Result<Vec<CardEvent>, StoreError> {
    let rows = store
        .client()
        .await?
        .query(
            "SELECT action, from_status, to_status, reason, actor, via, at FROM card_events
                 WHERE card = $1 ORDER BY at, id",
            &[&&card.0[..]],
        )
        .await
        .map_err(pg_err("reading card events"))?;
    rows.iter()
        .map(|r| {
            let action: &str = r.get(0);
            Ok(CardEvent {
                card,
                action: action
                    .parse()
                    .map_err(|_| StoreError::Corrupt(format!("card action {action:?}")))?,
                from: from_word(r.get(1), "card status")?,
                to: from_word(r.get(2), "card status")?,
                reason: r.get(3),
                actor: r.get(4),
                via: r.get(5),
                at: millis(r.get(6)),
            })
        })
        .collect()
}
