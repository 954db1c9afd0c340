//! A fixed world for tests and benchmarks of the console: one lane, a fixed day, the
//! fixture travellers, a signing key, and the service's answers built the way the
//! reference service builds them. Nothing here is used by the running product.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use ed25519_dalek::SigningKey;

use crate::api::{CardInfo, TokenInfo, Verification};
use crate::domain::checkpoint::{Checkpoint, Direction};
use crate::domain::credential::{self, Claims, Kid, Nonce};
use crate::domain::lang::Lang;
use crate::domain::trust::{KeyStatus, TrustList, TrustedKey};
use crate::fixtures::{self, Traveller};

use super::effect::Effect;
use super::keymap::Keymap;
use super::msg::Msg;
use super::runner::decode_portrait;
use super::state::{LaneInfo, State};
use super::update::update;

pub const ISSUER: &str = "CN-NIA";

/// 10:30 at the control point (UTC+8) on a fixed day, so snapshots never change.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 15, 2, 30, 0)
        .single()
        .expect("a valid time")
}

pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 15).expect("a valid date")
}

pub fn lane(direction: Direction) -> LaneInfo {
    LaneInfo {
        checkpoint: Checkpoint::find("lo-wu").expect("lo-wu exists"),
        lane: "L07".into(),
        direction,
        officer: "O1234".into(),
    }
}

/// The fixture travellers with dates resolved against [`today`].
pub fn travellers() -> Vec<Traveller> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    fixtures::load(&dir, today()).expect("the fixtures load")
}

pub fn traveller(id: &str) -> Traveller {
    travellers()
        .into_iter()
        .find(|t| t.holder.id == id)
        .unwrap_or_else(|| panic!("no fixture traveller {id}"))
}

/// An issuer key for the tests, with its trust list.
pub struct TestIssuer {
    pub kid: Kid,
    pub key: SigningKey,
    pub trust: TrustList,
}

impl TestIssuer {
    pub fn new() -> TestIssuer {
        let key = SigningKey::from_bytes(&[7u8; 32]);
        let kid = Kid([1, 2, 3, 4, 5, 6, 7, 8]);
        let at = now().timestamp();
        let trust = TrustList {
            keys: vec![TrustedKey {
                kid,
                issuer: ISSUER.into(),
                key: key.verifying_key(),
                valid_from: at - 86_400 * 30,
                valid_until: at + 86_400 * 365,
                status: KeyStatus::Active,
            }],
            issued_at: at - 120,
            sequence: 1,
        };
        TestIssuer { kid, key, trust }
    }

    /// The anchor a test service would sign its trust lists with.
    pub fn anchor_key(&self) -> SigningKey {
        SigningKey::from_bytes(&[42u8; 32])
    }

    pub fn anchor(&self) -> crate::domain::trust::TrustAnchor {
        crate::domain::trust::TrustAnchor::of(&self.anchor_key())
    }

    /// This issuer's trust list as a service would send it, signed now.
    pub fn signed_list(&self) -> crate::domain::trust::SignedTrustList {
        crate::domain::trust::SignedTrustList::sign(&self.trust, &self.anchor_key())
    }

    /// A fresh code for `traveller`, issued at `at`, with a nonce fixed by `seq`.
    pub fn code(&self, traveller: &Traveller, at: DateTime<Utc>, seq: u8) -> String {
        let mut claims = Claims::fresh(ISSUER, traveller.card, at.timestamp());
        claims.nonce = Nonce([seq; 12]);
        credential::mint(&claims, self.kid, &self.key)
    }

    /// A code for `traveller` signed by a key the issuer never had.
    pub fn forged(&self, traveller: &Traveller, at: DateTime<Utc>) -> String {
        let mut claims = Claims::fresh(ISSUER, traveller.card, at.timestamp());
        claims.nonce = Nonce([0xee; 12]);
        credential::mint(&claims, self.kid, &SigningKey::from_bytes(&[9u8; 32]))
    }
}

impl Default for TestIssuer {
    fn default() -> Self {
        TestIssuer::new()
    }
}

/// The service's answer for `traveller`, as the reference service builds it.
pub fn verification(traveller: &Traveller, code: &str, at: DateTime<Utc>) -> Verification {
    let parsed = credential::parse(code).expect("a parsable code");
    let ts = |t| DateTime::from_timestamp(t, 0).unwrap_or_default();
    Verification {
        verification_id: "v-test".into(),
        checked_at: at,
        token: TokenInfo {
            kid: parsed.kid,
            issued_at: ts(parsed.claims.issued_at),
            expires_at: ts(parsed.claims.expires_at),
            nonce: parsed.claims.nonce,
        },
        card: CardInfo {
            reference: traveller.card,
            status: traveller.card_status,
        },
        holder: traveller.holder.clone(),
        documents: traveller.documents.clone(),
        crossings: traveller.crossings.clone(),
        alerts: traveller.alerts.clone(),
        presented_before: None,
    }
}

/// A console state at the test lane, online, with the trust list loaded.
pub fn state(direction: Direction, lang: Lang, issuer: &TestIssuer) -> State {
    let mut state = State::new(
        lane(direction),
        lang,
        Arc::new(Keymap::default()),
        "s".into(),
        now(),
    );
    state.trust = Some(issuer.trust.clone());
    state.service = super::state::ServiceState::Online {
        latency: std::time::Duration::from_millis(3),
    };
    state.last_health = Some(now());
    state
}

/// Presents `traveller` to the console and answers its effects as the service would:
/// the verification, then the portrait; then lets the moment pass in which decision keys
/// are ignored (an officer looks before deciding). Returns the effects not answered.
pub fn present(
    state: &mut State,
    issuer: &TestIssuer,
    traveller: &Traveller,
    seq: u8,
) -> Vec<Effect> {
    let at = state.now;
    let code = issuer.code(traveller, at, seq);
    let mut pending = update(state, Msg::CodeRead { text: code.clone() }, at);
    let mut left = vec![];
    while let Some(effect) = pending.pop() {
        match effect {
            Effect::Verify { request, .. } => {
                let v = verification(traveller, &code, at);
                pending.extend(update(
                    state,
                    Msg::ServiceReplied {
                        request,
                        latency: std::time::Duration::from_millis(3),
                        result: Ok(Box::new(v)),
                    },
                    at,
                ));
            }
            Effect::FetchPortrait { request, .. } => {
                let result = decode_portrait(&traveller.portrait);
                pending.extend(update(state, Msg::PortraitLoaded { request, result }, at));
            }
            other => left.push(other),
        }
    }
    state.now = at + super::state::DECISION_LOCK;
    left
}

/// A grey test frame of a phone-sized bright rectangle, for the camera preview.
pub fn preview_frame() -> crate::edges::scanner::live::FrameReport {
    let (w, h) = (160usize, 90usize);
    let mut pixels = vec![40u8; w * h];
    for y in 15..75 {
        for x in 60..100 {
            pixels[y * w + x] = if (x / 4 + y / 4) % 2 == 0 { 230 } else { 20 };
        }
    }
    crate::edges::scanner::live::FrameReport {
        seq: 1,
        width: 1280,
        height: 720,
        preview: crate::edges::scanner::binarize::Gray {
            width: w,
            height: h,
            pixels,
        },
        outline: Some([
            (480.0, 120.0),
            (800.0, 120.0),
            (800.0, 600.0),
            (480.0, 600.0),
        ]),
        decode_time: std::time::Duration::from_millis(6),
        dropped: 0,
    }
}
