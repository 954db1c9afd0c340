//! A camera that films a simulated phone held over a desk, showing a QR code.
//!
//! The demo "shows" a traveller's phone to it; tests use it to put real rendered codes
//! through the real scanner. Tilt, rotation, blur, noise, glare and exposure are settable,
//! and the hand holding the phone shakes a little from frame to frame.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use qrcode::{Color, EcLevel, QrCode};

use super::{FrameSource, Gray, SourceError};
use crate::edges::scanner::geometry::Homography;

/// How the phone is held and how the camera sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scene {
    pub width: usize,
    pub height: usize,
    /// Phone height as a share of the frame height.
    pub scale: f32,
    pub rotation_deg: f32,
    /// Perspective: how much narrower the far edge of the phone looks (0 = facing the camera).
    pub tilt: f32,
    /// Box blur radius in pixels (defocus).
    pub blur: usize,
    /// Sensor noise amplitude in grey levels.
    pub noise: f32,
    /// Strength of a reflection across the screen, 0 to 1.
    pub glare: f32,
    /// Brightness multiplier.
    pub exposure: f32,
    /// Hand shake in pixels from frame to frame.
    pub shake: f32,
}

impl Default for Scene {
    fn default() -> Self {
        Self {
            width: 1280,
            height: 720,
            scale: 0.9,
            rotation_deg: 6.0,
            tilt: 0.08,
            blur: 1,
            noise: 6.0,
            glare: 0.25,
            exposure: 1.0,
            shake: 3.0,
        }
    }
}

impl Scene {
    /// A smaller frame, for tests and previews.
    pub fn sized(width: usize, height: usize) -> Self {
        Self {
            width,
            height,
            ..Self::default()
        }
    }
}

/// A small, fast, deterministic random source (xorshift): frames are reproducible by seed.
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

/// The QR modules of `text` at ECC M, with a 4-module quiet zone: `true` is dark.
fn modules(text: &str) -> Option<(usize, Vec<bool>)> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    let n = code.width();
    let size = n + 8;
    let mut out = vec![false; size * size];
    for y in 0..n {
        for x in 0..n {
            out[(y + 4) * size + x + 4] = code[(x, y)] == Color::Dark;
        }
    }
    Some((size, out))
}

/// Renders one frame of `scene` with the phone showing `text` (nothing on screen when
/// `None`, and no phone at all when `phone` is false). `seed` varies shake and noise.
pub fn render(scene: &Scene, text: Option<&str>, phone: bool, seed: u64) -> Gray {
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let (w, h) = (scene.width, scene.height);
    let qr = text.and_then(modules);
    // Phone outline: a 1:2 rectangle, rotated, with the far (top) edge narrowed for tilt.
    let ph = scene.scale * h as f32;
    let pw = ph * 0.5;
    let cx = w as f32 / 2.0 + rng.signed() * scene.shake;
    let cy = h as f32 / 2.0 + rng.signed() * scene.shake;
    let angle = (scene.rotation_deg + rng.signed() * scene.shake * 0.1).to_radians();
    let (s, c) = angle.sin_cos();
    let narrow = 1.0 - scene.tilt;
    let local = [
        (-pw / 2.0 * narrow, -ph / 2.0),
        (pw / 2.0 * narrow, -ph / 2.0),
        (pw / 2.0, ph / 2.0),
        (-pw / 2.0, ph / 2.0),
    ];
    let quad = local.map(|(x, y)| (cx + x * c - y * s, cy + x * s + y * c));
    let to_phone = Homography::square_to_quad(quad).inverse();

    let mut px = vec![0f32; w * h];
    for y in 0..h {
        for x in 0..w {
            let desk = 95.0 + 18.0 * ((x as f32) * 0.013 + (y as f32) * 0.004).sin();
            let mut v = desk;
            if phone {
                let (u, t) = to_phone.map(x as f32 + 0.5, y as f32 + 0.5);
                if (0.0..1.0).contains(&u) && (0.0..1.0).contains(&t) {
                    v = phone_surface(u, t, qr.as_ref());
                }
            }
            px[y * w + x] = v;
        }
    }
    if scene.blur > 0 {
        box_blur(&mut px, w, h, scene.blur);
        box_blur(&mut px, w, h, scene.blur);
    }
    // A reflection: a soft bright band across the frame.
    let (gx, gy) = (w as f32 * 0.62, h as f32 * 0.35);
    let reach = (w.min(h) as f32 * 0.35).powi(2);
    let out = px
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let (x, y) = ((i % w) as f32, (i / w) as f32);
            let d2 = (x - gx).powi(2) * 0.5 + (y - gy).powi(2);
            let glare = scene.glare * 200.0 * (-d2 / reach).exp();
            let noise = (rng.signed() + rng.signed()) * scene.noise;
            (v * scene.exposure + glare + noise).clamp(0.0, 255.0) as u8
        })
        .collect();
    Gray::new(w, h, out)
}

/// The phone at plane coordinates (u, t) in [0, 1): bezel, screen, and the code on it.
fn phone_surface(u: f32, t: f32, qr: Option<&(usize, Vec<bool>)>) -> f32 {
    const BEZEL: f32 = 28.0;
    const SCREEN: f32 = 238.0;
    const DARK: f32 = 28.0;
    let on_screen = (0.05..0.95).contains(&u) && (0.06..0.94).contains(&t);
    if !on_screen {
        return BEZEL;
    }
    let Some((size, bits)) = qr else {
        return SCREEN;
    };
    // The code fills 84% of the screen's width, centred a little above the middle; the
    // phone is twice as tall as wide, so a square on the screen spans half as much of t.
    let side_u = 0.84;
    let side_t = side_u * 0.5;
    let (u0, t0) = (0.5 - side_u / 2.0, 0.46 - side_t / 2.0);
    let (qu, qt) = ((u - u0) / side_u, (t - t0) / side_t);
    if !(0.0..1.0).contains(&qu) || !(0.0..1.0).contains(&qt) {
        return SCREEN;
    }
    let (mx, my) = ((qu * *size as f32) as usize, (qt * *size as f32) as usize);
    if bits[my.min(size - 1) * size + mx.min(size - 1)] {
        DARK
    } else {
        SCREEN
    }
}

fn box_blur(px: &mut [f32], w: usize, h: usize, r: usize) {
    let mut tmp = vec![0f32; px.len()];
    for y in 0..h {
        let row = &px[y * w..][..w];
        for x in 0..w {
            let (a, b) = (x.saturating_sub(r), (x + r).min(w - 1));
            let sum: f32 = row[a..=b].iter().sum();
            tmp[y * w + x] = sum / (b - a + 1) as f32;
        }
    }
    for x in 0..w {
        for y in 0..h {
            let (a, b) = (y.saturating_sub(r), (y + r).min(h - 1));
            let sum: f32 = (a..=b).map(|yy| tmp[yy * w + x]).sum();
            px[y * w + x] = sum / (b - a + 1) as f32;
        }
    }
}

/// What the simulated phone shows, changeable from another thread (the demo's keys).
#[derive(Debug, Clone, Default)]
pub struct Phone {
    showing: Arc<Mutex<Option<String>>>,
}

impl Phone {
    /// Holds up the phone showing `text`.
    pub fn show(&self, text: &str) {
        *self.showing.lock().unwrap_or_else(|p| p.into_inner()) = Some(text.to_owned());
    }

    /// Takes the phone away.
    pub fn hide(&self) {
        *self.showing.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    pub fn showing(&self) -> Option<String> {
        self.showing
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// A frame source filming the simulated phone at a steady frame rate.
pub struct SyntheticCamera {
    scene: Scene,
    phone: Phone,
    frame: u64,
    interval: Duration,
    /// Frames already rendered for what the phone shows now (`None`: phone away).
    cache: Vec<Gray>,
    cached_for: Option<Option<String>>,
}

/// Distinct frames (noise, shake) rendered per phone state; after that they repeat, so an
/// unchanging scene costs a copy per frame instead of a render.
const CACHED_FRAMES: usize = 8;

impl SyntheticCamera {
    pub fn new(scene: Scene, fps: u32) -> Self {
        Self {
            scene,
            phone: Phone::default(),
            frame: 0,
            interval: Duration::from_secs(1) / fps.max(1),
            cache: Vec::new(),
            cached_for: None,
        }
    }

    /// The handle that decides what the phone shows.
    pub fn phone(&self) -> Phone {
        self.phone.clone()
    }
}

impl FrameSource for SyntheticCamera {
    fn next_frame(&mut self) -> Result<Option<Gray>, SourceError> {
        self.frame += 1;
        let showing = self.phone.showing();
        if self.cached_for.as_ref() != Some(&showing) {
            self.cache.clear();
            self.cached_for = Some(showing.clone());
        }
        if self.cache.len() < CACHED_FRAMES {
            let frame = render(
                &self.scene,
                showing.as_deref(),
                showing.is_some(),
                self.frame,
            );
            self.cache.push(frame.clone());
            return Ok(Some(frame));
        }
        Ok(Some(
            self.cache[self.frame as usize % CACHED_FRAMES].clone(),
        ))
    }

    fn describe(&self) -> String {
        format!(
            "simulated camera {}x{} (phone {})",
            self.scene.width,
            self.scene.height,
            if self.phone.showing().is_some() {
                "held up"
            } else {
                "away"
            }
        )
    }

    fn pacing(&self) -> Option<Duration> {
        Some(self.interval)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_reproducible_by_seed_and_vary_between_seeds() {
        let scene = Scene::sized(160, 90);
        let a = render(&scene, Some("EC1:TEST"), true, 1);
        assert_eq!(a, render(&scene, Some("EC1:TEST"), true, 1));
        assert_ne!(a, render(&scene, Some("EC1:TEST"), true, 2));
        let empty = render(&scene, None, false, 1);
        assert_eq!((empty.width, empty.height), (160, 90));
    }
}
