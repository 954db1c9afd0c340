//! Decisions waiting for the service: one file each. A decision is first staged
//! (`.ID.staged`, fsynced), then the audit log records it with the staged file's SHA-256,
//! then the file is renamed into place (`ID.json`) and the folder fsynced. So every file in
//! the queue is vouched for by an audit record; one the log does not hold (a crash before
//! the record, or a file dropped in from outside) is set aside, never delivered. A file is
//! removed only after the service acknowledged its decision; sending one twice is harmless,
//! because the service deduplicates by decision id.

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

/// Why a file leaves the queue without being delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aside {
    /// The service refused it for good (a 4xx problem).
    Rejected,
    /// Staged but never recorded: a crash came first, and the screen never said "recorded".
    Unconfirmed,
    /// In the queue but not vouched for by the audit log (dropped in from outside, altered).
    Orphaned,
}

impl Aside {
    pub fn folder(self) -> &'static str {
        match self {
            Aside::Rejected => "rejected",
            Aside::Unconfirmed => "unconfirmed",
            Aside::Orphaned => "orphaned",
        }
    }
}

/// A new file only its owner can read and write (decisions carry notes and card references).
pub fn private_file(path: &Path) -> std::io::Result<File> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// A folder only its owner can enter (created if missing; tightened if it exists).
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
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
        private_dir(dir).map_err(|source| OutboxError::Io {
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

    /// Writes `decision` durably under its staged name; returns the SHA-256 of the file,
    /// for the audit record that vouches for it. [`Outbox::commit`] puts it in the queue.
    pub fn stage(&self, decision: &DecisionRequest) -> Result<String, OutboxError> {
        if !safe_id(&decision.decision_id) {
            return Err(OutboxError::BadId(decision.decision_id.clone()));
        }
        let body = serde_json::to_vec(decision).expect("decisions serialise");
        let mut file =
            private_file(&self.staged_path(&decision.decision_id)).map_err(|e| self.io(e))?;
        file.write_all(&body).map_err(|e| self.io(e))?;
        file.sync_all().map_err(|e| self.io(e))?;
        Ok(super::log::sha256_hex(&body))
    }

    /// Moves a staged decision into the queue.
    pub fn commit(&self, decision_id: &str) -> Result<(), OutboxError> {
        if !safe_id(decision_id) {
            return Err(OutboxError::BadId(decision_id.to_owned()));
        }
        let path = self.dir.join(format!("{decision_id}.json"));
        fs::rename(self.staged_path(decision_id), &path).map_err(|e| self.io(e))?;
        self.sync_dir()
    }

    fn staged_path(&self, decision_id: &str) -> PathBuf {
        self.dir.join(format!(".{decision_id}.staged"))
    }

    /// Staged decisions (a crash came between staging and committing): id and SHA-256.
    pub fn staged(&self) -> Result<Vec<(String, String)>, OutboxError> {
        let mut out = Vec::new();
        for entry in fs::read_dir(&self.dir).map_err(|e| self.io(e))? {
            let path = entry.map_err(|e| self.io(e))?.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if let Some(id) = name
                .strip_prefix('.')
                .and_then(|n| n.strip_suffix(".staged"))
            {
                let body = fs::read(&path).map_err(|e| self.io(e))?;
                out.push((id.to_owned(), super::log::sha256_hex(&body)));
            }
        }
        Ok(out)
    }

    /// Every file in the queue with the SHA-256 of its bytes (unreadable ones included, as
    /// `None`, so they can be set aside).
    pub fn queued(&self) -> Result<Vec<(String, String, Option<DecisionRequest>)>, OutboxError> {
        let mut out = Vec::new();
        for entry in fs::read_dir(&self.dir).map_err(|e| self.io(e))? {
            let path = entry.map_err(|e| self.io(e))?.path();
            if path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let id = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("")
                .to_owned();
            let body = fs::read(&path).map_err(|e| self.io(e))?;
            let decision = serde_json::from_slice::<DecisionRequest>(&body).ok();
            out.push((id, super::log::sha256_hex(&body), decision));
        }
        Ok(out)
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
        self.move_out(decision_id, Aside::Rejected)
    }

    /// Moves a file out of the queue into `rejected/`, `unconfirmed/` or `orphaned/`.
    pub fn move_out(&self, decision_id: &str, why: Aside) -> Result<(), OutboxError> {
        if !safe_id(decision_id) {
            return Err(OutboxError::BadId(decision_id.to_owned()));
        }
        let aside = self.dir.join(why.folder());
        fs::create_dir_all(&aside).map_err(|e| self.io(e))?;
        let (from, to) = match why {
            Aside::Unconfirmed => (
                self.staged_path(decision_id),
                aside.join(format!("{decision_id}.json")),
            ),
            _ => {
                let name = format!("{decision_id}.json");
                (self.dir.join(&name), aside.join(&name))
            }
        };
        match fs::rename(from, to) {
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
