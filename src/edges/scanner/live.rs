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

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::binarize::Gray;
use super::reader::{self, Attempt, Found};
use super::roi::Rect;
use crate::edges::camera::{FrameSource, SourceError};

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

/// A slot holding at most one item; putting replaces what was not taken.
pub struct LatestSlot<T> {
    state: Mutex<(Option<T>, bool)>,
    ready: Condvar,
}

impl<T> Default for LatestSlot<T> {
    fn default() -> Self {
        Self {
            state: Mutex::new((None, false)),
            ready: Condvar::new(),
        }
    }
}

impl<T> LatestSlot<T> {
    /// Puts `item`, returning true when it replaced one that was never taken.
    pub fn put(&self, item: T) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let replaced = state.0.replace(item).is_some();
        self.ready.notify_one();
        replaced
    }

    /// Waits for an item; `None` once closed and empty.
    pub fn take(&self) -> Option<T> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(item) = state.0.take() {
                return Some(item);
            }
            if state.1 {
                return None;
            }
            state = self.ready.wait(state).unwrap_or_else(|p| p.into_inner());
        }
    }

    pub fn close(&self) {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).1 = true;
        self.ready.notify_all();
    }
}

/// Reports each payload once while it stays in view.
#[derive(Debug)]
pub struct Dedup {
    window: Duration,
    seen: HashMap<Vec<u8>, Instant>,
}

impl Dedup {
    pub fn new(window: Duration) -> Self {
        Self {
            window,
            seen: HashMap::new(),
        }
    }

    /// True when `payload` was not seen within the window. Each sighting restarts the window,
    /// so a phone held up for a minute is one read.
    pub fn is_new(&mut self, payload: &[u8], now: Instant) -> bool {
        let window = self.window;
        self.seen.retain(|_, t| now.duration_since(*t) < window);
        self.seen.insert(payload.to_vec(), now).is_none()
    }
}

/// Per-frame reading with a budget, remembering where the code was.
#[derive(Debug)]
pub struct LiveReader {
    last: Option<(Rect, Instant)>,
    turn: usize,
    memo: FrameMemo,
    /// Frames answered from the memo, since the start (for tests and benchmarks).
    pub remembered: u64,
    /// Frames where the first rung saw nothing like a finder pattern and no other rung was
    /// tried.
    pub idle_frames: u64,
}

impl Default for LiveReader {
    fn default() -> Self {
        Self::with_memory(MEMO_FRAMES)
    }
}

/// The last few distinct frames, with what reading them found and which rungs were tried.
#[derive(Debug, Default)]
struct FrameMemo {
    capacity: usize,
    entries: std::collections::VecDeque<Remembered>,
}

#[derive(Debug)]
struct Remembered {
    key: u64,
    frame: Gray,
    /// Bit `i` set: rung `i` of the ladder was tried on the whole frame (rung 0) or where
    /// the ladder puts it (the others).
    tried: u64,
    found: Vec<Found>,
}

/// Distinct frames remembered: a simulated camera cycles through eight.
const MEMO_FRAMES: usize = 8;

impl FrameMemo {
    /// A cheap fingerprint from a grid of pixels; a match is confirmed on every pixel.
    fn key(img: &Gray) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (img.width, img.height).hash(&mut h);
        let step = (img.pixels.len() / 4096).max(1);
        for px in img.pixels.iter().step_by(step) {
            px.hash(&mut h);
        }
        h.finish()
    }

    fn find(&mut self, key: u64, img: &Gray) -> Option<&mut Remembered> {
        self.entries.iter_mut().find(|e| {
            e.key == key
                && e.frame.width == img.width
                && e.frame.height == img.height
                && e.frame.pixels == img.pixels
        })
    }

    fn note(&mut self, key: u64, img: &Gray, rungs: u64, found: &[Found]) {
        if let Some(e) = self.find(key, img) {
            e.tried |= rungs;
            if e.found.is_empty() {
                e.found = found.to_vec();
            }
            return;
        }
        if self.capacity == 0 {
            return;
        }
        if self.entries.len() >= self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back(Remembered {
            key,
            frame: img.clone(),
            tried: rungs,
            found: found.to_vec(),
        });
    }
}

/// Attempts per frame: more would delay the next, fresher frame.
const BUDGET: usize = 2;
/// A code's region is worth looking at again for this long after it was last read.
const REGION_MEMORY: Duration = Duration::from_secs(2);

impl LiveReader {
    /// A reader that remembers `frames` distinct frames (0: none, every frame is decoded).
    pub fn with_memory(frames: usize) -> Self {
        Self {
            last: None,
            turn: 0,
            memo: FrameMemo {
                capacity: frames,
                entries: Default::default(),
            },
            remembered: 0,
            idle_frames: 0,
        }
    }

    pub fn read(&mut self, img: &Gray) -> Vec<Found> {
        let ladder = reader::ladder(img);
        let every_rung = if ladder.len() >= 64 {
            u64::MAX
        } else {
            (1u64 << ladder.len()) - 1
        };
        let key = FrameMemo::key(img);
        if let Some(seen) = self.memo.find(key, img) {
            if let Some(first) = seen.found.first() {
                // The same frame as a moment ago, where a code was read: it is still there.
                self.last = Rect::around(&first.corners, 0.35, img.width, img.height)
                    .map(|r| (r, Instant::now()));
                self.remembered += 1;
                return seen.found.clone();
            }
            if seen.tried & every_rung == every_rung {
                // Every rung has failed on exactly these pixels: so would this frame.
                found_nothing(&mut self.last);
                self.remembered += 1;
                return Vec::new();
            }
        }
        let (found, rungs) = self.attempt(img, &ladder);
        self.memo.note(key, img, rungs, &found);
        found
    }

    /// One frame's budget of rungs: what was found, and which rungs were tried (bit `i` for
    /// rung `i`; rung 0 counts only when tried on the whole frame).
    fn attempt(&mut self, img: &Gray, ladder: &[reader::Step]) -> (Vec<Found>, u64) {
        let mut plan: Vec<(Option<Rect>, Attempt)> = Vec::with_capacity(BUDGET);
        // The cheapest rung first, where the code was a moment ago if it was.
        let recent = self
            .last
            .filter(|(_, t)| t.elapsed() < REGION_MEMORY)
            .map(|(r, _)| r);
        plan.push((recent, ladder[0].attempt));
        // Then one other rung, a different one each frame.
        let rest = &ladder[1..];
        let index = self.turn % rest.len();
        let step = rest[index];
        self.turn = self.turn.wrapping_add(1);
        let region = if step.in_region {
            reader::region_of(img)
        } else {
            None
        };
        let mut rungs = 0u64;
        if step.in_region && region.is_none() {
            // No region to look in: this rung has nothing to try on this frame.
            rungs |= 1 << (index + 1).min(63);
        } else {
            plan.push((region, step.attempt));
        }
        for (n, (region, attempt)) in plan.into_iter().take(BUDGET).enumerate() {
            let result = reader::attempt_at(img, region, attempt);
            rungs |= match (n, region) {
                (0, None) => 1,
                (0, Some(_)) => 0,
                _ => 1 << (index + 1).min(63),
            };
            if let Some(first) = result.found.first() {
                self.last = Rect::around(&first.corners, 0.35, img.width, img.height)
                    .map(|r| (r, Instant::now()));
                return (result.found, rungs);
            }
            // The cheap first rung found not even a row that looks like a finder pattern in
            // the whole frame: nothing here looks like part of a code, so the frame is not
            // worth a second rung (the next frame gets one again), and for the memory it is
            // settled: the same pixels would go the same way. (Measured finders are not the
            // test: a blurred code can show none to the cheap rung and still read on another.)
            if n == 0 && region.is_none() && result.seeds == Some(0) {
                self.idle_frames += 1;
                rungs = u64::MAX;
                break;
            }
        }
        found_nothing(&mut self.last);
        (Vec::new(), rungs)
    }
}

fn found_nothing(last: &mut Option<(Rect, Instant)>) {
    if last.is_some_and(|(_, t)| t.elapsed() >= REGION_MEMORY) {
        *last = None;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_slot_keeps_only_the_latest_item() {
        let slot = LatestSlot::default();
        assert!(!slot.put(1));
        assert!(slot.put(2));
        assert!(slot.put(3));
        assert_eq!(slot.take(), Some(3));
        slot.close();
        assert_eq!(slot.take(), None);
    }

    #[test]
    fn a_code_held_in_view_is_reported_once() {
        let mut dedup = Dedup::new(Duration::from_secs(3));
        let t0 = Instant::now();
        assert!(dedup.is_new(b"EC1:A", t0));
        assert!(!dedup.is_new(b"EC1:A", t0 + Duration::from_secs(2)));
        // Still in view 4 s later: each sighting restarts the window.
        assert!(!dedup.is_new(b"EC1:A", t0 + Duration::from_secs(4)));
        assert!(dedup.is_new(b"EC1:B", t0 + Duration::from_secs(4)));
        // Gone for longer than the window, then shown again: a new read.
        assert!(dedup.is_new(b"EC1:A", t0 + Duration::from_secs(8)));
    }

    fn frame(name: &str) -> Gray {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/frames")
            .join(name);
        super::super::load_gray(&path).unwrap()
    }

    /// A light frame with one finder pattern (8-pixel modules) at (96, 96): something that
    /// looks like part of a code, but no code.
    fn one_finder() -> Gray {
        let mut img = Gray::new(1280, 720, vec![200; 1280 * 720]);
        for y in 0..56 {
            for x in 0..56 {
                let ring = (x / 8).min(y / 8).min(6 - x / 8).min(6 - y / 8);
                if ring != 1 {
                    img.pixels[(96 + y) * 1280 + 96 + x] = 30;
                }
            }
        }
        img
    }

    #[test]
    fn a_frame_seen_before_is_answered_from_memory_once_every_rung_has_had_it() {
        let frame = one_finder();
        let rungs = reader::ladder(&frame).len();
        let mut r = LiveReader::default();
        // One rotating rung per frame: every rung needs (rungs - 1) frames.
        for _ in 0..rungs - 1 {
            assert!(r.read(&frame).is_empty());
        }
        assert_eq!(r.remembered, 0, "decoded until every rung had been tried");
        assert_eq!(r.idle_frames, 0, "the finder pattern was seen");
        for _ in 0..5 {
            assert!(r.read(&frame).is_empty());
        }
        assert_eq!(r.remembered, 5);
        // One pixel different is a different frame: decoded again.
        let mut changed = frame.clone();
        changed.pixels[640 * 360] = 10;
        assert!(r.read(&changed).is_empty());
        assert_eq!(r.remembered, 5);
    }

    #[test]
    fn a_frame_without_any_finder_pattern_gets_one_cheap_rung_and_is_settled() {
        let blank = Gray::new(1280, 720, vec![200; 1280 * 720]);
        let mut r = LiveReader::default();
        assert!(r.read(&blank).is_empty());
        assert_eq!(r.idle_frames, 1);
        for _ in 0..3 {
            assert!(r.read(&blank).is_empty());
        }
        assert_eq!(
            r.remembered, 3,
            "the same empty frame again is answered from memory"
        );
        let mut noisy = blank.clone();
        noisy.pixels[1000] = 0;
        assert!(r.read(&noisy).is_empty());
        assert_eq!(r.idle_frames, 2, "a new empty frame: one rung again");
    }

    #[test]
    fn a_code_in_a_repeated_frame_is_read_every_time_without_decoding_again() {
        let img = frame("easy-000.jpg");
        let expected = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/frames/easy-000.txt"),
        )
        .unwrap();
        let mut r = LiveReader::default();
        let first = r.read(&img);
        assert_eq!(first.len(), 1, "the fixture frame reads on the first try");
        assert_eq!(first[0].text, expected.trim_end());
        for _ in 0..3 {
            assert_eq!(r.read(&img), first);
        }
        assert_eq!(r.remembered, 3);
        // Other frames in between (a simulated camera cycles) do not push it out.
        let blank = Gray::new(img.width, img.height, vec![128; img.width * img.height]);
        r.read(&blank);
        assert_eq!(r.read(&img), first);
        assert_eq!(r.remembered, 4);
        // Without memory every frame is decoded, to the same text (the outline may move by
        // a fraction of a pixel: later reads look in the region where the code was).
        let mut plain = LiveReader::with_memory(0);
        for _ in 0..3 {
            let again = plain.read(&img);
            assert_eq!(again.len(), 1);
            assert_eq!(again[0].text, first[0].text);
        }
        assert_eq!(plain.remembered, 0);
    }
}
