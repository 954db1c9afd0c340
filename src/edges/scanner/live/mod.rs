//! The scanner: a capture thread and a decoder thread, joined by a one-frame slot.
//!
//! The capture thread puts each frame in the slot, replacing any frame the decoder has not
//! taken yet: a slow decode drops stale frames instead of queueing them, so what is read is
//! always what the camera sees now. The decoder spends a small budget per frame (the
//! cheapest rung, where the last code was if it was there a moment ago; then one other rung,
//! a different one each frame) and reports each code once while it stays in view.
//!
//! A frame identical to one seen a moment ago (a still image, a simulated camera cycling
//! through a few rendered frames) is not decoded again once every rung has been tried on it:
//! the answer is already known. Identical means every pixel; a real camera's noise makes
//! each of its frames new, so it is decoded as before.

mod budget;
mod dedup;
mod slot;

#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::binarize::Gray;
use super::found::Found;
use crate::edges::camera::{FrameSource, SourceError};

pub use budget::LiveReader;
pub use dedup::Dedup;
pub use slot::LatestSlot;

/// What the scanner reports.
#[derive(Debug, Clone)]
pub enum ScanEvent {
    Started {
        source: String,
    },
    /// A frame was decoded (whether or not a code was in it).
    Frame(FrameReport),
    /// A code came into view.
    CodeRead(Found),
    SourceFailed(SourceError),
    /// The source has no more frames.
    SourceEnded,
}

#[derive(Debug, Clone)]
pub struct FrameReport {
    pub seq: u64,
    pub width: usize,
    pub height: usize,
    /// A small copy for the preview; the frame itself stays here.
    pub preview: Gray,
    /// Where a code is, in frame pixels, when one was read in this frame.
    pub outline: Option<[(f32, f32); 4]>,
    pub decode_time: Duration,
    /// Frames replaced in the slot before the decoder took them, since the start.
    pub dropped: u64,
}

#[derive(Debug, Clone, Copy)]
pub struct ScannerConfig {
    /// The same code seen again within this time is not reported again.
    pub repeat_after: Duration,
    /// Preview width in pixels.
    pub preview_width: usize,
}

impl Default for ScannerConfig {
    fn default() -> Self {
        Self {
            repeat_after: Duration::from_secs(3),
            preview_width: 160,
        }
    }
}

/// A running scanner. Dropping it stops it.
pub struct Scanner {
    stop: Arc<AtomicBool>,
    slot: Arc<LatestSlot<(u64, Gray)>>,
    threads: Vec<JoinHandle<()>>,
}

impl Scanner {
    /// Starts the capture and decoder threads. `make_source` runs on the capture thread (a
    /// webcam must stay on the thread that opened it); `on_event` is called from both threads.
    pub fn start<F, E>(make_source: F, config: ScannerConfig, on_event: E) -> Scanner
    where
        F: FnOnce() -> Result<Box<dyn FrameSource>, SourceError> + Send + 'static,
        E: Fn(ScanEvent) + Send + Sync + 'static,
    {
        let stop = Arc::new(AtomicBool::new(false));
        let slot: Arc<LatestSlot<(u64, Gray)>> = Arc::new(LatestSlot::default());
        let dropped = Arc::new(AtomicU64::new(0));
        let emit = Arc::new(on_event);
        let capture = {
            let (stop, slot, dropped, emit) =
                (stop.clone(), slot.clone(), dropped.clone(), emit.clone());
            std::thread::Builder::new()
                .name("lanedesk-capture".into())
                .spawn(move || capture_loop(make_source, &stop, &slot, &dropped, &*emit))
                .expect("the OS can start a thread")
        };
        let decode = {
            let (slot, emit) = (slot.clone(), emit.clone());
            std::thread::Builder::new()
                .name("lanedesk-scanner".into())
                .spawn(move || decode_loop(&slot, &dropped, config, &*emit))
                .expect("the OS can start a thread")
        };
        Scanner {
            stop,
            slot,
            threads: vec![capture, decode],
        }
    }

    /// Stops both threads and waits for the decoder. The capture thread ends after its
    /// current frame (a webcam read cannot be interrupted).
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.slot.close();
        if let Some(decode) = self.threads.pop() {
            let _ = decode.join();
        }
    }
}

impl Drop for Scanner {
    fn drop(&mut self) {
        self.halt();
    }
}

fn capture_loop<F>(
    make_source: F,
    stop: &AtomicBool,
    slot: &LatestSlot<(u64, Gray)>,
    dropped: &AtomicU64,
    emit: &dyn Fn(ScanEvent),
) where
    F: FnOnce() -> Result<Box<dyn FrameSource>, SourceError>,
{
    let mut source = match make_source() {
        Ok(source) => source,
        Err(e) => {
            emit(ScanEvent::SourceFailed(e));
            slot.close();
            return;
        }
    };
    emit(ScanEvent::Started {
        source: source.describe(),
    });
    let mut seq = 0u64;
    let mut last_error: Option<SourceError> = None;
    while !stop.load(Ordering::SeqCst) {
        let started = Instant::now();
        match source.next_frame() {
            Ok(Some(frame)) => {
                seq += 1;
                if slot.put((seq, frame)) {
                    dropped.fetch_add(1, Ordering::Relaxed);
                }
                last_error = None;
            }
            Ok(None) => {
                emit(ScanEvent::SourceEnded);
                break;
            }
            Err(e) => {
                // Say it once, not once per frame, while the same failure goes on.
                if last_error.as_ref() != Some(&e) {
                    emit(ScanEvent::SourceFailed(e.clone()));
                }
                if !e.is_transient() {
                    break;
                }
                last_error = Some(e);
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        if let Some(pace) = source.pacing() {
            std::thread::sleep(pace.saturating_sub(started.elapsed()));
        }
    }
    slot.close();
}

fn decode_loop(
    slot: &LatestSlot<(u64, Gray)>,
    dropped: &AtomicU64,
    config: ScannerConfig,
    emit: &dyn Fn(ScanEvent),
) {
    let mut reader = LiveReader::default();
    let mut dedup = Dedup::new(config.repeat_after);
    while let Some((seq, frame)) = slot.take() {
        let started = Instant::now();
        let found = reader.read(&frame);
        let decode_time = started.elapsed();
        let factor = (frame.width / config.preview_width.max(1)).max(1);
        emit(ScanEvent::Frame(FrameReport {
            seq,
            width: frame.width,
            height: frame.height,
            preview: frame.downscale(factor),
            outline: found.first().map(|f| f.corners),
            decode_time,
            dropped: dropped.load(Ordering::Relaxed),
        }));
        let now = Instant::now();
        for code in found {
            if dedup.is_new(&code.bytes, now) {
                emit(ScanEvent::CodeRead(code));
            }
        }
    }
}
