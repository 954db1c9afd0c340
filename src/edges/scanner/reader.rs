//! Finds and decodes QR codes in a greyscale image.
//!
//! rqrr decodes; this module chooses what to feed it and who locates the code. An attempt
//! is a scale, a transform, a binariser and a detector (our locator or rqrr's). Stills get
//! the whole ladder (`read_still`); the live scanner spends a small budget per frame and
//! carries on with the next frame (see `super::live::LiveReader`). Every attempt runs inside
//! a panic fence.

use super::binarize::{self, Gray};
use super::grid;
use super::locate;
use super::roi::{self, Rect};
use crate::edges::contain::contained;

pub use super::found::{Found, bytes_to_text};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// Average `n`×`n` blocks.
    Down(usize),
    Same,
    /// Double, for codes with modules of two or three pixels.
    Up2,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transform {
    None,
    Sharpen,
    Invert,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binarizer {
    /// rqrr's own row-wise moving average.
    Rqrr,
    Hybrid,
    /// Window radius as a fraction of the shorter side: `min / n`.
    LocalMean(usize),
    Otsu,
}

/// Who finds the code in the binarised image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detector {
    /// rqrr's capstone search and perspective fit: slower, tolerant of odd geometry.
    Rqrr,
    /// Our finder/alignment locator (`locate.rs`), sampling modules for rqrr's decoder.
    Finder,
    /// Finder candidates from the binarised image, then everything else on grey values at
    /// full resolution (`grid/`): finder outlines, a homography fitted to them and every
    /// alignment pattern, modules against a local threshold.
    Grid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt {
    pub scale: Scale,
    pub transform: Transform,
    pub binarizer: Binarizer,
    pub detector: Detector,
}

impl Attempt {
    pub const fn new(scale: Scale, transform: Transform, binarizer: Binarizer) -> Self {
        Self {
            scale,
            transform,
            binarizer,
            detector: Detector::Rqrr,
        }
    }

    pub const fn finder(scale: Scale, transform: Transform, binarizer: Binarizer) -> Self {
        Self {
            scale,
            transform,
            binarizer,
            detector: Detector::Finder,
        }
    }

    pub const fn grid(scale: Scale, transform: Transform, binarizer: Binarizer) -> Self {
        Self {
            scale,
            transform,
            binarizer,
            detector: Detector::Grid,
        }
    }
}

impl std::fmt::Display for Attempt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let by = match self.detector {
            Detector::Rqrr => "",
            Detector::Finder => "finder ",
            Detector::Grid => "grid ",
        };
        write!(
            f,
            "{by}{:?}/{:?}/{:?}",
            self.scale, self.transform, self.binarizer
        )
    }
}

/// What one attempt produced.
#[derive(Debug, Default)]
pub struct AttemptResult {
    pub found: Vec<Found>,
    /// rqrr panicked (contained); the attempt found nothing.
    pub panicked: Option<String>,
    /// For the grid reader (`None` for the other detectors): how many places looked like a
    /// finder pattern along the rows (`seeds`) and how many of them measured as one on grey
    /// values (`finders`). No seed at all: nothing in the frame looks like part of a code.
    pub seeds: Option<usize>,
    pub finders: Option<usize>,
}

/// The factor that brings the shorter side near 360 pixels: large frames are read faster
/// and, when blurred or noisy, better at a smaller scale.
pub fn natural_downscale(img: &Gray) -> usize {
    ((img.width.min(img.height) + 180) / 360).max(1)
}

/// One rung of the ladder: an attempt, on the whole image or on its densest region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub attempt: Attempt,
    pub in_region: bool,
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.in_region {
            write!(f, "region ")?;
        }
        write!(f, "{}", self.attempt)
    }
}

/// The rungs for an image, most productive first. The order comes from running every
/// attempt on every image of the shared corpora (`LANEDESK_SCAN_MATRIX=1 cargo bench
/// --bench scan`): our locator (`Detector::Finder`) reads most codes at a quarter of the
/// cost of rqrr's detector, which stays as the fallback for geometry the locator misses.
/// On camera frames a global threshold comes first; on small photos, hybrid and sharpening.
/// Sharpening a large noisy frame is never tried: it makes hundreds of false finder
/// patterns for rqrr to fit.
pub fn ladder(img: &Gray) -> Vec<Step> {
    use Binarizer::*;
    use Scale::*;
    use Transform::*;
    let whole = |attempt| Step {
        attempt,
        in_region: false,
    };
    let region = |attempt| Step {
        attempt,
        in_region: true,
    };
    let min_side = img.width.min(img.height);
    let mut out = Vec::new();
    if min_side >= 600 {
        out.extend([
            whole(Attempt::grid(Down(2), None, LocalMean(60))),
            whole(Attempt::grid(Same, None, Otsu)),
            whole(Attempt::grid(Same, None, Hybrid)),
            whole(Attempt::grid(Down(2), None, LocalMean(40))),
            whole(Attempt::grid(Same, Sharpen, Otsu)),
            whole(Attempt::grid(Same, Invert, Hybrid)),
            whole(Attempt::finder(Same, None, Otsu)),
            region(Attempt::new(Same, None, Otsu)),
            whole(Attempt::new(Same, None, Rqrr)),
        ]);
    } else {
        out.extend([
            whole(Attempt::grid(Same, None, Otsu)),
            whole(Attempt::grid(Same, None, Hybrid)),
            whole(Attempt::grid(Same, Invert, Hybrid)),
            whole(Attempt::grid(Same, None, LocalMean(30))),
            whole(Attempt::finder(Same, None, Hybrid)),
            whole(Attempt::new(Same, Sharpen, Hybrid)),
            whole(Attempt::new(Same, None, Hybrid)),
        ]);
        if min_side < 400 {
            out.push(whole(Attempt::grid(Up2, None, Hybrid)));
        }
    }
    out
}

/// The region a large frame's regional rungs use, when it is worth cropping to.
pub fn region_of(img: &Gray) -> Option<Rect> {
    if img.width.min(img.height) < 600 {
        return None;
    }
    roi::dense_region(img).filter(|r| r.area() * 4 < img.width * img.height * 3)
}

/// Runs one rung; a regional rung with no region is skipped (returns nothing).
pub fn run_step(img: &Gray, step: Step, region: Option<Rect>) -> AttemptResult {
    match (step.in_region, region) {
        (false, _) => attempt(img, step.attempt),
        (true, Some(_)) => attempt_at(img, region, step.attempt),
        (true, None) => AttemptResult::default(),
    }
}

/// Runs `a` inside `region` when there is one, else on the whole image.
pub fn attempt_at(img: &Gray, region: Option<Rect>, a: Attempt) -> AttemptResult {
    match region {
        Some(r) => attempt_in(img, r, a),
        None => attempt(img, a),
    }
}

/// Runs one attempt on the part of `img` inside `region`; corners come back in `img`'s pixels.
pub fn attempt_in(img: &Gray, region: Rect, a: Attempt) -> AttemptResult {
    let mut result = attempt(&img.crop(region), a);
    for found in &mut result.found {
        for corner in &mut found.corners {
            corner.0 += region.x as f32;
            corner.1 += region.y as f32;
        }
    }
    result
}

/// Runs one attempt.
pub fn attempt(img: &Gray, attempt: Attempt) -> AttemptResult {
    use std::borrow::Cow;
    let (scaled, factor) = match attempt.scale {
        Scale::Down(n) if n > 1 && img.width / n >= 21 && img.height / n >= 21 => {
            (Cow::Owned(img.downscale(n)), n as f32)
        }
        Scale::Up2 => (Cow::Owned(img.upscale2()), 0.5),
        _ => (Cow::Borrowed(img), 1.0),
    };
    let prepared = match attempt.transform {
        Transform::None => scaled,
        Transform::Sharpen => Cow::Owned(scaled.sharpened()),
        Transform::Invert => Cow::Owned(scaled.inverted()),
    };
    let run = || match attempt.detector {
        Detector::Grid => {
            let bits = binarized(&prepared, attempt.binarizer);
            let skip = (prepared.height / 300).max(1);
            let seeds: Vec<grid::Seed> = locate::seeds(
                &locate::Bits {
                    width: prepared.width,
                    height: prepared.height,
                    bits: &bits,
                },
                skip,
            )
            .into_iter()
            .map(|s| grid::Seed {
                x: s.x * factor,
                y: s.y * factor,
                module: s.module * factor,
                ..s
            })
            .collect();
            let (found, finders) = grid::read(img, &seeds, attempt.transform == Transform::Invert);
            (found, Some((seeds.len(), finders)))
        }
        detector => (detect(&prepared, attempt.binarizer, detector, factor), None),
    };
    match contained(run) {
        Ok((found, counts)) => AttemptResult {
            found,
            panicked: None,
            seeds: counts.map(|c| c.0),
            finders: counts.map(|c| c.1),
        },
        Err(message) => AttemptResult {
            found: Vec::new(),
            panicked: Some(message),
            seeds: None,
            finders: None,
        },
    }
}

fn binarized(img: &Gray, binarizer: Binarizer) -> Vec<bool> {
    let (w, h) = (img.width, img.height);
    match binarizer {
        Binarizer::Hybrid => binarize::hybrid(img),
        Binarizer::LocalMean(n) => binarize::local_mean(img, (w.min(h) / n).max(4), 8),
        Binarizer::Otsu | Binarizer::Rqrr => binarize::otsu(img),
    }
}

fn detect(img: &Gray, binarizer: Binarizer, detector: Detector, factor: f32) -> Vec<Found> {
    if detector == Detector::Finder {
        let bits = binarized(img, binarizer);
        let mut found = locate::locate_and_decode(&locate::Bits {
            width: img.width,
            height: img.height,
            bits: &bits,
        });
        for f in &mut found {
            f.corners = f.corners.map(|(x, y)| (x * factor, y * factor));
        }
        return found;
    }
    run_rqrr(img, binarizer, factor)
}

fn run_rqrr(img: &Gray, binarizer: Binarizer, factor: f32) -> Vec<Found> {
    let (w, h) = (img.width, img.height);
    let mut prepared = match binarizer {
        Binarizer::Rqrr => rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| img.at(x, y)),
        other => {
            let bits = binarized(img, other);
            rqrr::PreparedImage::prepare_from_bitmap(w, h, |x, y| bits[y * w + x])
        }
    };
    let mut found = Vec::new();
    for grid in prepared.detect_grids() {
        let mut bytes = Vec::new();
        let Ok(meta) = grid.decode_to(&mut bytes) else {
            continue;
        };
        let corners = grid
            .bounds
            .map(|p| (p.x as f32 * factor, p.y as f32 * factor));
        found.push(Found {
            text: bytes_to_text(&bytes),
            bytes,
            corners,
            version: meta.version.0,
        });
    }
    found
}

/// The outcome of reading a still image.
#[derive(Debug, Default)]
pub struct StillRead {
    pub found: Vec<Found>,
    /// The rung that found them, if any did.
    pub winner: Option<Step>,
    pub attempts: usize,
    pub panics: Vec<String>,
}

/// Runs the ladder until a rung reads a code.
pub fn read_still(img: &Gray) -> StillRead {
    let mut out = StillRead::default();
    if img.width < 21 || img.height < 21 {
        return out;
    }
    // Found once, and only if a regional rung is reached.
    let mut dense: Option<Option<Rect>> = None;
    for step in ladder(img) {
        let region = if step.in_region {
            *dense.get_or_insert_with(|| region_of(img))
        } else {
            None
        };
        if step.in_region && region.is_none() {
            continue;
        }
        out.attempts += 1;
        let result = run_step(img, step, region);
        if let Some(p) = result.panicked {
            out.panics.push(p);
        }
        if !result.found.is_empty() {
            out.found = result.found;
            out.winner = Some(step);
            break;
        }
    }
    out
}
