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
use crate::edges::camera::{FrameSource, SourceError};
use crate::edges::scanner::live::{FrameReport, ScanEvent, Scanner, ScannerConfig};

use super::effects::EffectRunner;
use super::keymap::{Key, KeyCode};
use super::msg::Msg;
use super::script::{self, Step};
use super::state::{Delivery, State};
use super::theme::Theme;
use super::{update, view};

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
            ScanEvent::SourceFailed(e) => Msg::CameraFailed {
                message: e.to_string(),
            },
            ScanEvent::SourceEnded => Msg::CameraEnded,
        };
        let _ = tx.send(msg);
    });
    (scanner, frames_rx)
}

/// Everything the loop needs.
pub struct Console {
    pub state: State,
    pub theme: Theme,
    pub runner: EffectRunner,
    pub tx: mpsc::UnboundedSender<Msg>,
    pub rx: mpsc::UnboundedReceiver<Msg>,
    pub frames: FrameFeed,
    pub clock: Arc<dyn Clock>,
    pub script: Vec<Step>,
}

/// A console run: the lane, how it looks, what plays it, and whether it is the demo.
pub struct Setup {
    pub lane: super::state::LaneInfo,
    pub look: super::lane::Appearance,
    pub script: Vec<Step>,
    pub demo: Option<super::effects::DemoWorld>,
    /// A training session to play (and where to write its report), with its levers.
    pub training: Option<(super::training::Training, super::effects::TrainingLink)>,
    /// `--record FILE [--scrub]`.
    pub recording: Option<(std::path::PathBuf, bool)>,
    /// Where the audit log, the outbox, hand-offs and the cached trust list live.
    pub state_dir: std::path::PathBuf,
}

/// Starts the scanner on `make_source`, runs the console until the officer quits, and
/// stops the scanner.
pub async fn run_console<F>(
    setup: Setup,
    client: crate::edges::client::ServiceClient,
    make_source: F,
    clock: Arc<dyn Clock>,
) -> Result<State, String>
where
    F: FnOnce() -> Result<Box<dyn FrameSource>, SourceError> + Send + 'static,
{
    let (tx, rx) = mpsc::unbounded_channel();
    let (scanner, frames) = start_scanner(make_source, tx.clone());
    let is_demo = setup.demo.is_some() && setup.training.is_none();
    let mut runner = EffectRunner::start(
        Arc::new(client),
        tx.clone(),
        setup.demo,
        clock.clone(),
        &setup.state_dir,
    )?;
    let training = setup.training.map(|(training, link)| {
        runner = runner.clone().with_training(link);
        training
    });
    let mut state = State::new(
        setup.lane,
        setup.look.lang,
        Arc::new(setup.look.keymap),
        super::lane::session_id(),
        clock.now(),
    );
    if is_demo {
        state.demo = Some(super::state::DemoState::default());
    }
    state.training = training;
    if let Some((path, scrub)) = setup.recording {
        let stand_ins = scrub.then(|| {
            super::record::stand_ins(&state.lane, &super::demo::default_fixtures(), clock.now())
        });
        state.recording = Some(super::record::Recording::new(path, clock.now(), stand_ins));
    }
    // Offline from the start, codes are still checked with the last trust list fetched.
    match crate::edges::trust_cache::load(&super::effects::trust_cache_path(&setup.state_dir)) {
        Ok(cached) => state.trust = cached,
        Err(e) => tracing::warn!(error = %e, "no usable cached trust list"),
    }
    let console = Console {
        state,
        theme: setup.look.theme,
        runner,
        tx,
        rx,
        frames,
        clock,
        script: setup.script,
    };
    let result = run(console).await;
    scanner.stop();
    result.map_err(|e| format!("the terminal failed: {e}"))
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
pub async fn run(console: Console) -> io::Result<State> {
    // ratatui's hook restores the terminal on panic; the panic fence's hook goes on top so
    // a contained decoder panic does not.
    let mut terminal = ratatui::try_init()?;
    let _guard = TerminalGuard;
    crate::edges::contain::install_hook();
    run_loop(&mut terminal, console).await
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

async fn run_loop(terminal: &mut DefaultTerminal, console: Console) -> io::Result<State> {
    let Console {
        mut state,
        theme,
        runner,
        tx,
        mut rx,
        mut frames,
        clock,
        script,
    } = console;
    if !script.is_empty() {
        tokio::spawn(play(script, tx.clone()));
    }
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    for effect in update::start(&state) {
        runner.run(effect);
    }
    terminal.draw(|f| view::draw(f, &state, &theme))?;
    loop {
        let msg = tokio::select! {
            event = events.next() => match event {
                Some(Ok(Event::Key(key))) if key.kind != KeyEventKind::Release => match convert_key(key) {
                    Some(key) => Msg::Key(key),
                    None => continue,
                },
                Some(Ok(Event::Resize(..))) => Msg::Resized,
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(e),
                None => break,
            },
            Some(msg) = rx.recv() => msg,
            Ok(()) = frames.changed() => match frames.borrow_and_update().clone() {
                Some(report) => Msg::FrameShown(report),
                None => continue,
            },
            _ = tick.tick() => Msg::Tick,
        };
        for effect in update::update(&mut state, msg, clock.now()) {
            runner.run(effect);
        }
        // Take whatever else is already waiting before drawing once for all of it.
        while let Ok(msg) = rx.try_recv() {
            for effect in update::update(&mut state, msg, clock.now()) {
                runner.run(effect);
            }
        }
        if state.quit {
            break;
        }
        terminal.draw(|f| view::draw(f, &state, &theme))?;
    }
    drain_deliveries(&mut state, &mut rx, &clock).await;
    Ok(state)
}

/// Gives decisions still being written a moment to reach the disk before exiting (the
/// outbox delivers them on the next start if the service has not had them yet).
async fn drain_deliveries(
    state: &mut State,
    rx: &mut mpsc::UnboundedReceiver<Msg>,
    clock: &Arc<dyn Clock>,
) {
    let deadline = tokio::time::Instant::now() + super::effects::DRAIN_TIMEOUT;
    while state
        .history
        .iter()
        .any(|d| d.delivery == Delivery::Recording)
    {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(msg @ Msg::Recorded { .. })) => {
                update::update(state, msg, clock.now());
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
