//! The grey image read between pixels, and the point type the grid reader works in.

use crate::edges::scanner::Gray;

pub(super) type Pt = (f32, f32);

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
    pub(super) fn inside(&self, (x, y): Pt) -> bool {
        x >= 0.0 && y >= 0.0 && x < self.img.width as f32 && y < self.img.height as f32
    }

    /// Bilinear grey value at `(x, y)`. Beyond the image's edge (by more than half a pixel)
    /// it is light, as a quiet zone would be: a code cropped tight to the image still has
    /// finder patterns with an outer edge.
    #[inline]
    pub(super) fn at(&self, x: f32, y: f32) -> f32 {
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
