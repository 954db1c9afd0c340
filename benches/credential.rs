//! Mint and verify of one EC1 code, on one core.
//!
//! cargo bench --bench credential

use divan::{Bencher, black_box};
use ed25519_dalek::SigningKey;
use lanedesk::domain::credential::{self, CardRef, Claims, Kid};
use lanedesk::domain::replay::ReplayCache;
use lanedesk::domain::trust::{KeyStatus, TrustList, TrustedKey};

const NOW: i64 = 1_800_000_000;

fn setup() -> (SigningKey, Kid, TrustList) {
    let key = SigningKey::from_bytes(&[7; 32]);
    let kid = Kid([1; 8]);
    let trust = TrustList {
        keys: vec![TrustedKey {
            kid,
            issuer: "CN-NIA".into(),
            key: key.verifying_key(),
            valid_from: NOW - 1000,
            valid_until: NOW + 1000,
            status: KeyStatus::Active,
        }],
        issued_at: NOW,
        sequence: 1,
    };
    (key, kid, trust)
}

fn main() {
    divan::main();
}

#[divan::bench]
fn mint(bencher: Bencher) {
    let (key, kid, _) = setup();
    bencher.bench_local(|| {
        let claims = Claims::fresh("CN-NIA", CardRef([5; 16]), NOW);
        black_box(credential::mint(&claims, kid, &key))
    });
}

#[divan::bench]
fn parse_only(bencher: Bencher) {
    let (key, kid, _) = setup();
    let text = credential::mint(&Claims::fresh("CN-NIA", CardRef([5; 16]), NOW), kid, &key);
    bencher.bench_local(|| black_box(credential::parse(black_box(&text)).is_ok()));
}

#[divan::bench]
fn verify_offline(bencher: Bencher) {
    let (key, kid, trust) = setup();
    let text = credential::mint(&Claims::fresh("CN-NIA", CardRef([5; 16]), NOW), kid, &key);
    bencher.bench_local(|| {
        black_box(credential::verify(black_box(&text), &trust, NOW, 30, None).is_ok())
    });
}

#[divan::bench]
fn mint_then_verify_with_replay_cache(bencher: Bencher) {
    let (key, kid, trust) = setup();
    let mut cache = ReplayCache::default();
    bencher.bench_local(|| {
        let text = credential::mint(&Claims::fresh("CN-NIA", CardRef([5; 16]), NOW), kid, &key);
        black_box(credential::verify(&text, &trust, NOW, 30, Some(&mut cache)).is_ok())
    });
}
