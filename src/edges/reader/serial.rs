//! A serial reader (USB CDC-ACM, or a real RS-232 port) on a thread of its own: opened,
//! read line by line, and opened again, at most once a second, whenever it goes away (a
//! reader unplugged and plugged back in comes back by itself). Through serial2, which needs
//! no system library.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{LineSplitter, NoiseGate, ReaderEvent, SerialSpec, Via, classify};
use crate::domain::text::sanitize;

/// A port that went away is tried again this often, no more.
pub const REOPEN_EVERY: Duration = Duration::from_secs(1);
/// How long a read waits before looking whether the reader should stop.
const POLL: Duration = Duration::from_millis(100);

/// The running reader; stopped when dropped.
pub struct SerialReader {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl SerialReader {
    /// Starts reading `spec`'s port; `emit` hears each state change and each line.
    pub fn start<E>(spec: SerialSpec, emit: E) -> SerialReader
    where
        E: Fn(ReaderEvent) + Send + 'static,
    {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("lanedesk-reader".into())
            .spawn(move || run(&spec, &flag, &emit))
            .ok();
        SerialReader { stop, thread }
    }

    /// Stops the thread and waits for it (at most one read's wait).
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for SerialReader {
    fn drop(&mut self) {
        self.halt();
    }
}

fn run(spec: &SerialSpec, stop: &AtomicBool, emit: &dyn Fn(ReaderEvent)) {
    let port_name = spec.path.display().to_string();
    let mut last_try: Option<Instant> = None;
    // Said once per change, not once a second while a reader stays unplugged.
    let mut said: Option<String> = None;
    let mut gate = NoiseGate::default();
    let lost = |reason: String, said: &mut Option<String>| {
        if said.as_deref() != Some(reason.as_str()) {
            emit(ReaderEvent::Lost {
                port: sanitize(&port_name),
                reason: sanitize(&reason),
            });
            *said = Some(reason);
        }
    };
    while !stop.load(Ordering::SeqCst) {
        if let Some(t) = last_try {
            if !pause(REOPEN_EVERY.saturating_sub(t.elapsed()), stop) {
                return;
            }
        }
        last_try = Some(Instant::now());
        let mut port = match serial2::SerialPort::open(&spec.path, spec.baud) {
            Ok(p) => p,
            Err(e) => {
                let reason = format!(
                    "cannot open {port_name} ({e}): check that the reader is plugged in and that this user may use the port (on Debian, the dialout group)"
                );
                lost(reason, &mut said);
                continue;
            }
        };
        let _ = port.set_read_timeout(POLL);
        said = None;
        emit(ReaderEvent::Opened {
            port: sanitize(&port_name),
        });
        if let Some(reason) = read_lines(&port, spec, stop, &mut gate, emit) {
            lost(reason, &mut said);
        }
    }
}

/// Reads until the port goes away (its reason) or the reader is stopped (`None`).
fn read_lines(
    port: &serial2::SerialPort,
    spec: &SerialSpec,
    stop: &AtomicBool,
    gate: &mut NoiseGate,
    emit: &dyn Fn(ReaderEvent),
) -> Option<String> {
    let mut lines = LineSplitter::default();
    let mut buf = [0u8; 512];
    let gone = |detail: String| {
        Some(format!(
            "{} stopped answering ({detail}): the reader was unplugged or reset; trying again every second",
            spec.path.display()
        ))
    };
    while !stop.load(Ordering::SeqCst) {
        match port.read(&mut buf) {
            // End of file: the other end closed (a pseudo-terminal's master, a device gone).
            Ok(0) => return gone("end of data".into()),
            Ok(n) => {
                for line in lines.push(&buf[..n]) {
                    if let Some(event) = gate.event(classify(&line, &spec.framing), Via::Serial) {
                        emit(event);
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return gone(e.to_string()),
        }
    }
    None
}

/// Waits `for_how_long` in small steps; false when told to stop meanwhile.
fn pause(for_how_long: Duration, stop: &AtomicBool) -> bool {
    let until = Instant::now() + for_how_long;
    while Instant::now() < until {
        if stop.load(Ordering::SeqCst) {
            return false;
        }
        std::thread::sleep(POLL.min(until.saturating_duration_since(Instant::now())));
    }
    !stop.load(Ordering::SeqCst)
}

/// A pseudo-terminal pair standing in for a serial reader: what is written to it arrives on
/// [`PseudoReader::path`] as a reader's lines would. The demo's simulated reader, and the
/// tests' and benchmarks' reader, read through the real [`SerialReader`].
pub struct PseudoReader {
    master: serial2::SerialPort,
    /// Held open so the pair is not hung up between the reader's reopenings.
    _slave: serial2::SerialPort,
    path: std::path::PathBuf,
}

impl PseudoReader {
    pub fn new() -> std::io::Result<PseudoReader> {
        let (master, slave) = serial2::SerialPort::pair()?;
        let path = tty_name(&slave)?;
        Ok(PseudoReader {
            master,
            _slave: slave,
            path,
        })
    }

    /// The end a reader opens (`/dev/pts/N`).
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// Sends `bytes` as the reader's hardware would.
    pub fn write(&self, bytes: &[u8]) -> std::io::Result<()> {
        self.master.write_all(bytes)?;
        self.master.flush()
    }
}

/// The path of a terminal device open as `port`.
fn tty_name(port: &serial2::SerialPort) -> std::io::Result<std::path::PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::io::AsRawFd;
    let mut buf = [0 as libc::c_char; 256];
    // SAFETY: the buffer is valid for its length, and ttyname_r writes a NUL-terminated
    // name into it or returns an error without writing past it.
    let rc = unsafe { libc::ttyname_r(port.as_raw_fd(), buf.as_mut_ptr(), buf.len()) };
    if rc != 0 {
        return Err(std::io::Error::from_raw_os_error(rc));
    }
    // SAFETY: on success the buffer holds a NUL-terminated string.
    let name = unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) };
    Ok(std::path::PathBuf::from(std::ffi::OsStr::from_bytes(
        name.to_bytes(),
    )))
}
