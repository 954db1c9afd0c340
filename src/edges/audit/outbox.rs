//! Decisions waiting for the service: one file each, written to a temporary name, fsynced,
//! renamed into place and the folder fsynced, so a file is either whole or absent. A file
//! is removed only after the service acknowledged its decision; sending one twice is
//! harmless, because the service deduplicates by decision id.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::api::DecisionRequest;

#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error("cannot write the outbox in {dir}: {source}. Check that the state folder is writable.")]
    Io {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("decision id {0:?} cannot name a file: use letters, digits, '-' and '_'")]
    BadId(String),
}

pub struct Outbox {
    dir: PathBuf,
}

fn safe_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 100
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Outbox {
    pub fn open(dir: &Path) -> Result<Outbox, OutboxError> {
        fs::create_dir_all(dir).map_err(|source| OutboxError::Io {
            dir: dir.to_owned(),
            source,
        })?;
        Ok(Outbox {
            dir: dir.to_owned(),
        })
    }

    fn io(&self, source: std::io::Error) -> OutboxError {
        OutboxError::Io {
            dir: self.dir.clone(),
            source,
        }
    }

    /// Stores `decision` durably until [`Outbox::remove`].
    pub fn put(&self, decision: &DecisionRequest) -> Result<(), OutboxError> {
        if !safe_id(&decision.decision_id) {
            return Err(OutboxError::BadId(decision.decision_id.clone()));
        }
        let tmp = self.dir.join(format!(".{}.tmp", decision.decision_id));
        let path = self.dir.join(format!("{}.json", decision.decision_id));
        let body = serde_json::to_vec(decision).expect("decisions serialise");
        let mut file = File::create(&tmp).map_err(|e| self.io(e))?;
        file.write_all(&body).map_err(|e| self.io(e))?;
        file.sync_all().map_err(|e| self.io(e))?;
        fs::rename(&tmp, &path).map_err(|e| self.io(e))?;
        self.sync_dir()
    }

    fn sync_dir(&self) -> Result<(), OutboxError> {
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| self.io(e))
    }

    /// The decisions still to deliver, oldest first. Unreadable files are skipped with a
    /// warning in the log (and left in place for inspection).
    pub fn pending(&self) -> Result<Vec<DecisionRequest>, OutboxError> {
        let mut out = Vec::new();
        for entry in fs::read_dir(&self.dir).map_err(|e| self.io(e))? {
            let path = entry.map_err(|e| self.io(e))?.path();
            if path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            match fs::read(&path)
                .ok()
                .and_then(|b| serde_json::from_slice::<DecisionRequest>(&b).ok())
            {
                Some(d) => out.push(d),
                None => {
                    tracing::warn!(file = %path.display(), "an outbox file is unreadable; left in place")
                }
            }
        }
        out.sort_by(|a, b| {
            a.decided_at
                .cmp(&b.decided_at)
                .then(a.decision_id.cmp(&b.decision_id))
        });
        Ok(out)
    }

    pub fn len(&self) -> usize {
        self.pending().map_or(0, |p| p.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Moves a decision the service refused for good to `rejected/`, out of the queue.
    pub fn set_aside(&self, decision_id: &str) -> Result<(), OutboxError> {
        if !safe_id(decision_id) {
            return Err(OutboxError::BadId(decision_id.to_owned()));
        }
        let aside = self.dir.join("rejected");
        fs::create_dir_all(&aside).map_err(|e| self.io(e))?;
        let name = format!("{decision_id}.json");
        match fs::rename(self.dir.join(&name), aside.join(&name)) {
            Ok(()) => self.sync_dir(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(self.io(e)),
        }
    }

    /// Forgets a delivered decision.
    pub fn remove(&self, decision_id: &str) -> Result<(), OutboxError> {
        if !safe_id(decision_id) {
            return Err(OutboxError::BadId(decision_id.to_owned()));
        }
        match fs::remove_file(self.dir.join(format!("{decision_id}.json"))) {
            Ok(()) => self.sync_dir(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(self.io(e)),
        }
    }
}
