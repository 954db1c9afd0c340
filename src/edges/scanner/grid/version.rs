//! The version blocks of version 7 and up, read through the fit or beside the finders.

use super::finder::Finder;
use super::fit::{OFFSETS, Triple, label_corners, sub};
use super::grey::{Grey, Pt};
use super::sample::two_levels;
use crate::edges::scanner::geometry::Homography;

/// The 18-bit version information word of `version` (7 to 40): BCH(18, 6).
pub(super) fn version_word(version: u32) -> u32 {
    let mut rem = version << 12;
    for i in (0..6).rev() {
        if rem & (1 << (i + 12)) != 0 {
            rem ^= 0x1f25 << i;
        }
    }
    (version << 12) | rem
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
pub(super) fn read_version(g: &Grey, h: &Homography, d: usize) -> Option<usize> {
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
pub(super) fn read_version_beside_finders(g: &Grey, t: &Triple) -> Option<usize> {
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
