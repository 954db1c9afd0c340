use super::*;

const NOW: i64 = 1_800_000_000;

fn anchor_key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn list(sequence: u64, issued_at: i64) -> TrustList {
    TrustList {
        keys: vec![TrustedKey {
            kid: Kid([7; 8]),
            issuer: "CN-NIA".into(),
            key: SigningKey::from_bytes(&[3; 32]).verifying_key(),
            valid_from: NOW - 86_400,
            valid_until: NOW + 86_400,
            status: KeyStatus::Active,
        }],
        issued_at,
        sequence,
    }
}

#[test]
fn a_signed_list_verifies_against_its_anchor_and_round_trips() {
    let key = anchor_key(1);
    let signed = SignedTrustList::sign(&list(4, NOW), &key);
    assert_eq!(signed.verify(&TrustAnchor::of(&key), NOW), Ok(list(4, NOW)));
    let json = serde_json::to_string(&signed).unwrap();
    let back: SignedTrustList = serde_json::from_str(&json).unwrap();
    assert_eq!(back, signed);
}

/// The attack of issue 12: one's own key added to the list (here, to the signed text
/// itself) while the signature stays the service's.
#[test]
fn a_key_added_to_the_list_breaks_its_signature() {
    let key = anchor_key(1);
    let mut signed = SignedTrustList::sign(&list(4, NOW), &key);
    let mut payload: TrustListPayload = serde_json::from_str(&signed.list).unwrap();
    let mut forged = payload.keys[0].clone();
    forged.kid = Kid([9; 8]);
    forged.public_key = URL_SAFE_NO_PAD.encode(anchor_key(66).verifying_key().as_bytes());
    payload.keys.push(forged);
    signed.list = serde_json::to_string(&payload).unwrap();
    let err = signed.verify(&TrustAnchor::of(&key), NOW).unwrap_err();
    assert!(matches!(err, TrustListError::BadSignature { .. }), "{err}");
    assert!(err.to_string().contains("altered or forged"), "{err}");
}

#[test]
fn a_list_signed_by_another_anchor_names_both() {
    let ours = TrustAnchor::of(&anchor_key(1));
    let theirs = anchor_key(2);
    let signed = SignedTrustList::sign(&list(4, NOW), &theirs);
    let err = signed.verify(&ours, NOW).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains(&TrustAnchor::of(&theirs).to_string()) && text.contains(&ours.to_string()),
        "{text}"
    );
    // Claiming our anchor's name does not help a list it did not sign.
    let mut claimed = signed;
    claimed.anchor = ours.to_string();
    assert!(matches!(
        claimed.verify(&ours, NOW),
        Err(TrustListError::BadSignature { .. })
    ));
}

#[test]
fn a_list_from_the_future_is_refused_within_a_slack() {
    let key = anchor_key(1);
    let anchor = TrustAnchor::of(&key);
    let near = SignedTrustList::sign(&list(1, NOW + FUTURE_SLACK_SECS), &key);
    assert!(
        near.verify(&anchor, NOW).is_ok(),
        "two clocks never agree exactly"
    );
    let far = SignedTrustList::sign(&list(1, NOW + 86_400), &key);
    let err = far.verify(&anchor, NOW).unwrap_err();
    assert!(
        matches!(
            err,
            TrustListError::FromTheFuture {
                ahead_secs: 86_400,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("Check the lane's clock"), "{err}");
}

#[test]
fn a_lower_sequence_is_a_rollback_and_the_same_one_signed_later_is_newer() {
    let held = list(5, NOW);
    assert_eq!(list(6, NOW - 10).replaces(Some(&held)), Ok(true));
    assert_eq!(list(5, NOW + 10).replaces(Some(&held)), Ok(true));
    assert_eq!(list(5, NOW - 10).replaces(Some(&held)), Ok(false));
    assert_eq!(list(5, NOW).replaces(None), Ok(true));
    let err = list(4, NOW + 10).replaces(Some(&held)).unwrap_err();
    assert_eq!(err, TrustListError::RolledBack { got: 4, held: 5 });
    assert!(err.to_string().contains("rollback"), "{err}");
}

#[test]
fn damaged_signatures_and_payloads_are_refused_without_panicking() {
    let key = anchor_key(1);
    let anchor = TrustAnchor::of(&key);
    let good = SignedTrustList::sign(&list(1, NOW), &key);
    for signature in ["", "!!", "AAAA", &"A".repeat(86)] {
        let mut s = good.clone();
        s.signature = signature.into();
        assert!(s.verify(&anchor, NOW).is_err(), "{signature:?}");
    }
    // Correctly signed, but not a list this lane reads.
    let mut payload: TrustListPayload = serde_json::from_str(&good.list).unwrap();
    payload.format = "lanedesk-trust-list/9".into();
    let text = serde_json::to_string(&payload).unwrap();
    let odd = SignedTrustList {
        anchor: anchor.to_string(),
        signature: URL_SAFE_NO_PAD.encode(key.sign(&signed_bytes(&text)).to_bytes()),
        list: text,
    };
    let err = odd.verify(&anchor, NOW).unwrap_err();
    assert!(err.to_string().contains("lanedesk-trust-list/9"), "{err}");
}

#[test]
fn anchors_parse_from_what_the_service_prints_and_name_what_is_wrong() {
    let anchor = TrustAnchor::of(&anchor_key(1));
    let text = anchor.to_string();
    assert!(
        text.starts_with("ed25519:") && text.len() == 8 + 43,
        "{text}"
    );
    assert_eq!(text.parse::<TrustAnchor>(), Ok(anchor));
    assert_eq!(format!(" {text}\n").parse::<TrustAnchor>(), Ok(anchor));
    for (bad, says) in [
        ("", "is not a trust anchor"),
        ("rsa:AAAA", "is not a trust anchor"),
        ("ed25519:AAAA", "not a 32-byte"),
        ("ed25519:\u{1b}[2J", "not a 32-byte"),
    ] {
        let err = bad.parse::<TrustAnchor>().unwrap_err();
        assert!(
            err.contains(says) && err.contains("issuer anchor"),
            "{bad:?}: {err}"
        );
        assert!(!err.contains('\u{1b}'), "{err}");
    }
}
