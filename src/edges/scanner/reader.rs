//! Finds and decodes QR codes in a greyscale image.
//!
//! rqrr is the engine; this module chooses what to feed it. An attempt is a scale, a
//! transform and a binariser. Stills get the whole ladder (`read_still`); the live scanner
//! spends a small budget per frame and carries on with the next frame
//! (see `super::LiveReader`). Every rqrr call runs inside a panic fence.

use super::binarize::{self, Gray};
use super::roi::{self, Rect};
use crate::edges::contain::contained;

/// A decoded code.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// The payload exactly as encoded.
    pub bytes: Vec<u8>,
    /// The payload as text: UTF-8, else Shift_JIS, else ISO-8859-1 (the QR default).
    pub text: String,
    /// Top-left, top-right, bottom-right, bottom-left, in the image's pixels.
    pub corners: [(f32, f32); 4],
    pub version: usize,
}

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt {
    pub scale: Scale,
    pub transform: Transform,
    pub binarizer: Binarizer,
}

impl Attempt {
    const fn new(scale: Scale, transform: Transform, binarizer: Binarizer) -> Self {
        Self {
            scale,
            transform,
            binarizer,
        }
    }
}

impl std::fmt::Display for Attempt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:?}/{:?}/{:?}",
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
}

/// The factor that brings the shorter side near 360 pixels: large frames are read faster
/// and, when blurred or noisy, better at a smaller scale.
pub fn natural_downscale(img: &Gray) -> usize {
    ((img.width.min(img.height) + 180) / 360).max(1)
}

/// The attempts for a still image, most productive first. The order comes from running
/// every attempt on every image of the shared corpora (`LANEDESK_SCAN_MATRIX=1 cargo bench
/// --bench scan`): on camera frames a global threshold at full size reads most codes
/// cheapest; on small photos sharpening first pays; sharpening a large noisy frame is
/// never worth it (hundreds of false finder patterns to fit).
pub fn ladder(img: &Gray) -> Vec<Attempt> {
    use Binarizer::*;
    use Scale::*;
    use Transform::*;
    let k = natural_downscale(img);
    let min_side = img.width.min(img.height);
    let mut out = Vec::new();
    if min_side >= 600 {
        out.extend([
            Attempt::new(Same, None, Otsu),
            Attempt::new(Same, None, Hybrid),
            Attempt::new(Same, None, LocalMean(8)),
            Attempt::new(Same, None, Rqrr),
            Attempt::new(Down(k), None, Rqrr),
            Attempt::new(Down(k), Sharpen, Hybrid),
            Attempt::new(Down(k), None, Hybrid),
        ]);
    } else {
        out.extend([
            Attempt::new(Same, Sharpen, Hybrid),
            Attempt::new(Same, None, Hybrid),
            Attempt::new(Same, None, LocalMean(8)),
            Attempt::new(Same, None, Rqrr),
            Attempt::new(Same, None, Otsu),
        ]);
        if min_side < 400 {
            out.extend([
                Attempt::new(Up2, None, Hybrid),
                Attempt::new(Up2, None, Rqrr),
            ]);
        }
        if k > 1 {
            out.push(Attempt::new(Down(k), None, Hybrid));
        }
    }
    out.push(Attempt::new(Same, Invert, Hybrid));
    out
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
    let (scaled, factor) = match attempt.scale {
        Scale::Down(n) if n > 1 && img.width / n >= 21 && img.height / n >= 21 => {
            (img.downscale(n), n as f32)
        }
        Scale::Up2 => (img.upscale2(), 0.5),
        _ => (img.clone(), 1.0),
    };
    let prepared = match attempt.transform {
        Transform::None => scaled,
        Transform::Sharpen => scaled.sharpened(),
        Transform::Invert => scaled.inverted(),
    };
    match contained(|| run_rqrr(&prepared, attempt.binarizer, factor)) {
        Ok(found) => AttemptResult {
            found,
            panicked: None,
        },
        Err(message) => AttemptResult {
            found: Vec::new(),
            panicked: Some(message),
        },
    }
}

fn run_rqrr(img: &Gray, binarizer: Binarizer, factor: f32) -> Vec<Found> {
    let (w, h) = (img.width, img.height);
    let mut prepared = match binarizer {
        Binarizer::Rqrr => rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| img.at(x, y)),
        other => {
            let bits = match other {
                Binarizer::Hybrid => binarize::hybrid(img),
                Binarizer::LocalMean(n) => binarize::local_mean(img, (w.min(h) / n).max(4), 8),
                _ => binarize::otsu(img),
            };
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

/// QR byte mode has no declared encoding here: UTF-8 when it is valid UTF-8, else Shift_JIS
/// (Japanese codes and kanji mode), else ISO-8859-1 (the standard's default).
pub fn bytes_to_text(bytes: &[u8]) -> String {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return s.to_owned();
    }
    let (text, _, had_errors) = encoding_rs::SHIFT_JIS.decode(bytes);
    if !had_errors {
        return text.into_owned();
    }
    bytes.iter().map(|&b| b as char).collect()
}

/// The outcome of reading a still image.
#[derive(Debug, Default)]
pub struct StillRead {
    pub found: Vec<Found>,
    /// Which attempt found them (index into [`ladder`]), if any did.
    pub winner: Option<Attempt>,
    /// The winning attempt ran on the frame's densest region only.
    pub in_region: bool,
    pub attempts: usize,
    pub panics: Vec<String>,
}

/// Attempts on the densest region of a large frame, tried before the whole frame: the same
/// reading at a fraction of the detection cost when the region holds the code.
const REGION_FIRST: [Attempt; 2] = [
    Attempt::new(Scale::Same, Transform::None, Binarizer::Otsu),
    Attempt::new(Scale::Same, Transform::None, Binarizer::Hybrid),
];

/// Runs the ladder until an attempt finds a code: first on the densest region of a large
/// frame, then on the whole image.
pub fn read_still(img: &Gray) -> StillRead {
    let mut out = StillRead::default();
    if img.width < 21 || img.height < 21 {
        return out;
    }
    let region = if img.width.min(img.height) >= 600 {
        roi::dense_region(img).filter(|r| r.area() * 4 < img.width * img.height * 3)
    } else {
        None
    };
    let regional = region
        .into_iter()
        .flat_map(|r| REGION_FIRST.map(|a| (Some(r), a)));
    for (region, a) in regional.chain(ladder(img).into_iter().map(|a| (None, a))) {
        out.attempts += 1;
        let result = match region {
            Some(r) => attempt_in(img, r, a),
            None => attempt(img, a),
        };
        if let Some(p) = result.panicked {
            out.panics.push(p);
        }
        if !result.found.is_empty() {
            out.found = result.found;
            out.winner = Some(a);
            out.in_region = region.is_some();
            break;
        }
    }
    out
}
