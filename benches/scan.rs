//! QR reading on the shared corpora, side by side with plain rqrr and zbar, in one run.
//!
//! cargo bench --bench scan
//!
//! Reads every image of `../shared/camera-frames/{easy,medium,hard}` and
//! `../shared/qr-corpus/qrcode-*` (LANEDESK_SHARED overrides `../shared`), compares the
//! decoded text byte for byte with the `.txt` beside it, and prints the share read per set and
//! the median decode time (one core: this bench is single-threaded). zbar runs as `zbarimg`
//! when it is installed (Debian package zbar-tools); its share is counted the same way.
//! LANEDESK_SCAN_DETAIL=1 lists every miss and which ladder step read each hit.
//! LANEDESK_SCAN_ONLY=frames|live|corpus runs one part; `live` times the live reader with
//! its frame memory and without, on distinct camera frames and on one repeated frame.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use lanedesk::edges::scanner::binarize::Gray;
use lanedesk::edges::scanner::load_gray;
use lanedesk::edges::scanner::reader::{self, Attempt, Binarizer, Scale, Transform};

struct Sample {
    set: String,
    image: PathBuf,
    expected: Vec<u8>,
}

fn samples(root: &Path, sets: &[&str]) -> Vec<Sample> {
    let mut out = Vec::new();
    for set in sets {
        let dir = root.join(set);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            eprintln!("missing {}", dir.display());
            continue;
        };
        let mut files: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
        files.sort();
        for image in files {
            let ext = image.extension().and_then(|e| e.to_str()).unwrap_or("");
            if !matches!(ext, "png" | "jpg" | "jpeg") {
                continue;
            }
            let Ok(expected) = std::fs::read(image.with_extension("txt")) else {
                continue;
            };
            out.push(Sample {
                set: set.to_string(),
                image,
                expected,
            });
        }
    }
    out
}

fn zbar(path: &Path) -> Option<Vec<u8>> {
    let out = Command::new("zbarimg")
        .args(["-q", "--raw", "-Sdisable", "-Sqrcode.enable", "-Sbinary"])
        .arg(path)
        .output()
        .ok()?;
    // --raw prints each symbol's data followed by a newline; with one code the whole output
    // minus the final newline is the payload.
    let mut data = out.stdout;
    if data.last() == Some(&b'\n') {
        data.pop();
    }
    Some(data)
}

#[derive(Default)]
struct Tally {
    total: usize,
    ours: usize,
    plain: usize,
    zbar: usize,
    times: Vec<Duration>,
}

fn median(times: &mut [Duration]) -> f64 {
    if times.is_empty() {
        return 0.0;
    }
    times.sort();
    times[times.len() / 2].as_secs_f64() * 1000.0
}

fn pct(n: usize, d: usize) -> String {
    if d == 0 {
        "-".into()
    } else {
        format!("{:.1}%", 100.0 * n as f64 / d as f64)
    }
}

fn run(title: &str, list: Vec<Sample>, has_zbar: bool, detail: bool) {
    let mut by_set: BTreeMap<String, Tally> = BTreeMap::new();
    let mut overall = Tally::default();
    let mut winners: BTreeMap<String, usize> = BTreeMap::new();
    let plain = Attempt::new(Scale::Same, Transform::None, Binarizer::Rqrr);
    for s in list {
        let img: Gray = match load_gray(&s.image) {
            Ok(img) => img,
            Err(e) => {
                eprintln!("{e}");
                continue;
            }
        };
        let t = Instant::now();
        let read = reader::read_still(&img);
        let elapsed = t.elapsed();
        let ours = read
            .found
            .iter()
            .any(|f| f.text.as_bytes() == s.expected || f.bytes == s.expected);
        let plain_ok = reader::attempt(&img, plain)
            .found
            .iter()
            .any(|f| f.text.as_bytes() == s.expected || f.bytes == s.expected);
        let zbar_ok = has_zbar && zbar(&s.image).is_some_and(|data| data == s.expected);
        if let Some(w) = read.winner.filter(|_| ours) {
            *winners
                .entry(format!(
                    "{}{}",
                    if w.in_region { "region " } else { "" },
                    w.attempt
                ))
                .or_default() += 1;
        }
        if detail && !ours {
            println!(
                "  miss {} ({} attempts{})",
                s.image.display(),
                read.attempts,
                if read.found.is_empty() {
                    String::new()
                } else {
                    format!(
                        ", read other text {:?}",
                        read.found[0].text.chars().take(40).collect::<String>()
                    )
                }
            );
        }
        for tally in [by_set.entry(s.set.clone()).or_default(), &mut overall] {
            tally.total += 1;
            tally.ours += usize::from(ours);
            tally.plain += usize::from(plain_ok);
            tally.zbar += usize::from(zbar_ok);
            tally.times.push(elapsed);
        }
    }
    println!("\n{title}");
    println!(
        "{:<16} {:>6} {:>9} {:>11} {:>9} {:>11}",
        "set", "images", "lanedesk", "plain rqrr", "zbar", "median ms"
    );
    for (set, mut t) in by_set.into_iter().chain([("overall".to_string(), overall)]) {
        println!(
            "{:<16} {:>6} {:>9} {:>11} {:>9} {:>11.2}",
            set,
            t.total,
            pct(t.ours, t.total),
            pct(t.plain, t.total),
            if has_zbar {
                pct(t.zbar, t.total)
            } else {
                "n/a".into()
            },
            median(&mut t.times)
        );
    }
    if detail {
        println!("ladder steps that read codes: {winners:?}");
    }
}

/// Runs every ladder attempt on every image: which attempts read what, and at what cost.
fn matrix(title: &str, list: Vec<Sample>) {
    let mut stats: BTreeMap<String, (usize, Duration, usize)> = BTreeMap::new();
    let mut union = 0;
    for s in &list {
        let Ok(img) = load_gray(&s.image) else {
            continue;
        };
        let mut any = false;
        let region = reader::region_of(&img);
        for step in reader::ladder(&img) {
            let t = Instant::now();
            let ok = reader::run_step(&img, step, region)
                .found
                .iter()
                .any(|f| f.text.as_bytes() == s.expected || f.bytes == s.expected);
            let name = format!(
                "{}{}",
                if step.in_region { "region " } else { "" },
                step.attempt
            );
            let e = stats.entry(name).or_default();
            e.0 += usize::from(ok);
            e.1 += t.elapsed();
            e.2 += 1;
            any |= ok;
        }
        union += usize::from(any);
    }
    println!(
        "\n{title}: attempt matrix ({} images, {} read by some attempt)",
        list.len(),
        union
    );
    for (name, (ok, time, n)) in stats {
        println!(
            "{name:<28} {ok:>4} read  {:>8.2} ms mean",
            time.as_secs_f64() * 1000.0 / n as f64
        );
    }
}

/// The live scanner's per-frame cost, with its frame memory and without, side by side:
/// on distinct camera frames (the memory's fingerprint and copy are pure overhead there) and
/// on one frame repeated (a still, the simulated camera).
fn live(samples: Vec<Sample>) {
    use lanedesk::edges::scanner::live::LiveReader;
    let frames: Vec<Gray> = samples
        .iter()
        .filter_map(|s| load_gray(&s.image).ok())
        .filter(|g| g.width == 1280 && g.height == 720)
        .collect();
    if frames.is_empty() {
        eprintln!("live: no 1280x720 camera frames found");
        return;
    }
    let median = |mut v: Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let time = |r: &mut LiveReader, g: &Gray| {
        let t = Instant::now();
        std::hint::black_box(r.read(g));
        t.elapsed()
    };
    let (mut with, mut without) = (LiveReader::default(), LiveReader::with_memory(0));
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for round in 0..3 {
        for g in &frames {
            // Alternate which goes first, so neither always finds the caches warm.
            if round % 2 == 0 {
                a.push(time(&mut with, g));
                b.push(time(&mut without, g));
            } else {
                b.push(time(&mut without, g));
                a.push(time(&mut with, g));
            }
        }
    }
    println!(
        "live reader, {} distinct 1280x720 frames x3: median per frame {:.2} ms with frame memory, {:.2} ms without",
        frames.len(),
        median(a).as_secs_f64() * 1e3,
        median(b).as_secs_f64() * 1e3
    );
    let blank = Gray::new(1280, 720, vec![190; 1280 * 720]);
    let (mut with, mut without) = (LiveReader::default(), LiveReader::with_memory(0));
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for _ in 0..100 {
        a.push(time(&mut with, &blank));
        b.push(time(&mut without, &blank));
    }
    println!(
        "live reader, one empty 1280x720 frame x100: median per frame {:.3} ms with frame memory ({} answered from it), {:.3} ms without",
        median(a).as_secs_f64() * 1e3,
        with.remembered,
        median(b).as_secs_f64() * 1e3
    );
}

fn main() {
    if std::env::var("LANEDESK_SCAN_MATRIX").is_ok() {
        let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
        for tier in ["easy", "medium", "hard"] {
            matrix(tier, samples(&shared.join("camera-frames"), &[tier]));
        }
        let sets: Vec<String> = (1..=6).map(|i| format!("qrcode-{i}")).collect();
        let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
        matrix("qr-corpus", samples(&shared.join("qr-corpus"), &sets));
        return;
    }
    let shared = std::env::var("LANEDESK_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    let has_zbar = Command::new("zbarimg").arg("--version").output().is_ok();
    let detail = std::env::var("LANEDESK_SCAN_DETAIL").is_ok();
    let only = std::env::var("LANEDESK_SCAN_ONLY").unwrap_or_default();
    if only.is_empty() || only == "frames" {
        run(
            "camera-frames (1280x720, phone screens)",
            samples(&shared.join("camera-frames"), &["easy", "medium", "hard"]),
            has_zbar,
            detail,
        );
    }
    if only.is_empty() || only == "live" {
        live(samples(
            &shared.join("camera-frames"),
            &["easy", "medium", "hard"],
        ));
    }
    if only.is_empty() || only == "corpus" {
        let sets: Vec<String> = (1..=6).map(|i| format!("qrcode-{i}")).collect();
        let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
        run(
            "qr-corpus (zxing-cpp test photos)",
            samples(&shared.join("qr-corpus"), &sets),
            has_zbar,
            detail,
        );
    }
}
