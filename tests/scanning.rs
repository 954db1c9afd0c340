//! The path from frames to codes: real images through the real reader, the synthetic camera
//! through the scanner threads, and every kind of bad frame.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use lanedesk::domain::credential::{self, CardRef, Claims, Kid};
use lanedesk::edges::camera::files::ImageFiles;
use lanedesk::edges::camera::synthetic::{Scene, SyntheticCamera, render};
use lanedesk::edges::camera::{FrameSource, SourceError};
use lanedesk::edges::scanner::live::{ScanEvent, Scanner, ScannerConfig};
use lanedesk::edges::scanner::{load_gray, reader};

fn frames() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/frames")
}

fn code(seed: u8) -> String {
    let key = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]);
    credential::mint(
        &Claims::fresh("CN-NIA", CardRef([seed; 16]), 1_800_000_000),
        Kid([seed; 8]),
        &key,
    )
}

#[test]
fn sample_camera_frames_decode_to_their_text() {
    for name in ["easy-000", "medium-000", "hard-000"] {
        let img = load_gray(&frames().join(format!("{name}.jpg"))).unwrap();
        let expected = std::fs::read_to_string(frames().join(format!("{name}.txt"))).unwrap();
        let read = reader::read_still(&img);
        assert!(
            read.found.iter().any(|f| f.text == expected),
            "{name}: {:?}",
            read.found
        );
        let corners = read.found[0].corners;
        assert!(
            corners
                .iter()
                .all(|&(x, y)| (0.0..1280.0).contains(&x) && (0.0..720.0).contains(&y)),
            "{corners:?}"
        );
    }
}

#[test]
fn an_image_that_makes_rqrr_panic_is_contained() {
    use reader::{Attempt, Binarizer, Scale, Transform};
    let img = load_gray(&frames().join("rqrr-panic.png")).unwrap();
    // rqrr's own detector panics on it: the fence turns that into a failed attempt.
    let panics: Vec<String> = [Binarizer::Rqrr, Binarizer::Hybrid, Binarizer::Otsu]
        .into_iter()
        .filter_map(|b| {
            reader::attempt(&img, Attempt::new(Scale::Same, Transform::None, b)).panicked
        })
        .collect();
    assert!(
        !panics.is_empty(),
        "rqrr 0.11 panics on this image; the reader must have contained it"
    );
    assert!(panics[0].contains("assertion failed"), "{panics:?}");
    // The grid reader, which only hands rqrr a module grid, reads it.
    let expected = std::fs::read_to_string(frames().join("rqrr-panic.txt")).unwrap();
    let read = reader::read_still(&img);
    assert_eq!(
        read.found.first().map(|f| f.text.as_str()),
        Some(expected.trim_end())
    );
}

#[test]
fn broken_files_are_named_errors() {
    let err = load_gray(&frames().join("truncated.png"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("truncated.png is not a PNG or JPEG image"),
        "{err}"
    );
    let err = load_gray(&frames().join("nothing-here.png"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("cannot read"), "{err}");
}

#[test]
fn a_synthetic_phone_is_read_by_the_scanner_once_per_code() {
    // The demo's camera: 1280x720, where a held-up phone's code has modules of 4-5 pixels.
    let camera = SyntheticCamera::new(Scene::default(), 30);
    let phone = camera.phone();
    let (tx, rx) = mpsc::channel();
    let scanner = Scanner::start(
        move || Ok(Box::new(camera) as Box<dyn FrameSource>),
        ScannerConfig::default(),
        move |e| {
            let _ = tx.send(e);
        },
    );
    let first = code(1);
    phone.show(&first);
    let mut reads = Vec::new();
    let mut frames_with_outline = 0;
    let mut frames_seen = 0;
    // Bounded wait for liveness only; nothing here measures speed.
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline && frames_with_outline < 5 {
        match rx.recv_timeout(Duration::from_secs(5)) {
            Ok(ScanEvent::CodeRead(found)) => reads.push(found.text),
            Ok(ScanEvent::Frame(report)) => {
                frames_seen += 1;
                assert_eq!((report.width, report.height), (1280, 720));
                assert_eq!(report.preview.width, 160);
                frames_with_outline += usize::from(report.outline.is_some());
            }
            Ok(ScanEvent::SourceFailed(e)) => panic!("{e}"),
            _ => {}
        }
    }
    assert_eq!(
        reads,
        vec![first.clone()],
        "one read while the code stays in view ({frames_seen} frames)"
    );

    let second = code(2);
    phone.show(&second);
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline && reads.len() < 2 {
        if let Ok(ScanEvent::CodeRead(found)) = rx.recv_timeout(Duration::from_secs(5)) {
            reads.push(found.text);
        }
    }
    assert_eq!(reads, vec![first, second]);
    scanner.stop();
}

/// A scanner reading the image folder (or file) at `path`, once through, its events sent
/// to the receiver returned.
fn scan_images(path: &Path) -> (Scanner, mpsc::Receiver<ScanEvent>) {
    let path = path.to_owned();
    let (tx, rx) = mpsc::channel();
    let scanner = Scanner::start(
        move || {
            Ok(
                Box::new(ImageFiles::open(&path, false, Duration::from_millis(50))?)
                    as Box<dyn FrameSource>,
            )
        },
        ScannerConfig::default(),
        move |e| {
            let _ = tx.send(e);
        },
    );
    (scanner, rx)
}

/// The next event from the scanner; a minute is a bound for liveness, not a measure.
fn next_event(rx: &mpsc::Receiver<ScanEvent>) -> ScanEvent {
    rx.recv_timeout(Duration::from_secs(60))
        .expect("the scanner reports")
}

#[test]
fn an_image_folder_skips_a_broken_file_and_waits_for_more() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(frames().join("easy-000.jpg"), dir.path().join("1.jpg")).unwrap();
    std::fs::copy(frames().join("truncated.png"), dir.path().join("2.png")).unwrap();
    std::fs::copy(frames().join("medium-000.jpg"), dir.path().join("3.jpg")).unwrap();
    let (_scanner, rx) = scan_images(dir.path());
    let mut reads = 0;
    let mut failures = Vec::new();
    loop {
        match next_event(&rx) {
            ScanEvent::CodeRead(_) => reads += 1,
            ScanEvent::SourceFailed(SourceError::WaitingForImages { .. }) => break,
            ScanEvent::SourceFailed(e) => failures.push(e.to_string()),
            ScanEvent::SourceEnded => panic!("a folder is watched, it never ends"),
            _ => {}
        }
    }
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(
        failures[0].contains("2.png is not a PNG or JPEG image"),
        "{failures:?}"
    );
    // The decoder may still be on the last frame when the folder runs out; wait for it.
    while reads < 2 {
        if let ScanEvent::CodeRead(_) = next_event(&rx) {
            reads += 1;
        }
    }
}

#[test]
fn a_folder_not_made_yet_waits_then_reads_the_images_put_in_it() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("images");
    let (_scanner, rx) = scan_images(&folder);
    let waiting = loop {
        match next_event(&rx) {
            ScanEvent::SourceFailed(e @ SourceError::WaitingForImages { .. }) => break e,
            ScanEvent::SourceFailed(e) => panic!("{e}"),
            _ => {}
        }
    };
    assert_eq!(
        waiting.to_string(),
        format!("waiting for images in {}", folder.display())
    );
    // Made whole beside it and moved in, as a camera app would put a picture there.
    std::fs::create_dir(&folder).unwrap();
    let partial = dir.path().join("1.jpg.part");
    std::fs::copy(frames().join("easy-000.jpg"), &partial).unwrap();
    std::fs::rename(&partial, folder.join("1.jpg")).unwrap();
    let expected = std::fs::read_to_string(frames().join("easy-000.txt")).unwrap();
    loop {
        match next_event(&rx) {
            ScanEvent::CodeRead(found) => break assert_eq!(found.text, expected),
            ScanEvent::SourceFailed(SourceError::WaitingForImages { .. }) => {}
            ScanEvent::SourceFailed(e) => panic!("{e}"),
            _ => {}
        }
    }
}

#[test]
fn an_empty_folder_waits_and_a_missing_file_is_reported() {
    let empty = tempfile::tempdir().unwrap();
    let mut files = ImageFiles::open(empty.path(), true, Duration::ZERO).unwrap();
    let err = files.next_frame().err().unwrap();
    assert_eq!(
        err,
        SourceError::WaitingForImages {
            path: empty.path().display().to_string()
        }
    );
    assert!(err.is_transient());

    let (_scanner, rx) = scan_images(Path::new("/no/such/folder/frame.png"));
    match next_event(&rx) {
        ScanEvent::SourceFailed(SourceError::Unreadable(msg)) => {
            assert!(msg.contains("does not exist"), "{msg}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_reader_reads_what_the_synthetic_camera_films_under_glare_and_tilt() {
    let text = code(3);
    let scene = Scene {
        glare: 0.5,
        tilt: 0.15,
        rotation_deg: 12.0,
        noise: 10.0,
        ..Scene::default()
    };
    let frame = render(&scene, Some(&text), true, 9);
    let read = reader::read_still(&frame);
    assert_eq!(
        read.found.first().map(|f| f.text.as_str()),
        Some(text.as_str())
    );
    let empty = render(&scene, None, false, 9);
    assert!(reader::read_still(&empty).found.is_empty());
}

#[test]
fn decode_prints_json_lines_and_exits_1_when_a_file_is_unreadable() {
    let out = Command::new(env!("CARGO_BIN_EXE_lanedesk"))
        .arg("decode")
        .arg(frames().join("easy-000.jpg"))
        .arg(frames().join("truncated.png"))
        .arg(frames().join("rqrr-panic.png"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    let expected = std::fs::read_to_string(frames().join("easy-000.txt")).unwrap();
    assert_eq!(lines[0]["codes"][0], expected.as_str());
    assert!(lines[0]["ms"].as_f64().unwrap() > 0.0);
    assert!(
        lines[1]["error"]
            .as_str()
            .unwrap()
            .contains("not a PNG or JPEG")
    );
    // rqrr's detector panics on this one (contained); the grid reader reads it.
    let panicky = std::fs::read_to_string(frames().join("rqrr-panic.txt")).unwrap();
    assert_eq!(lines[2]["codes"], serde_json::json!([panicky.trim_end()]));
    // A contained rqrr panic prints nothing on stderr.
    assert!(!String::from_utf8(out.stderr).unwrap().contains("panicked"));

    let ok = Command::new(env!("CARGO_BIN_EXE_lanedesk"))
        .arg("decode")
        .arg(frames().join("hard-000.jpg"))
        .output()
        .unwrap();
    assert_eq!(ok.status.code(), Some(0));
}

#[cfg(feature = "camera")]
mod webcam_frames {
    use super::*;
    use lanedesk::edges::camera::webcam::{RawFormat, gray_from_raw};

    #[test]
    fn an_mjpeg_frame_converts_through_nokhwa_and_still_reads() {
        let bytes = std::fs::read(frames().join("easy-000.jpg")).unwrap();
        let gray = gray_from_raw(1280, 720, &bytes, RawFormat::Mjpeg).unwrap();
        assert_eq!((gray.width, gray.height), (1280, 720));
        let expected = std::fs::read_to_string(frames().join("easy-000.txt")).unwrap();
        assert!(
            reader::read_still(&gray)
                .found
                .iter()
                .any(|f| f.text == expected)
        );
    }

    #[test]
    fn a_corrupt_mjpeg_frame_is_skipped_with_a_message_not_a_crash() {
        let bytes = std::fs::read(frames().join("corrupt.mjpeg")).unwrap();
        let err = gray_from_raw(1280, 720, &bytes, RawFormat::Mjpeg).unwrap_err();
        assert!(matches!(err, SourceError::CorruptFrame { .. }), "{err:?}");
        assert!(err.to_string().contains("skipped"), "{err}");
        let err = gray_from_raw(1280, 720, b"not a jpeg", RawFormat::Mjpeg).unwrap_err();
        assert!(err.to_string().contains("JPEG header"), "{err}");
    }

    #[test]
    fn a_yuyv_frame_of_a_real_image_reads_after_conversion() {
        let img = load_gray(&frames().join("medium-000.jpg")).unwrap();
        // Luma into Y, neutral chroma: what a YUYV webcam would send for this scene.
        let mut yuyv = Vec::with_capacity(img.pixels.len() * 2);
        for &y in &img.pixels {
            yuyv.extend_from_slice(&[y, 128]);
        }
        let gray =
            gray_from_raw(img.width as u32, img.height as u32, &yuyv, RawFormat::Yuyv).unwrap();
        let expected = std::fs::read_to_string(frames().join("medium-000.txt")).unwrap();
        assert!(
            reader::read_still(&gray)
                .found
                .iter()
                .any(|f| f.text == expected)
        );
    }
}

/// A source that plays a script: frames, a camera unplugged for a while, frames again.
struct Scripted {
    steps: std::collections::VecDeque<Result<Option<lanedesk::edges::camera::Gray>, SourceError>>,
}

impl FrameSource for Scripted {
    fn next_frame(&mut self) -> Result<Option<lanedesk::edges::camera::Gray>, SourceError> {
        self.steps.pop_front().unwrap_or(Ok(None))
    }

    fn describe(&self) -> String {
        "scripted".into()
    }

    fn pacing(&self) -> Option<Duration> {
        Some(Duration::from_millis(20))
    }
}

#[test]
fn a_camera_that_disappears_is_reported_once_and_reading_resumes_when_it_returns() {
    let frame = load_gray(&frames().join("easy-000.jpg")).unwrap();
    let gone = || {
        Err(SourceError::Disconnected {
            why: "No such device (os error 19)".into(),
        })
    };
    let mut steps = std::collections::VecDeque::new();
    steps.push_back(Ok(Some(frame.clone())));
    for _ in 0..5 {
        steps.push_back(gone());
    }
    steps.push_back(Err(SourceError::CorruptFrame {
        why: "the decoder failed".into(),
    }));
    steps.push_back(Ok(Some(
        load_gray(&frames().join("medium-000.jpg")).unwrap(),
    )));
    let (tx, rx) = mpsc::channel();
    let _scanner = Scanner::start(
        move || Ok(Box::new(Scripted { steps }) as Box<dyn FrameSource>),
        ScannerConfig::default(),
        move |e| {
            let _ = tx.send(e);
        },
    );
    let mut failures = Vec::new();
    let mut reads = 0;
    while let Ok(event) = rx.recv_timeout(Duration::from_secs(30)) {
        match event {
            ScanEvent::SourceFailed(e) => failures.push(e.to_string()),
            ScanEvent::CodeRead(_) => reads += 1,
            _ => {}
        }
    }
    assert_eq!(
        failures.len(),
        2,
        "one message per failure, not per frame: {failures:?}"
    );
    assert!(failures[0].contains("Reconnecting"), "{failures:?}");
    assert!(
        failures[1].contains("corrupt and was skipped"),
        "{failures:?}"
    );
    assert_eq!(reads, 2, "frames before and after the outage are read");
}

#[test]
fn raw_bytes_come_back_exactly_and_text_falls_back_sensibly() {
    // Not UTF-8: a payload only a byte-exact reader returns intact.
    let payload: Vec<u8> = vec![0x00, 0xff, 0xfe, 0x80, 0x1b, b'[', b'2', b'J', 0xc3, 0x28];
    let code = qrcode::QrCode::with_error_correction_level(&payload, qrcode::EcLevel::M).unwrap();
    let image = code
        .render::<image::Luma<u8>>()
        .module_dimensions(6, 6)
        .build();
    let gray = lanedesk::edges::camera::Gray::new(
        image.width() as usize,
        image.height() as usize,
        image.into_raw(),
    );
    let read = reader::read_still(&gray);
    assert_eq!(read.found.len(), 1);
    assert_eq!(read.found[0].bytes, payload);
    // The text view is for people: Latin-1 here, and the escape byte is still in it, which is
    // why every view sanitizes before display.
    assert!(read.found[0].text.contains('\u{1b}'));
    assert!(!lanedesk::domain::text::sanitize(&read.found[0].text).contains('\u{1b}'));

    assert_eq!(reader::bytes_to_text("漢字".as_bytes()), "漢字");
    assert_eq!(reader::bytes_to_text(&[0x8a, 0xbf, 0x8e, 0x9a]), "漢字"); // Shift_JIS
    assert_eq!(reader::bytes_to_text(&[0x63, 0x61, 0x66, 0xe9]), "café"); // ISO-8859-1
}

/// `img` drawn into a `w`×`h` frame of `background` grey, its corners at `to` (top-left,
/// top-right, bottom-right, bottom-left; bilinear).
fn placed(
    img: &lanedesk::edges::camera::Gray,
    to: [(f32, f32); 4],
    w: usize,
    h: usize,
    background: u8,
) -> lanedesk::edges::camera::Gray {
    use lanedesk::edges::scanner::geometry::Homography;
    let (iw, ih) = (img.width as f32, img.height as f32);
    let back = Homography::quad_to_quad(to, [(0.0, 0.0), (iw, 0.0), (iw, ih), (0.0, ih)]);
    let mut px = vec![background; w * h];
    for y in 0..h {
        for x in 0..w {
            let (u, v) = back.map(x as f32 + 0.5, y as f32 + 0.5);
            if (0.0..iw).contains(&u) && (0.0..ih).contains(&v) {
                px[y * w + x] = img.at(u as usize, v as usize);
            }
        }
    }
    lanedesk::edges::camera::Gray::new(w, h, px)
}

fn rendered(payload: &str, module: u32) -> lanedesk::edges::camera::Gray {
    let code = qrcode::QrCode::with_error_correction_level(payload.as_bytes(), qrcode::EcLevel::M)
        .unwrap();
    let image = code
        .render::<image::Luma<u8>>()
        .module_dimensions(module, module)
        .build();
    lanedesk::edges::camera::Gray::new(
        image.width() as usize,
        image.height() as usize,
        image.into_raw(),
    )
}

fn read_text(img: &lanedesk::edges::camera::Gray) -> Vec<String> {
    reader::read_still(img)
        .found
        .into_iter()
        .map(|f| f.text)
        .collect()
}

#[test]
fn a_small_code_turned_45_degrees_on_a_dark_background_reads_with_its_outline() {
    // Like a photo of a small card on a dark desk: 3-pixel modules, turned 45°.
    let text = code(4);
    let img = rendered(&text, 3);
    let (cx, cy, r) = (250.0f32, 240.0f32, img.width as f32 / 2.0);
    let corner = |k: f32| {
        let a = std::f32::consts::FRAC_PI_4 + k * std::f32::consts::FRAC_PI_2
            - 3.0 * std::f32::consts::FRAC_PI_4;
        (
            cx + r * std::f32::consts::SQRT_2 * a.cos(),
            cy + r * std::f32::consts::SQRT_2 * a.sin(),
        )
    };
    let quad = [corner(0.0), corner(1.0), corner(2.0), corner(3.0)];
    let frame = placed(&img, quad, 500, 480, 25);
    let read = reader::read_still(&frame);
    assert_eq!(
        read.found.first().map(|f| f.text.as_str()),
        Some(text.as_str())
    );
    // The outline is the code's own corners (inside the quiet zone), in frame pixels.
    let modules = (img.width / 3) as f32;
    let inset = 4.0 / modules; // the rendered image has a 4-module quiet zone
    let lerp =
        |a: (f32, f32), b: (f32, f32), t: f32| (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t);
    let centre = (cx, cy);
    for found in read.found[0].corners {
        let nearest = quad
            .iter()
            .map(|&q| lerp(q, centre, inset * std::f32::consts::SQRT_2))
            .map(|q| ((q.0 - found.0).powi(2) + (q.1 - found.1).powi(2)).sqrt())
            .fold(f32::MAX, f32::min);
        assert!(
            nearest < 8.0,
            "corner {found:?} is {nearest} px from the code's"
        );
    }
}

#[test]
fn a_mirrored_code_and_a_light_on_dark_code_read() {
    let text = code(5);
    let frame = render(&Scene::default(), Some(&text), true, 21);
    let mut mirrored = frame.clone();
    for row in mirrored.pixels.chunks_mut(frame.width) {
        row.reverse();
    }
    assert_eq!(read_text(&mirrored), vec![text.clone()], "mirrored");
    // A phone in dark mode: light modules on a dark screen.
    let inverted = frame.inverted();
    assert_eq!(read_text(&inverted), vec![text], "light on dark");
}

#[test]
fn a_version_10_code_under_perspective_reads_through_its_alignment_patterns() {
    // 170 characters of byte mode at ECC M: version 10, six alignment patterns.
    let text: String = std::iter::repeat("lanedesk-scanner-")
        .flat_map(|s| s.chars())
        .take(170)
        .collect();
    let scene = Scene {
        tilt: 0.2,
        rotation_deg: 27.0,
        blur: 1,
        ..Scene::default()
    };
    let frame = render(&scene, Some(&text), true, 5);
    let read = reader::read_still(&frame);
    assert_eq!(
        read.found.first().map(|f| f.text.as_str()),
        Some(text.as_str())
    );
    assert!(read.found[0].version >= 7, "{}", read.found[0].version);
}

#[test]
fn a_code_cropped_to_its_edge_without_a_quiet_zone_reads() {
    let text = code(6);
    let img = rendered(&text, 4);
    // Cut the 4-module quiet zone away on every side.
    let q = 16;
    let (w, h) = (img.width - 2 * q, img.height - 2 * q);
    let mut px = Vec::with_capacity(w * h);
    for y in q..q + h {
        px.extend_from_slice(&img.pixels[y * img.width + q..][..w]);
    }
    let cropped = lanedesk::edges::camera::Gray::new(w, h, px);
    assert_eq!(read_text(&cropped), vec![text]);
}

#[test]
fn the_live_reader_reads_a_tilted_dim_phone_under_glare_within_a_few_frames_of_the_synthetic_camera()
 {
    use lanedesk::edges::scanner::live::LiveReader;
    let text = code(7);
    let scene = Scene {
        blur: 1,
        tilt: 0.18,
        rotation_deg: -24.0,
        noise: 12.0,
        glare: 0.5,
        exposure: 0.8,
        ..Scene::default()
    };
    let mut reader = LiveReader::default();
    let read_at = (1..=6u64).find(|&seed| {
        let frame = render(&scene, Some(&text), true, seed);
        reader.read(&frame).iter().any(|f| f.text == text)
    });
    assert!(read_at.is_some(), "not read in six frames");
}
