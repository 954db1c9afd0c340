//! Where in a frame the code probably is, found cheaply, so rqrr's detection (whose cost
//! grows with the image's area) runs on a crop instead of the whole frame.
//!
//! A QR code is the densest patch of sharp light/dark transitions in a camera frame. At a
//! quarter of the size, blocks whose edge density is at least a third of the densest block's are
//! grown from the densest one; the box around them, with a margin for the quiet zone, is
//! the region.

use super::binarize::Gray;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    pub x: usize,
    pub y: usize,
    pub width: usize,
    pub height: usize,
}

impl Rect {
    /// The box around `corners`, grown by `margin` of its size on each side, within the image.
    pub fn around(
        corners: &[(f32, f32); 4],
        margin: f32,
        width: usize,
        height: usize,
    ) -> Option<Rect> {
        let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
        for &(x, y) in corners {
            x0 = x0.min(x);
            y0 = y0.min(y);
            x1 = x1.max(x);
            y1 = y1.max(y);
        }
        let grow = (x1 - x0).max(y1 - y0) * margin;
        Rect::clamped(x0 - grow, y0 - grow, x1 + grow, y1 + grow, width, height)
    }

    fn clamped(x0: f32, y0: f32, x1: f32, y1: f32, width: usize, height: usize) -> Option<Rect> {
        let x0 = x0.max(0.0) as usize;
        let y0 = y0.max(0.0) as usize;
        let x1 = (x1.max(0.0) as usize).min(width);
        let y1 = (y1.max(0.0) as usize).min(height);
        (x1 > x0 + 21 && y1 > y0 + 21).then(|| Rect {
            x: x0,
            y: y0,
            width: x1 - x0,
            height: y1 - y0,
        })
    }

    pub fn area(&self) -> usize {
        self.width * self.height
    }
}

impl Gray {
    pub fn crop(&self, r: Rect) -> Gray {
        let mut out = Vec::with_capacity(r.area());
        for y in r.y..r.y + r.height {
            out.extend_from_slice(&self.pixels[y * self.width + r.x..][..r.width]);
        }
        Gray::new(r.width, r.height, out)
    }
}

const SCALE: usize = 4;
const CELL: usize = 6;
/// A transition this strong (grey levels between neighbours, at quarter size) is an edge.
const EDGE: i32 = 28;

/// The region that most probably holds a code, or `None` when nothing stands out.
pub fn dense_region(img: &Gray) -> Option<Rect> {
    let small = img.downscale(SCALE);
    let (w, h) = (small.width, small.height);
    let (cw, ch) = (w / CELL, h / CELL);
    if cw < 4 || ch < 4 {
        return None;
    }
    let mut density = vec![0u32; cw * ch];
    for y in 0..ch * CELL {
        let row = &small.pixels[y * w..][..w];
        let below = &small.pixels[(y + 1).min(h - 1) * w..][..w];
        for x in 0..cw * CELL {
            let p = i32::from(row[x]);
            let right = i32::from(row[(x + 1).min(w - 1)]);
            let down = i32::from(below[x]);
            if (p - right).abs() >= EDGE || (p - down).abs() >= EDGE {
                density[(y / CELL) * cw + x / CELL] += 1;
            }
        }
    }
    let (peak_at, &peak) = density.iter().enumerate().max_by_key(|(_, d)| **d)?;
    // A code's cells are mostly edges; a frame with no such cell has no readable code.
    if peak < (CELL * CELL / 4) as u32 {
        return None;
    }
    let keep = peak / 3;
    let mut seen = vec![false; cw * ch];
    let mut stack = vec![peak_at];
    seen[peak_at] = true;
    let (mut x0, mut y0, mut x1, mut y1) = (cw, ch, 0, 0);
    while let Some(i) = stack.pop() {
        let (cx, cy) = (i % cw, i / cw);
        x0 = x0.min(cx);
        y0 = y0.min(cy);
        x1 = x1.max(cx);
        y1 = y1.max(cy);
        let neighbours = [
            (cx > 0).then(|| i - 1),
            (cx + 1 < cw).then(|| i + 1),
            (cy > 0).then(|| i - cw),
            (cy + 1 < ch).then(|| i + cw),
        ];
        for n in neighbours.into_iter().flatten() {
            if !seen[n] && density[n] >= keep {
                seen[n] = true;
                stack.push(n);
            }
        }
    }
    let unit = (CELL * SCALE) as f32;
    let corners = [
        (x0 as f32 * unit, y0 as f32 * unit),
        ((x1 + 1) as f32 * unit, y0 as f32 * unit),
        ((x1 + 1) as f32 * unit, (y1 + 1) as f32 * unit),
        (x0 as f32 * unit, (y1 + 1) as f32 * unit),
    ];
    // The quiet zone and cells at the code's edge that fell under the density cut.
    Rect::around(&corners, 0.3, img.width, img.height)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_densest_patch_is_found_in_a_flat_frame() {
        let (w, h) = (640, 360);
        let mut px = vec![128u8; w * h];
        // A checkerboard of 4-pixel cells between (300, 100) and (420, 220).
        for y in 100..220 {
            for x in 300..420 {
                px[y * w + x] = if ((x / 4) + (y / 4)) % 2 == 0 {
                    20
                } else {
                    235
                };
            }
        }
        let r = dense_region(&Gray::new(w, h, px)).unwrap();
        assert!(r.x <= 300 && r.x + r.width >= 420, "{r:?}");
        assert!(r.y <= 100 && r.y + r.height >= 220, "{r:?}");
        assert!(r.area() < w * h / 2, "{r:?}");
    }

    #[test]
    fn a_flat_frame_has_no_region() {
        assert_eq!(
            dense_region(&Gray::new(640, 360, vec![90; 640 * 360])),
            None
        );
    }

    #[test]
    fn boxes_around_corners_stay_inside_the_image() {
        let r = Rect::around(
            &[(-5.0, 10.0), (50.0, 10.0), (50.0, 60.0), (-5.0, 60.0)],
            0.1,
            40,
            100,
        )
        .unwrap();
        assert_eq!((r.x, r.x + r.width), (0, 40));
        assert!(Rect::around(&[(0.0, 0.0); 4], 0.1, 40, 40).is_none());
    }
}
