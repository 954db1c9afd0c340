//! The grid reader's unit tests: version words, one finder measured, a rendered code read,
//! and arbitrary pixels and seeds that must not panic.

use super::version::version_word;
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
