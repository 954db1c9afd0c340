//! Greyscale to black and white, the step that decides most of what a QR reader can read.
//!
//! rqrr's own threshold is a moving average along each row, which loses codes under glare
//! or gradients. The hybrid binariser here (after ZXing's) thresholds 8×8 blocks against the
//! mean of the 5×5 blocks around them, and gives flat blocks the level of their neighbours,
//! so a code on a screen with a bright reflection across it still comes out whole.

/// A greyscale image, row-major, one byte a pixel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gray {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<u8>,
}

impl Gray {
    pub fn new(width: usize, height: usize, pixels: Vec<u8>) -> Self {
        debug_assert_eq!(pixels.len(), width * height);
        Self {
            width,
            height,
            pixels,
        }
    }

    #[inline]
    pub fn at(&self, x: usize, y: usize) -> u8 {
        self.pixels[y * self.width + x]
    }

    /// Averages `factor`×`factor` blocks: smaller, and smoother (noise and moiré average out).
    pub fn downscale(&self, factor: usize) -> Gray {
        if factor <= 1 {
            return self.clone();
        }
        if factor == 2 {
            return self.halved();
        }
        let (w, h) = (self.width / factor, self.height / factor);
        let area = (factor * factor) as u32;
        let mut out = Vec::with_capacity(w * h);
        for by in 0..h {
            for bx in 0..w {
                let mut sum = 0u32;
                for y in by * factor..(by + 1) * factor {
                    let row = &self.pixels[y * self.width + bx * factor..][..factor];
                    sum += row.iter().map(|&p| u32::from(p)).sum::<u32>();
                }
                out.push((sum / area) as u8);
            }
        }
        Gray::new(w, h, out)
    }

    /// `downscale(2)`, two rows at a time.
    fn halved(&self) -> Gray {
        let (w, h) = (self.width / 2, self.height / 2);
        let mut out = Vec::with_capacity(w * h);
        for pair in self.pixels.chunks_exact(self.width * 2).take(h) {
            let (top, bottom) = pair.split_at(self.width);
            let (top, bottom) = (&top[..2 * w], &bottom[..2 * w]);
            out.extend((0..w).map(|x| {
                let i = 2 * x;
                let sum = u16::from(top[i])
                    + u16::from(top[i + 1])
                    + u16::from(bottom[i])
                    + u16::from(bottom[i + 1]);
                (sum >> 2) as u8
            }));
        }
        Gray::new(w, h, out)
    }

    /// Doubles the size by pixel repetition, for codes whose modules are only a few pixels.
    pub fn upscale2(&self) -> Gray {
        let (w, h) = (self.width * 2, self.height * 2);
        let mut out = Vec::with_capacity(w * h);
        for y in 0..h {
            let row = &self.pixels[(y / 2) * self.width..][..self.width];
            for &p in row {
                out.push(p);
                out.push(p);
            }
        }
        Gray::new(w, h, out)
    }

    pub fn inverted(&self) -> Gray {
        Gray::new(
            self.width,
            self.height,
            self.pixels.iter().map(|p| 255 - p).collect(),
        )
    }

    /// Unsharp mask with a 3×3 box blur: restores some edge contrast lost to defocus.
    pub fn sharpened(&self) -> Gray {
        let (w, h) = (self.width, self.height);
        if w < 3 || h < 3 {
            return self.clone();
        }
        let mut out = self.pixels.clone();
        for y in 1..h - 1 {
            for x in 1..w - 1 {
                let mut sum = 0i32;
                for dy in 0..3 {
                    let row = &self.pixels[(y + dy - 1) * w + x - 1..][..3];
                    sum += row.iter().map(|&p| i32::from(p)).sum::<i32>();
                }
                let p = i32::from(self.pixels[y * w + x]);
                let blurred = sum / 9;
                out[y * w + x] = (p + 2 * (p - blurred)).clamp(0, 255) as u8;
            }
        }
        Gray::new(w, h, out)
    }
}

const BLOCK: usize = 8;
const MIN_DYNAMIC_RANGE: u32 = 24;

/// ZXing-style hybrid binarisation. `true` is black. Images smaller than 5×5 blocks fall
/// back to a global (Otsu) threshold.
pub fn hybrid(img: &Gray) -> Vec<bool> {
    let (w, h) = (img.width, img.height);
    let bw = w.div_ceil(BLOCK);
    let bh = h.div_ceil(BLOCK);
    if bw < 5 || bh < 5 {
        return otsu(img);
    }
    // Per-block black point.
    let mut black = vec![0u32; bw * bh];
    for by in 0..bh {
        let y0 = (by * BLOCK).min(h - BLOCK.min(h));
        for bx in 0..bw {
            let x0 = (bx * BLOCK).min(w - BLOCK.min(w));
            let (mut sum, mut min, mut max) = (0u32, 255u32, 0u32);
            for y in y0..(y0 + BLOCK).min(h) {
                for &p in &img.pixels[y * w + x0..y * w + (x0 + BLOCK).min(w)] {
                    let p = u32::from(p);
                    sum += p;
                    min = min.min(p);
                    max = max.max(p);
                }
            }
            let count = (BLOCK.min(h - y0) * BLOCK.min(w - x0)) as u32;
            let mut average = sum / count.max(1);
            if max - min <= MIN_DYNAMIC_RANGE {
                // A flat block: assume it is background (white) unless its neighbours say
                // otherwise, so the inside of a large module is not split by noise.
                average = min / 2;
                if by > 0 && bx > 0 {
                    let neighbours = (black[(by - 1) * bw + bx]
                        + 2 * black[by * bw + bx - 1]
                        + black[(by - 1) * bw + bx - 1])
                        / 4;
                    if min < neighbours {
                        average = neighbours;
                    }
                }
            }
            black[by * bw + bx] = average;
        }
    }
    let mut out = vec![false; w * h];
    for by in 0..bh {
        let y0 = (by * BLOCK).min(h - BLOCK.min(h));
        let cy = by.clamp(2, bh - 3);
        for bx in 0..bw {
            let x0 = (bx * BLOCK).min(w - BLOCK.min(w));
            let cx = bx.clamp(2, bw - 3);
            let mut sum = 0u32;
            for ny in cy - 2..=cy + 2 {
                for nx in cx - 2..=cx + 2 {
                    sum += black[ny * bw + nx];
                }
            }
            let threshold = sum / 25;
            for y in y0..(y0 + BLOCK).min(h) {
                for x in x0..(x0 + BLOCK).min(w) {
                    out[y * w + x] = u32::from(img.pixels[y * w + x]) <= threshold;
                }
            }
        }
    }
    out
}

/// Threshold against the mean of a square window of side `2 * radius + 1` (integral image),
/// lowered by `bias` so flat areas stay white.
pub fn local_mean(img: &Gray, radius: usize, bias: i32) -> Vec<bool> {
    let (w, h) = (img.width, img.height);
    let stride = w + 1;
    let mut integral = vec![0u32; stride * (h + 1)];
    for y in 0..h {
        let mut row = 0u32;
        let (above, here) = integral[y * stride..(y + 2) * stride].split_at_mut(stride);
        for x in 0..w {
            row += u32::from(img.pixels[y * w + x]);
            here[x + 1] = above[x + 1] + row;
        }
    }
    let bias = bias.max(0) as u32;
    let mut out = vec![false; w * h];
    for y in 0..h {
        let y0 = y.saturating_sub(radius);
        let y1 = (y + radius + 1).min(h);
        let top = &integral[y0 * stride..][..stride];
        let bottom = &integral[y1 * stride..][..stride];
        let rows = (y1 - y0) as u32;
        let pixels = &img.pixels[y * w..][..w];
        let line = &mut out[y * w..][..w];
        // pixel < mean - bias, without a division.
        let edge = |x: usize| {
            let x0 = x.saturating_sub(radius);
            let x1 = (x + radius + 1).min(w);
            let sum = bottom[x1] + top[x0] - top[x1] - bottom[x0];
            (u32::from(pixels[x]) + bias) * (rows * (x1 - x0) as u32) < sum
        };
        let inner0 = radius.min(w);
        let inner1 = w.saturating_sub(radius).max(inner0);
        for x in (0..inner0).chain(inner1..w) {
            line[x] = edge(x);
        }
        // Inside, the window is whole: one area, no clamping.
        let area = rows * (2 * radius + 1) as u32;
        for x in inner0..inner1 {
            let (x0, x1) = (x - radius, x + radius + 1);
            let sum = bottom[x1] + top[x0] - top[x1] - bottom[x0];
            line[x] = (u32::from(pixels[x]) + bias) * area < sum;
        }
    }
    out
}

/// One global threshold chosen by Otsu's method.
pub fn otsu(img: &Gray) -> Vec<bool> {
    let mut histogram = [0u64; 256];
    for &p in &img.pixels {
        histogram[p as usize] += 1;
    }
    let total = img.pixels.len() as f64;
    let sum_all: f64 = histogram
        .iter()
        .enumerate()
        .map(|(i, &c)| i as f64 * c as f64)
        .sum();
    let (mut weight_b, mut sum_b, mut best, mut threshold) = (0.0, 0.0, 0.0, 127u8);
    for (i, &count) in histogram.iter().enumerate() {
        weight_b += count as f64;
        if weight_b == 0.0 {
            continue;
        }
        let weight_f = total - weight_b;
        if weight_f == 0.0 {
            break;
        }
        sum_b += i as f64 * count as f64;
        let mean_b = sum_b / weight_b;
        let mean_f = (sum_all - sum_b) / weight_f;
        let between = weight_b * weight_f * (mean_b - mean_f).powi(2);
        if between > best {
            best = between;
            threshold = i as u8;
        }
    }
    img.pixels.iter().map(|&p| p <= threshold).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gradient_with_square() -> Gray {
        // A dark square on a background that brightens left to right: one global threshold
        // cannot separate both ends, a local one can.
        let (w, h) = (64, 64);
        let mut px = Vec::with_capacity(w * h);
        for y in 0..h {
            for x in 0..w {
                let background = 60 + (x * 3) as u8;
                let inside = (24..40).contains(&x) && (24..40).contains(&y);
                px.push(if inside { background / 3 } else { background });
            }
        }
        Gray::new(w, h, px)
    }

    #[test]
    fn hybrid_finds_a_dark_square_on_a_gradient() {
        let img = gradient_with_square();
        let bits = hybrid(&img);
        assert!(bits[32 * 64 + 32], "centre of the square is black");
        assert!(!bits[5 * 64 + 60], "bright background is white");
        assert!(!bits[60 * 64 + 5], "dark end of the background is white");
    }

    #[test]
    fn local_mean_and_otsu_agree_on_a_clean_square() {
        let mut px = vec![230u8; 32 * 32];
        for y in 8..24 {
            for x in 8..24 {
                px[y * 32 + x] = 20;
            }
        }
        let img = Gray::new(32, 32, px);
        for bits in [local_mean(&img, 12, 10), otsu(&img)] {
            assert!(bits[16 * 32 + 16]);
            assert!(!bits[2 * 32 + 2]);
        }
    }

    #[test]
    fn local_mean_matches_a_plain_window_mean_everywhere() {
        let (w, h) = (37, 23);
        let px: Vec<u8> = (0..w * h).map(|i| ((i * 7919) % 251) as u8).collect();
        let img = Gray::new(w, h, px);
        for radius in [1, 4, 11, 30] {
            let fast = local_mean(&img, radius, 8);
            for y in 0..h {
                for x in 0..w {
                    let (x0, x1) = (x.saturating_sub(radius), (x + radius + 1).min(w));
                    let (y0, y1) = (y.saturating_sub(radius), (y + radius + 1).min(h));
                    let mut sum = 0u32;
                    for yy in y0..y1 {
                        for xx in x0..x1 {
                            sum += u32::from(img.at(xx, yy));
                        }
                    }
                    let area = ((x1 - x0) * (y1 - y0)) as u32;
                    let expected = (u32::from(img.at(x, y)) + 8) * area < sum;
                    assert_eq!(fast[y * w + x], expected, "radius {radius} at {x},{y}");
                }
            }
        }
    }

    #[test]
    fn resampling_keeps_proportions() {
        let img = gradient_with_square();
        let half = img.downscale(2);
        assert_eq!((half.width, half.height), (32, 32));
        // The two-row fast path averages like the general one.
        let odd = Gray::new(5, 3, (0..15).map(|v| v * 10).collect());
        let halved = odd.downscale(2);
        assert_eq!((halved.width, halved.height), (2, 1));
        assert_eq!(
            halved.pixels,
            vec![(10 + 50 + 60) / 4, (20 + 30 + 70 + 80) / 4]
        );
        assert_eq!(half.upscale2().width, 64);
        assert_eq!(img.inverted().at(0, 0), 255 - img.at(0, 0));
        assert_eq!(img.sharpened().width, 64);
    }
}
