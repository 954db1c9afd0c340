use super::*;
use crate::domain::trust::TrustedKey;
use proptest::prelude::*;

const NOW: i64 = 1_800_000_000;
const KID: Kid = Kid([1, 2, 3, 4, 5, 6, 7, 8]);
const CARD: CardRef = CardRef([0xab; 16]);

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn trusted(kid: Kid, signing: &SigningKey, status: KeyStatus) -> TrustedKey {
    TrustedKey {
        kid,
        issuer: "CN-NIA".into(),
        key: signing.verifying_key(),
        valid_from: NOW - 86_400 * 365,
        valid_until: NOW + 86_400 * 365,
        status,
    }
}

fn trust_with(keys: Vec<TrustedKey>) -> TrustList {
    TrustList {
        keys,
        issued_at: NOW,
        sequence: 1,
    }
}

fn standard() -> (SigningKey, TrustList) {
    let k = key(9);
    let trust = trust_with(vec![trusted(KID, &k, KeyStatus::Active)]);
    (k, trust)
}

fn claims_at(now: i64) -> Claims {
    Claims::fresh("CN-NIA", CARD, now)
}

fn check(text: &str, trust: &TrustList) -> Result<VerifiedCode, CredentialError> {
    verify(text, trust, NOW, DEFAULT_SKEW_SECS, None)
}

/// Builds a signed code from raw parts, for codes a real issuer would never make.
fn craft(protected: coset::Header, payload: Vec<u8>, signing: &SigningKey) -> String {
    let sign1 = CoseSign1Builder::new()
        .protected(protected)
        .payload(payload)
        .create_signature(b"", |d| signing.sign(d).to_bytes().to_vec())
        .build();
    format!("{PREFIX}{}", base45::encode(sign1.to_tagged_vec().unwrap()))
}

fn eddsa_header() -> coset::Header {
    HeaderBuilder::new()
        .algorithm(iana::Algorithm::EdDSA)
        .key_id(KID.0.to_vec())
        .build()
}

fn cbor(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out).unwrap();
    out
}

fn claims_map(mut edit: impl FnMut(&mut Vec<(Value, Value)>)) -> Vec<u8> {
    let Value::Map(mut entries) = ciborium::from_reader(&claims_at(NOW).to_cbor()[..]).unwrap()
    else {
        unreachable!()
    };
    edit(&mut entries);
    cbor(&Value::Map(entries))
}

#[test]
fn a_minted_code_verifies_and_carries_its_claims() {
    let (k, trust) = standard();
    let claims = claims_at(NOW);
    let text = mint(&claims, KID, &k);
    assert!(text.starts_with("EC1:"));
    let verified = check(&text, &trust).unwrap();
    assert_eq!(verified.kid, KID);
    assert_eq!(verified.claims, claims);
}

#[test]
fn a_minted_code_stays_in_qr_alphanumeric_mode_and_under_250_characters() {
    let (k, _) = standard();
    let text = mint(&claims_at(NOW), KID, &k);
    assert!(text.len() < 250, "{} characters", text.len());
    assert!(
        text.bytes()
            .all(|b| b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:".contains(&b)),
        "{text}"
    );
}

#[test]
fn text_that_is_not_ec1_is_named_as_such() {
    let (_, trust) = standard();
    for text in ["", "HELLO", "https://example.org/", "ec1:ABC", "HC1:6BF"] {
        assert_eq!(
            check(text, &trust),
            Err(CredentialError::NotEc1),
            "{text:?}"
        );
    }
}

#[test]
fn an_oversized_code_is_refused_before_decoding() {
    let (_, trust) = standard();
    let text = format!("EC1:{}", "0".repeat(600));
    assert_eq!(
        check(&text, &trust),
        Err(CredentialError::TooLarge { chars: 604 })
    );
}

#[test]
fn damaged_text_is_reported_as_damaged() {
    let (k, trust) = standard();
    let good = mint(&claims_at(NOW), KID, &k);
    for text in [
        "EC1:!!!".to_owned(),
        "EC1:A".to_owned(),
        good[..good.len() - 30].to_owned(),
    ] {
        let err = check(&text, &trust).unwrap_err();
        assert_eq!(err.code(), "damaged", "{text:?}: {err}");
        assert!(err.to_string().contains("refresh the code"), "{err}");
    }
}

#[test]
fn an_untagged_or_padded_message_is_malformed() {
    let (k, trust) = standard();
    let text = mint(&claims_at(NOW), KID, &k);
    let bytes = base45::decode(&text[4..]).unwrap();
    let untagged = format!("EC1:{}", base45::encode(&bytes[1..]));
    assert_eq!(check(&untagged, &trust).unwrap_err().code(), "malformed");
    let mut padded = bytes.clone();
    padded.push(0);
    let padded = format!("EC1:{}", base45::encode(&padded));
    assert_eq!(check(&padded, &trust).unwrap_err().code(), "malformed");
}

#[test]
fn only_eddsa_is_accepted() {
    let (k, trust) = standard();
    let header = HeaderBuilder::new()
        .algorithm(iana::Algorithm::ES256)
        .key_id(KID.0.to_vec())
        .build();
    let text = craft(header, claims_at(NOW).to_cbor(), &k);
    let err = check(&text, &trust).unwrap_err();
    assert_eq!(err.code(), "unsupported-algorithm");
    assert!(err.to_string().contains("ES256"), "{err}");
}

#[test]
fn structural_surprises_are_malformed_with_a_reason() {
    let (k, trust) = standard();
    let cases: Vec<(&str, String)> = vec![
        (
            "unexpected claim",
            craft(
                eddsa_header(),
                claims_map(|e| e.push((Value::from(99), Value::from(1)))),
                &k,
            ),
        ),
        (
            "no issuer",
            craft(
                eddsa_header(),
                claims_map(|e| e.retain(|(k, _)| k != &Value::from(1))),
                &k,
            ),
        ),
        (
            "card reference is not 16 bytes",
            craft(
                eddsa_header(),
                claims_map(|e| e[4].1 = Value::Bytes(vec![1; 15])),
                &k,
            ),
        ),
        (
            "expires before it was issued",
            craft(
                eddsa_header(),
                claims_map(|e| e[1].1 = Value::from(NOW - 1)),
                &k,
            ),
        ),
        (
            "claims to live",
            craft(
                eddsa_header(),
                claims_map(|e| e[1].1 = Value::from(NOW + 86_400)),
                &k,
            ),
        ),
        (
            // A difference past i64: still a lifetime, never an overflow.
            "claims to live 9223372036854775807 seconds",
            craft(
                eddsa_header(),
                claims_map(|e| e[2].1 = Value::from(i64::MIN)),
                &k,
            ),
        ),
        (
            "not a map",
            craft(eddsa_header(), cbor(&Value::Array(vec![])), &k),
        ),
        (
            "key id is 4 bytes",
            craft(
                HeaderBuilder::new()
                    .algorithm(iana::Algorithm::EdDSA)
                    .key_id(vec![1, 2, 3, 4])
                    .build(),
                claims_at(NOW).to_cbor(),
                &k,
            ),
        ),
        (
            "fields e-card codes never use",
            craft(
                HeaderBuilder::new()
                    .algorithm(iana::Algorithm::EdDSA)
                    .key_id(KID.0.to_vec())
                    .content_type("text/plain".into())
                    .build(),
                claims_at(NOW).to_cbor(),
                &k,
            ),
        ),
    ];
    for (want, text) in cases {
        let err = check(&text, &trust).unwrap_err();
        assert_eq!(err.code(), "malformed", "{want}: {err}");
        assert!(err.to_string().contains(want), "{want}: {err}");
    }
}

#[test]
fn a_non_canonical_payload_is_malformed() {
    let (k, trust) = standard();
    // The iss claim key 1 written as a two-byte integer (0x18 0x01) instead of one byte.
    let mut payload = claims_at(NOW).to_cbor();
    assert_eq!(payload[1], 0x01);
    payload.splice(1..2, [0x18, 0x01]);
    let text = craft(eddsa_header(), payload, &k);
    let err = check(&text, &trust).unwrap_err();
    assert!(err.to_string().contains("canonical"), "{err}");
}

#[test]
fn an_unknown_key_is_named() {
    let (k, _) = standard();
    let text = mint(&claims_at(NOW), KID, &k);
    let err = check(&text, &TrustList::default()).unwrap_err();
    assert_eq!(err, CredentialError::UnknownKey { kid: KID });
    assert!(err.to_string().contains("0102030405060708"), "{err}");
}

#[test]
fn a_signature_from_another_key_or_an_altered_payload_is_forged() {
    let (_, trust) = standard();
    let forged = mint(&claims_at(NOW), KID, &key(66));
    assert_eq!(check(&forged, &trust), Err(CredentialError::BadSignature));

    let (k, _) = standard();
    let text = mint(&claims_at(NOW), KID, &k);
    let mut bytes = base45::decode(&text[4..]).unwrap();
    // Flip one bit of the card reference, the last bytes before the signature.
    let card_at = bytes.len() - 64 - 2 - 1;
    bytes[card_at] ^= 1;
    let altered = format!("EC1:{}", base45::encode(&bytes));
    assert_eq!(check(&altered, &trust), Err(CredentialError::BadSignature));
}

#[test]
fn retired_and_revoked_keys_are_refused() {
    let k = key(9);
    let text = mint(&claims_at(NOW), KID, &k);
    let retired = trust_with(vec![trusted(KID, &k, KeyStatus::Retired)]);
    assert_eq!(
        check(&text, &retired),
        Err(CredentialError::RetiredKey { kid: KID })
    );
    let revoked = trust_with(vec![trusted(KID, &k, KeyStatus::Revoked)]);
    assert_eq!(
        check(&text, &revoked),
        Err(CredentialError::RevokedKey { kid: KID })
    );

    // Still marked active, but past its validity window.
    let mut lapsed = trusted(KID, &k, KeyStatus::Active);
    lapsed.valid_until = NOW - 3600;
    let old = mint(&claims_at(NOW - 7200), KID, &k);
    let err = verify(&old, &trust_with(vec![lapsed]), NOW, 30, None).unwrap_err();
    assert_eq!(err, CredentialError::RetiredKey { kid: KID });
}

#[test]
fn a_code_dated_before_its_key_existed_is_refused() {
    let k = key(9);
    let mut young = trusted(KID, &k, KeyStatus::Active);
    young.valid_from = NOW;
    let text = mint(&claims_at(NOW - 3600), KID, &k);
    let err = verify(&text, &trust_with(vec![young]), NOW - 3600, 30, None).unwrap_err();
    assert_eq!(err.code(), "key-not-yet-valid");
}

#[test]
fn the_issuer_must_match_the_key() {
    let (k, trust) = standard();
    let mut claims = claims_at(NOW);
    claims.issuer = "MO-DSI".into();
    let err = check(&mint(&claims, KID, &k), &trust).unwrap_err();
    assert_eq!(err.code(), "wrong-issuer");
}

#[test]
fn the_time_window_allows_the_configured_skew_and_no_more() {
    let (k, trust) = standard();
    let text = mint(&claims_at(NOW), KID, &k);
    let expiry = NOW + TOKEN_LIFETIME_SECS;
    assert!(verify(&text, &trust, expiry + 30, 30, None).is_ok());
    assert_eq!(
        verify(&text, &trust, expiry + 31, 30, None),
        Err(CredentialError::Expired { seconds: 31 })
    );
    assert!(verify(&text, &trust, expiry + 31, 60, None).is_ok());
    assert!(verify(&text, &trust, NOW - 30, 30, None).is_ok());
    assert_eq!(
        verify(&text, &trust, NOW - 31, 30, None),
        Err(CredentialError::NotYetValid { seconds: 31 })
    );
    let msg = CredentialError::Expired { seconds: 31 }.to_string();
    assert!(msg.contains("expired 31 seconds ago"), "{msg}");
}

#[test]
fn the_same_code_twice_at_a_lane_is_a_replay() {
    let (k, trust) = standard();
    let mut cache = ReplayCache::default();
    let text = mint(&claims_at(NOW), KID, &k);
    assert!(verify(&text, &trust, NOW, 30, Some(&mut cache)).is_ok());
    let err = verify(&text, &trust, NOW + 5, 30, Some(&mut cache)).unwrap_err();
    assert_eq!(err, CredentialError::Replayed { first_seen: NOW });
    assert!(err.to_string().contains("already presented"), "{err}");
    // A refused code is not remembered: a forged copy does not block the real one.
    let forged = mint(&claims_at(NOW), KID, &key(66));
    assert!(verify(&forged, &trust, NOW, 30, Some(&mut cache)).is_err());
    assert_eq!(cache.len(), 1);
}

#[test]
fn clock_time_is_shown_at_utc_plus_8() {
    assert_eq!(clock_time(0), "08:00:00");
}

#[test]
fn ids_parse_from_hex_with_clear_errors() {
    assert_eq!("0102030405060708".parse::<Kid>().unwrap(), KID);
    let err = "0102".parse::<Kid>().unwrap_err();
    assert!(
        err.contains("expected 16 hexadecimal digits, got 4"),
        "{err}"
    );
    let err = "zz".parse::<CardRef>().unwrap_err();
    assert!(err.contains("not a card reference"), "{err}");
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(text in ".{0,500}") {
        let (_, trust) = standard();
        let _ = check(&text, &trust);
        let _ = check(&format!("EC1:{text}"), &trust);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let (_, trust) = standard();
        let _ = check(&format!("EC1:{}", base45::encode(&bytes)), &trust);
        // A tag-18 prefix gets past the first gate into the COSE parser.
        let mut tagged = vec![0xd2, 0x84];
        tagged.extend_from_slice(&bytes);
        let _ = check(&format!("EC1:{}", base45::encode(&tagged)), &trust);
    }

    #[test]
    fn single_byte_corruption_of_a_real_code_never_verifies_as_something_else(
        index in 0usize..140, bit in 0u8..8
    ) {
        let (k, trust) = standard();
        let claims = claims_at(NOW);
        let text = mint(&claims, KID, &k);
        let mut bytes = base45::decode(&text[4..]).unwrap();
        let i = index % bytes.len();
        bytes[i] ^= 1 << bit;
        let corrupted = format!("EC1:{}", base45::encode(&bytes));
        if let Ok(v) = check(&corrupted, &trust) {
            prop_assert_eq!(v.claims, claims);
        }
    }

    #[test]
    fn mint_then_parse_round_trips(
        seed in any::<[u8; 32]>(), kid in any::<[u8; 8]>(), card in any::<[u8; 16]>(),
        nonce in any::<[u8; 12]>(), iat in 0i64..4_000_000_000, life in 1i64..=600,
        issuer in "[A-Z0-9-]{1,16}"
    ) {
        let signing = SigningKey::from_bytes(&seed);
        let claims = Claims {
            issuer, issued_at: iat, expires_at: iat + life, nonce: Nonce(nonce), card: CardRef(card),
        };
        let text = mint(&claims, Kid(kid), &signing);
        let parsed = parse(&text).unwrap();
        prop_assert_eq!(parsed.kid, Kid(kid));
        prop_assert!(parsed.signature_matches(&signing.verifying_key()));
        prop_assert_eq!(parsed.claims, claims);
    }
}
