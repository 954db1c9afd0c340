//! `LiveReader`: each frame read on a budget of two rungs, looking first where the code was a
//! moment ago, with a memory of the last few distinct frames and what reading them found.

use std::time::{Duration, Instant};

use crate::edges::scanner::binarize::Gray;
use crate::edges::scanner::reader::{self, Attempt, Found};
use crate::edges::scanner::roi::Rect;

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
