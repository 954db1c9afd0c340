use ed25519_dalek::SigningKey;

use super::*;
use crate::domain::ids::Kid;
use crate::domain::trust::{KeyStatus, TrustKeyBody, TrustListPayload, TrustedKey};

const NOW: i64 = 1_800_000_000;

fn anchor_key() -> SigningKey {
    SigningKey::from_bytes(&[1; 32])
}

fn list(sequence: u64, key_seed: u8) -> TrustList {
    TrustList {
        keys: vec![TrustedKey {
            kid: Kid([key_seed; 8]),
            issuer: "CN-NIA".into(),
            key: SigningKey::from_bytes(&[key_seed; 32]).verifying_key(),
            valid_from: NOW - 86_400,
            valid_until: NOW + 86_400,
            status: KeyStatus::Active,
        }],
        issued_at: NOW - 60,
        sequence,
    }
}

fn kept(sequence: u64) -> (tempfile::TempDir, PathBuf, SignedTrustList) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state/trust-list.json");
    let l = list(sequence, 3);
    let signed = SignedTrustList::sign(&l, &anchor_key());
    save(&path, &signed, &l).unwrap();
    (dir, path, signed)
}

#[test]
fn a_saved_list_loads_verified_with_its_issue_time() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state/trust-list.json");
    let anchor = TrustAnchor::of(&anchor_key());
    assert_eq!(load(&path, &anchor, NOW), Ok(None));
    let l = list(2, 3);
    save(&path, &SignedTrustList::sign(&l, &anchor_key()), &l).unwrap();
    assert_eq!(load(&path, &anchor, NOW), Ok(Some(l)));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

/// Issue 12's first attack: one's own key added to the cached file while the service is
/// down. The copy is verified at load, so the console never trusts it.
#[test]
fn a_key_added_to_the_cached_file_is_refused_at_load() {
    let (_dir, path, signed) = kept(2);
    let mut payload: TrustListPayload = serde_json::from_str(&signed.list).unwrap();
    payload
        .keys
        .push(TrustKeyBody::from_key(&list(2, 66).keys[0]));
    let forged = SignedTrustList {
        list: serde_json::to_string(&payload).unwrap(),
        ..signed
    };
    std::fs::write(&path, serde_json::to_vec(&forged).unwrap()).unwrap();
    let err = load(&path, &TrustAnchor::of(&anchor_key()), NOW).unwrap_err();
    assert!(
        err.contains("trust-list.json") && err.contains("altered or forged"),
        "{err}"
    );
}

/// The old `fetched_at` attack: the age now comes from the signed issue time, and a
/// list issued in the future is refused.
#[test]
fn a_list_from_the_future_cannot_stay_fresh_for_ever() {
    let (_dir, path, _) = kept(2);
    let mut future = list(3, 3);
    future.issued_at = NOW + 365 * 86_400;
    std::fs::write(
        &path,
        serde_json::to_vec(&SignedTrustList::sign(&future, &anchor_key())).unwrap(),
    )
    .unwrap();
    let err = load(&path, &TrustAnchor::of(&anchor_key()), NOW).unwrap_err();
    assert!(err.contains("ahead of this lane's clock"), "{err}");
}

#[test]
fn an_older_genuine_list_put_in_place_is_a_rollback() {
    let (_dir, path, _) = kept(7);
    let old = list(6, 3);
    let old_signed = SignedTrustList::sign(&old, &anchor_key());
    let err = save(&path, &old_signed, &old).unwrap_err();
    assert!(matches!(err, KeepError::Refused(_)), "{err}");
    assert!(err.to_string().contains("rollback"), "{err}");
    std::fs::write(&path, serde_json::to_vec(&old_signed).unwrap()).unwrap();
    let err = load(&path, &TrustAnchor::of(&anchor_key()), NOW).unwrap_err();
    assert!(
        err.contains("number 6") && err.contains("number 7"),
        "{err}"
    );
}

#[test]
fn a_damaged_file_or_mark_is_named() {
    let (_dir, path, _) = kept(2);
    let anchor = TrustAnchor::of(&anchor_key());
    std::fs::write(path.with_extension("sequence"), "seven").unwrap();
    let err = load(&path, &anchor, NOW).unwrap_err();
    assert!(
        err.contains("trust-list.sequence") && err.contains("seven"),
        "{err}"
    );
    std::fs::write(&path, b"{ not json").unwrap();
    let err = load(&path, &anchor, NOW).unwrap_err();
    assert!(
        err.contains("is damaged") && err.contains("fetches the list again"),
        "{err}"
    );
}
