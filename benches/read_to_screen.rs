//! From a code read to the traveller on screen, with the reference service on loopback.
//!
//! cargo bench --bench read_to_screen
//!
//! Each round: a fresh code (minted in-process, as the phone app's would be) enters
//! `update` as the scanner's `CodeRead`; the offline verification runs; the effect runner
//! asks the service over real HTTP on 127.0.0.1; the reply goes through `update`; the
//! screen is drawn at 160×45. "on screen" is that first draw with name, documents and
//! checks; "with portrait" adds the photo request and its draw.
//!
//! Then the same through a serial 2D code reader: the code written as a line (CRLF) into a
//! pseudo-terminal that the real reader thread reads (`edges::reader::serial`), timed from
//! the moment its last byte is written; the reader's message reaches the desk through the
//! same channel the console's loop reads, and the rest is the camera path's.
//! LANEDESK_BENCH_ROUNDS sets the rounds (default 500).

use std::sync::Arc;
use std::time::{Duration, Instant};

use lanedesk::app::service::{InProcessService, ServiceSetup};
use lanedesk::console::desk::Desk;
use lanedesk::console::effect::Effect;
use lanedesk::console::keymap::{Key, Keymap};
use lanedesk::console::msg::Msg;
use lanedesk::console::runner::EffectRunner;
use lanedesk::console::runtime::start_reader;
use lanedesk::console::state::State;
use lanedesk::console::testkit;
use lanedesk::console::theme::Theme;
use lanedesk::console::view;
use lanedesk::domain::checkpoint::Direction;
use lanedesk::domain::clock::{Clock, SystemClock};
use lanedesk::domain::lang::Lang;
use lanedesk::edges::reader::serial::PseudoReader;
use lanedesk::edges::reader::{ReaderEvent, SerialSpec};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const TOKEN: &str = "bench-lane-token";

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Prints a figure's p50, p99 and max.
fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    println!(
        "{name}: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} rounds)",
        percentile(&samples, 0.5).as_secs_f64() * 1e3,
        percentile(&samples, 0.99).as_secs_f64() * 1e3,
        samples.last().unwrap().as_secs_f64() * 1e3,
        samples.len()
    );
}

/// The desk, its effect runner and a 160×45 screen: what a read code goes through.
struct Lane {
    desk: Desk,
    runner: EffectRunner,
    clock: Arc<dyn Clock>,
    terminal: Terminal<TestBackend>,
    theme: Theme,
}

impl Lane {
    /// A lane at Lo Wu with the service's trust list, its runner on the service.
    async fn start(service: &InProcessService, clock: Arc<dyn Clock>) -> Lane {
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
        state.trust = Some(
            client
                .trust_list(&service.issuer.anchor(), clock.unix())
                .await
                .unwrap()
                .0,
        );
        Lane {
            desk: Desk::from(state),
            runner,
            clock,
            terminal: Terminal::new(TestBackend::new(160, 45)).unwrap(),
            theme: Theme::dark(),
        }
    }

    /// Takes a code's message, asks the service, draws; then the portrait and a draw.
    /// Returns the time from `started` to each draw.
    async fn present(&mut self, msg: Msg, started: Instant) -> (Duration, Duration) {
        let (desk, clock) = (&mut self.desk, &*self.clock);
        let mut effects = desk.update(msg, clock.now());
        let verify = effects.pop().expect("a verification");
        let mut next = answer(&self.runner, desk, verify, clock).await;
        self.terminal
            .draw(|f| view::draw(f, desk, &self.theme))
            .unwrap();
        let drawn = started.elapsed();
        while let Some(effect) = next.pop() {
            next.extend(answer(&self.runner, desk, effect, clock).await);
        }
        self.terminal
            .draw(|f| view::draw(f, desk, &self.theme))
            .unwrap();
        let with_photo = started.elapsed();
        assert!(
            desk.lane
                .current
                .as_ref()
                .is_some_and(|p| p.verification().is_some()),
            "the service answered"
        );
        desk.update(Msg::Key(Key::char('c')), clock.now());
        (drawn, with_photo)
    }
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
        let mut lane = Lane::start(&service, clock).await;
        let issuer = service.issuer.clone();
        let cards = issuer.cards();
        let (mut on_screen, mut with_portrait) = (Vec::new(), Vec::new());
        let (mut via_reader, mut reader_alone) = (Vec::new(), Vec::new());
        // The reader: a pseudo-terminal pair, its far end read by the real reader thread.
        let pty = PseudoReader::new().unwrap();
        let spec = SerialSpec::parse(&format!("serial:{}", pty.path().display())).unwrap();
        let (reader_tx, mut reader_rx) = tokio::sync::mpsc::unbounded_channel();
        let reader = start_reader(spec, reader_tx);
        match reader_rx.recv().await {
            Some(Msg::Reader(ReaderEvent::Opened { .. })) => {}
            other => panic!("the reader did not open: {other:?}"),
        }
        // Camera and reader take turns: each path gets `rounds` samples after 20 warm-up ones.
        for round in 0..2 * (rounds + 20) {
            let warm = round >= 40;
            let code = issuer.mint(cards[round % cards.len()].card).unwrap().qr;
            if round % 2 == 0 {
                let (drawn, with_photo) = lane
                    .present(Msg::CodeRead { text: code }, Instant::now())
                    .await;
                if warm {
                    on_screen.push(drawn);
                    with_portrait.push(with_photo);
                }
                continue;
            }
            pty.write(format!("{code}\r\n").as_bytes()).unwrap();
            let started = Instant::now();
            let msg = reader_rx.recv().await.expect("the reader's line");
            let alone = started.elapsed();
            let (drawn, _) = lane.present(msg, started).await;
            if warm {
                reader_alone.push(alone);
                via_reader.push(drawn);
            }
        }
        reader.stop();
        report("code read -> traveller and documents on screen", on_screen);
        report("code read -> ... and portrait on screen", with_portrait);
        report(
            "reader line's last byte -> traveller and documents on screen",
            via_reader,
        );
        report(
            "reader line's last byte -> code read (the reader's own part)",
            reader_alone,
        );
        service.stop().await;
    });
}
