//! The live scanner's unit tests: the slot, the dedup window, and `LiveReader`'s budget and
//! memory of frames.

use super::*;
use crate::edges::scanner::reader;

#[test]
fn the_slot_keeps_only_the_latest_item() {
    let slot = LatestSlot::default();
    assert!(!slot.put(1));
    assert!(slot.put(2));
    assert!(slot.put(3));
    assert_eq!(slot.take(), Some(3));
    slot.close();
    assert_eq!(slot.take(), None);
}

#[test]
fn a_code_held_in_view_is_reported_once() {
    let mut dedup = Dedup::new(Duration::from_secs(3));
    let t0 = Instant::now();
    assert!(dedup.is_new(b"EC1:A", t0));
    assert!(!dedup.is_new(b"EC1:A", t0 + Duration::from_secs(2)));
    // Still in view 4 s later: each sighting restarts the window.
    assert!(!dedup.is_new(b"EC1:A", t0 + Duration::from_secs(4)));
    assert!(dedup.is_new(b"EC1:B", t0 + Duration::from_secs(4)));
    // Gone for longer than the window, then shown again: a new read.
    assert!(dedup.is_new(b"EC1:A", t0 + Duration::from_secs(8)));
}

fn frame(name: &str) -> Gray {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/frames")
        .join(name);
    super::super::load_gray(&path).unwrap()
}

/// A light frame with one finder pattern (8-pixel modules) at (96, 96): something that
/// looks like part of a code, but no code.
fn one_finder() -> Gray {
    let mut img = Gray::new(1280, 720, vec![200; 1280 * 720]);
    for y in 0..56 {
        for x in 0..56 {
            let ring = (x / 8).min(y / 8).min(6 - x / 8).min(6 - y / 8);
            if ring != 1 {
                img.pixels[(96 + y) * 1280 + 96 + x] = 30;
            }
        }
    }
    img
}

#[test]
fn a_frame_seen_before_is_answered_from_memory_once_every_rung_has_had_it() {
    let frame = one_finder();
    let rungs = reader::ladder(&frame).len();
    let mut r = LiveReader::default();
    // One rotating rung per frame: every rung needs (rungs - 1) frames.
    for _ in 0..rungs - 1 {
        assert!(r.read(&frame).is_empty());
    }
    assert_eq!(r.remembered, 0, "decoded until every rung had been tried");
    assert_eq!(r.idle_frames, 0, "the finder pattern was seen");
    for _ in 0..5 {
        assert!(r.read(&frame).is_empty());
    }
    assert_eq!(r.remembered, 5);
    // One pixel different is a different frame: decoded again.
    let mut changed = frame.clone();
    changed.pixels[640 * 360] = 10;
    assert!(r.read(&changed).is_empty());
    assert_eq!(r.remembered, 5);
}

#[test]
fn a_frame_without_any_finder_pattern_gets_one_cheap_rung_and_is_settled() {
    let blank = Gray::new(1280, 720, vec![200; 1280 * 720]);
    let mut r = LiveReader::default();
    assert!(r.read(&blank).is_empty());
    assert_eq!(r.idle_frames, 1);
    for _ in 0..3 {
        assert!(r.read(&blank).is_empty());
    }
    assert_eq!(
        r.remembered, 3,
        "the same empty frame again is answered from memory"
    );
    let mut noisy = blank.clone();
    noisy.pixels[1000] = 0;
    assert!(r.read(&noisy).is_empty());
    assert_eq!(r.idle_frames, 2, "a new empty frame: one rung again");
}

#[test]
fn a_code_in_a_repeated_frame_is_read_every_time_without_decoding_again() {
    let img = frame("easy-000.jpg");
    let expected = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/frames/easy-000.txt"),
    )
    .unwrap();
    let mut r = LiveReader::default();
    let first = r.read(&img);
    assert_eq!(first.len(), 1, "the fixture frame reads on the first try");
    assert_eq!(first[0].text, expected.trim_end());
    for _ in 0..3 {
        assert_eq!(r.read(&img), first);
    }
    assert_eq!(r.remembered, 3);
    // Other frames in between (a simulated camera cycles) do not push it out.
    let blank = Gray::new(img.width, img.height, vec![128; img.width * img.height]);
    r.read(&blank);
    assert_eq!(r.read(&img), first);
    assert_eq!(r.remembered, 4);
    // Without memory every frame is decoded, to the same text (the outline may move by
    // a fraction of a pixel: later reads look in the region where the code was).
    let mut plain = LiveReader::with_memory(0);
    for _ in 0..3 {
        let again = plain.read(&img);
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].text, first[0].text);
    }
    assert_eq!(plain.remembered, 0);
}
