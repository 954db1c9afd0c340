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

use super::binarize::Gray;
use super::geometry::Homography;
use super::reader::{Found, bytes_to_text};

type Pt = (f32, f32);

/// Where a finder pattern might be, in the grey image's pixels (pixel `i` spans `[i, i+1)`),
/// with a rough module size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Seed {
    pub x: f32,
    pub y: f32,
    pub module: f32,
    /// How many scan lines crossed it: the more, the likelier a real pattern.
    pub seen: u32,
    /// Confirmed across the scan lines too (more likely than a row match alone).
    pub confirmed: bool,
}

/// The grey image, read between pixels. `invert` reads light codes on dark backgrounds.
pub struct Grey<'a> {
    img: &'a Gray,
    invert: bool,
}

impl<'a> Grey<'a> {
    pub fn new(img: &'a Gray, invert: bool) -> Self {
        Self { img, invert }
    }

    #[inline]
    fn inside(&self, (x, y): Pt) -> bool {
        x >= 0.0 && y >= 0.0 && x < self.img.width as f32 && y < self.img.height as f32
    }

    /// Bilinear grey value at `(x, y)`. Beyond the image's edge (by more than half a pixel)
    /// it is light, as a quiet zone would be: a code cropped tight to the image still has
    /// finder patterns with an outer edge.
    #[inline]
    fn at(&self, x: f32, y: f32) -> f32 {
        let (w, h) = (self.img.width, self.img.height);
        if !(x >= -0.5 && y >= -0.5 && x <= w as f32 + 0.5 && y <= h as f32 + 0.5) {
            return 255.0;
        }
        let fx = (x - 0.5).clamp(0.0, (w - 1) as f32);
        let fy = (y - 0.5).clamp(0.0, (h - 1) as f32);
        let (x0, y0) = (fx as usize, fy as usize);
        let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
        let (ax, ay) = (fx - x0 as f32, fy - y0 as f32);
        let p = &self.img.pixels;
        let top = f32::from(p[y0 * w + x0]) * (1.0 - ax) + f32::from(p[y0 * w + x1]) * ax;
        let bottom = f32::from(p[y1 * w + x0]) * (1.0 - ax) + f32::from(p[y1 * w + x1]) * ax;
        let v = top * (1.0 - ay) + bottom * ay;
        if self.invert { 255.0 - v } else { v }
    }
}

/// A finder pattern measured on grey values.
#[derive(Debug, Clone, Copy)]
struct Finder {
    centre: Pt,
    /// Outer corners in order around the pattern, when the outline could be fitted.
    quad: Option<[Pt; 4]>,
    module: f32,
    dark: f32,
    light: f32,
}

const RAYS: usize = 48;
/// Finder contrast below this (grey levels) is noise, not a pattern.
const MIN_CONTRAST: f32 = 12.0;

/// One ray's outer-edge crossing: the point and its distance from the centre.
type Crossing = Option<(Pt, f32)>;

/// Measures a finder candidate: its levels, its edges along every ray, its outline.
fn measure(g: &Grey, seed: Seed) -> Option<Finder> {
    if !(seed.module.is_finite() && seed.module >= 0.5 && g.inside((seed.x, seed.y))) {
        return None;
    }
    let mut centre = (seed.x, seed.y);
    let mut module = seed.module;
    let mut result = None;
    // Twice: the second pass starts from the centre the first one found.
    for _ in 0..2 {
        let (crossings, dark, light) = cast_rays(g, centre, module)?;
        let valid: Vec<(usize, Pt, f32)> = crossings
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.map(|(p, r)| (i, p, r)))
            .collect();
        if valid.len() < RAYS / 2 {
            return None;
        }
        // The centre: midpoints of opposite crossings.
        let (mut sx, mut sy, mut n) = (0.0, 0.0, 0.0);
        for i in 0..RAYS / 2 {
            if let (Some((a, _)), Some((b, _))) = (crossings[i], crossings[i + RAYS / 2]) {
                sx += (a.0 + b.0) / 2.0;
                sy += (a.1 + b.1) / 2.0;
                n += 1.0;
            }
        }
        if n < (RAYS / 6) as f32 {
            return None;
        }
        let moved = (sx / n, sy / n);
        let mean_r = valid.iter().map(|v| v.2).sum::<f32>() / valid.len() as f32;
        // A square of half-side s has a mean radius of about 1.12 s; the outer half-side is
        // 3.5 modules.
        module = mean_r / (3.5 * 1.12);
        let quad = fit_quad(&crossings);
        let c = quad.and_then(diagonal_centre).unwrap_or(moved);
        if let Some(q) = quad {
            let side = (0..4).map(|k| dist(q[k], q[(k + 1) % 4])).sum::<f32>() / 4.0;
            module = side / 7.0;
        }
        result = Some(Finder {
            centre: c,
            quad,
            module,
            dark,
            light,
        });
        if dist(c, centre) < 0.2 * module {
            break;
        }
        centre = c;
    }
    result
}

/// Casts `RAYS` rays from `centre`; each finds the third edge (dark → light → dark → light)
/// at the finder's mid-level, with the 1.5 : 2.5 : 3.5 ratios of a finder pattern.
fn cast_rays(g: &Grey, centre: Pt, module: f32) -> Option<([Crossing; RAYS], f32, f32)> {
    let m = module;
    let mut dark = 0.0;
    for dy in [-0.6f32, 0.0, 0.6] {
        for dx in [-0.6f32, 0.0, 0.6] {
            dark += g.at(centre.0 + dx * m, centre.1 + dy * m);
        }
    }
    dark /= 9.0;
    let step = (m / 4.0).clamp(0.25, 1.0);
    // The outer edge is 3.5 modules out along the axes, 4.95 along the diagonals; perspective
    // stretches one side.
    let reach = 8.0 * m;
    let steps = (reach / step) as usize + 1;
    let mut profile = vec![0f32; steps];
    let mut lights = Vec::with_capacity(RAYS);
    let mut profiles = Vec::with_capacity(RAYS * steps);
    for i in 0..RAYS {
        let a = i as f32 * std::f32::consts::TAU / RAYS as f32;
        let (s, c) = a.sin_cos();
        let mut brightest = f32::MIN;
        for (k, v) in profile.iter_mut().enumerate() {
            let r = k as f32 * step;
            *v = g.at(centre.0 + c * r, centre.1 + s * r);
            if (1.0 * m..=3.8 * m).contains(&r) {
                brightest = brightest.max(*v);
            }
        }
        lights.push(brightest);
        profiles.extend_from_slice(&profile);
    }
    lights.sort_by(f32::total_cmp);
    let light = lights[RAYS / 2];
    if light - dark < MIN_CONTRAST {
        return None;
    }
    let t = (dark + light) / 2.0;
    // Hysteresis: an edge counts once the profile is well past the threshold, so noise
    // wobbling around it does not make extra edges; the edge sits where it crossed `t`.
    let margin = 0.12 * (light - dark);
    let mut out = [None; RAYS];
    for (i, slot) in out.iter_mut().enumerate() {
        let p = &profiles[i * steps..][..steps];
        let mut edges = [0f32; 3];
        let mut found = 0;
        let mut want_light = true;
        // The last sample on the current side of `t`.
        let mut last = 0;
        for k in 1..steps {
            let v = p[k];
            let (on_side, past) = if want_light {
                (v <= t, v > t + margin)
            } else {
                (v > t, v < t - margin)
            };
            if on_side {
                last = k;
                continue;
            }
            if past {
                let (a, b) = (p[last], p[last + 1]);
                let f = if (b - a).abs() > 1e-3 {
                    ((t - a) / (b - a)).clamp(0.0, 1.0)
                } else {
                    0.5
                };
                edges[found] = (last as f32 + f) * step;
                found += 1;
                want_light = !want_light;
                last = k;
                if found == 3 {
                    break;
                }
            }
        }
        if found < 3 {
            continue;
        }
        let r3 = edges[2];
        let (q1, q2) = (edges[0] / r3, edges[1] / r3);
        if !(0.25..=0.62).contains(&q1) || !(0.55..=0.86).contains(&q2) {
            continue;
        }
        let a = i as f32 * std::f32::consts::TAU / RAYS as f32;
        let (s, c) = a.sin_cos();
        *slot = Some(((centre.0 + c * r3, centre.1 + s * r3), r3));
    }
    Some((out, dark, light))
}

fn dist(a: Pt, b: Pt) -> f32 {
    (a.0 - b.0).hypot(a.1 - b.1)
}

/// A line through `point` along the unit vector `dir`.
#[derive(Debug, Clone, Copy)]
struct Line {
    point: Pt,
    dir: Pt,
}

/// The total-least-squares line through `points`.
fn fit_line(points: &[Pt]) -> Option<Line> {
    if points.len() < 2 {
        return None;
    }
    let n = points.len() as f32;
    let mx = points.iter().map(|p| p.0).sum::<f32>() / n;
    let my = points.iter().map(|p| p.1).sum::<f32>() / n;
    let (mut sxx, mut sxy, mut syy) = (0.0, 0.0, 0.0);
    for p in points {
        let (dx, dy) = (p.0 - mx, p.1 - my);
        sxx += dx * dx;
        sxy += dx * dy;
        syy += dy * dy;
    }
    let angle = 0.5 * (2.0 * sxy).atan2(sxx - syy);
    let dir = (angle.cos(), angle.sin());
    dir.0.is_finite().then_some(Line {
        point: (mx, my),
        dir,
    })
}

fn intersect(a: Line, b: Line) -> Option<Pt> {
    let cross = a.dir.0 * b.dir.1 - a.dir.1 * b.dir.0;
    if cross.abs() < 0.1 {
        return None;
    }
    let (dx, dy) = (b.point.0 - a.point.0, b.point.1 - a.point.1);
    let t = (dx * b.dir.1 - dy * b.dir.0) / cross;
    Some((a.point.0 + t * a.dir.0, a.point.1 + t * a.dir.1))
}

/// The quadrilateral through the outer-edge crossings: corners are the four farthest
/// crossings (local maxima of the radius), sides are lines fitted to the crossings between.
fn fit_quad(crossings: &[Crossing; RAYS]) -> Option<[Pt; 4]> {
    const WINDOW: usize = RAYS / 12;
    let r = |i: usize| crossings[i % RAYS].map(|c| c.1);
    let mut corners: Vec<usize> = Vec::with_capacity(4);
    for i in 0..RAYS {
        let Some(ri) = r(i) else { continue };
        let is_max = (1..=WINDOW).all(|k| {
            let before = r(i + RAYS - k).unwrap_or(0.0);
            let after = r(i + k).unwrap_or(0.0);
            // Ties go to the first of equal neighbours.
            ri > before && ri >= after
        });
        if is_max {
            corners.push(i);
        }
    }
    if corners.len() != 4 {
        return None;
    }
    let mut lines = Vec::with_capacity(4);
    for k in 0..4 {
        let (a, b) = (
            corners[k],
            corners[(k + 1) % 4] + if k == 3 { RAYS } else { 0 },
        );
        let gap = b - a;
        if gap < 4 {
            return None;
        }
        // Leave out the rays next to the corners, where blur rounds the outline.
        let points: Vec<Pt> = (a + 2..b - 1)
            .filter_map(|i| crossings[i % RAYS].map(|c| c.0))
            .collect();
        if points.len() < 2 {
            return None;
        }
        lines.push(fit_line(&points)?);
    }
    let mut quad = [(0.0, 0.0); 4];
    for k in 0..4 {
        let corner = intersect(lines[(k + 3) % 4], lines[k])?;
        let (raw, rr) = crossings[corners[k]]?;
        if dist(corner, raw) > 0.3 * rr {
            return None;
        }
        quad[k] = corner;
    }
    Some(quad)
}

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

fn diagonal_centre(q: [Pt; 4]) -> Option<Pt> {
    let a = Line {
        point: q[0],
        dir: unit((q[2].0 - q[0].0, q[2].1 - q[0].1))?,
    };
    let b = Line {
        point: q[1],
        dir: unit((q[3].0 - q[1].0, q[3].1 - q[1].1))?,
    };
    intersect(a, b)
}

fn unit(v: Pt) -> Option<Pt> {
    let n = v.0.hypot(v.1);
    (n > 1e-6).then(|| (v.0 / n, v.1 / n))
}

/// The alignment pattern centres of each version (ISO/IEC 18004 table E.1).
fn alignment_positions(version: usize) -> &'static [usize] {
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

/// The 18-bit version information word of `version` (7 to 40): BCH(18, 6).
fn version_word(version: u32) -> u32 {
    let mut rem = version << 12;
    for i in (0..6).rev() {
        if rem & (1 << (i + 12)) != 0 {
            rem ^= 0x1f25 << i;
        }
    }
    (version << 12) | rem
}

/// Three finders as a code's top-left, top-right and bottom-left.
#[derive(Debug, Clone, Copy)]
struct Triple {
    tl: Finder,
    tr: Finder,
    bl: Finder,
}

/// Triples that could be one code's finders, most plausible first.
fn triples(finders: &[Finder]) -> Vec<(usize, usize, usize)> {
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

fn sub(a: Pt, b: Pt) -> Pt {
    (a.0 - b.0, a.1 - b.1)
}

/// A finder's outer corners labelled by module offset within the pattern ((0,0), (7,0),
/// (7,7), (0,7) in that order) using the code's axes `u` (towards the top-right finder) and
/// `v` (towards the bottom-left one).
fn label_corners(f: &Finder, u: Pt, v: Pt) -> Option<[Pt; 4]> {
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

const OFFSETS: [(f32, f32); 4] = [(0.0, 0.0), (7.0, 0.0), (7.0, 7.0), (0.0, 7.0)];

/// Module-to-pixel correspondences from the finders for a code of `d` modules.
fn finder_points(t: &Triple, d: f32) -> (Vec<Pt>, Vec<Pt>) {
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
fn estimated_size(t: &Triple) -> f32 {
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
fn residual(h: &Homography, from: &[Pt], to: &[Pt]) -> f32 {
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
fn find_alignment(g: &Grey, h: &Homography, ax: f32, ay: f32, contrast: f32) -> Option<Pt> {
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

/// Grey values at every module centre, a little averaged around it (a fifth of a module
/// along each axis; the axes from the neighbouring centres).
fn sample_values(g: &Grey, map: &dyn Fn(f32, f32) -> Pt, d: usize) -> Vec<f32> {
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
fn two_levels(values: &[f32]) -> (f32, f32) {
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
enum Threshold {
    /// Against the two levels of the modules within about `radius` modules around each one
    /// (one threshold per 2×2 modules).
    Local(usize),
    /// One threshold for the whole code.
    Global,
}

fn to_bits(values: &[f32], d: usize, how: Threshold) -> Vec<bool> {
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
const MIN_TIMING: f32 = 0.7;

/// The share of timing-pattern modules (row and column 6 between the finders) that alternate
/// as they should.
fn timing_agreement(bits: &[bool], d: usize) -> f32 {
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
fn timing_on_grey(g: &Grey, map: &Homography, d: usize) -> f32 {
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

fn decode(bits: Vec<bool>, d: usize) -> Option<(Vec<u8>, usize)> {
    let grid = rqrr::Grid::new(Modules { size: d, bits });
    let mut bytes = Vec::new();
    let meta = grid.decode_to(&mut bytes).ok()?;
    Some((bytes, meta.version.0))
}

/// The version the version blocks spell, if they spell one within three bit errors (either
/// block). `region(i, j, bottom_left)` is where the module `i` across, `j` down of the 11×7
/// modules at the top-right corner (the block, its separator column and the finder) is, or
/// of their transpose at the bottom-left. Each block is read against the two levels of its
/// own corner of the code.
fn spelled_version(g: &Grey, region: &dyn Fn(usize, usize, bool) -> Pt) -> Option<usize> {
    let corner = |bottom_left: bool| -> u32 {
        let mut values = Vec::with_capacity(77);
        for j in 0..7 {
            for i in 0..11 {
                let p = region(i, j, bottom_left);
                values.push(g.at(p.0, p.1));
            }
        }
        let (t, _) = two_levels(&values);
        let mut word = 0u32;
        for i in 0..18 {
            // Bit i at x = d - 11 + i % 3, y = i / 3 (top-right block).
            if values[(i / 3) * 11 + i % 3] < t {
                word |= 1 << i;
            }
        }
        word
    };
    let mut best: Option<(u32, usize)> = None;
    for read in [corner(false), corner(true)] {
        for v in 7..=40u32 {
            let errors = (read ^ version_word(v)).count_ones();
            if best.is_none_or(|(e, _)| errors < e) {
                best = Some((errors, v as usize));
            }
        }
    }
    best.filter(|(e, _)| *e <= 3).map(|(_, v)| v)
}

/// The version blocks read through `h` for a code of `d` modules.
fn read_version(g: &Grey, h: &Homography, d: usize) -> Option<usize> {
    if d < 45 {
        return None;
    }
    spelled_version(g, &|i, j, bottom_left| {
        let (x, y) = (d - 11 + i, j);
        let (mx, my) = if bottom_left { (y, x) } else { (x, y) };
        h.map(mx as f32 + 0.5, my as f32 + 0.5)
    })
}

/// The version blocks read through the outlines of the finders beside them: no module count
/// needed, so a curved or strongly tilted code whose count the finders misjudge still says
/// its version.
fn read_version_beside_finders(g: &Grey, t: &Triple) -> Option<usize> {
    let u = sub(t.tr.centre, t.tl.centre);
    let v = sub(t.bl.centre, t.tl.centre);
    let local = |f: &Finder| label_corners(f, u, v).map(|c| Homography::quad_to_quad(OFFSETS, c));
    let (tr, bl) = (local(&t.tr)?, local(&t.bl)?);
    spelled_version(g, &|i, j, bottom_left| {
        // Four modules before the finder's own first column (or row).
        let (x, y) = (i as f32 - 4.0 + 0.5, j as f32 + 0.5);
        if bottom_left {
            bl.map(y, x)
        } else {
            tr.map(x, y)
        }
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(text: &str, module: u32) -> Gray {
        let code = qrcode::QrCode::new(text.as_bytes()).unwrap();
        let image = code
            .render::<image::Luma<u8>>()
            .module_dimensions(module, module)
            .build();
        Gray::new(
            image.width() as usize,
            image.height() as usize,
            image.into_raw(),
        )
    }

    #[test]
    fn version_words_match_the_standard() {
        assert_eq!(version_word(7), 0x07c94);
        assert_eq!(version_word(40), 0x28c69);
    }

    #[test]
    fn a_finder_is_measured_from_a_rough_seed() {
        let img = rendered("EC1:FINDER", 6);
        // The top-left finder's centre is at 4 + 3.5 modules (quiet zone of 4).
        let truth = 7.5 * 6.0;
        let g = Grey::new(&img, false);
        let f = measure(
            &g,
            Seed {
                x: truth + 2.0,
                y: truth - 3.0,
                module: 7.5,
                seen: 1,
                confirmed: true,
            },
        )
        .unwrap();
        assert!(dist(f.centre, (truth, truth)) < 0.5, "{f:?}");
        assert!((f.module - 6.0).abs() < 0.3, "{f:?}");
        let q = f.quad.unwrap();
        assert!(q.iter().any(|&c| dist(c, (24.0, 24.0)) < 0.8), "{q:?}");
    }

    #[test]
    fn a_rendered_code_reads_from_its_finder_seeds() {
        let text = "EC1:GRID TEST 0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ";
        let img = rendered(text, 5);
        let m = 5.0;
        let n = ((img.width as f32 / m) as usize - 8) as f32;
        let at = |mx: f32, my: f32| Seed {
            x: (4.0 + mx) * m + 1.0,
            y: (4.0 + my) * m - 1.0,
            module: m,
            seen: 3,
            confirmed: true,
        };
        let seeds = [at(3.5, 3.5), at(n - 3.5, 3.5), at(3.5, n - 3.5)];
        let (found, finders) = read(&img, &seeds, false);
        assert_eq!(finders, 3);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].text, text);
        // Inverted pixels read with `invert`.
        let inverted = img.inverted();
        assert_eq!(read(&inverted, &seeds, true).0[0].text, text);
    }

    proptest::proptest! {
        /// The fence would hide our own bugs: reading must not panic on any pixels or seeds.
        #[test]
        fn arbitrary_images_and_seeds_never_panic(
            w in 1usize..90, h in 1usize..90, seed in proptest::prelude::any::<u64>(),
            points in proptest::collection::vec((-10f32..100.0, -10f32..100.0, -1f32..20.0), 0..8)
        ) {
            let mut state = seed | 1;
            let pixels: Vec<u8> = (0..w * h)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    (state % 256) as u8
                })
                .collect();
            let img = Gray::new(w, h, pixels);
            let seeds: Vec<Seed> = points
                .into_iter()
                .map(|(x, y, module)| Seed { x, y, module, seen: 1, confirmed: false })
                .collect();
            let _ = read(&img, &seeds, false);
            let _ = read(&img, &seeds, true);
        }
    }
}
