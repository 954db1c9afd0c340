//! Plane geometry shared by the synthetic camera and the QR locator.

/// A projective map from the unit square to a quadrilateral, and back.
#[derive(Debug, Clone, Copy)]
pub struct Homography([f32; 9]);

impl Homography {
    /// Maps (0,0), (1,0), (1,1), (0,1) to the four corners, in that order.
    pub fn square_to_quad(q: [(f32, f32); 4]) -> Homography {
        let [(x0, y0), (x1, y1), (x2, y2), (x3, y3)] = q;
        let (dx1, dx2, dx3) = (x1 - x2, x3 - x2, x0 - x1 + x2 - x3);
        let (dy1, dy2, dy3) = (y1 - y2, y3 - y2, y0 - y1 + y2 - y3);
        let den = dx1 * dy2 - dx2 * dy1;
        let g = (dx3 * dy2 - dx2 * dy3) / den;
        let h = (dx1 * dy3 - dx3 * dy1) / den;
        Homography([
            x1 - x0 + g * x1,
            x3 - x0 + h * x3,
            x0,
            y1 - y0 + g * y1,
            y3 - y0 + h * y3,
            y0,
            g,
            h,
            1.0,
        ])
    }

    pub fn inverse(&self) -> Homography {
        let [a, b, c, d, e, f, g, h, i] = self.0;
        let (ca, cb, cc) = (e * i - f * h, f * g - d * i, d * h - e * g);
        let det = a * ca + b * cb + c * cc;
        let m = [
            ca,
            c * h - b * i,
            b * f - c * e,
            cb,
            a * i - c * g,
            c * d - a * f,
            cc,
            b * g - a * h,
            a * e - b * d,
        ];
        Homography(m.map(|v| v / det))
    }

    #[inline]
    pub fn map(&self, x: f32, y: f32) -> (f32, f32) {
        let m = &self.0;
        let w = m[6] * x + m[7] * y + m[8];
        (
            (m[0] * x + m[1] * y + m[2]) / w,
            (m[3] * x + m[4] * y + m[5]) / w,
        )
    }
}

impl Homography {
    /// Composes: first `self`, then `then`.
    pub fn then(&self, then: &Homography) -> Homography {
        let (a, b) = (&then.0, &self.0);
        let mut m = [0f32; 9];
        for r in 0..3 {
            for c in 0..3 {
                m[r * 3 + c] = (0..3).map(|k| a[r * 3 + k] * b[k * 3 + c]).sum();
            }
        }
        Homography(m)
    }

    /// Maps the four `from` points onto the four `to` points.
    pub fn quad_to_quad(from: [(f32, f32); 4], to: [(f32, f32); 4]) -> Homography {
        Homography::square_to_quad(from)
            .inverse()
            .then(&Homography::square_to_quad(to))
    }
}

impl Homography {
    /// The homography that best maps each `from` point onto its `to` point (least squares on
    /// the linearised equations, coordinates normalised first). `None` with fewer than four
    /// points or when they are degenerate (three in a line).
    pub fn fit(from: &[(f32, f32)], to: &[(f32, f32)]) -> Option<Homography> {
        let n = from.len().min(to.len());
        if n < 4 {
            return None;
        }
        let (nf, _) = normaliser(&from[..n]);
        let (nt, t_inv) = normaliser(&to[..n]);
        // Unknowns h0..h7 with h8 = 1: u (h6 x + h7 y + 1) = h0 x + h1 y + h2, same for v.
        let mut ata = [[0f64; 8]; 8];
        let mut atb = [0f64; 8];
        for i in 0..n {
            let (x, y) = nf.apply(from[i]);
            let (u, v) = nt.apply(to[i]);
            let rows = [
                ([x, y, 1.0, 0.0, 0.0, 0.0, -x * u, -y * u], u),
                ([0.0, 0.0, 0.0, x, y, 1.0, -x * v, -y * v], v),
            ];
            for (row, rhs) in rows {
                for r in 0..8 {
                    atb[r] += row[r] * rhs;
                    for c in 0..8 {
                        ata[r][c] += row[r] * row[c];
                    }
                }
            }
        }
        let h = solve8(ata, atb)?;
        let normalised = [h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], 1.0];
        // Undo the normalisations: to = T⁻¹ · H · F.
        let m = mul3(&t_inv, &mul3(&normalised, &nf.matrix()));
        if !m.iter().all(|v| v.is_finite()) || m[8].abs() < 1e-12 {
            return None;
        }
        Some(Homography(m.map(|v| (v / m[8]) as f32)))
    }
}

/// Translation to the centroid and scaling to a mean distance of √2, for a well-conditioned fit.
#[derive(Clone, Copy)]
struct Normaliser {
    cx: f64,
    cy: f64,
    s: f64,
}

impl Normaliser {
    fn apply(&self, (x, y): (f32, f32)) -> (f64, f64) {
        (
            (f64::from(x) - self.cx) * self.s,
            (f64::from(y) - self.cy) * self.s,
        )
    }

    fn matrix(&self) -> [f64; 9] {
        [
            self.s,
            0.0,
            -self.cx * self.s,
            0.0,
            self.s,
            -self.cy * self.s,
            0.0,
            0.0,
            1.0,
        ]
    }
}

/// The normaliser for `points` and the inverse of its matrix.
fn normaliser(points: &[(f32, f32)]) -> (Normaliser, [f64; 9]) {
    let n = points.len() as f64;
    let cx = points.iter().map(|p| f64::from(p.0)).sum::<f64>() / n;
    let cy = points.iter().map(|p| f64::from(p.1)).sum::<f64>() / n;
    let mean = points
        .iter()
        .map(|p| (f64::from(p.0) - cx).hypot(f64::from(p.1) - cy))
        .sum::<f64>()
        / n;
    let s = if mean > 1e-9 {
        std::f64::consts::SQRT_2 / mean
    } else {
        1.0
    };
    let inverse = [1.0 / s, 0.0, cx, 0.0, 1.0 / s, cy, 0.0, 0.0, 1.0];
    (Normaliser { cx, cy, s }, inverse)
}

fn mul3(a: &[f64; 9], b: &[f64; 9]) -> [f64; 9] {
    let mut m = [0f64; 9];
    for r in 0..3 {
        for c in 0..3 {
            m[r * 3 + c] = (0..3).map(|k| a[r * 3 + k] * b[k * 3 + c]).sum();
        }
    }
    m
}

/// Gaussian elimination with partial pivoting; `None` when singular.
fn solve8(mut a: [[f64; 8]; 8], mut b: [f64; 8]) -> Option<[f64; 8]> {
    for col in 0..8 {
        let pivot = (col..8).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-12 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        for row in col + 1..8 {
            let f = a[row][col] / a[col][col];
            if f == 0.0 {
                continue;
            }
            let pivot_row = a[col];
            for (v, p) in a[row][col..].iter_mut().zip(&pivot_row[col..]) {
                *v -= f * p;
            }
            b[row] -= f * b[col];
        }
    }
    let mut x = [0f64; 8];
    for row in (0..8).rev() {
        let rest: f64 = (row + 1..8).map(|c| a[row][c] * x[c]).sum();
        x[row] = (b[row] - rest) / a[row][row];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn homographies_map_corners_and_invert() {
        let quad = [(10.0, 20.0), (110.0, 30.0), (120.0, 140.0), (5.0, 130.0)];
        let hmg = Homography::square_to_quad(quad);
        for (i, (u, v)) in [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]
            .into_iter()
            .enumerate()
        {
            let (x, y) = hmg.map(u, v);
            assert!(
                (x - quad[i].0).abs() < 1e-3 && (y - quad[i].1).abs() < 1e-3,
                "{i}"
            );
        }
        let (u, v) = hmg.inverse().map(quad[2].0, quad[2].1);
        assert!((u - 1.0).abs() < 1e-4 && (v - 1.0).abs() < 1e-4);
    }

    #[test]
    fn a_least_squares_fit_recovers_a_homography_from_many_points() {
        let truth = Homography::quad_to_quad(
            [(0.0, 0.0), (40.0, 0.0), (40.0, 40.0), (0.0, 40.0)],
            [
                (310.0, 95.0),
                (820.0, 140.0),
                (760.0, 610.0),
                (280.0, 560.0),
            ],
        );
        let from: Vec<(f32, f32)> = (0..5)
            .flat_map(|i| (0..5).map(move |j| (i as f32 * 10.0, j as f32 * 10.0)))
            .collect();
        let to: Vec<(f32, f32)> = from.iter().map(|&(x, y)| truth.map(x, y)).collect();
        let fitted = Homography::fit(&from, &to).unwrap();
        for (f, t) in from.iter().zip(&to) {
            let (x, y) = fitted.map(f.0, f.1);
            assert!((x - t.0).abs() < 0.05 && (y - t.1).abs() < 0.05, "{f:?}");
        }
        assert!(Homography::fit(&from[..3], &to[..3]).is_none());
        let line: Vec<(f32, f32)> = (0..6).map(|i| (i as f32, 2.0 * i as f32)).collect();
        assert!(Homography::fit(&line, &line).is_none());
    }

    #[test]
    fn quads_map_onto_quads() {
        let from = [(3.5, 3.5), (21.5, 3.5), (18.5, 18.5), (3.5, 21.5)];
        let to = [(100.0, 50.0), (300.0, 70.0), (260.0, 240.0), (90.0, 280.0)];
        let h = Homography::quad_to_quad(from, to);
        for (f, t) in from.iter().zip(to) {
            let (x, y) = h.map(f.0, f.1);
            assert!(
                (x - t.0).abs() < 0.01 && (y - t.1).abs() < 0.01,
                "{f:?} -> {x},{y}"
            );
        }
    }
}
