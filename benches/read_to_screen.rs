//! From a code read to the traveller on screen, with the reference service on loopback.
//!
//! cargo bench --bench read_to_screen
//!
//! Each round: a fresh code (minted in-process, as the phone app's would be) enters
//! `update` as the scanner's `CodeRead`; the offline verification runs; the effect runner
//! asks the service over real HTTP on 127.0.0.1; the reply goes through `update`; the
//! screen is drawn at 160×45. "on screen" is that first draw with name, documents and
//! checks; "with portrait" adds the photo request and its draw.
//! LANEDESK_BENCH_ROUNDS sets the rounds (default 500).

use std::sync::Arc;
use std::time::{Duration, Instant};

use lanedesk::app::service::{InProcessService, ServiceSetup};
use lanedesk::console::desk::Desk;
use lanedesk::console::effect::Effect;
use lanedesk::console::keymap::{Key, Keymap};
use lanedesk::console::msg::Msg;
use lanedesk::console::runner::EffectRunner;
use lanedesk::console::state::State;
use lanedesk::console::testkit;
use lanedesk::console::theme::Theme;
use lanedesk::console::view;
use lanedesk::domain::checkpoint::Direction;
use lanedesk::domain::clock::{Clock, SystemClock};
use lanedesk::domain::lang::Lang;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const TOKEN: &str = "bench-lane-token";

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Runs `effect` and feeds its answer to the desk; returns the effects that follow.
async fn answer(
    runner: &EffectRunner,
    desk: &mut Desk,
    effect: Effect,
    clock: &dyn Clock,
) -> Vec<Effect> {
    match runner.perform(effect).await {
        Some(msg) => desk.update(msg, clock.now()),
        None => vec![],
    }
}

fn main() {
    let rounds: usize = std::env::var("LANEDESK_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let service = InProcessService::start(ServiceSetup::new(&fixtures, clock.clone(), TOKEN))
            .await
            .unwrap();
        let client = Arc::new(service.client().unwrap());
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let runner = EffectRunner::start(
            Arc::new(client.clone()),
            tx,
            None,
            clock.clone(),
            &service.scratch().join("state"),
            &testkit::lane(Direction::Exit).origin(),
            service.issuer.anchor(),
        )
        .unwrap();
        let mut state = State::new(
            testkit::lane(Direction::Exit),
            Lang::En,
            Arc::new(Keymap::default()),
            "bench".into(),
            clock.now(),
        );
        state.trust = Some(client.trust_list(clock.unix()).await.unwrap());
        let mut desk = Desk::from(state);
        let issuer = service.issuer.clone();
        let theme = Theme::dark();
        let mut terminal = Terminal::new(TestBackend::new(160, 45)).unwrap();
        let cards = issuer.cards();
        let (mut on_screen, mut with_portrait) = (Vec::new(), Vec::new());
        for round in 0..rounds + 20 {
            let code = issuer.mint(cards[round % cards.len()].card).unwrap().qr;
            let started = Instant::now();
            let mut effects = desk.update(Msg::CodeRead { text: code }, clock.now());
            let verify = effects.pop().expect("a verification");
            let mut next = answer(&runner, &mut desk, verify, &*clock).await;
            terminal.draw(|f| view::draw(f, &desk, &theme)).unwrap();
            let drawn = started.elapsed();
            while let Some(effect) = next.pop() {
                next.extend(answer(&runner, &mut desk, effect, &*clock).await);
            }
            terminal.draw(|f| view::draw(f, &desk, &theme)).unwrap();
            let with_photo = started.elapsed();
            assert!(
                desk.lane
                    .current
                    .as_ref()
                    .is_some_and(|p| p.verification().is_some()),
                "the service answered"
            );
            if round >= 20 {
                on_screen.push(drawn);
                with_portrait.push(with_photo);
            }
            effects.extend(desk.update(Msg::Key(Key::char('c')), clock.now()));
        }
        for (name, mut samples) in [
            ("code read -> traveller and documents on screen", on_screen),
            ("code read -> ... and portrait on screen", with_portrait),
        ] {
            samples.sort();
            println!(
                "{name}: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} rounds)",
                percentile(&samples, 0.5).as_secs_f64() * 1e3,
                percentile(&samples, 0.99).as_secs_f64() * 1e3,
                samples.last().unwrap().as_secs_f64() * 1e3,
                samples.len()
            );
        }
        service.stop().await;
    });
}
