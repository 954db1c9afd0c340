//! From three finders to a homography: which finders make a code, their corners as
//! module-to-pixel correspondences, the module count they imply, and the alignment patterns
//! that join the fit.

use super::finder::{Finder, dist};
use super::grey::{Grey, Pt};
use crate::edges::scanner::geometry::Homography;

/// The alignment pattern centres of each version (ISO/IEC 18004 table E.1).
pub(super) fn alignment_positions(version: usize) -> &'static [usize] {
    const TABLE: [&[usize]; 41] = [
        &[],
        &[],
        &[6, 18],
        &[6, 22],
        &[6, 26],
        &[6, 30],
        &[6, 34],
        &[6, 22, 38],
        &[6, 24, 42],
        &[6, 26, 46],
        &[6, 28, 50],
        &[6, 30, 54],
        &[6, 32, 58],
        &[6, 34, 62],
        &[6, 26, 46, 66],
        &[6, 26, 48, 70],
        &[6, 26, 50, 74],
        &[6, 30, 54, 78],
        &[6, 30, 56, 82],
        &[6, 30, 58, 86],
        &[6, 34, 62, 90],
        &[6, 28, 50, 72, 94],
        &[6, 26, 50, 74, 98],
        &[6, 30, 54, 78, 102],
        &[6, 28, 54, 80, 106],
        &[6, 32, 58, 84, 110],
        &[6, 30, 58, 86, 114],
        &[6, 34, 62, 90, 118],
        &[6, 26, 50, 74, 98, 122],
        &[6, 30, 54, 78, 102, 126],
        &[6, 26, 52, 78, 104, 130],
        &[6, 30, 56, 82, 108, 134],
        &[6, 34, 60, 86, 112, 138],
        &[6, 30, 58, 86, 114, 142],
        &[6, 34, 62, 90, 118, 146],
        &[6, 30, 54, 78, 102, 126, 150],
        &[6, 24, 50, 76, 102, 128, 154],
        &[6, 28, 54, 80, 106, 132, 158],
        &[6, 32, 58, 84, 110, 136, 162],
        &[6, 26, 54, 82, 110, 138, 166],
        &[6, 30, 58, 86, 114, 142, 170],
    ];
    TABLE.get(version).copied().unwrap_or(&[])
}

/// Three finders as a code's top-left, top-right and bottom-left.
#[derive(Debug, Clone, Copy)]
pub(super) struct Triple {
    pub(super) tl: Finder,
    pub(super) tr: Finder,
    pub(super) bl: Finder,
}

/// Triples that could be one code's finders, most plausible first.
pub(super) fn triples(finders: &[Finder]) -> Vec<(usize, usize, usize)> {
    let mut out: Vec<(f32, (usize, usize, usize))> = Vec::new();
    let n = finders.len();
    for i in 0..n {
        for j in i + 1..n {
            for k in j + 1..n {
                let (a, b, c) = (finders[i], finders[j], finders[k]);
                let (lo, hi) = [a.module, b.module, c.module]
                    .iter()
                    .fold((f32::MAX, 0f32), |(l, h), m| (l.min(*m), h.max(*m)));
                if hi > lo * 2.2 {
                    continue;
                }
                let (ab, bc, ac) = (
                    dist(a.centre, b.centre),
                    dist(b.centre, c.centre),
                    dist(a.centre, c.centre),
                );
                // The corner opposite the longest side is the top-left.
                let (tl, p, q, l1, l2) = if bc >= ab && bc >= ac {
                    (i, j, k, ab, ac)
                } else if ac >= ab {
                    (j, i, k, ab, bc)
                } else {
                    (k, i, j, ac, bc)
                };
                let module = (a.module + b.module + c.module) / 3.0;
                if l1.min(l2) < 12.0 * module || l1.max(l2) > 200.0 * module {
                    continue;
                }
                let legs = l1.max(l2) / l1.min(l2);
                if legs > 2.0 {
                    continue;
                }
                let t = finders[tl].centre;
                let (u, v) = (sub(finders[p].centre, t), sub(finders[q].centre, t));
                let cos = (u.0 * v.0 + u.1 * v.1) / (l1 * l2);
                if cos.abs() > 0.5 {
                    continue;
                }
                // Image y grows downwards: top-right then bottom-left turns clockwise.
                let cross = u.0 * v.1 - u.1 * v.0;
                let (tr, bl) = if cross > 0.0 { (p, q) } else { (q, p) };
                out.push(((legs - 1.0) + cos.abs(), (tl, tr, bl)));
            }
        }
    }
    out.sort_by(|a, b| a.0.total_cmp(&b.0));
    out.into_iter().map(|(_, t)| t).collect()
}

pub(super) fn sub(a: Pt, b: Pt) -> Pt {
    (a.0 - b.0, a.1 - b.1)
}

/// A finder's outer corners labelled by module offset within the pattern ((0,0), (7,0),
/// (7,7), (0,7) in that order) using the code's axes `u` (towards the top-right finder) and
/// `v` (towards the bottom-left one).
pub(super) fn label_corners(f: &Finder, u: Pt, v: Pt) -> Option<[Pt; 4]> {
    let q = f.quad?;
    let det = u.0 * v.1 - u.1 * v.0;
    if det.abs() < 1e-6 {
        return None;
    }
    let mut out: [Option<Pt>; 4] = [None; 4];
    for p in q {
        let (dx, dy) = sub(p, f.centre);
        let a = (dx * v.1 - dy * v.0) / det;
        let b = (u.0 * dy - u.1 * dx) / det;
        let slot = match (a > 0.0, b > 0.0) {
            (false, false) => 0,
            (true, false) => 1,
            (true, true) => 2,
            (false, true) => 3,
        };
        if out[slot].is_some() {
            return None;
        }
        out[slot] = Some(p);
    }
    Some([out[0]?, out[1]?, out[2]?, out[3]?])
}

pub(super) const OFFSETS: [(f32, f32); 4] = [(0.0, 0.0), (7.0, 0.0), (7.0, 7.0), (0.0, 7.0)];

/// Module-to-pixel correspondences from the finders for a code of `d` modules.
pub(super) fn finder_points(t: &Triple, d: f32) -> (Vec<Pt>, Vec<Pt>) {
    let u = sub(t.tr.centre, t.tl.centre);
    let v = sub(t.bl.centre, t.tl.centre);
    let mut from = Vec::with_capacity(16);
    let mut to = Vec::with_capacity(16);
    for (f, (ox, oy)) in [
        (t.tl, (0.0, 0.0)),
        (t.tr, (d - 7.0, 0.0)),
        (t.bl, (0.0, d - 7.0)),
    ] {
        from.push((ox + 3.5, oy + 3.5));
        to.push(f.centre);
        if let Some(corners) = label_corners(&f, u, v) {
            for (c, (mx, my)) in corners.into_iter().zip(OFFSETS) {
                from.push((ox + mx, oy + my));
                to.push(c);
            }
        }
    }
    if from.len() < 4 {
        // Centres only: the fourth point where a parallelogram puts the bottom-right.
        from.push((d - 3.5, d - 3.5));
        to.push((
            t.tr.centre.0 + t.bl.centre.0 - t.tl.centre.0,
            t.tr.centre.1 + t.bl.centre.1 - t.tl.centre.1,
        ));
    }
    (from, to)
}

/// Module sizes along the code's axes at each finder give its module count.
pub(super) fn estimated_size(t: &Triple) -> f32 {
    let u = sub(t.tr.centre, t.tl.centre);
    let v = sub(t.bl.centre, t.tl.centre);
    let along = |f: &Finder, horizontal: bool| -> f32 {
        match label_corners(f, u, v) {
            Some(c) if horizontal => (dist(c[0], c[1]) + dist(c[3], c[2])) / 14.0,
            Some(c) => (dist(c[0], c[3]) + dist(c[1], c[2])) / 14.0,
            None => f.module,
        }
    };
    let across = dist(t.tl.centre, t.tr.centre) / ((along(&t.tl, true) + along(&t.tr, true)) / 2.0);
    let down = dist(t.tl.centre, t.bl.centre) / ((along(&t.tl, false) + along(&t.bl, false)) / 2.0);
    (across + down) / 2.0 + 7.0
}

/// Root-mean-square distance in pixels between where `h` puts `from` and `to`.
pub(super) fn residual(h: &Homography, from: &[Pt], to: &[Pt]) -> f32 {
    let sum: f32 = from
        .iter()
        .zip(to)
        .map(|(f, t)| {
            let p = h.map(f.0, f.1);
            (p.0 - t.0).powi(2) + (p.1 - t.1).powi(2)
        })
        .sum();
    (sum / from.len().max(1) as f32).sqrt()
}

/// Looks for the alignment pattern centred on module `(ax, ay)` near where `h` puts it:
/// the 5×5-module template (dark centre, light ring, dark ring) sampled along the code's own
/// axes, best contrast within two modules, nearer preferred.
pub(super) fn find_alignment(
    g: &Grey,
    h: &Homography,
    ax: f32,
    ay: f32,
    contrast: f32,
) -> Option<Pt> {
    let c = h.map(ax + 0.5, ay + 0.5);
    if !g.inside(c) {
        return None;
    }
    let px = h.map(ax + 1.5, ay + 0.5);
    let py = h.map(ax + 0.5, ay + 1.5);
    let ux = sub(px, c);
    let uy = sub(py, c);
    let score = |fx: f32, fy: f32| -> (f32, Pt) {
        let centre = (c.0 + fx * ux.0 + fy * uy.0, c.1 + fx * ux.1 + fy * uy.1);
        let (mut dark, mut light) = (0.0, 0.0);
        for my in -2i32..=2 {
            for mx in -2i32..=2 {
                let v = g.at(
                    centre.0 + mx as f32 * ux.0 + my as f32 * uy.0,
                    centre.1 + mx as f32 * ux.1 + my as f32 * uy.1,
                );
                if mx.abs().max(my.abs()) == 1 {
                    light += v;
                } else {
                    dark += v;
                }
            }
        }
        let s = light / 8.0 - dark / 17.0 - 0.1 * contrast * (fx * fx + fy * fy) / 4.0;
        (s, centre)
    };
    // Half a module apart within two modules, then an eighth around the best.
    let mut best = (f32::MIN, (0.0, 0.0), (0.0, 0.0));
    for oy in -4..=4 {
        for ox in -4..=4 {
            let (fx, fy) = (ox as f32 / 2.0, oy as f32 / 2.0);
            let (s, p) = score(fx, fy);
            if s > best.0 {
                best = (s, p, (fx, fy));
            }
        }
    }
    let (bx, by) = best.2;
    for oy in -3..=3 {
        for ox in -3..=3 {
            if ox == 0 && oy == 0 {
                continue;
            }
            let (fx, fy) = (bx + ox as f32 / 8.0, by + oy as f32 / 8.0);
            let (s, p) = score(fx, fy);
            if s > best.0 {
                best = (s, p, (fx, fy));
            }
        }
    }
    (best.0 > 0.3 * contrast).then_some(best.1)
}
