//! Recording a decision: the outbox file first, then the audit record, then (for an
//! escalation) the hand-off for second line. "Recorded" means all of it is on disk.
//!
//! A crash between the outbox and the audit record leaves a decision the screen never
//! confirmed but that will be delivered; on the next start it is written to the log too,
//! marked `recovered`, so the log and the service always agree.

use std::collections::HashSet;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::log::{AuditError, AuditLog, files_in, sha256_hex};
use super::outbox::{Outbox, OutboxError};
use crate::api::DecisionRequest;
use crate::domain::decision::DecisionKind;
use crate::domain::lane_time::Offset;

/// What the audit log says about a decision: ids, outcomes, reasons, times; no names, no
/// document numbers, no free text (notes and override reasons are kept as hashes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
// An event is built, written and dropped: its size never matters.
#[allow(clippy::large_enum_variant)]
pub enum Event {
    Decision {
        decision_id: String,
        decision: DecisionKind,
        card: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        verification_id: Option<String>,
        checkpoint: String,
        lane: String,
        direction: String,
        officer: String,
        reasons: Vec<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        note_sha256: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        override_sha256: Option<String>,
        /// Checks that did not pass when the officer decided, as `id:outcome`.
        not_passed: Vec<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        suggested: Option<String>,
        /// The verdict shown when the officer decided (not known for a `recovered` record).
        #[serde(skip_serializing_if = "Option::is_none", default)]
        verdict: Option<String>,
        decided_at: DateTime<Utc>,
        /// The lane's clock against the service's when the officer decided (the service's
        /// time minus the lane's, in ms, with its error bound), when it was known.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        clock_offset: Option<Offset>,
        #[serde(skip_serializing_if = "std::ops::Not::not", default)]
        handoff: bool,
        #[serde(skip_serializing_if = "std::ops::Not::not", default)]
        recovered: bool,
    },
    Delivered {
        decision_id: String,
        duplicate: bool,
    },
    /// The service refused the decision for good (a 4xx problem): kept aside, not resent.
    Rejected { decision_id: String, code: String },
    /// A masked document number was shown in full.
    Reveal {
        officer: String,
        lane: String,
        holder: String,
        document: String,
    },
}

/// A decision with what the checks said when it was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedDecision {
    pub request: DecisionRequest,
    /// False when the code named no card: the decision stays at this lane (audit only).
    pub deliver: bool,
    pub not_passed: Vec<String>,
    pub suggested: Option<String>,
    /// The verdict the officer was shown (`clear`, `review`, `escalate`, `refused`).
    pub verdict: Option<String>,
    /// The offset between the lane's clock and the service's known at the decision.
    pub clock_offset: Option<Offset>,
}

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error(transparent)]
    Outbox(#[from] OutboxError),
    #[error("cannot write the hand-off for second line in {dir}: {source}")]
    Handoff {
        dir: PathBuf,
        source: std::io::Error,
    },
}

pub struct Recorder {
    log: AuditLog,
    outbox: Outbox,
    handoff: PathBuf,
}

fn hash_text(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| sha256_hex(t.as_bytes()))
}

fn decision_event(d: &RecordedDecision, recovered: bool) -> Event {
    let r = &d.request;
    Event::Decision {
        decision_id: r.decision_id.clone(),
        decision: r.decision,
        card: if d.deliver {
            r.card.to_string()
        } else {
            "none".to_owned()
        },
        verification_id: r.verification_id.clone(),
        checkpoint: r.checkpoint.clone(),
        lane: r.lane.clone(),
        direction: r.direction.to_string(),
        officer: r.officer.clone(),
        reasons: r.reasons.clone(),
        note_sha256: hash_text(&r.note),
        override_sha256: r.override_reason.as_deref().and_then(hash_text),
        not_passed: d.not_passed.clone(),
        suggested: d.suggested.clone(),
        verdict: d.verdict.clone(),
        decided_at: r.decided_at,
        clock_offset: d.clock_offset,
        handoff: r.decision == DecisionKind::Escalate,
        recovered,
    }
}

/// The decision ids the log in `dir` already records.
fn logged_decisions(dir: &Path) -> std::io::Result<HashSet<String>> {
    let mut ids = HashSet::new();
    for file in files_in(dir)? {
        for line in std::io::BufReader::new(std::fs::File::open(file)?).lines() {
            #[derive(Deserialize)]
            struct Line {
                event: serde_json::Value,
            }
            if let Ok(l) = serde_json::from_str::<Line>(&line?)
                && l.event["kind"] == "decision"
                && let Some(id) = l.event["decision_id"].as_str()
            {
                ids.insert(id.to_owned());
            }
        }
    }
    Ok(ids)
}

impl Recorder {
    /// Opens the audit log, outbox and hand-off folders under `state`, and writes to the log
    /// any decision the outbox holds that a crash kept out of it.
    pub fn open(state: &Path, now: DateTime<Utc>) -> Result<Recorder, RecordError> {
        let audit_dir = state.join("audit");
        let mut log = AuditLog::open(&audit_dir, now)?;
        let outbox = Outbox::open(&state.join("outbox"))?;
        let handoff = state.join("handoff");
        let logged = logged_decisions(&audit_dir).map_err(|source| AuditError::Io {
            dir: audit_dir.clone(),
            source,
        })?;
        for pending in outbox.pending()? {
            if !logged.contains(&pending.decision_id) {
                let d = RecordedDecision {
                    request: pending,
                    deliver: true,
                    not_passed: vec![],
                    suggested: None,
                    verdict: None,
                    clock_offset: None,
                };
                log.append(now, &decision_event(&d, true))?;
                tracing::warn!(decision = %d.request.decision_id, "recorded a decision a crash kept out of the audit log");
            }
        }
        Ok(Recorder {
            log,
            outbox,
            handoff,
        })
    }

    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    /// Records a decision durably. When this returns `Ok`, the console may say "recorded".
    pub fn record(&mut self, d: &RecordedDecision, now: DateTime<Utc>) -> Result<u64, RecordError> {
        if d.deliver {
            self.outbox.put(&d.request)?;
        }
        let seq = self.log.append(now, &decision_event(d, false))?;
        if d.request.decision == DecisionKind::Escalate {
            self.write_handoff(d)?;
        }
        Ok(seq)
    }

    /// The record second line picks up: what was checked, why it was referred, the note.
    fn write_handoff(&self, d: &RecordedDecision) -> Result<(), RecordError> {
        let err = |source| RecordError::Handoff {
            dir: self.handoff.clone(),
            source,
        };
        std::fs::create_dir_all(&self.handoff).map_err(err)?;
        let r = &d.request;
        let body = serde_json::json!({
            "decision_id": r.decision_id,
            "referred_at": r.decided_at,
            "checkpoint": r.checkpoint,
            "lane": r.lane,
            "direction": r.direction,
            "officer": r.officer,
            "card": r.card,
            "verification_id": r.verification_id,
            "referral_reasons": r.reasons,
            "note": r.note,
            "not_passed": d.not_passed,
            "suggested": d.suggested,
            "verdict": d.verdict,
        });
        let path = self.handoff.join(format!("{}.json", r.decision_id));
        let tmp = self.handoff.join(format!(".{}.tmp", r.decision_id));
        std::fs::write(
            &tmp,
            serde_json::to_vec_pretty(&body).expect("json serialises"),
        )
        .map_err(err)?;
        std::fs::File::open(&tmp)
            .and_then(|f| f.sync_all())
            .map_err(err)?;
        std::fs::rename(&tmp, &path).map_err(err)
    }

    /// The service acknowledged a decision: log it, then let the outbox forget it.
    pub fn delivered(
        &mut self,
        decision_id: &str,
        duplicate: bool,
        now: DateTime<Utc>,
    ) -> Result<(), RecordError> {
        self.log.append(
            now,
            &Event::Delivered {
                decision_id: decision_id.to_owned(),
                duplicate,
            },
        )?;
        self.outbox.remove(decision_id)?;
        Ok(())
    }

    /// The service refused a decision for good: log it and set its file aside in
    /// `outbox/rejected/` for the service desk, so it no longer blocks the ones after it.
    pub fn rejected(
        &mut self,
        decision_id: &str,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<(), RecordError> {
        self.log.append(
            now,
            &Event::Rejected {
                decision_id: decision_id.to_owned(),
                code: code.to_owned(),
            },
        )?;
        self.outbox.set_aside(decision_id)?;
        Ok(())
    }

    pub fn reveal(&mut self, event: &Event, now: DateTime<Utc>) -> Result<(), RecordError> {
        self.log.append(now, event)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::checkpoint::Direction;
    use crate::domain::credential::CardRef;
    use crate::edges::audit::log::verify_files;

    fn decision(id: &str, kind: DecisionKind) -> RecordedDecision {
        RecordedDecision {
            request: DecisionRequest {
                decision_id: id.into(),
                verification_id: Some("v1".into()),
                card: CardRef([5; 16]),
                checkpoint: "lo-wu".into(),
                lane: "L1".into(),
                direction: Direction::Exit,
                officer: "O1".into(),
                decision: kind,
                reasons: vec!["watch-list".into()],
                note: "CHAN Tai Man looked nervous, passport H12345678".into(),
                override_reason: None,
                decided_at: chrono::DateTime::from_timestamp(1_780_000_000, 0).unwrap(),
            },
            deliver: true,
            not_passed: vec!["watch-list:fail".into()],
            suggested: Some("escalate".into()),
            verdict: Some("escalate".into()),
            clock_offset: None,
        }
    }

    fn now() -> DateTime<Utc> {
        chrono::DateTime::from_timestamp(1_780_000_000, 0).unwrap()
    }

    #[test]
    fn recording_writes_outbox_log_and_hand_off_without_free_text_in_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = Recorder::open(dir.path(), now()).unwrap();
        r.record(&decision("s-1", DecisionKind::Escalate), now())
            .unwrap();
        assert_eq!(r.outbox().pending().unwrap().len(), 1);
        let handoff = std::fs::read_to_string(dir.path().join("handoff/s-1.json")).unwrap();
        assert!(handoff.contains("looked nervous") && handoff.contains("watch-list"));
        let files = files_in(&dir.path().join("audit")).unwrap();
        let log = std::fs::read_to_string(&files[0]).unwrap();
        assert!(
            !log.contains("CHAN") && !log.contains("H12345678") && !log.contains("nervous"),
            "{log}"
        );
        assert!(
            log.contains("\"note_sha256\"") && log.contains("\"handoff\":true"),
            "{log}"
        );
        r.delivered("s-1", false, now()).unwrap();
        assert!(r.outbox().is_empty());
        assert_eq!(verify_files(&files), Ok(2));
    }

    #[test]
    fn a_decision_in_the_outbox_but_not_the_log_is_logged_as_recovered_at_open() {
        let dir = tempfile::tempdir().unwrap();
        // As if killed between the outbox file and the audit record.
        Outbox::open(&dir.path().join("outbox"))
            .unwrap()
            .put(&decision("s-9", DecisionKind::Flag).request)
            .unwrap();
        drop(Recorder::open(dir.path(), now()).unwrap());
        let log =
            std::fs::read_to_string(&files_in(&dir.path().join("audit")).unwrap()[0]).unwrap();
        assert!(
            log.contains("\"decision_id\":\"s-9\"") && log.contains("\"recovered\":true"),
            "{log}"
        );
        // Opening again does not log it twice.
        drop(Recorder::open(dir.path(), now()).unwrap());
        let again =
            std::fs::read_to_string(&files_in(&dir.path().join("audit")).unwrap()[0]).unwrap();
        assert_eq!(again.lines().count(), 1);
    }

    #[test]
    fn a_refused_decision_is_set_aside_and_logged() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = Recorder::open(dir.path(), now()).unwrap();
        r.record(&decision("s-2", DecisionKind::Approve), now())
            .unwrap();
        r.rejected("s-2", "unknown-card", now()).unwrap();
        assert!(r.outbox().is_empty());
        assert!(dir.path().join("outbox/rejected/s-2.json").is_file());
        let log =
            std::fs::read_to_string(&files_in(&dir.path().join("audit")).unwrap()[0]).unwrap();
        assert!(log.contains("\"kind\":\"rejected\""), "{log}");
    }

    #[test]
    fn an_id_that_cannot_name_a_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = Recorder::open(dir.path(), now()).unwrap();
        let err = r
            .record(&decision("../../etc/passwd", DecisionKind::Flag), now())
            .unwrap_err();
        assert!(err.to_string().contains("cannot name a file"), "{err}");
    }
}
