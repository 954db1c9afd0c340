//! QR reading on the shared corpora, side by side with zxing-cpp, zbar and plain rqrr, in one run.
//!
//! cargo bench --bench scan
//!
//! Reads every image of `../shared/camera-frames/{easy,medium,hard}` and
//! `../shared/qr-corpus/qrcode-*` (LANEDESK_SHARED overrides `../shared`) and compares the
//! decoded text with the `.txt` beside it (`\r\n` and `\n` count as the same). For each set it
//! prints the share read and the median and 95th percentile decode time of lanedesk's still
//! reader (one thread, decode only: file loading excluded) and of the peers:
//!
//! - zxing-cpp through its PyPI package (`pip install zxing-cpp`): `benches/zxing_peer.py`
//!   runs once beside the bench and is sent the same greyscale pixels lanedesk reads; it
//!   times the `read_barcodes` call alone (QR only, one thread) in its own process. Without
//!   the package (or python3; LANEDESK_PYTHON names another interpreter) the column says it
//!   is missing.
//! - zbar as `zbarimg` (Debian package zbar-tools), QR only, on the image file: its time is
//!   the whole process (start, file decode, scan), so only its share compares.
//! - plain rqrr: one `PreparedImage::prepare` + `detect_grids` on the full image.
//!
//! LANEDESK_SCAN_DETAIL=1 lists every miss and which ladder step read each hit.
//! LANEDESK_SCAN_ONLY=frames|live|corpus runs one part. `live` plays each hard frame as a
//! 15 fps camera sequence (the frame, then neighbours with a little fresh shake and noise)
//! through the live reader and counts the frames from the first in view until the code is
//! read; it also times the live reader with its frame memory and without.
//! LANEDESK_SCAN_MATRIX=1 runs every ladder rung on every image: what each reads and costs
//! (or LANEDESK_SCAN_MATRIX=hard,corpus: only those sets).
//! LANEDESK_SCAN_PROFILE=easy|medium|hard runs only lanedesk's reader on one tier, ten
//! times, for `perf record`. LANEDESK_SCAN_ONE=FILE runs every rung on one image and prints
//! what each read and how long it took.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use lanedesk::edges::scanner::binarize::Gray;
use lanedesk::edges::scanner::load_gray;
use lanedesk::edges::scanner::reader::{self, Attempt, Binarizer, Found, Scale, Transform};

struct Sample {
    set: String,
    image: PathBuf,
    /// The expected payload, line ends normalised.
    expected: Vec<u8>,
}

/// `\r\n` as `\n`: label files and payloads differ in line ends only.
fn norm(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
            i += 1;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

fn is_expected(found: &[Found], expected: &[u8]) -> bool {
    found
        .iter()
        .any(|f| norm(f.text.as_bytes()) == expected || norm(&f.bytes) == expected)
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
                expected: norm(&expected),
            });
        }
    }
    out
}

/// zxing-cpp in a Python process of its own, fed greyscale pixels over a pipe.
struct Zxing {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    version: String,
}

impl Zxing {
    fn start() -> Result<Zxing, String> {
        let python = std::env::var("LANEDESK_PYTHON").unwrap_or_else(|_| "python3".into());
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/zxing_peer.py");
        let mut child = Command::new(&python)
            .arg(&script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run {python}: {e}"))?;
        let stdin = child.stdin.take();
        let mut stdout = BufReader::new(child.stdout.take().ok_or("no stdout")?);
        let mut line = String::new();
        stdout
            .read_line(&mut line)
            .map_err(|e| format!("{python} {}: {e}", script.display()))?;
        let hello: serde_json::Value =
            serde_json::from_str(&line).map_err(|_| format!("{python}: no answer ({line:?})"))?;
        if let Some(error) = hello["error"].as_str() {
            let _ = child.wait();
            return Err(error.to_string());
        }
        let version = hello["ready"].as_str().unwrap_or("?").to_string();
        Ok(Zxing {
            child,
            stdin,
            stdout,
            version,
        })
    }

    /// The payloads zxing-cpp reads in `img` (raw bytes and text), and its decode time in ms.
    fn read(&mut self, img: &Gray) -> Option<(Vec<Vec<u8>>, f64)> {
        let stdin = self.stdin.as_mut()?;
        stdin
            .write_all(format!("{} {}\n", img.width, img.height).as_bytes())
            .ok()?;
        stdin.write_all(&img.pixels).ok()?;
        stdin.flush().ok()?;
        let mut line = String::new();
        self.stdout.read_line(&mut line).ok()?;
        let answer: serde_json::Value = serde_json::from_str(&line).ok()?;
        let mut codes: Vec<Vec<u8>> = answer["codes"]
            .as_array()?
            .iter()
            .filter_map(|c| hex::decode(c.as_str()?).ok())
            .collect();
        // Its text too (ECI, Shift_JIS and Kanji converted), as lanedesk's text is compared.
        codes.extend(
            answer["texts"]
                .as_array()?
                .iter()
                .filter_map(|t| Some(t.as_str()?.as_bytes().to_vec())),
        );
        Some((codes, answer["ms"].as_f64()?))
    }
}

impl Drop for Zxing {
    fn drop(&mut self) {
        self.stdin = None;
        let _ = self.child.wait();
    }
}

/// zbarimg's payload and the whole process's time (start, file decode, scan).
fn zbar(path: &Path) -> Option<(Vec<u8>, Duration)> {
    let t = Instant::now();
    let out = Command::new("zbarimg")
        .args(["-q", "--raw", "-Sdisable", "-Sqrcode.enable", "-Sbinary"])
        .arg(path)
        .output()
        .ok()?;
    let elapsed = t.elapsed();
    // --raw prints each symbol's data followed by a newline; with one code the whole output
    // minus the final newline is the payload.
    let mut data = out.stdout;
    if data.last() == Some(&b'\n') {
        data.pop();
    }
    Some((data, elapsed))
}

struct Peers {
    zxing: Option<Zxing>,
    zbar: bool,
}

#[derive(Default)]
struct Tally {
    total: usize,
    ours: usize,
    plain: usize,
    zxing: usize,
    zbar: usize,
    /// Milliseconds.
    t_ours: Vec<f64>,
    t_zxing: Vec<f64>,
    t_zbar: Vec<f64>,
}

/// The `q` quantile (nearest rank) in ms; `-` when there is nothing to rank.
fn quantile(times: &mut [f64], q: f64) -> String {
    if times.is_empty() {
        return "-".into();
    }
    times.sort_by(f64::total_cmp);
    let rank = ((q * times.len() as f64).ceil() as usize).clamp(1, times.len());
    format!("{:.2}", times[rank - 1])
}

fn pct(n: usize, d: usize) -> String {
    if d == 0 {
        "-".into()
    } else {
        format!("{:.1}%", 100.0 * n as f64 / d as f64)
    }
}

fn run(title: &str, list: Vec<Sample>, peers: &mut Peers, detail: bool) {
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
        let elapsed = t.elapsed().as_secs_f64() * 1e3;
        let ours = is_expected(&read.found, &s.expected);
        let zx = peers.zxing.as_mut().and_then(|z| z.read(&img));
        let zx_ok = zx
            .as_ref()
            .is_some_and(|(codes, _)| codes.iter().any(|c| norm(c) == s.expected));
        let plain_ok = is_expected(&reader::attempt(&img, plain).found, &s.expected);
        let zb = if peers.zbar { zbar(&s.image) } else { None };
        let zbar_ok = zb.as_ref().is_some_and(|(d, _)| norm(d) == s.expected);
        if let Some(w) = read.winner.filter(|_| ours) {
            *winners.entry(w.to_string()).or_default() += 1;
        }
        if detail && !ours {
            println!(
                "  miss {} ({} attempts{}; zxing-cpp {})",
                s.image.display(),
                read.attempts,
                if read.found.is_empty() {
                    String::new()
                } else {
                    format!(
                        ", read other text {:?}",
                        read.found[0].text.chars().take(40).collect::<String>()
                    )
                },
                if zx_ok { "reads it" } else { "misses it too" }
            );
        }
        for tally in [by_set.entry(s.set.clone()).or_default(), &mut overall] {
            tally.total += 1;
            tally.ours += usize::from(ours);
            tally.plain += usize::from(plain_ok);
            tally.zxing += usize::from(zx_ok);
            tally.zbar += usize::from(zbar_ok);
            tally.t_ours.push(elapsed);
            if let Some((_, ms)) = &zx {
                tally.t_zxing.push(*ms);
            }
            if let Some((_, t)) = &zb {
                tally.t_zbar.push(t.as_secs_f64() * 1e3);
            }
        }
    }
    println!("\n{title}");
    println!(
        "{:<10} {:>4} | {:>8} {:>7} {:>7} | {:>9} {:>7} {:>7} | {:>6} {:>9} | {:>10}",
        "set",
        "n",
        "lanedesk",
        "med ms",
        "p95 ms",
        "zxing-cpp",
        "med ms",
        "p95 ms",
        "zbar",
        "med ms(*)",
        "plain rqrr"
    );
    let has_zxing = peers.zxing.is_some();
    for (set, mut t) in by_set.into_iter().chain([("overall".to_string(), overall)]) {
        let (zx, zx_med, zx_p95) = if has_zxing {
            (
                pct(t.zxing, t.total),
                quantile(&mut t.t_zxing, 0.5),
                quantile(&mut t.t_zxing, 0.95),
            )
        } else {
            ("missing".into(), "-".into(), "-".into())
        };
        let (zb, zb_med) = if peers.zbar {
            (pct(t.zbar, t.total), quantile(&mut t.t_zbar, 0.5))
        } else {
            ("missing".into(), "-".into())
        };
        println!(
            "{:<10} {:>4} | {:>8} {:>7} {:>7} | {:>9} {:>7} {:>7} | {:>6} {:>9} | {:>10}",
            set,
            t.total,
            pct(t.ours, t.total),
            quantile(&mut t.t_ours, 0.5),
            quantile(&mut t.t_ours, 0.95),
            zx,
            zx_med,
            zx_p95,
            zb,
            zb_med,
            pct(t.plain, t.total),
        );
    }
    println!("(*) zbar's time is the whole zbarimg process: start, file decode, scan");
    if detail {
        println!("ladder steps that read codes: {winners:?}");
    }
}

/// Runs every ladder rung on every image: which rungs read what, and at what cost.
fn matrix(title: &str, list: Vec<Sample>) {
    let mut stats: BTreeMap<String, (usize, Duration, usize)> = BTreeMap::new();
    let mut union = 0;
    for s in &list {
        let Ok(img) = load_gray(&s.image) else {
            continue;
        };
        let mut any = false;
        let mut reads: Vec<String> = Vec::new();
        let region = reader::region_of(&img);
        for step in reader::ladder(&img) {
            let t = Instant::now();
            let ok = is_expected(&reader::run_step(&img, step, region).found, &s.expected);
            if ok {
                reads.push(step.to_string());
            }
            let e = stats.entry(step.to_string()).or_default();
            e.0 += usize::from(ok);
            e.1 += t.elapsed();
            e.2 += 1;
            any |= ok;
        }
        union += usize::from(any);
        if std::env::var("LANEDESK_SCAN_DETAIL").is_ok() {
            println!("  {}: {}", s.image.display(), reads.join(", "));
        }
    }
    println!(
        "\n{title}: attempt matrix ({} images, {} read by some attempt)",
        list.len(),
        union
    );
    for (name, (ok, time, n)) in stats {
        println!(
            "{name:<36} {ok:>4} read  {:>8.2} ms mean",
            time.as_secs_f64() * 1000.0 / n as f64
        );
    }
}

/// A small xorshift: the sequences are the same in every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Uniform in [-1, 1).
    fn signed(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 23) as f32 - 1.0
    }
}

/// A neighbour of `img` as the next frames of a camera would film it: the hand moves the
/// phone by up to `shake` pixels and `shake / 10` degrees (as the synthetic camera's shake
/// does), and the sensor adds fresh noise of `noise` grey levels (bilinear resampling).
fn shaken(img: &Gray, seed: u64, shake: f32, noise: f32) -> Gray {
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let (w, h) = (img.width, img.height);
    let (dx, dy) = (rng.signed() * shake, rng.signed() * shake);
    let angle = (rng.signed() * shake * 0.1).to_radians();
    let (s, c) = angle.sin_cos();
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    let mut out = Vec::with_capacity(w * h);
    for y in 0..h {
        for x in 0..w {
            // Where this pixel was in the original frame.
            let (px, py) = (x as f32 - cx - dx, y as f32 - cy - dy);
            let sx = (cx + px * c + py * s).clamp(0.0, (w - 1) as f32);
            let sy = (cy - px * s + py * c).clamp(0.0, (h - 1) as f32);
            let (x0, y0) = (sx as usize, sy as usize);
            let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
            let (fx, fy) = (sx - x0 as f32, sy - y0 as f32);
            let at = |x: usize, y: usize| f32::from(img.pixels[y * w + x]);
            let v = (at(x0, y0) * (1.0 - fx) + at(x1, y0) * fx) * (1.0 - fy)
                + (at(x0, y1) * (1.0 - fx) + at(x1, y1) * fx) * fy;
            let n = (rng.signed() + rng.signed()) * noise;
            out.push((v + n).clamp(0.0, 255.0) as u8);
        }
    }
    Gray::new(w, h, out)
}

/// Each hard frame played as a 15 fps camera: the frame, then neighbours with fresh shake and
/// noise. A fresh live reader takes the newest frame whenever it is free (frames that arrive
/// while it decodes are dropped, as the scanner's one-frame slot does). Counted per code:
/// camera frames from the first in view until the read (1 = read before the second frame
/// arrived), and frames the reader decoded until then.
fn live_sequences(hard: &[Sample]) {
    use lanedesk::edges::scanner::live::LiveReader;
    const FRAMES: usize = 30;
    let interval = 1.0 / 15.0;
    let mut camera_frames: Vec<usize> = Vec::new();
    let mut decoded_frames: Vec<usize> = Vec::new();
    let mut per_frame_ms: Vec<f64> = Vec::new();
    let mut missed = Vec::new();
    for s in hard {
        let Ok(first) = load_gray(&s.image) else {
            continue;
        };
        let seed = s
            .image
            .file_stem()
            .and_then(|n| n.to_str())
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0);
        let mut reader = LiveReader::default();
        let mut clock = 0.0f64;
        let mut last: Option<usize> = None;
        let mut decoded = 0;
        let mut read_at = None;
        loop {
            let mut index = (clock / interval).floor() as usize;
            if last.is_some_and(|l| index <= l) {
                index = last.unwrap_or(0) + 1;
                clock = index as f64 * interval;
            }
            if index >= FRAMES {
                break;
            }
            let frame = if index == 0 {
                first.clone()
            } else {
                shaken(&first, seed * 1000 + index as u64, 3.0, 4.0)
            };
            let t = Instant::now();
            let found = reader.read(&frame);
            let ms = t.elapsed().as_secs_f64();
            per_frame_ms.push(ms * 1e3);
            clock += ms;
            decoded += 1;
            last = Some(index);
            if is_expected(&found, &s.expected) {
                read_at = Some((clock / interval).floor() as usize + 1);
                break;
            }
        }
        match read_at {
            Some(n) => {
                camera_frames.push(n);
                decoded_frames.push(decoded);
            }
            None => {
                camera_frames.push(usize::MAX);
                decoded_frames.push(usize::MAX);
                missed.push(s.image.display().to_string());
            }
        }
    }
    let rank = |v: &mut Vec<usize>, q: f64| {
        v.sort();
        let r = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len().max(1));
        match v.get(r - 1) {
            Some(&usize::MAX) => "not read".to_string(),
            Some(n) => n.to_string(),
            None => "-".to_string(),
        }
    };
    let n = camera_frames.len();
    println!(
        "\nlive reader on the hard tier as 15 fps sequences ({n} codes, {FRAMES} frames each, shake 3 px, noise 4):"
    );
    println!(
        "  camera frames from first in view to read: median {}, p90 {}, max {}; frames decoded: median {}; not read in {FRAMES} frames: {}",
        rank(&mut camera_frames, 0.5),
        rank(&mut camera_frames, 0.9),
        rank(&mut camera_frames, 1.0),
        rank(&mut decoded_frames, 0.5),
        missed.len()
    );
    println!(
        "  live reader per frame: median {} ms, p95 {} ms",
        quantile(&mut per_frame_ms, 0.5),
        quantile(&mut per_frame_ms, 0.95)
    );
    for m in missed {
        println!("  not read: {m}");
    }
}

/// The live scanner's per-frame cost, with its frame memory and without, side by side:
/// on distinct camera frames (the memory's fingerprint and copy are pure overhead there) and
/// on one frame repeated (a still, the simulated camera).
fn live_memory(samples: &[Sample]) {
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
    let shared = std::env::var("LANEDESK_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    let corpus_sets: Vec<String> = (1..=6).map(|i| format!("qrcode-{i}")).collect();
    let corpus_sets: Vec<&str> = corpus_sets.iter().map(String::as_str).collect();
    if let Ok(which) = std::env::var("LANEDESK_SCAN_MATRIX") {
        let wanted = |set: &str| which == "1" || which.split(',').any(|w| w == set);
        for tier in ["easy", "medium", "hard"] {
            if wanted(tier) {
                matrix(tier, samples(&shared.join("camera-frames"), &[tier]));
            }
        }
        if wanted("corpus") {
            matrix(
                "qr-corpus",
                samples(&shared.join("qr-corpus"), &corpus_sets),
            );
        }
        return;
    }
    if let Ok(file) = std::env::var("LANEDESK_SCAN_ONE") {
        let img = load_gray(Path::new(&file)).unwrap();
        let region = reader::region_of(&img);
        for step in reader::ladder(&img) {
            let t = Instant::now();
            let r = reader::run_step(&img, step, region);
            println!(
                "{step}: {:.2} ms {:?}",
                t.elapsed().as_secs_f64() * 1e3,
                r.found
                    .iter()
                    .map(|f| f.text.chars().take(30).collect::<String>())
                    .collect::<Vec<_>>()
            );
        }
        return;
    }
    if let Ok(set) = std::env::var("LANEDESK_SCAN_PROFILE") {
        // Only lanedesk's reader, ten times over one set: for `perf record`.
        let list = samples(&shared.join("camera-frames"), &[set.as_str()]);
        let images: Vec<Gray> = list
            .iter()
            .filter_map(|s| load_gray(&s.image).ok())
            .collect();
        let t = Instant::now();
        for _ in 0..10 {
            for img in &images {
                std::hint::black_box(reader::read_still(img));
            }
        }
        println!(
            "{} images x10: {:.2} ms mean",
            images.len(),
            t.elapsed().as_secs_f64() * 1e3 / (10 * images.len().max(1)) as f64
        );
        return;
    }
    let detail = std::env::var("LANEDESK_SCAN_DETAIL").is_ok();
    let only = std::env::var("LANEDESK_SCAN_ONLY").unwrap_or_default();
    let part = |name: &str| only.is_empty() || only == name;
    let mut peers = Peers {
        zxing: None,
        zbar: Command::new("zbarimg").arg("--version").output().is_ok(),
    };
    if part("frames") || part("corpus") {
        match Zxing::start() {
            Ok(z) => {
                println!(
                    "zxing-cpp {} (PyPI zxing-cpp, benches/zxing_peer.py)",
                    z.version
                );
                peers.zxing = Some(z);
            }
            Err(e) => println!("zxing-cpp column missing: {e} (pip install zxing-cpp)"),
        }
        if !peers.zbar {
            println!("zbar column missing: no zbarimg (apt-get install zbar-tools)");
        }
    }
    if part("frames") {
        run(
            "camera-frames (1280x720, phone screens)",
            samples(&shared.join("camera-frames"), &["easy", "medium", "hard"]),
            &mut peers,
            detail,
        );
    }
    if part("live") {
        live_sequences(&samples(&shared.join("camera-frames"), &["hard"]));
        live_memory(&samples(
            &shared.join("camera-frames"),
            &["easy", "medium", "hard"],
        ));
    }
    if part("corpus") {
        run(
            "qr-corpus (zxing-cpp test photos)",
            samples(&shared.join("qr-corpus"), &corpus_sets),
            &mut peers,
            detail,
        );
    }
}
