//! 2D code readers and the lane's clock, with real parts: a pseudo-terminal pair stands in
//! for a USB serial reader (the real reader thread opens its far end), and the lane learns
//! its clock's offset from a real reference service over HTTP on 127.0.0.1.

mod common;

use std::sync::Arc;
use std::time::Duration;

use lanedesk::console::effect::Effect;
use lanedesk::console::msg::Msg;
use lanedesk::console::runner::EffectRunner;
use lanedesk::console::runtime::start_reader;
use lanedesk::console::state::{ReaderStatus, State};
use lanedesk::console::testkit::{self, TestIssuer};
use lanedesk::console::update::update;
use lanedesk::domain::checkpoint::Direction;
use lanedesk::domain::clock::{Clock, ManualClock};
use lanedesk::domain::lang::Lang;
use lanedesk::edges::reader::serial::PseudoReader;
use lanedesk::edges::reader::{Framing, ReaderEvent, SerialSpec};
use tokio::sync::mpsc;

/// Long enough for a reader thread to open a port on a busy machine; never a measure.
const PATIENCE: Duration = Duration::from_secs(20);

fn lane() -> (State, TestIssuer) {
    let issuer = TestIssuer::new();
    (testkit::state(Direction::Exit, Lang::En, &issuer), issuer)
}

/// Waits for the reader's next event.
async fn next(rx: &mut mpsc::UnboundedReceiver<Msg>) -> ReaderEvent {
    match tokio::time::timeout(PATIENCE, rx.recv()).await {
        Ok(Some(Msg::Reader(e))) => e,
        other => panic!("expected a reader event, got {other:?}"),
    }
}

/// Hands reader events to the lane until one matches `want`; returns it.
async fn until(
    rx: &mut mpsc::UnboundedReceiver<Msg>,
    state: &mut State,
    want: impl Fn(&ReaderEvent) -> bool,
) -> ReaderEvent {
    loop {
        let e = next(rx).await;
        let now = state.now;
        update(state, Msg::Reader(e.clone()), now);
        if want(&e) {
            return e;
        }
    }
}

fn spec(path: &std::path::Path) -> SerialSpec {
    let mut spec = SerialSpec::parse(&format!("serial:{},115200", path.display())).unwrap();
    // Framed as many imagers can be set to: STX before the code, ETX after it.
    spec.framing = Framing {
        prefix: "\u{2}".into(),
        suffix: "\u{3}".into(),
    };
    spec
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_written_to_the_reader_is_presented() {
    let pty = PseudoReader::new().unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let reader = start_reader(spec(pty.path()), tx);
    let (mut state, issuer) = lane();
    until(&mut rx, &mut state, |e| {
        matches!(e, ReaderEvent::Opened { .. })
    })
    .await;
    assert_eq!(state.reader.status, ReaderStatus::Ready);
    let code = issuer.code(&testkit::traveller("T01"), state.now, 1);
    pty.write(format!("\u{2}{code}\u{3}\r\n").as_bytes())
        .unwrap();
    until(&mut rx, &mut state, |e| {
        matches!(e, ReaderEvent::Read { .. })
    })
    .await;
    let p = state
        .current
        .as_ref()
        .expect("the reader's code is presented");
    assert_eq!(p.code, code);
    assert!(state.reader.read_at.is_some());
    reader.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_unplugged_and_plugged_back_in_is_survived() {
    // The port's name stays (as /dev/ttyACM0 does); the device behind it goes and comes.
    let dir = tempfile::tempdir().unwrap();
    let port = dir.path().join("ttyACM0");
    let first = PseudoReader::new().unwrap();
    std::os::unix::fs::symlink(first.path(), &port).unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let reader = start_reader(spec(&port), tx);
    let (mut state, issuer) = lane();
    until(&mut rx, &mut state, |e| {
        matches!(e, ReaderEvent::Opened { .. })
    })
    .await;

    drop(first);
    std::fs::remove_file(&port).unwrap();
    until(&mut rx, &mut state, |e| {
        matches!(e, ReaderEvent::Lost { .. })
    })
    .await;
    assert!(matches!(state.reader.status, ReaderStatus::Lost { .. }));

    let second = PseudoReader::new().unwrap();
    std::os::unix::fs::symlink(second.path(), &port).unwrap();
    until(&mut rx, &mut state, |e| {
        matches!(e, ReaderEvent::Opened { .. })
    })
    .await;
    assert_eq!(state.reader.status, ReaderStatus::Ready);
    let code = issuer.code(&testkit::traveller("T02"), state.now, 2);
    second
        .write(format!("\u{2}{code}\u{3}\r").as_bytes())
        .unwrap();
    until(&mut rx, &mut state, |e| {
        matches!(e, ReaderEvent::Read { .. })
    })
    .await;
    assert_eq!(state.current.as_ref().unwrap().code, code);
    reader.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lines_that_are_not_codes_are_ignored_with_one_message() {
    let pty = PseudoReader::new().unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let reader = start_reader(spec(pty.path()), tx);
    let (mut state, issuer) = lane();
    until(&mut rx, &mut state, |e| {
        matches!(e, ReaderEvent::Opened { .. })
    })
    .await;
    // A product barcode, an escape sequence, a keep-alive, then a code, all in one go.
    let code = issuer.code(&testkit::traveller("T01"), state.now, 1);
    let noise = "4006381333931\r\n\u{1b}[2J\u{1b}]0;owned\u{7}\n\u{2}\u{3}\r\n";
    pty.write(format!("{noise}\u{2}{code}\u{3}\n").as_bytes())
        .unwrap();
    let mut ignored = vec![];
    let read = loop {
        match next(&mut rx).await {
            e @ ReaderEvent::Ignored { .. } => ignored.push(e),
            e @ ReaderEvent::Read { .. } => break e,
            other => panic!("unexpected {other:?}"),
        }
    };
    assert_eq!(
        ignored.len(),
        1,
        "one message for the run of noise: {ignored:?}"
    );
    for e in ignored {
        let now = state.now;
        update(&mut state, Msg::Reader(e), now);
    }
    let notice = format!("{:?}", state.notice.as_ref().unwrap().text);
    assert!(
        notice.contains("4006381333931") && !notice.contains('\u{1b}'),
        "{notice}"
    );
    let now = state.now;
    update(&mut state, Msg::Reader(read), now);
    assert_eq!(state.current.as_ref().unwrap().code, code);
    reader.stop();
}

/// A lane whose clock is `ahead` of the reference service's, asking it through the real
/// effect runner and client.
struct ClockRig {
    service: Option<common::TestService>,
    runner: EffectRunner,
    rx: mpsc::UnboundedReceiver<Msg>,
    lane_clock: Arc<ManualClock>,
    state: State,
    _dir: tempfile::TempDir,
}

impl ClockRig {
    async fn new(ahead: chrono::TimeDelta) -> ClockRig {
        let service = common::start(false).await;
        let lane_clock = Arc::new(ManualClock::new(service.clock.now() + ahead));
        let (tx, rx) = mpsc::unbounded_channel();
        let dir = tempfile::tempdir().unwrap();
        let client = Arc::new(service.client());
        let (mut state, _) = lane();
        let origin = state.lane.origin();
        let runner = EffectRunner::start(
            Arc::new(client),
            tx,
            None,
            lane_clock.clone(),
            dir.path(),
            &origin,
            service.issuer.anchor(),
        )
        .unwrap();
        state.now = lane_clock.now();
        ClockRig {
            service: Some(service),
            runner,
            rx,
            lane_clock,
            state,
            _dir: dir,
        }
    }

    /// One health check, and what it told the lane of its clock.
    async fn check(&mut self) -> Option<lanedesk::domain::lane_time::Offset> {
        let answer = self.runner.perform(Effect::CheckHealth).await.unwrap();
        let mut offset = None;
        while let Ok(msg) = self.rx.try_recv() {
            if let Msg::ClockChecked { offset: o } = &msg {
                offset = Some(*o);
            }
            update(&mut self.state, msg, self.lane_clock.now());
        }
        update(&mut self.state, answer, self.lane_clock.now());
        offset
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_offset_is_learned_at_each_health_check_over_http() {
    let mut rig = ClockRig::new(chrono::TimeDelta::seconds(45)).await;
    let o = rig.check().await.expect("the service said its time");
    assert!(o.measured);
    assert!((o.ms + 45_000).abs() <= o.error_ms + 1, "{o:?}");
    let standing = rig.state.clock.standing();
    assert!(standing.caveat().is_some(), "past 30 s: a warning");
    assert!(
        standing.untrusted().is_none(),
        "not past 5 min: still judged"
    );
    rig.service.take().unwrap().stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_a_clock_set_back_is_never_trusted() {
    let mut rig = ClockRig::new(chrono::TimeDelta::zero()).await;
    let o = rig.check().await.unwrap();
    assert!(o.ms.abs() <= o.error_ms + 1, "{o:?}");
    // The service goes away; then someone sets the lane's clock back ten minutes (its
    // monotonic clock does not move back).
    rig.service.take().unwrap().stop().await;
    rig.lane_clock.advance(chrono::TimeDelta::seconds(5));
    rig.lane_clock
        .set(rig.lane_clock.now() - chrono::TimeDelta::minutes(10));
    let o = rig.check().await.expect("bounded without the service");
    assert!(!o.measured);
    assert!((o.ms - 600_000).abs() <= o.error_ms + 1, "{o:?}");
    assert!(rig.state.clock.standing().untrusted().is_some());
    // A code read now, at a lane knowing what this one learned: its window is not judged
    // on this clock.
    let (mut state, issuer) = lane();
    state.clock.offset = rig.state.clock.offset;
    let code = issuer.code(&testkit::traveller("T01"), state.now, 1);
    let now = state.now;
    update(&mut state, Msg::CodeRead { text: code }, now);
    let fresh = state
        .current
        .as_ref()
        .unwrap()
        .checks
        .iter()
        .find(|c| c.id.wire() == "code-fresh");
    assert_eq!(
        fresh.unwrap().outcome,
        lanedesk::domain::checks::Outcome::Unknown
    );
}
