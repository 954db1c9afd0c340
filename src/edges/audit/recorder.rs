//! Recording a decision: the outbox file staged, then the audit record (with the staged
//! file's SHA-256), then the file committed to the queue, then (for an escalation) the
//! hand-off for second line. "Recorded" means all of it is on disk.
//!
//! At the next start, a staged file the log vouches for (a crash after the record) is
//! committed; one it does not (a crash before it: the screen never said "recorded") is set
//! aside as unconfirmed. A queued file the log does not vouch for (dropped in from outside,
//! or altered) is set aside as orphaned, never delivered. Each is recorded in the log.

use std::collections::HashMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use super::log::Origin;
use super::log::{AuditError, AuditLog, files_in, sha256_hex};
use super::outbox::{Aside, Outbox, OutboxError};
use crate::api::DecisionRequest;
use crate::domain::decision::DecisionKind;

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
        #[serde(skip_serializing_if = "std::ops::Not::not", default)]
        handoff: bool,
        /// The SHA-256 of the outbox file this record vouches for (none when the decision
        /// stays at this lane).
        #[serde(skip_serializing_if = "Option::is_none", default)]
        body_sha256: Option<String>,
        /// The code's key id and nonce, so an accepted code can be traced to its signer.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        kid: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        nonce: Option<String>,
    },
    /// An outbox file left out of the queue at start: `unconfirmed` (staged, never recorded)
    /// or `orphaned` (queued, not vouched for by the log).
    SetAside {
        decision_id: String,
        why: String,
        sha256: String,
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
    /// The code's key id and nonce travel in the request (`kid`, `nonce`).
    pub verdict: Option<String>,
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

fn decision_event(d: &RecordedDecision, body_sha256: Option<String>) -> Event {
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
        handoff: r.decision == DecisionKind::Escalate,
        body_sha256,
        kid: r.kid.map(|k| k.to_string()),
        nonce: r.nonce.map(|n| n.to_string()),
    }
}

/// The decisions the log in `dir` records, with the SHA-256 of the outbox file each vouches
/// for.
fn logged_decisions(dir: &Path) -> std::io::Result<HashMap<String, Option<String>>> {
    let mut ids = HashMap::new();
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
                let sha = l.event["body_sha256"].as_str().map(str::to_owned);
                ids.insert(id.to_owned(), sha);
            }
        }
    }
    Ok(ids)
}

/// Takes a file out of the queue and says so in the log.
fn set_aside(
    log: &mut AuditLog,
    outbox: &Outbox,
    now: DateTime<Utc>,
    id: &str,
    sha: &str,
    why: Aside,
) -> Result<(), RecordError> {
    tracing::warn!(decision = %id, why = why.folder(), "an outbox file the audit log does not vouch for was set aside, not delivered");
    outbox.move_out(id, why)?;
    log.append(
        now,
        &Event::SetAside {
            decision_id: id.to_owned(),
            why: why.folder().to_owned(),
            sha256: sha.to_owned(),
        },
    )?;
    Ok(())
}

impl Recorder {
    /// Opens the audit log (a new one starts with a genesis record naming `origin`), the
    /// outbox and the hand-off folder under `state`, and settles what a crash or an
    /// intruder left in the outbox (see the module's documentation).
    pub fn open(
        state: &Path,
        now: DateTime<Utc>,
        origin: &Origin,
    ) -> Result<Recorder, RecordError> {
        let audit_dir = state.join("audit");
        super::outbox::private_dir(state).map_err(|source| AuditError::Io {
            dir: state.to_owned(),
            source,
        })?;
        let mut log = AuditLog::open(&audit_dir, now, origin)?;
        let outbox = Outbox::open(&state.join("outbox"))?;
        let handoff = state.join("handoff");
        let logged = logged_decisions(&audit_dir).map_err(|source| AuditError::Io {
            dir: audit_dir.clone(),
            source,
        })?;
        let vouched =
            |id: &str, sha: &str| logged.get(id).is_some_and(|s| s.as_deref() == Some(sha));
        for (id, sha) in outbox.staged()? {
            if vouched(&id, &sha) {
                outbox.commit(&id)?;
            } else {
                set_aside(&mut log, &outbox, now, &id, &sha, Aside::Unconfirmed)?;
            }
        }
        for (id, sha, _) in outbox.queued()? {
            if !vouched(&id, &sha) {
                set_aside(&mut log, &outbox, now, &id, &sha, Aside::Orphaned)?;
            }
        }
        Ok(Recorder {
            log,
            outbox,
            handoff,
        })
    }

    /// The audit chain's head: the last record's number and hash.
    pub fn head(&self) -> (u64, String) {
        self.log.head()
    }

    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    /// Records a decision durably. When this returns `Ok`, the console may say "recorded".
    pub fn record(&mut self, d: &RecordedDecision, now: DateTime<Utc>) -> Result<u64, RecordError> {
        let sha = match d.deliver {
            true => Some(self.outbox.stage(&d.request)?),
            false => None,
        };
        let seq = self.log.append(now, &decision_event(d, sha))?;
        if d.deliver {
            self.outbox.commit(&d.request.decision_id)?;
        }
        if d.request.decision == DecisionKind::Escalate {
            self.write_handoff(d)?;
        }
        Ok(seq)
    }

    /// The record second line picks up: what was checked, why it was referred, the note.
    /// Only its owner may read it.
    fn write_handoff(&self, d: &RecordedDecision) -> Result<(), RecordError> {
        let err = |source| RecordError::Handoff {
            dir: self.handoff.clone(),
            source,
        };
        super::outbox::private_dir(&self.handoff).map_err(err)?;
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
        super::outbox::private_file(&tmp)
            .and_then(|mut f| {
                std::io::Write::write_all(
                    &mut f,
                    &serde_json::to_vec_pretty(&body).expect("json serialises"),
                )
            })
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
                kid: Some("0102030405060708".parse().unwrap()),
                nonce: Some("aabbccddeeff001122334455".parse().unwrap()),
                audit_head: None,
            },
            deliver: true,
            not_passed: vec!["watch-list:fail".into()],
            suggested: Some("escalate".into()),
            verdict: Some("escalate".into()),
        }
    }

    fn origin() -> Origin {
        Origin {
            checkpoint: "lo-wu".into(),
            lane: "L1".into(),
        }
    }

    fn log_text(dir: &Path) -> String {
        std::fs::read_to_string(&files_in(&dir.join("audit")).unwrap()[0]).unwrap()
    }

    fn now() -> DateTime<Utc> {
        chrono::DateTime::from_timestamp(1_780_000_000, 0).unwrap()
    }

    #[test]
    fn recording_writes_outbox_log_and_hand_off_without_free_text_in_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = Recorder::open(dir.path(), now(), &origin()).unwrap();
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
        assert!(
            log.contains(r#""kid":"0102030405060708""#)
                && log.contains(r#""nonce":"aabbccddeeff001122334455""#)
                && log.contains(r#""body_sha256""#),
            "{log}"
        );
        r.delivered("s-1", false, now()).unwrap();
        assert!(r.outbox().is_empty());
        assert_eq!(verify_files(&files), Ok(3), "genesis, decision, delivery");
    }

    #[test]
    fn a_staged_decision_the_log_vouches_for_is_committed_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let d = decision("s-9", DecisionKind::Flag);
        let mut r = Recorder::open(dir.path(), now(), &origin()).unwrap();
        // As if killed after the audit record, before the file joined the queue.
        let sha = r.outbox.stage(&d.request).unwrap();
        r.log.append(now(), &decision_event(&d, Some(sha))).unwrap();
        drop(r);
        let r = Recorder::open(dir.path(), now(), &origin()).unwrap();
        assert_eq!(r.outbox().pending().unwrap().len(), 1);
        assert!(!log_text(dir.path()).contains("set-aside"));
    }

    #[test]
    fn a_staged_decision_the_log_never_recorded_is_set_aside_unconfirmed() {
        let dir = tempfile::tempdir().unwrap();
        let r = Recorder::open(dir.path(), now(), &origin()).unwrap();
        // As if killed between staging and the audit record: never confirmed on screen.
        r.outbox
            .stage(&decision("s-8", DecisionKind::Flag).request)
            .unwrap();
        drop(r);
        let r = Recorder::open(dir.path(), now(), &origin()).unwrap();
        assert!(r.outbox().is_empty());
        assert!(dir.path().join("outbox/unconfirmed/s-8.json").is_file());
        let log = log_text(dir.path());
        assert!(
            log.contains(r#""kind":"set-aside""#) && log.contains(r#""why":"unconfirmed""#),
            "{log}"
        );
    }

    #[test]
    fn a_decision_file_dropped_into_the_outbox_is_set_aside_not_delivered() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = Recorder::open(dir.path(), now(), &origin()).unwrap();
        r.record(&decision("s-1", DecisionKind::Flag), now())
            .unwrap();
        drop(r);
        // Someone drops a decision of their own, and alters the genuine one.
        let forged = serde_json::to_vec(&decision("s-7", DecisionKind::Approve).request).unwrap();
        std::fs::write(dir.path().join("outbox/s-7.json"), forged).unwrap();
        let genuine = dir.path().join("outbox/s-1.json");
        let altered = std::fs::read_to_string(&genuine)
            .unwrap()
            .replace("flag", "approve");
        std::fs::write(&genuine, altered).unwrap();
        let r = Recorder::open(dir.path(), now(), &origin()).unwrap();
        assert!(r.outbox().is_empty(), "nothing unvouched is delivered");
        assert!(dir.path().join("outbox/orphaned/s-7.json").is_file());
        assert!(dir.path().join("outbox/orphaned/s-1.json").is_file());
        let log = log_text(dir.path());
        assert_eq!(log.matches(r#""why":"orphaned""#).count(), 2, "{log}");
    }

    #[test]
    fn state_files_are_for_the_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        let mut r = Recorder::open(&state, now(), &origin()).unwrap();
        r.record(&decision("s-3", DecisionKind::Escalate), now())
            .unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        for folder in ["", "audit", "outbox", "handoff"] {
            assert_eq!(mode(&state.join(folder)), 0o700, "{folder}");
        }
        for file in ["outbox/s-3.json", "handoff/s-3.json"] {
            assert_eq!(mode(&state.join(file)), 0o600, "{file}");
        }
        assert_eq!(mode(&files_in(&state.join("audit")).unwrap()[0]), 0o600);
    }

    #[test]
    fn a_refused_decision_is_set_aside_and_logged() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = Recorder::open(dir.path(), now(), &origin()).unwrap();
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
        let mut r = Recorder::open(dir.path(), now(), &origin()).unwrap();
        let err = r
            .record(&decision("../../etc/passwd", DecisionKind::Flag), now())
            .unwrap_err();
        assert!(err.to_string().contains("cannot name a file"), "{err}");
    }
}
