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
        clock_offset: d.clock_offset,
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
mod tests;
