//! Finder patterns on grey values: rays from a candidate centre to the pattern's edges, and
//! lines fitted to the outer edge points for its four corners.

use super::grey::{Grey, Pt};

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

/// A finder pattern measured on grey values.
#[derive(Debug, Clone, Copy)]
pub(super) struct Finder {
    pub(super) centre: Pt,
    /// Outer corners in order around the pattern, when the outline could be fitted.
    pub(super) quad: Option<[Pt; 4]>,
    pub(super) module: f32,
    pub(super) dark: f32,
    pub(super) light: f32,
}

const RAYS: usize = 48;
/// Finder contrast below this (grey levels) is noise, not a pattern.
const MIN_CONTRAST: f32 = 12.0;

/// One ray's outer-edge crossing: the point and its distance from the centre.
type Crossing = Option<(Pt, f32)>;

/// Measures a finder candidate: its levels, its edges along every ray, its outline.
pub(super) fn measure(g: &Grey, seed: Seed) -> Option<Finder> {
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

pub(super) fn dist(a: Pt, b: Pt) -> f32 {
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
