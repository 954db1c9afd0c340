//! Module values sampled through a homography, turned into bits against a local threshold,
//! checked on the timing patterns and decoded by rqrr.

use super::grey::{Grey, Pt};
use crate::edges::scanner::geometry::Homography;

/// Grey values at every module centre, a little averaged around it (a fifth of a module
/// along each axis; the axes from the neighbouring centres).
pub(super) fn sample_values(g: &Grey, map: &dyn Fn(f32, f32) -> Pt, d: usize) -> Vec<f32> {
    let mut centres = Vec::with_capacity(d * d);
    for y in 0..d {
        for x in 0..d {
            centres.push(map(x as f32 + 0.5, y as f32 + 0.5));
        }
    }
    let step = |a: Pt, b: Pt, span: f32| ((b.0 - a.0) / span, (b.1 - a.1) / span);
    let mut out = Vec::with_capacity(d * d);
    for y in 0..d {
        for x in 0..d {
            let c = centres[y * d + x];
            let (l, r) = (x.saturating_sub(1), (x + 1).min(d - 1));
            let (u, b) = (y.saturating_sub(1), (y + 1).min(d - 1));
            let ux = step(centres[y * d + l], centres[y * d + r], (r - l) as f32);
            let uy = step(centres[u * d + x], centres[b * d + x], (b - u) as f32);
            let mut v = 2.0 * g.at(c.0, c.1);
            for (dx, dy) in [(ux.0, ux.1), (uy.0, uy.1)] {
                v += g.at(c.0 + 0.2 * dx, c.1 + 0.2 * dy) + g.at(c.0 - 0.2 * dx, c.1 - 0.2 * dy);
            }
            out.push(v / 6.0);
        }
    }
    out
}

/// The midpoint of the two levels in `values` (two rounds of the isodata rule), and the
/// distance between the levels.
pub(super) fn two_levels(values: &[f32]) -> (f32, f32) {
    let n = values.len().max(1) as f32;
    let mut t = values.iter().sum::<f32>() / n;
    let mut spread = 0.0;
    for _ in 0..2 {
        let (mut lo, mut nlo, mut all) = (0.0f32, 0.0f32, 0.0f32);
        for &v in values {
            let below = f32::from(u8::from(v < t));
            lo += v * below;
            nlo += below;
            all += v;
        }
        let nhi = n - nlo;
        if nlo == 0.0 || nhi == 0.0 {
            break;
        }
        let (ml, mh) = (lo / nlo, (all - lo) / nhi);
        t = (ml + mh) / 2.0;
        spread = mh - ml;
    }
    (t, spread)
}

/// How module values become bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Threshold {
    /// Against the two levels of the modules within about `radius` modules around each one
    /// (one threshold per 2×2 modules).
    Local(usize),
    /// One threshold for the whole code.
    Global,
}

pub(super) fn to_bits(values: &[f32], d: usize, how: Threshold) -> Vec<bool> {
    let (global, spread) = two_levels(values);
    let Threshold::Local(radius) = how else {
        return values.iter().map(|&v| v < global).collect();
    };
    const BLOCK: usize = 2;
    let side = (2 * radius + BLOCK).min(d);
    let mut window = Vec::with_capacity(side * side);
    let mut out = vec![false; d * d];
    for by in (0..d).step_by(BLOCK) {
        let y0 = by.saturating_sub(radius).min(d - side);
        for bx in (0..d).step_by(BLOCK) {
            let x0 = bx.saturating_sub(radius).min(d - side);
            window.clear();
            for row in values[y0 * d..].chunks(d).take(side) {
                window.extend_from_slice(&row[x0..x0 + side]);
            }
            let (t, s) = two_levels(&window);
            // A window of one level (all dark or all light) says nothing: the code's.
            let t = if s < spread * 0.4 { global } else { t };
            for y in by..(by + BLOCK).min(d) {
                for x in bx..(bx + BLOCK).min(d) {
                    out[y * d + x] = values[y * d + x] < t;
                }
            }
        }
    }
    out
}

/// A grid whose timing patterns agree less than this with their alternation is not worth
/// rqrr's error correction: the size or the fit is wrong.
pub(super) const MIN_TIMING: f32 = 0.7;

/// The share of timing-pattern modules (row and column 6 between the finders) that alternate
/// as they should.
pub(super) fn timing_agreement(bits: &[bool], d: usize) -> f32 {
    if d < 21 {
        return 0.0;
    }
    let mut agree = 0;
    for i in 8..d - 8 {
        let dark = i % 2 == 0;
        agree += usize::from(bits[6 * d + i] == dark) + usize::from(bits[i * d + 6] == dark);
    }
    agree as f32 / (2 * (d - 16)) as f32
}

/// `timing_agreement` read straight from the grey image through `map`: each timing module
/// against the two levels of the nine timing modules around it.
pub(super) fn timing_on_grey(g: &Grey, map: &Homography, d: usize) -> f32 {
    if d < 21 {
        return 0.0;
    }
    let n = d - 16;
    let mut agree = 0;
    for row in [true, false] {
        let values: Vec<f32> = (8..d - 8)
            .map(|i| {
                let (x, y) = if row { (i, 6) } else { (6, i) };
                let p = map.map(x as f32 + 0.5, y as f32 + 0.5);
                g.at(p.0, p.1)
            })
            .collect();
        for (k, &v) in values.iter().enumerate() {
            let lo = k.saturating_sub(4).min(n.saturating_sub(9));
            let (t, _) = two_levels(&values[lo..(lo + 9).min(n)]);
            let dark = (k + 8) % 2 == 0;
            agree += usize::from((v < t) == dark);
        }
    }
    agree as f32 / (2 * n) as f32
}

/// The module grid rqrr decodes.
struct Modules {
    size: usize,
    bits: Vec<bool>,
}

impl rqrr::BitGrid for Modules {
    fn size(&self) -> usize {
        self.size
    }

    fn bit(&self, y: usize, x: usize) -> bool {
        self.bits[y * self.size + x]
    }
}

pub(super) fn decode(bits: Vec<bool>, d: usize) -> Option<(Vec<u8>, usize)> {
    let grid = rqrr::Grid::new(Modules { size: d, bits });
    let mut bytes = Vec::new();
    let meta = grid.decode_to(&mut bytes).ok()?;
    Some((bytes, meta.version.0))
}
