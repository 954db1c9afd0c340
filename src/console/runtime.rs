//! The event loop and the terminal it owns. The terminal is given back on exit, on error
//! and on panic; logs go to a file, never to the screen.

use std::io::{self, IsTerminal};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crossterm::event::{Event, EventStream, KeyEventKind, KeyModifiers};
use futures_util::StreamExt;
use ratatui::DefaultTerminal;
use tokio::sync::{mpsc, watch};

use crate::domain::clock::Clock;
use crate::domain::trust::TrustAnchor;
use crate::edges::camera::{FrameSource, SourceError};
use crate::edges::reader::SerialSpec;
use crate::edges::reader::serial::SerialReader;
use crate::edges::scanner::live::{FrameReport, ScanEvent, Scanner, ScannerConfig};

use crate::domain::lang::Lang;
use crate::edges::client::ServiceRoute;

use super::desk::Desk;
use super::graphics::{Graphics, GraphicsChoice};
use super::keymap::{Key, KeyCode, Keymap};
use super::modes::script::{self, Step};
use super::modes::world::World;
use super::msg::Msg;
use super::runner::{DRAIN_TIMEOUT, EffectRunner};
use super::state::Delivery;
use super::theme::Theme;
use super::view;
use super::wedge::{Wedge, WedgeConfig, WedgeOut};

/// Frames for the preview: only the latest is kept, so a busy screen drops stale frames.
pub type FrameFeed = watch::Receiver<Option<Box<FrameReport>>>;

/// Starts the scanner, turning its events into messages.
pub fn start_scanner<F>(make_source: F, tx: mpsc::UnboundedSender<Msg>) -> (Scanner, FrameFeed)
where
    F: FnOnce() -> Result<Box<dyn FrameSource>, SourceError> + Send + 'static,
{
    let (frames_tx, frames_rx) = watch::channel(None);
    let frames_tx = Mutex::new(frames_tx);
    // A code away from the camera for a second and shown again is a new sighting: the
    // console itself knows a re-read of the traveller on screen from a new presentation.
    let config = ScannerConfig {
        repeat_after: Duration::from_secs(1),
        ..ScannerConfig::default()
    };
    let scanner = Scanner::start(make_source, config, move |event| {
        let msg = match event {
            ScanEvent::Frame(report) => {
                let _ = frames_tx
                    .lock()
                    .map(|tx| tx.send_replace(Some(Box::new(report))));
                return;
            }
            ScanEvent::Started { source } => Msg::CameraStarted { source },
            ScanEvent::CodeRead(found) => Msg::CodeRead {
                text: found.text.clone(),
            },
            ScanEvent::SourceFailed(SourceError::WaitingForImages { path }) => {
                Msg::CameraWaiting { folder: path }
            }
            ScanEvent::SourceFailed(e) => Msg::CameraFailed {
                message: e.to_string(),
            },
            ScanEvent::SourceEnded => Msg::CameraEnded,
        };
        let _ = tx.send(msg);
    });
    (scanner, frames_rx)
}

/// Starts a serial reader, turning what it says into messages.
pub fn start_reader(spec: SerialSpec, tx: mpsc::UnboundedSender<Msg>) -> SerialReader {
    SerialReader::start(spec, move |event| {
        let _ = tx.send(Msg::Reader(event));
    })
}

/// The 2D code readers beside the camera: a serial one, and how a keyboard one's bursts are
/// told from an officer's typing.
#[derive(Debug, Clone, Default)]
pub struct Readers {
    pub serial: Option<SerialSpec>,
    pub wedge: WedgeConfig,
}

/// How the console looks and which keys it answers to.
pub struct Appearance {
    pub theme: Theme,
    pub keymap: Keymap,
    pub lang: Lang,
    /// How the portrait is drawn: asked of the terminal, or forced.
    pub graphics: GraphicsChoice,
}

/// A console run, assembled by `app`: the desk (the lane and its modes), how it looks,
/// the way to the service, the demo's or training's world, and where the state lives.
pub struct Setup {
    pub desk: Desk,
    pub theme: Theme,
    pub graphics: GraphicsChoice,
    pub script: Vec<Step>,
    pub route: Arc<dyn ServiceRoute>,
    pub world: Option<Arc<World>>,
    pub clock: Arc<dyn Clock>,
    /// Where the audit log, the outbox, hand-offs and the cached trust list live.
    pub state_dir: std::path::PathBuf,
    /// The trust anchor this lane pins: every trust list must be signed by it.
    pub anchor: TrustAnchor,
}

/// Everything the loop needs.
struct Console {
    desk: Desk,
    theme: Theme,
    graphics: GraphicsChoice,
    runner: EffectRunner,
    tx: mpsc::UnboundedSender<Msg>,
    rx: mpsc::UnboundedReceiver<Msg>,
    frames: FrameFeed,
    clock: Arc<dyn Clock>,
    script: Vec<Step>,
    wedge: Wedge,
}

/// Starts the scanner on `make_source`, runs the console until the officer quits, and
/// stops the scanner.
pub async fn run_console<F>(setup: Setup, make_source: F) -> Result<Desk, String>
where
    F: FnOnce() -> Result<Box<dyn FrameSource>, SourceError> + Send + 'static,
{
    run_console_with(setup, make_source, Readers::default()).await
}

/// [`run_console`] with 2D code readers beside the camera: whichever reads a code first
/// presents it.
pub async fn run_console_with<F>(
    setup: Setup,
    make_source: F,
    readers: Readers,
) -> Result<Desk, String>
where
    F: FnOnce() -> Result<Box<dyn FrameSource>, SourceError> + Send + 'static,
{
    let (tx, rx) = mpsc::unbounded_channel();
    let (scanner, frames) = start_scanner(make_source, tx.clone());
    let serial_name = readers.serial.as_ref().map(|s| s.label.clone());
    let reader = readers.serial.map(|spec| start_reader(spec, tx.clone()));
    let runner = EffectRunner::start(
        setup.route,
        tx.clone(),
        setup.world,
        setup.clock.clone(),
        &setup.state_dir,
        &setup.desk.lane.lane.origin(),
        setup.anchor,
    )?;
    let mut desk = setup.desk;
    match load_trust_cache(&setup.state_dir, &setup.anchor, setup.clock.unix()) {
        Ok(trust) => desk.lane.trust = trust,
        // Refused (edited, rolled back, from the future): the officer is told, and codes
        // wait for the service's list instead of trusting the file.
        Err(e) => {
            desk.lane.now = setup.clock.now();
            crate::console::update::notify(
                &mut desk.lane,
                crate::console::state::NoticeText::Plain(e),
                crate::console::state::NoticeLevel::Error,
            );
        }
    }
    desk.lane.reader.serial = serial_name;
    let console = Console {
        desk,
        theme: setup.theme,
        graphics: setup.graphics,
        runner,
        tx,
        rx,
        frames,
        clock: setup.clock,
        script: setup.script,
        wedge: Wedge::new(readers.wedge),
    };
    let result = run(console).await;
    scanner.stop();
    if let Some(r) = reader {
        r.stop();
    }
    result.map_err(|e| format!("the terminal failed: {e}"))
}

/// Offline from the start, codes are still checked with the last trust list fetched,
/// once it has verified against the pinned anchor again.
pub fn load_trust_cache(
    state_dir: &Path,
    anchor: &TrustAnchor,
    now: i64,
) -> Result<Option<crate::domain::trust::TrustList>, String> {
    crate::edges::trust_cache::load(&crate::edges::trust_cache::path_in(state_dir), anchor, now)
        .inspect_err(|e| {
            tracing::warn!(error = %e, "the cached trust list is not used");
        })
}

/// Fails early, with a sentence, when there is no terminal to draw on.
pub fn require_terminal(command: &str) -> Result<(), String> {
    if io::stdout().is_terminal() && io::stdin().is_terminal() {
        Ok(())
    } else {
        Err(format!(
            "`lanedesk {command}` draws on a terminal, and this is not one (stdin or stdout is redirected). Run it in a terminal window, or use `lanedesk verify` / `lanedesk decode` for scripts."
        ))
    }
}

/// Sends logs to `path` (never to the terminal the console draws on).
pub fn log_to_file(path: &Path) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create the log folder {}: {e}", dir.display()))?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| {
            format!(
                "cannot open the log file {}: {e}. Pass --log with a writable path.",
                path.display()
            )
        })?;
    let filter = tracing_subscriber::EnvFilter::try_from_env("LANEDESK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(Mutex::new(file))
        .try_init();
    Ok(())
}

/// Restores the terminal when dropped, however the console ends.
struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

/// Takes the terminal, runs the console until the officer quits, and gives it back.
async fn run(mut console: Console) -> io::Result<Desk> {
    // ratatui's hook restores the terminal on panic; the panic fence's hook goes on top so
    // a contained decoder panic does not.
    let mut terminal = ratatui::try_init()?;
    let _guard = TerminalGuard;
    crate::edges::contain::install_hook();
    // Asked in raw mode and before anything reads keys: the answers come on stdin. Without
    // colour the portrait is drawn in shading characters anyway.
    let choice = if console.theme.monochrome {
        GraphicsChoice::Halfblocks
    } else {
        console.graphics
    };
    let (graphics, took) = Graphics::pick(choice);
    tracing::info!(protocol = ?graphics.protocol(), asked = %choice, ms = took.as_secs_f64() * 1e3, "portrait graphics");
    let size = terminal.size()?;
    console.desk.update(
        Msg::Resized {
            width: size.width,
            height: size.height,
        },
        console.clock.now(),
    );
    run_loop(&mut terminal, console, &graphics).await
}

pub fn convert_key(key: crossterm::event::KeyEvent) -> Option<Key> {
    use crossterm::event::KeyCode as C;
    let code = match key.code {
        C::Char(c) => KeyCode::Char(c),
        C::Enter => KeyCode::Enter,
        C::Esc => KeyCode::Esc,
        C::Tab => KeyCode::Tab,
        C::BackTab => KeyCode::BackTab,
        C::Backspace => KeyCode::Backspace,
        C::Delete => KeyCode::Delete,
        C::Up => KeyCode::Up,
        C::Down => KeyCode::Down,
        C::Left => KeyCode::Left,
        C::Right => KeyCode::Right,
        C::Home => KeyCode::Home,
        C::End => KeyCode::End,
        C::PageUp => KeyCode::PageUp,
        C::PageDown => KeyCode::PageDown,
        C::F(n) => KeyCode::F(n),
        _ => return None,
    };
    Some(Key {
        code,
        ctrl: key.modifiers.contains(KeyModifiers::CONTROL),
        alt: key.modifiers.contains(KeyModifiers::ALT),
    })
}

async fn run_loop(
    terminal: &mut DefaultTerminal,
    console: Console,
    graphics: &Graphics,
) -> io::Result<Desk> {
    let Console {
        mut desk,
        theme,
        graphics: _,
        runner,
        tx,
        mut rx,
        mut frames,
        clock,
        script,
        mut wedge,
    } = console;
    if !script.is_empty() {
        tokio::spawn(play(script, tx.clone()));
    }
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    // Keys are timed on the monotonic clock, for the wedge reader's bursts.
    let started = std::time::Instant::now();
    for effect in desk.start() {
        runner.run(effect);
    }
    terminal.draw(|f| view::draw_with(f, &desk, &theme, graphics))?;
    loop {
        let wake = wedge
            .deadline()
            .map(|d| tokio::time::Instant::from_std(started + d));
        let msgs: Vec<Msg> = tokio::select! {
            event = events.next() => match event {
                Some(Ok(Event::Key(key))) if key.kind != KeyEventKind::Release => match convert_key(key) {
                    Some(key) => from_wedge(wedge.key(key, started.elapsed())),
                    None => continue,
                },
                Some(Ok(Event::Resize(width, height))) => vec![Msg::Resized { width, height }],
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(e),
                None => break,
            },
            Some(msg) = rx.recv() => vec![msg],
            Ok(()) = frames.changed() => match frames.borrow_and_update().clone() {
                Some(report) => vec![Msg::FrameShown(report)],
                None => continue,
            },
            _ = tick.tick() => vec![Msg::Tick],
            // Keys held back as a possible reader's burst go on when it does not come.
            _ = tokio::time::sleep_until(wake.unwrap_or_else(tokio::time::Instant::now)), if wake.is_some() => {
                from_wedge(wedge.expire(started.elapsed()))
            }
        };
        if msgs.is_empty() {
            continue;
        }
        // What came, then whatever else is already waiting, before drawing once for all.
        let waiting = std::iter::from_fn(|| rx.try_recv().ok());
        for msg in msgs.into_iter().chain(waiting) {
            for effect in desk.update(msg, clock.now()) {
                runner.run(effect);
            }
        }
        if desk.lane.quit {
            break;
        }
        terminal.draw(|f| view::draw_with(f, &desk, &theme, graphics))?;
    }
    drain_deliveries(&mut desk, &mut rx, &clock).await;
    Ok(desk)
}

/// What the wedge detector let through, as messages.
fn from_wedge(out: Vec<WedgeOut>) -> Vec<Msg> {
    out.into_iter()
        .map(|o| match o {
            WedgeOut::Key(key) => Msg::Key(key),
            WedgeOut::Reader(event) => Msg::Reader(event),
        })
        .collect()
}

/// Gives decisions still being written a moment to reach the disk before exiting (the
/// outbox delivers them on the next start if the service has not had them yet).
async fn drain_deliveries(
    desk: &mut Desk,
    rx: &mut mpsc::UnboundedReceiver<Msg>,
    clock: &Arc<dyn Clock>,
) {
    let deadline = tokio::time::Instant::now() + DRAIN_TIMEOUT;
    while desk
        .lane
        .history
        .iter()
        .any(|d| d.delivery == Delivery::Recording)
    {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(msg @ Msg::Recorded { .. })) => {
                desk.update(msg, clock.now());
            }
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => break,
        }
    }
}

async fn play(steps: Vec<Step>, tx: mpsc::UnboundedSender<Msg>) {
    for step in steps {
        if let Step::Wait(d) = step {
            tokio::time::sleep(d).await;
            continue;
        }
        for key in script::keys(&step) {
            if tx.send(Msg::Key(key)).is_err() {
                return;
            }
            // Typed text arrives at typing speed, not all at once.
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
    }
}
