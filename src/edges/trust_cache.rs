//! The lane's copy of the trust list on disk, so a console started while the service is
//! down can still check codes offline. The copy is the signed list exactly as the service
//! sent it, verified against the pinned anchor every time it is loaded: an edited file is
//! refused, never trusted. Beside it, `trust-list.sequence` holds the highest list number
//! this lane has held, so an older genuine list put in its place is refused as a rollback.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::domain::text::sanitize;
use crate::domain::trust::{SignedTrustList, TrustAnchor, TrustList, TrustListError};

/// The cached trust list's place in a state folder.
pub fn path_in(state_dir: &Path) -> PathBuf {
    state_dir.join("trust-list.json")
}

/// The high-water mark's place beside the cached list.
fn mark_path(path: &Path) -> PathBuf {
    path.with_extension("sequence")
}

/// The highest list number this lane has held (0 when none).
pub fn held_sequence(path: &Path) -> Result<u64, String> {
    let mark = mark_path(path);
    match std::fs::read_to_string(&mark) {
        Ok(text) => text.trim().parse().map_err(|_| {
            format!(
                "{} does not hold a trust list number ({:?}). It records the newest list this lane has held; delete it only if you know the state folder was not tampered with",
                mark.display(),
                sanitize(text.trim())
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(format!("cannot read {}: {e}", mark.display())),
    }
}

/// Why a list was not kept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeepError {
    /// Below the newest list this lane has held: a rollback, not to be used at all.
    #[error(transparent)]
    Refused(#[from] TrustListError),
    /// The disk failed: the list is good, only its copy is missing.
    #[error("{0}")]
    Failed(String),
}

/// Keeps `signed` (already verified as `list`) and raises the high-water mark to its
/// number. A list below the mark is refused as a rollback.
pub fn save(path: &Path, signed: &SignedTrustList, list: &TrustList) -> Result<(), KeepError> {
    let held = held_sequence(path).map_err(KeepError::Failed)?;
    if list.sequence < held {
        return Err(TrustListError::RolledBack {
            got: list.sequence,
            held,
        }
        .into());
    }
    let failed = |e: std::io::Error| {
        KeepError::Failed(format!(
            "cannot keep the trust list in {}: {e}. Codes are still checked with the list in memory; check that the state folder is writable",
            path.display()
        ))
    };
    if let Some(dir) = path.parent() {
        crate::edges::audit::private_dir(dir).map_err(failed)?;
    }
    let json = serde_json::to_vec_pretty(signed).expect("trust lists serialise");
    write_whole(path, &json).map_err(failed)?;
    if list.sequence > held {
        write_whole(&mark_path(path), list.sequence.to_string().as_bytes()).map_err(failed)?;
    }
    Ok(())
}

/// Writes a file whole or not at all: two saves at once (two answers, or a `verify`
/// beside a console on one state folder) each write their own temporary file, and the
/// last rename wins whole.
fn write_whole(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    static SAVES: AtomicU64 = AtomicU64::new(0);
    let n = SAVES.fetch_add(1, Ordering::Relaxed);
    let tmp = path.with_extension(format!("tmp.{}.{n}", std::process::id()));
    let mut file = crate::edges::audit::private_file(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// The cached trust list, verified against `anchor` at `now`; `Ok(None)` when there is
/// none yet. Every refusal names the file and says what happens next.
pub fn load(path: &Path, anchor: &TrustAnchor, now: i64) -> Result<Option<TrustList>, String> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(format!(
                "cannot read the cached trust list {}: {e}",
                path.display()
            ));
        }
    };
    let refused = |why: String| {
        format!(
            "the cached trust list {} is not used: {why}. The lane fetches the list again from the service; until then it cannot check codes offline",
            path.display()
        )
    };
    let signed: SignedTrustList = serde_json::from_slice(&bytes)
        .map_err(|e| refused(format!("it is damaged ({})", sanitize(&e.to_string()))))?;
    let list = signed
        .verify(anchor, now)
        .map_err(|e| refused(e.to_string()))?;
    let held = held_sequence(path).map_err(refused)?;
    if list.sequence < held {
        return Err(refused(
            TrustListError::RolledBack {
                got: list.sequence,
                held,
            }
            .to_string(),
        ));
    }
    Ok(Some(list))
}

#[cfg(test)]
mod tests;
