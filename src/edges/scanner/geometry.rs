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
