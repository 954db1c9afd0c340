//! The lane's copy of the trust list on disk, so a console started while the service is
//! down can still check codes offline. Its age is shown; a stale one is a warning.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use crate::api::{TrustKeyBody, TrustListBody};
use crate::domain::trust::TrustList;

#[derive(Serialize, Deserialize)]
struct Cached {
    /// Unix seconds when the lane fetched it.
    fetched_at: i64,
    keys: Vec<TrustKeyBody>,
}

/// Saves `trust` next to `path` and renames it into place, so a crash leaves the old copy.
pub fn save(path: &Path, trust: &TrustList) -> std::io::Result<()> {
    let cached = Cached {
        fetched_at: trust.fetched_at,
        keys: trust.keys.iter().map(TrustKeyBody::from_key).collect(),
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    // Two saves at once (two answers, or a verify beside a console on one state folder)
    // each write their own file; the last rename wins whole.
    static SAVES: AtomicU64 = AtomicU64::new(0);
    let n = SAVES.fetch_add(1, Ordering::Relaxed);
    let tmp = path.with_extension(format!("tmp.{}.{n}", std::process::id()));
    let mut file = crate::edges::audit::private_file(&tmp)?;
    file.write_all(&serde_json::to_vec_pretty(&cached).expect("trust lists serialise"))?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// The cached trust list; `Ok(None)` when there is none yet.
pub fn load(path: &Path) -> Result<Option<TrustList>, String> {
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
    let cached: Cached = serde_json::from_slice(&bytes).map_err(|e| {
        format!(
            "the cached trust list {} is damaged ({e}); it will be fetched again from the service",
            path.display()
        )
    })?;
    let body = TrustListBody {
        issued_at: chrono::DateTime::from_timestamp(cached.fetched_at, 0).unwrap_or_default(),
        keys: cached.keys,
    };
    body.into_trust_list(cached.fetched_at)
        .map(Some)
        .map_err(|e| {
            format!(
                "the cached trust list {} is not usable ({e})",
                path.display()
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::trust::{KeyStatus, TrustedKey};

    #[test]
    fn a_saved_trust_list_loads_with_its_age() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/trust-list.json");
        assert_eq!(load(&path), Ok(None));
        let key = ed25519_dalek::SigningKey::from_bytes(&[3; 32]);
        let trust = TrustList {
            keys: vec![TrustedKey {
                kid: crate::domain::credential::Kid([9; 8]),
                issuer: "CN-NIA".into(),
                key: key.verifying_key(),
                valid_from: 1_700_000_000,
                valid_until: 1_900_000_000,
                status: KeyStatus::Active,
            }],
            fetched_at: 1_800_000_000,
        };
        save(&path, &trust).unwrap();
        assert_eq!(load(&path), Ok(Some(trust)));
        std::fs::write(&path, b"{ not json").unwrap();
        let err = load(&path).unwrap_err();
        assert!(
            err.contains("is damaged") && err.contains("fetched again"),
            "{err}"
        );
    }
}
