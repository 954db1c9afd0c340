//! From finder-pattern candidates to decoded codes, on grey values.
//!
//! A binarised image is only used to find where finder patterns might be (`locate.rs`). From
//! there everything works on the grey image, interpolated between pixels:
//!
//! 1. **Finders.** Rays from each candidate centre cross the pattern's three edges (dark
//!    centre, light ring, dark ring) at a threshold halfway between the pattern's own dark and
//!    light levels. Along any ray through the centre of concentric squares the edges sit at
//!    1.5 : 2.5 : 3.5, so the ratios reject look-alikes at any rotation; lines fitted to the
//!    outer edge points give the pattern's four corners under perspective, and so its module
//!    size along each axis of the code.
//! 2. **Grid.** The three finders' twelve corners and centres fix a homography from module
//!    coordinates to pixels (least squares). The module count comes from the module sizes
//!    along the code's own axes, checked by how well each candidate size fits the corners, and
//!    for version 7 and up by the version blocks. Then every alignment pattern of the version
//!    is looked for where the homography puts it, nearest first, and each one found joins the
//!    fit.
//! 3. **Modules.** Each module's grey value is taken at its centre through the homography and
//!    compared with a threshold from the modules around it (two-level mean over a 7×7-module
//!    window), so glare across part of a code or a dim corner does not flip whole regions.
//!    rqrr decodes the module grid (error correction, data modes; it also tries the
//!    transposed grid, which reads mirrored codes).

mod finder;
mod fit;
mod grey;
mod sample;
mod version;

#[cfg(test)]
mod tests;

use super::binarize::Gray;
use super::found::{Found, bytes_to_text};
use super::geometry::Homography;
use finder::{Finder, dist, measure};
use fit::{
    Triple, alignment_positions, estimated_size, find_alignment, finder_points, residual, triples,
};
use grey::Pt;
use sample::{
    MIN_TIMING, Threshold, decode, sample_values, timing_agreement, timing_on_grey, to_bits,
};
use version::{read_version, read_version_beside_finders};

pub use finder::Seed;
pub use grey::Grey;

/// The mean module size of a code read, in pixels.
fn module_of(f: &Found) -> f32 {
    let c = &f.corners;
    let side = (0..4).map(|k| dist(c[k], c[(k + 1) % 4])).sum::<f32>() / 4.0;
    side / (17 + 4 * f.version) as f32
}

/// Whether `p` is inside the convex quadrilateral `q` (corners in order, either turn).
fn inside(q: &[Pt; 4], p: Pt) -> bool {
    let side = |a: Pt, b: Pt| (b.0 - a.0) * (p.1 - a.1) - (b.1 - a.1) * (p.0 - a.0);
    let sides = [
        side(q[0], q[1]),
        side(q[1], q[2]),
        side(q[2], q[3]),
        side(q[3], q[0]),
    ];
    sides.iter().all(|&s| s >= 0.0) || sides.iter().all(|&s| s <= 0.0)
}

/// Tries to read the code these three finders belong to.
fn read_triple(g: &Grey, t: &Triple) -> Option<Found> {
    let raw = estimated_size(t);
    if !raw.is_finite() {
        return None;
    }
    let version = ((raw - 17.0) / 4.0).round().clamp(1.0, 40.0) as usize;
    // The estimate and its neighbours, best fit to the finder corners first.
    let mut sizes: Vec<(f32, usize, Homography)> = Vec::new();
    for v in [version, version.saturating_sub(1), version + 1] {
        if !(1..=40).contains(&v) || sizes.iter().any(|s| s.1 == v) {
            continue;
        }
        let d = (17 + 4 * v) as f32;
        let (from, to) = finder_points(t, d);
        let Some(h) = Homography::fit(&from, &to) else {
            continue;
        };
        sizes.push((residual(&h, &from, &to), v, h));
    }
    sizes.sort_by(|a, b| a.0.total_cmp(&b.0));
    let contrast =
        ((t.tl.light - t.tl.dark) + (t.tr.light - t.tr.dark) + (t.bl.light - t.bl.dark)) / 3.0;
    let mut tried: Vec<usize> = Vec::new();
    let mut queue: Vec<(usize, Homography)> = sizes.iter().map(|s| (s.1, s.2)).collect();
    // Version 7 and up say their version: believe it over the estimate. Read beside the
    // finders first (no module count needed), then through the best fit.
    let spelled = match queue.first() {
        Some(&(v, h)) if v >= 6 => read_version_beside_finders(g, t)
            .or_else(|| read_version(g, &h, 17 + 4 * v))
            .filter(|&r| r != v && r.abs_diff(v) <= 8),
        _ => None,
    };
    if let Some(read) = spelled {
        let d = (17 + 4 * read) as f32;
        let (from, to) = finder_points(t, d);
        if let Some(h) = Homography::fit(&from, &to) {
            queue.insert(0, (read, h));
        }
    }
    for (v, h0) in queue {
        if tried.contains(&v) {
            continue;
        }
        tried.push(v);
        let d = 17 + 4 * v;
        let (mut from, mut to) = finder_points(t, d as f32);
        let mut h = h0;
        // Every alignment pattern of the version, nearest the finders first; each one found
        // joins the fit.
        let positions = alignment_positions(v);
        let mut aps: Vec<(usize, usize)> = Vec::new();
        for (i, &ay) in positions.iter().enumerate() {
            for (j, &ax) in positions.iter().enumerate() {
                let last = positions.len() - 1;
                // The three corners under the finder patterns have none.
                let corner = |a: usize, b: usize| (i, j) == (a, b);
                if corner(0, 0) || corner(0, last) || corner(last, 0) {
                    continue;
                }
                aps.push((ax, ay));
            }
        }
        aps.sort_by_key(|&(x, y)| x + y);
        let mut found_aps = 0;
        let mut bottom_right = None;
        for (ax, ay) in aps {
            if let Some(p) = find_alignment(g, &h, ax as f32, ay as f32, contrast) {
                from.push((ax as f32 + 0.5, ay as f32 + 0.5));
                to.push(p);
                found_aps += 1;
                if ax == d - 7 && ay == d - 7 {
                    bottom_right = Some(p);
                }
                if let Some(better) = Homography::fit(&from, &to) {
                    h = better;
                }
            }
        }
        let mut maps = vec![h];
        if found_aps > 0 {
            maps.push(h0);
        }
        // The three centres and the bottom-right alignment pattern (or where a parallelogram
        // puts it) alone: for outlines that blur or neighbouring ink spoils.
        let df = d as f32;
        let fourth = match bottom_right {
            Some(p) => ((df - 6.5, df - 6.5), p),
            None => (
                (df - 3.5, df - 3.5),
                (
                    t.tr.centre.0 + t.bl.centre.0 - t.tl.centre.0,
                    t.tr.centre.1 + t.bl.centre.1 - t.tl.centre.1,
                ),
            ),
        };
        maps.push(Homography::quad_to_quad(
            [(3.5, 3.5), (df - 3.5, 3.5), fourth.0, (3.5, df - 3.5)],
            [t.tl.centre, t.tr.centre, fourth.1, t.bl.centre],
        ));
        for (mi, map) in maps.into_iter().enumerate() {
            // The timing patterns alone first: a wrong size or fit shows there, for a
            // hundredth of the cost of sampling every module.
            if timing_on_grey(g, &map, d) < MIN_TIMING - 0.1 {
                continue;
            }
            let values = sample_values(g, &|x, y| map.map(x, y), d);
            // The global threshold only for the first map: measured, the other retries
            // almost never read what the first missed, and each failed decode costs rqrr's
            // error correction (about 2 ms).
            let ways: &[Threshold] = if mi == 0 {
                &[Threshold::Local(3), Threshold::Global]
            } else {
                &[Threshold::Local(3)]
            };
            for &how in ways {
                let bits = to_bits(&values, d, how);
                let timing = timing_agreement(&bits, d);
                let r = if timing >= MIN_TIMING {
                    decode(bits, d)
                } else {
                    None
                };
                if let Some((bytes, version)) = r {
                    let df = d as f32;
                    let corners =
                        [(0.0, 0.0), (df, 0.0), (df, df), (0.0, df)].map(|(x, y)| map.map(x, y));
                    return Some(Found {
                        text: bytes_to_text(&bytes),
                        bytes,
                        corners,
                        version,
                    });
                }
            }
        }
    }
    None
}

/// Candidates measured per image at most, of those confirmed across and of the others: real
/// finders are crossed by many scan lines and come first.
const MAX_SEEDS: usize = 24;
const MAX_WEAK_SEEDS: usize = 32;
/// Triples tried per image at most.
const MAX_TRIPLES: usize = 16;

/// Reads the codes whose finder patterns are among `seeds`, sampling `img` (inverted when
/// `invert`: light codes on dark). Seeds confirmed across are measured first; the others only
/// when those gave no code. Also says how many finder patterns it measured.
pub fn read(img: &Gray, seeds: &[Seed], invert: bool) -> (Vec<Found>, usize) {
    if seeds.is_empty() {
        return (Vec::new(), 0);
    }
    if img.width < 21 || img.height < 21 {
        return (Vec::new(), 0);
    }
    let g = Grey::new(img, invert);
    let mut seeds = seeds.to_vec();
    seeds.sort_by_key(|s| std::cmp::Reverse((s.confirmed, s.seen)));
    let (confirmed, weak): (Vec<Seed>, Vec<Seed>) = seeds.into_iter().partition(|s| s.confirmed);
    let mut finders: Vec<Finder> = Vec::new();
    let mut found: Vec<Found> = Vec::new();
    let mut used: Vec<usize> = Vec::new();
    let mut tried: Vec<(usize, usize, usize)> = Vec::new();
    // Seeds are measured one by one, most likely first, and each new finder's triples are
    // tried as soon as it makes one: a code's three finders usually come first, and a seed
    // inside a code already read is one of its modules, not measured at all (unless its
    // modules are much smaller: a code printed inside another).
    for (batch, limit) in [(confirmed, MAX_SEEDS), (weak, MAX_WEAK_SEEDS)] {
        if !found.is_empty() {
            break;
        }
        for s in batch.into_iter().take(limit) {
            if found
                .iter()
                .any(|f| inside(&f.corners, (s.x, s.y)) && s.module > 0.6 * module_of(f))
            {
                continue;
            }
            let Some(f) = measure(&g, s) else { continue };
            // Two seeds on one pattern measure the same finder.
            if finders
                .iter()
                .any(|o| dist(o.centre, f.centre) < 1.5 * o.module.max(f.module))
            {
                continue;
            }
            finders.push(f);
            let newest = finders.len() - 1;
            if finders.len() < 3 {
                continue;
            }
            let with_newest = triples(&finders)
                .into_iter()
                .filter(|&(a, b, c)| a == newest || b == newest || c == newest);
            for (a, b, c) in with_newest {
                if tried.len() >= MAX_TRIPLES {
                    break;
                }
                if tried.contains(&(a, b, c))
                    || used.contains(&a)
                    || used.contains(&b)
                    || used.contains(&c)
                {
                    continue;
                }
                tried.push((a, b, c));
                let t = Triple {
                    tl: finders[a],
                    tr: finders[b],
                    bl: finders[c],
                };
                if let Some(code) = read_triple(&g, &t) {
                    used.extend([a, b, c]);
                    if !found.iter().any(|f| f.bytes == code.bytes) {
                        found.push(code);
                    }
                    break;
                }
            }
        }
    }
    let measured = finders.len();
    (found, measured)
}
